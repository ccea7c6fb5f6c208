"""Reservoir hydropower: the head at the step's mean storage or at its start, by hand.

The energy of a reservoir plant over a step is E = 0.002725 * eta * H * q (GWh; q in hm3,
H in m): Loucks and van Beek, *Water Resource Systems Planning and Management* (2017),
ch. 11 (hydropower: P = 9.81 eta q H kW for q in m3/s; 9.81 / 3600 = 0.002725 GWh per hm3
and m). Which storage sets H over a step is a modelling convention the scenario names
(``solve: head_storage``): the step's mean storage (S[t-1] + S[t]) / 2 or its start S[t-1].

Hand problem: reservoir R (no inflow, S0 = 120 hm3; its energy displaces thermal power at
45 USD/MWh in the energy system ES, whose 5 GWh/month demand it never meets) releases through its plant to the sink
O over a reach that carries at most 10 hm3 per month, so it releases 10 hm3 every month
(the turbine-flow tie-breaker wants every hm3 turbined; 12 x 10 = 120 empties it exactly):
S[t] = 120 - 10 t. The level is linear in storage, 50 m + 0.1 m/hm3 * S, the tailwater
40 m, so H(S) = 10 + 0.1 S. Month t (1..12):

- mean: Sh = 125 - 10 t, H = 22.5 - t; sum of H over the year 12 * 22.5 - 78 = 192 m
- start: Sh = 130 - 10 t, H = 23 - t; sum 12 * 23 - 78 = 198 m

so with eta = 0.9 (k = 0.0024525 GWh per hm3 and m) January gives 0.0024525 * 21.5 * 10 =
0.5272875 GWh at the mean and 0.0024525 * 22 * 10 = 0.53955 GWh at the start, and the year
4.70880 GWh and 4.85595 GWh.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import at, node, run, write_problem

K = 0.002725 * 0.9  # GWh per hm3 turbined and m of head
MONTH = np.arange(1, 13)


def head_problem(folder, convention: str):
    energy = "node,month,demand_gwh,thermal_cost_usd_per_mwh,import_price_usd_per_mwh,"
    energy += "export_price_usd_per_mwh\n" + "".join(f"ES,{m},5,45,32,27\n" for m in MONTH)
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "R",
                "reservoir",
                capacity_hm3=200.0,
                initial_storage_hm3=120.0,
                end_storage="free",
                hydropower={
                    "installed_mw": 1000.0,
                    "efficiency": 0.9,
                    "max_turbine_flow_m3s": 100.0,
                    "tailwater_level_m": 40.0,
                },
            ),
            node("O", "sink"),
            node("ES", "energy_system", thermal_capacity_mw=100.0),
        ],
        [{"from": "S", "to": "R"}, {"from": "R", "to": "O", "capacity_hm3_per_step": 10.0}],
        {"S": 0.0},
        solve={"head_storage": convention},
        tables={
            "energy": ("GWh/month, USD/MWh", energy),
            "level_area_storage": (
                "m, km2, hm3",
                "node,level_m,area_km2,storage_hm3\nR,50,10,0\nR,70,30,200\n",
            ),
        },
    )


@pytest.mark.parametrize(
    ("convention", "head", "year_gwh"),
    [
        ("mean", 22.5 - MONTH, K * 10.0 * 192.0),  # 4.70880 GWh
        ("start", 23.0 - MONTH, K * 10.0 * 198.0),  # 4.85595 GWh
    ],
)
def test_energy_from_the_head_the_scenario_names(tmp_path, convention, head, year_gwh):
    result = run(head_problem(tmp_path, convention))
    storage = at(result, "storage", "R")
    turbine = at(result, "turbine_flow", "R")
    energy = at(result, "energy", "R")
    np.testing.assert_allclose(storage, 120.0 - 10.0 * MONTH, atol=1e-6)
    np.testing.assert_allclose(turbine, 10.0, rtol=1e-6)
    np.testing.assert_allclose(at(result, "head_m", "R"), head, rtol=1e-6)
    np.testing.assert_allclose(energy, K * head * 10.0, rtol=1e-6)
    assert energy.sum() == pytest.approx(year_gwh, rel=1e-6)
    # the physical identity at the converged solution: E = 0.002725 eta H q, H at the
    # convention's storage of the reported storages
    start = np.concatenate([[120.0], storage[:-1]])
    sh = (start + storage) / 2.0 if convention == "mean" else start
    np.testing.assert_allclose(energy, K * (10.0 + 0.1 * sh) * turbine, rtol=1e-6)
    assert result.report.energy_linearization_error < 1e-6  # measured at the same storage


def test_the_two_conventions_differ_by_the_hand_difference(tmp_path):
    """Start minus mean: half a month's drawdown (5 hm3, 0.5 m) more head every month,
    12 * 0.5 m * 10 hm3 * k = 0.147150 GWh over the year."""
    mean = at(run(head_problem(tmp_path / "mean", "mean")), "energy", "R").sum()
    start = at(run(head_problem(tmp_path / "start", "start")), "energy", "R").sum()
    assert start - mean == pytest.approx(K * 12 * 0.5 * 10.0, rel=1e-6)
