"""Flow splits: fixed ratios among a junction's outflows, in optimize and in simulate.

The network is Pywr's test model ``tests/models/river_split_with_gauge1.json``
(github.com/pywr/pywr: a catchment of 100 feeding a split with factors 3:1 between the
river and an abstraction for a demand of 50 valued at 10), without its minimum residual
flow; the answer is worked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import FEB, at, flow, node, run, write_problem

TOL = 1e-6


def split_problem(folder):
    """S (100 hm3/month) -> J, split 3:1 between the estuary O (sink) and a demand D
    (50 hm3/month at 10 USD/m3, fully consumptive).

    By hand: J passes all 100 (nothing else can take it); a quarter, 25, goes to D (below
    its 50: D would take more, the split forbids it) and 75 to O. One hm3 more at J gives
    0.25 hm3 to D, worth 2.5 MUSD: the marginal value at S and J is 2.5 USD/m3, at D 10.
    Objective: 25 * 10 = 250 MUSD a month (February 100*FEB: 250*FEB).
    """
    return write_problem(
        folder,
        [
            node("S", "source"),
            node("J", "junction", split={"O": 3.0, "D": 1.0}),
            node(
                "D",
                "demand",
                monthly_demand_hm3=[50.0] * 12,
                benefit_segments=[{"share": 1.0, "value_usd_per_m3": 10.0}],
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "J"}, {"from": "J", "to": "O"}, {"from": "J", "to": "D"}],
        {"S": 100.0},
    )


@pytest.mark.parametrize("mode", ["optimize", "simulate"])
def test_a_one_to_three_split_holds_in_every_mode(tmp_path, mode):
    result = run(split_problem(tmp_path), mode)
    inflow = np.array([100.0, 100.0 * FEB] + [100.0] * 10)
    np.testing.assert_allclose(flow(result, "J", "D"), inflow / 4, atol=TOL)
    np.testing.assert_allclose(flow(result, "J", "O"), inflow * 3 / 4, atol=TOL)
    if mode == "optimize":
        np.testing.assert_allclose(at(result, "marginal_value", "J"), 2.5, atol=TOL)
        np.testing.assert_allclose(at(result, "marginal_value", "S"), 2.5, atol=TOL)
        assert abs(result.report.objective_musd - 250.0 * (11 + FEB)) < 1e-6


def test_a_split_must_name_every_downstream_node(tmp_path):
    from nexusmodel.errors import InputError
    from nexusmodel.run import run_scenario

    path = write_problem(
        tmp_path,
        [
            node("S", "source"),
            node("J", "junction", split={"O": 3.0, "X": 1.0}),
            node(
                "D",
                "demand",
                monthly_demand_hm3=[50.0] * 12,
                benefit_segments=[{"share": 1.0, "value_usd_per_m3": 10.0}],
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "J"}, {"from": "J", "to": "O"}, {"from": "J", "to": "D"}],
        {"S": 100.0},
    )
    with pytest.raises(InputError, match=r"nodes\[J\]\.split.*\['D', 'O'\]"):
        run_scenario(path, "optimize")


DAYS_2030 = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
INFLOW = np.array([100.0] * 6 + [20.0] + [100.0] * 5)  # hm3/month; July is dry


def gauge_problem(folder):
    """Pywr's ``river_split_with_gauge1.json``: S -> J, the first 10 m3/s (the minimum
    residual flow, 10 * days * 0.0864 hm3 a month) to the river O, the flow above it split
    3:1 between the river and an abstraction for D (50 hm3/month at 10 USD/m3)."""
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "J",
                "junction",
                split={"O": 3.0, "D": 1.0},
                residual_to="O",
                residual_min_m3s=10.0,
            ),
            node(
                "D",
                "demand",
                monthly_demand_hm3=[50.0] * 12,
                benefit_segments=[{"share": 1.0, "value_usd_per_m3": 10.0}],
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "J"}, {"from": "J", "to": "O"}, {"from": "J", "to": "D"}],
        {"S": INFLOW.tolist()},
    )


@pytest.mark.parametrize("mode", ["optimize", "simulate"])
def test_proportional_abstraction_above_a_minimum_residual_flow(tmp_path, mode):
    """By hand, per month: R = 10 m3/s * days * 0.0864 (January 26.784 hm3), Q the inflow
    (February: 100*FEB). Q >= R: D abstracts (Q - R) / 4 and the river gets R + 3 (Q - R) / 4;
    one hm3 more at J gives D 0.25 hm3: marginal value 2.5 USD/m3. July (Q = 20 < R =
    26.784): all 20 to the river, D nothing, the residual minimum short by R - 20 (penalty
    10 USD/m3), and one hm3 more at J is worth the penalty, 10.
    """
    result = run(gauge_problem(tmp_path), mode)
    residual = 10.0 * DAYS_2030 * 0.0864
    q = INFLOW * np.where(np.arange(12) == 1, FEB, 1.0)
    abstraction = np.clip(q - residual, 0.0, None) / 4
    np.testing.assert_allclose(flow(result, "J", "D"), abstraction, atol=TOL)
    np.testing.assert_allclose(flow(result, "J", "O"), q - abstraction, atol=TOL)
    short = np.clip(residual - q, 0.0, None)
    np.testing.assert_allclose(at(result, "residual_deficit", "J"), short, atol=TOL)
    assert short[6] == pytest.approx(residual[6] - 20.0) and short[6] > 0
    if mode == "optimize":
        mv = at(result, "marginal_value", "J")
        np.testing.assert_allclose(mv, np.where(short > 0, 10.0, 2.5), atol=TOL)
        expected = 10.0 * abstraction.sum() - 10.0 * short.sum()
        assert abs(result.report.objective_musd - expected) < 1e-6
