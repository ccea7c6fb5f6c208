"""Reservoirs: evaporation conventions, bounds' duals, by hand.

The evaporation problem follows Pywr's test model ``tests/models/reservoir_evaporation.json``
(github.com/pywr/pywr: a reservoir losing a depth of water over its surface area); the
numbers are worked by hand for both conventions of ``solve: evaporation_area``.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import at, node, run, write_problem

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
