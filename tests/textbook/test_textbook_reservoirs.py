"""Reservoirs: evaporation conventions, bounds' duals, by hand.

The evaporation problem follows Pywr's test model ``tests/models/reservoir_evaporation.json``
(github.com/pywr/pywr: a reservoir losing a depth of water over its surface area); the
numbers are worked by hand for both conventions of ``solve: evaporation_area``.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import FEB, at, node, run, write_problem

TOL = 1e-6
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def evaporation_problem(folder, convention: str):
    """S (nothing) -> R (S0 = 100 hm3, area 10 + 0.1 S km2, 100 mm net evaporation in
    January only, water left at the end worth 0.01 USD/m3) -> O."""
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "R",
                "reservoir",
                capacity_hm3=200.0,
                initial_storage_hm3=100.0,
                end_storage="value",
                terminal_value_usd_per_m3=0.01,
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "R"}, {"from": "R", "to": "O"}],
        {"S": 0.0},
        solve={"evaporation_area": convention},
        tables={
            "evaporation": ("mm/month", "node," + ",".join(MONTHS) + "\nR,100" + ",0" * 11 + "\n"),
            "level_area_storage": (
                "m, km2, hm3",
                "node,level_m,area_km2,storage_hm3\nR,50,10,0\nR,60,20,100\nR,70,30,200\n",
            ),
        },
    )


@pytest.mark.parametrize(
    ("convention", "january_storage", "january_value"),
    [
        # start: E = 0.1 m * (10 + 0.1 * 100) km2 = 2 hm3, S1 = 98; one hm3 more in
        # January stays whole (the area was set at the start): 0.01 USD/m3
        ("start", 98.0, 0.01),
        # mean: S1 = 100 - 0.1 (10 + 0.1 (100 + S1) / 2) = 98.5 - 0.005 S1, S1 = 98.5 / 1.005;
        # one hm3 more raises S1 by 1 / 1.005 (part of it evaporates): 0.01 / 1.005
        ("mean", 98.5 / 1.005, 0.01 / 1.005),
    ],
)
def test_evaporation_from_the_area_the_scenario_names(
    tmp_path, convention, january_storage, january_value
):
    result = run(evaporation_problem(tmp_path, convention))
    storage = at(result, "storage", "R")
    np.testing.assert_allclose(storage, january_storage, atol=TOL)  # nothing else happens
    evaporation = at(result, "evaporation", "R")
    np.testing.assert_allclose(evaporation, [100.0 - january_storage] + [0.0] * 11, atol=TOL)
    assert at(result, "marginal_value", "R")[0] == pytest.approx(january_value, abs=TOL)
    assert result.results.attrs["water_balance_max_residual_hm3"] < 1e-6


def bounds_problem(folder, inflow, initial, dead, demand):
    """S -> R (250 hm3, dead storage ``dead``, S0 ``initial``, end water worth 0.01) -> D
    (``demand`` hm3 a month at 0.05 USD/m3, fully consumptive); spill R -> O."""
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "R",
                "reservoir",
                capacity_hm3=250.0,
                dead_storage_hm3=dead,
                initial_storage_hm3=initial,
                end_storage="value",
                terminal_value_usd_per_m3=0.01,
            ),
            node(
                "D",
                "demand",
                monthly_demand_hm3=demand,
                benefit_segments=[{"share": 1.0, "value_usd_per_m3": 0.05}],
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "R"}, {"from": "R", "to": "D"}, {"from": "R", "to": "O"}],
        {"S": inflow},
    )


def test_a_reservoir_at_capacity_and_one_at_its_minimum_price_their_own_bound(tmp_path):
    """The storage-continuity LP (Loucks & van Beek 2017, ch. 4 and 11), worked by hand.

    At capacity: 400 hm3 in January only, S0 = 0, D wants 100 in February and March.
    January stores 250 (full) and spills 150; February 150, March onward 50, kept to the
    end (0.01). One hm3 more capacity in January is kept to the end: 0.01 USD/m3; the
    water itself is worth 0 in January (it spills). Objective 200 * 0.05 + 50 * 0.01.

    At its minimum: S0 = 150, dead storage 50, 250 hm3 in February only, D wants 150, 100,
    100 in January..March. January: D takes the 100 above the minimum (short 50), R at 50;
    February 200, March onward 100 (February's inflow is 250*FEB: 2.2 hm3 less in all).
    Lowering January's minimum gives D 1 hm3 (+0.05) and leaves 1 hm3 less at the end
    (-0.01): 0.04 USD/m3. Objective 300 * 0.05 + 0.01 * the end storage.
    """
    zeros = [0.0] * 12
    full = run(
        bounds_problem(
            tmp_path / "full", [400.0] + zeros[1:], 0.0, 0.0, [0.0, 100.0, 100.0] + zeros[3:]
        )
    )
    np.testing.assert_allclose(at(full, "storage", "R"), [250, 150] + [50] * 10, atol=TOL)
    np.testing.assert_allclose(at(full, "storage_max_price", "R"), [0.01] + [0] * 11, atol=TOL)
    np.testing.assert_allclose(at(full, "storage_min_price", "R"), 0.0, atol=TOL)
    assert at(full, "marginal_value", "R")[0] == pytest.approx(0.0, abs=TOL)
    assert full.report.objective_musd == pytest.approx(200 * 0.05 + 50 * 0.01, abs=TOL)

    low = run(
        bounds_problem(
            tmp_path / "low",
            [0.0, 250.0] + zeros[2:],
            150.0,
            50.0,
            [150.0, 100.0, 100.0] + zeros[3:],
        )
    )
    feb = 250.0 * FEB  # February's 250 hm3 of the table (see textbook_files)
    np.testing.assert_allclose(at(low, "storage", "R"), [50, feb - 50] + [feb - 150] * 10, atol=TOL)
    np.testing.assert_allclose(at(low, "storage_min_price", "R"), [0.04] + [0] * 11, atol=TOL)
    np.testing.assert_allclose(at(low, "storage_max_price", "R"), 0.0, atol=TOL)
    np.testing.assert_allclose(at(low, "marginal_value", "R")[:3], [0.05, 0.01, 0.01], atol=TOL)
    assert low.report.objective_musd == pytest.approx(300 * 0.05 + (feb - 150) * 0.01, abs=TOL)
