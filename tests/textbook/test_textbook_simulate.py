"""Simulate as the planners' tools do: Pywr's simplest model and WEAP's full reservoir.

- Pywr's ``tests/models/simple1.json`` (github.com/pywr/pywr): a supply of 15 feeding a
  demand of 10 at a benefit (cost -10): the demand is met in full, the rest is not used.
- WEAP's default operation (WEAP User Guide, "Reservoirs": keep the conservation zone full,
  release from it only for a demand): a full reservoir with spare inflow stays full and
  passes the spare water on; a demand above the inflow draws it down.
Worked by hand; hm3 per month (February: ``FEB`` times the table's volume).
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import FEB, at, flow, node, run, run_weap, write_problem

TOL = 1e-6
SUPPLY = np.array([15.0, 15.0 * FEB] + [15.0] * 10)


def user(id: str, demand: float, value: float) -> dict:
    return node(
        id,
        "demand",
        monthly_demand_hm3=[demand] * 12,
        benefit_segments=[{"share": 1.0, "value_usd_per_m3": value}],
    )


@pytest.mark.parametrize("mode", ["optimize", "simulate"])
def test_pywr_simple1_meets_the_demand_and_passes_the_rest(tmp_path, mode):
    """S (15) -> D (10 at 10 USD/m3); the other 5 leave at the sink O. Water at S is worth
    nothing at the margin (it already spills): 0; objective 10 * 10 a month."""
    path = write_problem(
        tmp_path,
        [node("S", "source"), user("D", 10.0, 10.0), node("O", "sink")],
        [{"from": "S", "to": "D"}, {"from": "S", "to": "O"}],
        {"S": 15.0},
    )
    result = run(path, mode)
    np.testing.assert_allclose(flow(result, "S", "D"), 10.0, atol=TOL)
    np.testing.assert_allclose(flow(result, "S", "O"), SUPPLY - 10.0, atol=TOL)
    if mode == "optimize":
        np.testing.assert_allclose(at(result, "marginal_value", "S"), 0.0, atol=TOL)
        assert result.report.objective_musd == pytest.approx(12 * 100.0, abs=1e-6)


@pytest.mark.parametrize(
    ("inflow", "storage", "spill"),
    [
        # spare water: D takes 50 of the 100, R stays full (500), the other 50 spill
        (100.0, [500.0] * 12, SUPPLY / 15.0 * 100.0 - 50.0),
        # a demand above the inflow: D takes 50 of which 30 from storage each month
        # (February: 50 - 20*FEB), R falls, nothing spills
        (20.0, 500.0 - np.cumsum([30.0, 50.0 - 20.0 * FEB] + [30.0] * 10), np.zeros(12)),
    ],
)
def test_simulate_keeps_a_full_reservoir_full_and_draws_it_for_a_demand(
    tmp_path, inflow, storage, spill
):
    """S -> R (500 hm3, full at the start, no end rule, rule curve: full) -> D (50 a month
    at 0.05 USD/m3, consumptive); spill R -> O. Simulated month by month on WEAP's default
    rules (``ReservoirRules.for_basin``: keep the conservation zone full)."""
    path = write_problem(
        tmp_path,
        [
            node("S", "source"),
            node(
                "R", "reservoir", capacity_hm3=500.0, initial_storage_hm3=500.0, end_storage="free"
            ),
            user("D", 50.0, 0.05),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "R"}, {"from": "R", "to": "D"}, {"from": "R", "to": "O"}],
        {"S": inflow},
    )
    result = run_weap(path)
    np.testing.assert_allclose(at(result, "storage", "R"), storage, atol=TOL)
    np.testing.assert_allclose(flow(result, "R", "D"), 50.0, atol=TOL)
    np.testing.assert_allclose(flow(result, "R", "O"), spill, atol=TOL)
