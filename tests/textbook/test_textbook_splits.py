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
