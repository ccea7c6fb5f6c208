"""Simulate keeps water up to the rule curve whatever the reference run says (issue 13).

WEAP (Sieber & Purkey, WEAP User Guide, "Reservoirs: operating rules") and Pywr's control
curves keep a reservoir's conservation zone up to the rule curve and release from it only
for a use that ranks (or is worth) more; water above the curve is released. Hand cases:
hm3 per month, USD/m3, no discounting.
"""

from __future__ import annotations

import numpy as np

from model_factory import link, make_basin, node, with_months
from nexusmodel.model import ModelOptions
from nexusmodel.modes.simulate import ReservoirRules, run_simulate

TOL = 1e-6


def basin(inflow: float):
    """S -> R (500 hm3, S0 = 300) -> D (50/month at 0.05 USD/m3, consumptive); spill R -> O."""
    nodes = [
        node("S", "source"),
        # no end rule: a planner's simulation has none (with one, the last month keeps it)
        node("R", "reservoir", capacity_hm3=500.0, initial_storage_hm3=300.0, end_storage="free"),
        node(
            "D",
            "demand",
            monthly_demand_hm3=[0.0] * 12,
            benefit_segments=[{"share": 1.0, "value_usd_per_m3": 0.05}],
        ),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "D"), link("R", "O")]
    return with_months(make_basin(nodes, links), 3, {"S": inflow}, demand_hm3={"D": [50.0] * 3})


#: a rule curve at 300 hm3, valued at 0 as a wet reference run would value it
RULES = ReservoirRules(target_hm3={"R": [300.0] * 12}, fill_value_usd_per_m3={"R": [0.0] * 12})


def test_spare_water_is_kept_up_to_the_rule_curve_not_spilled():
    """Inflow 100, D takes 50: the other 50 is above the curve (300) and goes to the sink;
    the 300 stay (before the fix, a fill value of 0 emptied R to the sink)."""
    ds = run_simulate(basin(100.0), ModelOptions(discount_rate=0.0), rules=RULES).results
    np.testing.assert_allclose(ds["storage"].sel(node="R"), [300.0] * 3, atol=TOL)
    np.testing.assert_allclose(ds["link_flow"].sel(link="R>D"), [50.0] * 3, atol=TOL)
    np.testing.assert_allclose(ds["link_flow"].sel(link="R>O"), [50.0] * 3, atol=TOL)


def test_a_use_worth_more_draws_the_conservation_zone_down():
    """Inflow 20 < D's 50: D (0.05 USD/m3, worth more than keeping water) takes 30 a month
    from storage: 270, 240, 210; nothing is spilled."""
    ds = run_simulate(basin(20.0), ModelOptions(discount_rate=0.0), rules=RULES).results
    np.testing.assert_allclose(ds["storage"].sel(node="R"), [270.0, 240.0, 210.0], atol=TOL)
    np.testing.assert_allclose(ds["link_flow"].sel(link="R>D"), [50.0] * 3, atol=TOL)
    np.testing.assert_allclose(ds["link_flow"].sel(link="R>O"), [0.0] * 3, atol=TOL)


def test_simulate_refuses_ten_day_and_daily_steps_with_a_named_error(tmp_path):
    """The scenario file says which steps simulate supports (month), before any work."""
    import subprocess
    import sys

    from scenario_helpers import root_scenario

    path = root_scenario(tmp_path, "solve: {mode: simulate, step: day}\n", years=1)
    done = subprocess.run(
        [sys.executable, "-m", "nexusmodel", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "steps month by month" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
