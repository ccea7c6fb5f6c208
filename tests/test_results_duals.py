"""Every dual a modeller asks for, by hand: each storage bound's own price, and the reduced
cost of every flow (at a bound or not). Units: hm3 per month, USD/m3, no discounting."""

from __future__ import annotations

import numpy as np
import pytest

from model_factory import link, make_basin, node, run, with_months

TOL = 1e-6


def reservoir_case(inflow, initial, dead, terminal_value, demand=(100.0, 100.0, 100.0)):
    """S -> R (250 hm3, dead storage ``dead``) -> D (``demand`` at 0.05 USD/m3) -> O, and a
    spill R -> O; water left in R at the end is worth ``terminal_value``."""
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=250.0,
            dead_storage_hm3=dead,
            initial_storage_hm3=initial,
            end_storage="value",
            terminal_value_usd_per_m3=terminal_value,
        ),
        node(
            "D",
            "demand",
            monthly_demand_hm3=[0.0] * 12,
            benefit_segments=[{"share": 1.0, "value_usd_per_m3": 0.05}],
        ),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "D"), link("R", "O"), link("D", "O")]
    basin = with_months(make_basin(nodes, links), 3, {"S": inflow}, demand_hm3={"D": list(demand)})
    return run(basin)


def test_a_reservoir_at_capacity_prices_its_capacity_not_its_minimum():
    """400 hm3 in January, nothing after, S0 = 0, no dead storage, end water worth 0.01.

    January ends full (250; 400 - 100 - 250 = 50 spilled), then 150, 50. One hm3 more of
    capacity in January keeps one more to the end: worth 0.01 (the spill is worth 0). The
    minimum never binds: its price is 0 everywhere.
    """
    r = reservoir_case([400.0, 0.0, 0.0], initial=0.0, dead=0.0, terminal_value=0.01)
    np.testing.assert_allclose(r.at("storage", "R"), [250.0, 150.0, 50.0], atol=TOL)
    np.testing.assert_allclose(r.at("storage_max_price", "R"), [0.01, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("storage_min_price", "R"), [0.0, 0.0, 0.0], atol=TOL)
    # the spill flows in January (between its bounds: reduced cost 0); in February and
    # March forcing one hm3 to the sink loses the 0.01 it is worth at the end
    rc = r.ds["link_reduced_cost"].sel(link="R>O").to_numpy()
    np.testing.assert_allclose(rc, [0.0, -0.01, -0.01], atol=TOL)


def test_a_reservoir_at_its_minimum_prices_its_minimum_not_its_capacity():
    """S0 = 150, dead storage 50, inflow 0, 250, 0; D wants 150, 100, 100; end water 0.01.

    January: D takes the 100 above the minimum (short by 50); R ends at its minimum 50.
    February: 250 in, D takes 100, R ends at 200; March: D takes 100, R ends at 100.
    Lowering January's minimum by 1 hm3 gives D 1 hm3 more in January (+0.05) and leaves
    1 hm3 less at the end (-0.01): the minimum's price is 0.04 in January, 0 after.
    Capacity never binds: its price is 0. Marginal value at R: 0.05 in January (D is
    short), 0.01 after (it would be kept to the end). Objective: 300 * 0.05 + 100 * 0.01.
    """
    nodes_inflow = [0.0, 250.0, 0.0]
    r = reservoir_case(
        nodes_inflow, initial=150.0, dead=50.0, terminal_value=0.01, demand=[150.0, 100.0, 100.0]
    )
    np.testing.assert_allclose(r.at("storage", "R"), [50.0, 200.0, 100.0], atol=TOL)
    np.testing.assert_allclose(r.at("delivery", "D"), [100.0, 100.0, 100.0], atol=TOL)
    np.testing.assert_allclose(r.at("storage_min_price", "R"), [0.04, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("storage_max_price", "R"), [0.0, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("storage_bound_price", "R"), [0.04, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("marginal_value", "R"), [0.05, 0.01, 0.01], atol=TOL)
    assert r.report.objective_musd == pytest.approx(300 * 0.05 + 100 * 0.01, abs=TOL)
    # reduced costs: R > D carries water every month, strictly inside its bounds: 0 (no
    # bound of its own is binding, whatever binds elsewhere). The spill R > O is at 0:
    # forcing 1 hm3 to the sink loses R's marginal value (the sink's water is worth 0).
    rc_d = r.ds["link_reduced_cost"].sel(link="R>D").to_numpy()
    np.testing.assert_allclose(rc_d, [0.0, 0.0, 0.0], atol=TOL)
    rc_spill = r.ds["link_reduced_cost"].sel(link="R>O").to_numpy()
    np.testing.assert_allclose(rc_spill, [-0.05, -0.01, -0.01], atol=TOL)
