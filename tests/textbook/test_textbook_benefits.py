"""Demand curves: CALVIN-style piecewise-linear benefits that change with the month.

CALVIN (Draper et al. 2003, "Economic-engineering optimization for California water
management", J. Water Resour. Plann. Manage. 129(3)) values each delivery with a concave,
piecewise-linear economic penalty function that differs by month; at the optimum the
marginal value of water (the dual of a node's balance) is the slope of the segment the
delivery lands in, and users sharing a source without a binding link end at equal marginal
values (Loucks & van Beek 2017, "Water Resource Systems Planning and Management", ch. 4.3,
the allocation of a river's flow among three users by equal marginal benefits).
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import FEB, at, flow, node, run, write_problem

from nexusmodel.basin import load_basin
from nexusmodel.errors import InputError
from nexusmodel.modes.foresight import evaluate_net_benefit

TOL = 1e-6


def demand(id: str, demand_hm3: float, segments: list[tuple[float, object]]) -> dict:
    return node(
        id,
        "demand",
        monthly_demand_hm3=[demand_hm3] * 12,
        benefit_segments=[{"share": s, "value_usd_per_m3": v} for s, v in segments],
    )


def test_monthly_curves_land_at_the_slope_of_the_partly_served_user(tmp_path):
    """S (15 hm3/month) feeds D1 and D2 (10 hm3/month each, fully consumptive: no sink).

    D1 values water at 0.5 USD/m3 in January and 0.1 in February..December; D2 at 0.3 all
    year. January: D1 first (10, full), D2 gets the other 5 -> the marginal value at S is
    D2's 0.3. March (and every later month): D2 first (10), D1 gets 5 -> 0.1. Objective: Jan
    0.5*10 + 0.3*5 = 6.5, March..December 0.3*10 + 0.1*5 = 3.5 MUSD each, February (15*FEB
    hm3, see textbook_files) 0.3*10 + 0.1*(15*FEB - 10).
    """
    path = write_problem(
        tmp_path,
        [
            node("S", "source"),
            demand("D1", 10.0, [(1.0, [0.5] + [0.1] * 11)]),
            demand("D2", 10.0, [(1.0, 0.3)]),
        ],
        [{"from": "S", "to": "D1"}, {"from": "S", "to": "D2"}],
        {"S": 15.0},
    )
    result = run(path)
    jan, feb, mar = 0, 1, 2
    np.testing.assert_allclose(flow(result, "S", "D1")[[jan, mar]], [10.0, 5.0], atol=TOL)
    np.testing.assert_allclose(
        flow(result, "S", "D2")[[jan, feb, mar]], [5.0, 10.0, 10.0], atol=TOL
    )
    mv = at(result, "marginal_value", "S")
    np.testing.assert_allclose(mv, [0.3] + [0.1] * 11, atol=TOL)
    february = 0.3 * 10 + 0.1 * (15 * FEB - 10)
    assert abs(result.report.objective_musd - (6.5 + february + 10 * 3.5)) < 1e-6


def test_users_sharing_a_source_end_at_equal_marginal_values(tmp_path):
    """S (10 hm3/month) shared by D1 and D2, each with a falling two-segment curve.

    D1 (demand 10): 4 hm3 at 0.5, then 6 hm3 at 0.2. D2 (demand 10): 5 hm3 at 0.3, then
    5 hm3 at 0.2. Serving the highest values first: D1's first 4 (0.5), D2's first 5 (0.3),
    and the last 1 hm3 to a 0.2 segment of either. The optimum lands on the 0.2 segments:
    the marginal value is 0.2 USD/m3 at S, D1 and D2 alike (equal marginal values), and the
    objective is 0.5*4 + 0.3*5 + 0.2*1 = 3.7 MUSD per month (February: 10*FEB hm3, so
    0.2*(10*FEB - 9) on the last segments).
    """
    path = write_problem(
        tmp_path,
        [
            node("S", "source"),
            demand("D1", 10.0, [(0.4, 0.5), (0.6, 0.2)]),
            demand("D2", 10.0, [(0.5, 0.3), (0.5, 0.2)]),
        ],
        [{"from": "S", "to": "D1"}, {"from": "S", "to": "D2"}],
        {"S": 10.0},
    )
    result = run(path)
    d1, d2 = flow(result, "S", "D1"), flow(result, "S", "D2")
    np.testing.assert_allclose(d1 + d2, [10.0, 10 * FEB] + [10.0] * 10, atol=TOL)
    assert (d1 >= 4.0 - TOL).all() and (d2 >= 5.0 - TOL).all()
    for where in ("S", "D1", "D2"):
        np.testing.assert_allclose(at(result, "marginal_value", where), 0.2, atol=TOL)
    february = 0.5 * 4 + 0.3 * 5 + 0.2 * (10 * FEB - 9)
    assert abs(result.report.objective_musd - (11 * 3.7 + february)) < 1e-6


def quadratic_user(id: str, a: float, b: float) -> dict:
    """Benefit a x - b x^2 / 2 (MUSD, x in hm3 a month), demand far above what it gets."""
    return node(
        id,
        "demand",
        monthly_demand_hm3=[100.0] * 12,
        quadratic_benefit={"value_usd_per_m3": a, "decline_usd_per_m3_per_hm3": b},
    )


def test_three_users_with_quadratic_benefits_share_a_river_by_equal_marginal_values(tmp_path):
    """Loucks & van Beek (2017), "Water Resource Systems Planning and Management", ch. 4
    (allocating a river's flow among three users by Lagrange multipliers): benefits
    B1 = 6 x1 - x1^2, B2 = 7 x2 - 1.5 x2^2, B3 = 8 x3 - 0.5 x3^2, and 6 hm3 to share.

    By hand: at the optimum every user's marginal benefit equals the multiplier L:
    6 - 2 x1 = 7 - 3 x2 = 8 - x3 = L and x1 + x2 + x3 = 6, so x = (6-L)/2 + (7-L)/3 + (8-L)
    = 40/3 - 11 L / 6 = 6: L = 4, x = (1, 1, 4), benefit 5 + 5.5 + 24 = 34.5 MUSD. L is the
    dual of the source's balance (the marginal value of water, 4 USD/m3). In February
    (6*FEB hm3, see textbook_files): L = (40/3 - 6*FEB) * 6/11.
    """
    path = write_problem(
        tmp_path,
        [
            node("S", "source"),
            quadratic_user("U1", 6.0, 2.0),
            quadratic_user("U2", 7.0, 3.0),
            quadratic_user("U3", 8.0, 1.0),
        ],
        [{"from": "S", "to": "U1"}, {"from": "S", "to": "U2"}, {"from": "S", "to": "U3"}],
        {"S": 6.0},
    )
    result = run(path)
    qp_tol = 1e-5  # HiGHS's QP solver stops at a relative gap of about 1e-7
    months = [m for m in range(12) if m != 1]
    for user, expected in (("U1", 1.0), ("U2", 1.0), ("U3", 4.0)):
        np.testing.assert_allclose(flow(result, "S", user)[months], expected, atol=qp_tol)
        np.testing.assert_allclose(at(result, "marginal_value", user)[months], 4.0, atol=qp_tol)
    np.testing.assert_allclose(at(result, "marginal_value", "S")[months], 4.0, atol=qp_tol)
    lam = (40 / 3 - 6 * FEB) * 6 / 11
    x = np.array([(6 - lam) / 2, (7 - lam) / 3, 8 - lam])
    np.testing.assert_allclose(at(result, "marginal_value", "S")[1], lam, atol=qp_tol)
    february = 6 * x[0] - x[0] ** 2 + 7 * x[1] - 1.5 * x[1] ** 2 + 8 * x[2] - 0.5 * x[2] ** 2
    assert abs(result.report.objective_musd - (11 * 34.5 + february)) < 1e-4
    # the economic yardstick of every mode prices the quadratic benefit alike
    net = evaluate_net_benefit(result.results, load_basin(tmp_path))
    assert abs(net - (11 * 34.5 + february)) < 1e-4


@pytest.mark.parametrize("mode", ["rolling", "simulate"])
def test_discounted_quadratic_benefits_are_refused_in_window_modes(tmp_path, mode):
    """A window model's Hessian keeps the discount of the window it was built for: with a
    discount rate above 0, rolling and simulate refuse quadratic benefits by name."""
    path = write_problem(
        tmp_path,
        [node("S", "source"), quadratic_user("U1", 6.0, 2.0)],
        [{"from": "S", "to": "U1"}],
        {"S": 6.0},
        solve={"discount_rate": 0.05},
    )
    with pytest.raises(InputError, match=rf"U1.*quadratic_benefit.*{mode} mode"):
        run(path, mode)
