"""Only water that passes the turbines makes energy: a canal taking water above the dam does
not (issue 11). Hand-worked on one month (January 2030: 31 days, 1 m3/s = 2.6784 hm3).

    S (100 hm3) --> R (reservoir, plant, S0 = 500 hm3, ends at 500) --river--> O
                     \\--canal (exactly 60 hm3: capacity = minimum)--> C

R releases its 100 hm3 inflow: 60 by the canal, 40 by the river. The turbines (50 m3/s =
133.92 hm3) could take all 100 if canal water counted; only the river's 40 pass them.
Fixed head: straight table, level(500) = 120 m, tailwater 90 m -> H = 30 m;
1 hm3 gives 0.002725 * 0.9 * 30 = 0.073575 GWh.
"""

from __future__ import annotations

import pytest

from model_factory import energy_table, las_table, link, make_basin, node, run, with_months

HM3_PER_M3S = 31 * 86_400 / 1e6  # 2.6784
GWH_PER_HM3 = 0.002725 * 0.9 * 30.0


def reservoir_with_canal(canal_kind: str = "canal"):
    canal_m3s = 60.0 / HM3_PER_M3S
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=1000.0,
            initial_storage_hm3=500.0,
            end_storage="initial",
            hydropower={
                "installed_mw": 100.0,
                "efficiency": 0.9,
                "max_turbine_flow_m3s": 50.0,
                "tailwater_level_m": 90.0,
            },
        ),
        node("O", "sink"),
        node("C", "sink"),
        node("E", "energy_system", thermal_capacity_mw=2000.0),
    ]
    links = [
        link("S", "R"),
        link("R", "O", kind="river"),
        link(
            "R",
            "C",
            kind=canal_kind,
            capacity_m3s=canal_m3s,
            min_flow_m3s=canal_m3s,
            min_flow_penalty_usd_per_m3=1.0,
        ),
    ]
    basin = make_basin(
        nodes,
        links,
        energy=energy_table("E", 1000.0, 50.0),
        level_area_storage={
            "R": las_table(
                [100.0, 110.0, 120.0, 130.0, 140.0],
                [2.0, 6.0, 10.0, 14.0, 18.0],
                [0.0, 250.0, 500.0, 750.0, 1000.0],
            )
        },
    )
    return run(with_months(basin, 1, {"S": 100.0}), head="fixed")


def test_canal_water_above_the_dam_makes_no_energy():
    r = reservoir_with_canal()
    assert r.flow("R", "C")[0] == pytest.approx(60.0, abs=1e-6)
    assert r.flow("R", "O")[0] == pytest.approx(40.0, abs=1e-6)
    assert r.at("head_m", "R")[0] == pytest.approx(30.0, abs=1e-9)
    # turbines take the river's 40 hm3, not the 100 hm3 released
    assert r.at("turbine_flow", "R")[0] == pytest.approx(40.0, abs=1e-6)
    assert r.at("energy", "R")[0] == pytest.approx(40.0 * GWH_PER_HM3, abs=1e-6)  # 2.943 GWh


def test_a_spillway_bypasses_the_turbines_too():
    r = reservoir_with_canal("spill")
    assert r.at("turbine_flow", "R")[0] == pytest.approx(40.0, abs=1e-6)
    assert r.at("energy", "R")[0] == pytest.approx(2.943, abs=1e-6)
