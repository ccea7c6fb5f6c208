"""Links whose capacity, loss and cost change with the month, by hand.

CALVIN and HEC-PRM give each arc a monthly upper bound, a gain (loss) factor and a unit cost
(Draper et al. 2003, "Economic-engineering optimization for California water management",
J. Water Resour. Plann. Manage. 129(3): time-varying upper bounds and amplitudes on links);
WEAP's transmission links carry a monthly "maximum flow volume" and a loss rate (WEAP User
Guide, Transmission Links). In nexusmodel the capacity, loss and cost apply to the water
entering the link (``basin.schema.LinkSpec``).

Hand problem: S (10 hm3/month) feeds the fully consumptive user D (20 hm3/month at
0.5 USD/m3) through the canal S>D; what D does not take goes down the river S>O to the sink.
The canal carries at most 6 hm3 in December, January and February (a winter limit, given as
a volume per step), loses 20 % of what enters it in June, July and August, and costs
0.1 USD/m3 in March. By month:

- winter: the limit binds, D gets 6 hm3, 4 go to the sink: water at S is worth 0, at D
  0.5 USD/m3, and one hm3 more of canal capacity 0.5 USD/m3 (its shadow price);
- summer: all 10 hm3 enter the canal, D gets 8: water at S is worth 0.8 * 0.5 = 0.4;
- March: D gets 10, water at S is worth 0.5 - 0.1 = 0.4; other months D gets 10 at 0.5.

Objective (MUSD): winter 3 * 0.5 * 6 = 9, summer 3 * 0.5 * 8 = 12, March 0.5 * 10 - 0.1 *
10 = 4, April, May, September, October, November 5 * 0.5 * 10 = 25: 50 in all.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import at, flow, node, run, write_problem

TOL = 1e-6
WINTER = [0, 1, 11]
SUMMER = [5, 6, 7]
MARCH = 2
OTHER = [3, 4, 8, 9, 10]


def canal_problem(folder):
    capacity = [6.0, 6.0] + [100.0] * 9 + [6.0]
    loss = [0.0] * 5 + [0.2] * 3 + [0.0] * 4
    cost = [0.0, 0.0, 0.1] + [0.0] * 9
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "D",
                "demand",
                monthly_demand_hm3=[20.0] * 12,
                benefit_segments=[{"share": 1.0, "value_usd_per_m3": 0.5}],
            ),
            node("O", "sink"),
        ],
        [
            {
                "from": "S",
                "to": "D",
                "kind": "canal",
                "capacity_hm3_per_step": capacity,
                "loss_fraction": loss,
                "cost_usd_per_m3": cost,
            },
            {"from": "S", "to": "O"},
        ],
        {"S": 10.0},
    )


def test_monthly_capacity_loss_and_cost_of_a_canal(tmp_path):
    result = run(canal_problem(tmp_path))
    canal = flow(result, "S", "D")
    np.testing.assert_allclose(canal[WINTER], 6.0, atol=TOL)
    np.testing.assert_allclose(canal[SUMMER], 10.0, atol=TOL)
    np.testing.assert_allclose(canal[[MARCH, *OTHER]], 10.0, atol=TOL)
    loss = result.results["link_loss"].sel(link="S>D").to_numpy()
    np.testing.assert_allclose(loss[SUMMER], 2.0, atol=TOL)  # 20 % of the 10 entering
    np.testing.assert_allclose(np.delete(loss, SUMMER), 0.0, atol=TOL)
    # the rest of S goes to the sink: 4 hm3 in January and December, 10 * 28/28.25 - 6 in
    # February (see textbook_files.FEB), none in the other months
    river = flow(result, "S", "O")
    np.testing.assert_allclose(river[[0, 11]], 4.0, atol=TOL)
    np.testing.assert_allclose(np.delete(river, WINTER), 0.0, atol=TOL)

    mv_s = at(result, "marginal_value", "S")
    np.testing.assert_allclose(mv_s[WINTER], 0.0, atol=TOL)
    np.testing.assert_allclose(mv_s[SUMMER], 0.8 * 0.5, atol=TOL)
    assert mv_s[MARCH] == pytest.approx(0.5 - 0.1, abs=TOL)
    np.testing.assert_allclose(mv_s[OTHER], 0.5, atol=TOL)
    np.testing.assert_allclose(at(result, "marginal_value", "D")[WINTER + SUMMER], 0.5, atol=TOL)
    price = result.results["link_capacity_price"].sel(link="S>D").to_numpy()
    np.testing.assert_allclose(price[WINTER], 0.5, atol=TOL)
    np.testing.assert_allclose(np.delete(price, WINTER), 0.0, atol=TOL)
    assert result.report.objective_musd == pytest.approx(50.0, abs=1e-6)
