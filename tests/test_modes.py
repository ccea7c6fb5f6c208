"""The three solve modes on one model (``nexusmodel.modes``): optimize, rolling, simulate.

Tiny basins built in memory (``model_factory``), with the expected numbers worked out by
hand in the comments. Units: hm3 per month, USD/m3 (= MUSD/hm3), MUSD, no discounting.
2030 is not a leap year.
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from model_factory import energy_table, las_table, link, make_basin, node, with_months
from nexusmodel.model import ModelOptions
from nexusmodel.modes import (
    Reference,
    ReservoirRules,
    run_modes,
    run_optimize,
    run_rolling,
    run_simulate,
)
from nexusmodel.modes.foresight import evaluate_net_benefit, value_of_foresight
from nexusmodel.modes.window import plan_windows
from test_modes_update import demand_node, rich_basin, town_table

TOL = 1e-6
OPTIONS = ModelOptions(discount_rate=0.0)


# --- windows --------------------------------------------------------------------------------


def test_windows_move_on_by_the_kept_months_and_the_last_keeps_the_rest():
    plan = plan_windows(30, 12, 1)
    assert len(plan) == 19  # starts 0..18; the one starting at 18 reaches month 30
    assert (plan[0].start, plan[0].stop, plan[0].keep) == (0, 12, 1)
    assert (plan[-1].start, plan[-1].stop, plan[-1].keep) == (18, 30, 12)
    plan = plan_windows(10, 4, 3)  # 0-3 keep 3, 3-6 keep 3, 6-9 keep 4 (reaches the end)
    assert [(w.start, w.stop, w.keep) for w in plan] == [(0, 4, 3), (3, 7, 3), (6, 10, 4)]
    assert [(w.start, w.stop, w.keep) for w in plan_windows(3, 12, 1)] == [(0, 3, 3)]
    with pytest.raises(ValueError):
        plan_windows(12, 3, 4)


# --- rolling over the whole horizon is optimize -----------------------------------------------


@pytest.fixture(scope="module")
def rich():
    """Two years of the basin with every component type (see ``test_modes_update``)."""
    basin = rich_basin(24)
    optimize = run_optimize(basin, OPTIONS)
    return basin, optimize


def test_rolling_over_the_whole_horizon_reproduces_optimize(rich):
    """One window of 24 months that keeps them all is the optimize run: same LP, same head
    iteration, same objective and flows."""
    basin, optimize = rich
    rolling = run_rolling(
        basin, OPTIONS, window_months=24, keep_months=24, reference=Reference.from_run(optimize)
    )
    a, b = optimize.results, rolling.results
    assert b.attrs["windows"] == 1 and b.attrs["mode"] == "rolling"
    assert b.attrs["objective_musd"] == pytest.approx(a.attrs["objective_musd"], rel=1e-9)
    for name in ("storage", "link_flow", "delivery", "energy", "crop_area", "env_flow", "thermal"):
        np.testing.assert_allclose(b[name].values, a[name].values, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(b["marginal_value"].values, a["marginal_value"].values, atol=1e-6)


@pytest.mark.parametrize(
    "options",
    [
        ModelOptions(objective="priority"),
        ModelOptions(discount_rate=0.05, head="fixed"),
    ],
    ids=["priority", "discounted"],
)
def test_one_window_is_optimize_whatever_the_objective(options):
    """The same with the priority objective, and with a 5 %/yr discount rate (costs and
    duals are discounted from the window's start and rescaled when stitched)."""
    basin = rich_basin(14)
    optimize = run_optimize(basin, options)
    rolling = run_rolling(basin, options, window_months=14, end="target")
    a, b = optimize.results, rolling.results
    assert b.attrs["objective_musd"] == pytest.approx(a.attrs["objective_musd"], rel=1e-9)
    np.testing.assert_allclose(b["storage"].values, a["storage"].values, atol=1e-5)
    np.testing.assert_allclose(b["marginal_value"].values, a["marginal_value"].values, atol=1e-6)


def test_every_mode_closes_the_water_balance_with_the_same_dataset(rich):
    """Rolling 12/1 (13 windows on 12 window models, one per starting month) and monthly
    simulation: the stitched runs give Datasets laid out like optimize's, and their water
    balance, recomputed over the stitched run, closes."""
    basin, optimize = rich
    reference = Reference.from_run(optimize)
    rolling = run_rolling(basin, OPTIONS, reference=reference)
    simulate = run_simulate(basin, OPTIONS, reference=reference)
    assert rolling.stats.models_built == 12 and len(rolling.stats.seconds) == 13
    assert simulate.stats.models_built <= 2 and len(simulate.stats.seconds) == 24
    base = optimize.results
    for run in (rolling, simulate):
        ds = run.results
        assert ds.attrs["mode"] == run.mode
        assert set(ds.data_vars) == set(base.data_vars)
        assert set(ds.coords) == set(base.coords)
        assert set(ds.attrs) == set(base.attrs)
        for name in base.data_vars:
            assert ds[name].dims == base[name].dims
            assert ds[name].attrs == base[name].attrs
        assert ds.attrs["water_balance_max_residual_hm3"] < 1e-6
        assert np.abs(ds["water_balance_residual"].values).max() < 1e-6
        # the run starts from the basin's storage and the horizon's own end rule holds
        assert ds["storage"].sel(node="R").values[-1] >= 300.0 - 1e-6 or run.mode == "simulate"
    # simulation plants the available area (a month cannot weigh the season)
    area = simulate.results["crop_area"].sel(node="I")
    np.testing.assert_allclose(area.values, simulate.results["crop_area_max"].sel(node="I").values)
    # rolling decides each year's area once, in the window that keeps the season's first
    # month (March), with the season in view; it never plants more than is available
    rolled = rolling.results["crop_area"].sel(node="I").values
    assert (rolled <= rolling.results["crop_area_max"].sel(node="I").values + 1e-6).all()


def test_optimize_net_benefit_is_its_objective_without_the_tie_breaker(rich):
    """evaluate_net_benefit rebuilds the economic objective from the results alone: for the
    optimize run it is the LP objective less the spill tie-breaker (1e-4 per hm3 turbined)."""
    basin, optimize = rich
    ds = optimize.results
    tie = 1e-4 * float(ds["turbine_flow"].sum())
    assert evaluate_net_benefit(ds, basin) == pytest.approx(
        ds.attrs["objective_musd"] - tie, rel=1e-9
    )


# --- the value of foresight, worked by hand ----------------------------------------------------


def foresight_basin():
    """Six months; 60 hm3 of inflow in each of the first three, none after. A is worth
    0.02 USD/m3 and wants 40 hm3 every month; B is worth 0.10 and wants 200 hm3 in June.

    ::

        S (60, 60, 60, 0, 0, 0) --> R (300 hm3, S0 = 0, end free) --> A (40/month @ 0.02) --> O
                                    R --> B (200 in June @ 0.10) --> O

    R has no spillway: water A does not take stays in R.
    """
    nodes = [
        node("S", "source"),
        node("R", "reservoir", capacity_hm3=300.0, initial_storage_hm3=0.0, end_storage="free"),
        demand_node("A", [(1.0, 0.02)]),
        demand_node("B", [(1.0, 0.10)]),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "A"), link("R", "B"), link("A", "O"), link("B", "O")]
    return with_months(
        make_basin(nodes, links),
        6,
        {"S": [60.0, 60.0, 60.0, 0.0, 0.0, 0.0]},
        demand_hm3={"A": [40.0] * 6, "B": [0.0] * 5 + [200.0]},
    )


def test_foresight_is_worth_what_the_hand_says():
    """Perfect foresight keeps all 180 hm3 for B: 180 * 0.10 = 18.0 MUSD.

    Rolling 2/1 valuing the window's last storage at the optimize run's marginal value of
    water at R (0.10: storage is carried to June all along) keeps it too: 18.0.

    Rolling 2/1 asking only to keep the initial storage (0) sees B in its last window only:
    A takes 40 in each of months 1-4 (storage 20, 40, 60, then 20 after April); the last
    window (May-June) gives the 20 left to B: 160 * 0.02 + 20 * 0.10 = 5.2.

    Simulation with WEAP's default rules (keep full, water kept worth 0.01 < 0.02) serves A
    whenever it can: 40, 40, 40, 40, 20, 0 -> 180 * 0.02 = 3.6; B gets nothing.
    """
    basin = foresight_basin()
    optimize = run_optimize(basin, OPTIONS)
    reference = Reference.from_run(optimize)
    np.testing.assert_allclose(reference.marginal_value["R"], [0.10] * 6, atol=TOL)
    valued = run_rolling(basin, OPTIONS, window_months=2, keep_months=1, reference=reference)
    myopic = run_rolling(basin, OPTIONS, window_months=2, keep_months=1, end="target")
    simulate = run_simulate(basin, OPTIONS)
    values = {
        name: evaluate_net_benefit(run.results, basin)
        for name, run in (
            ("optimize", optimize),
            ("valued", valued),
            ("myopic", myopic),
            ("simulate", simulate),
        )
    }
    assert values == pytest.approx(
        {"optimize": 18.0, "valued": 18.0, "myopic": 5.2, "simulate": 3.6}, abs=TOL
    )
    np.testing.assert_allclose(
        myopic.results["delivery"].sel(node="A"), [40, 40, 40, 40, 0, 0], atol=TOL
    )
    np.testing.assert_allclose(
        simulate.results["delivery"].sel(node="A"), [40, 40, 40, 40, 20, 0], atol=TOL
    )
    np.testing.assert_allclose(
        simulate.results["storage"].sel(node="R"), [20, 40, 60, 20, 0, 0], atol=TOL
    )
    for run in (optimize, valued, myopic, simulate):
        assert run.results.attrs["water_balance_max_residual_hm3"] < 1e-9


def test_optimize_beats_rolling_beats_simulate_on_the_rich_basin(rich):
    """The same economic yardstick for the three runs of the rich basin (end storage valued
    at one price for all): foresight can only help (the energy here is linear: fixed heads)."""
    basin, _ = rich
    options = ModelOptions(discount_rate=0.0, head="fixed")
    runs = run_modes(basin, options)
    end_value = {"R": 0.05}
    value = {m: evaluate_net_benefit(r.results, basin, end_value) for m, r in runs.items()}
    assert value["optimize"] >= value["rolling"] - 1e-6 >= value["simulate"] - 2e-6
    table = value_of_foresight({m: r.results for m, r in runs.items()}, basin, end_value)
    assert list(table.columns) == ["optimize", "rolling", "simulate"]
    # the yardstick = the run's own net benefit - its penalties + the end storage valued
    col = table["simulate"]
    assert col["net benefit (MUSD, whole horizon, discounted)"] - col[
        "penalties, shown apart (MUSD)"
    ] + col["end storage change valued (MUSD)"] == pytest.approx(value["simulate"])
    assert col["net benefit (MUSD, whole horizon, discounted)"] == pytest.approx(
        runs["simulate"].results.attrs["net_benefit_musd"]
    )
    assert table.loc["  vs perfect foresight (MUSD, all three)", "optimize"] == 0.0
    assert table.loc["  vs perfect foresight (MUSD, all three)", "simulate"] == pytest.approx(
        value["simulate"] - value["optimize"]
    )


# --- simulation: priorities, zones and rule curves, worked by hand -------------------------------


def rule_curve_basin():
    """Five months from January 2030. The town M (rank 1) wants 30 hm3 a month, D (rank 3)
    50 in January and 200 from March; R holds 100 hm3 at the start, its level is
    100 m + 0.1 m per hm3 and its plant's tailwater 90 m.

    ::

        S (80, 120, 0, 0, 0) --> R (200 hm3, dead 20, S0 100, plant) --> J --> M (30/month) --> O
                                                                        J --> D --> O
                                                                        J --> O
    """
    plant = {
        "installed_mw": 500.0,
        "efficiency": 0.9,
        "max_turbine_flow_m3s": 500.0,
        "tailwater_level_m": 90.0,
    }
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=200.0,
            dead_storage_hm3=20.0,
            initial_storage_hm3=100.0,
            hydropower=plant,
        ),
        node("J", "junction"),
        node("M", "municipal", return_fraction=0.0),
        demand_node("D", [(1.0, 0.05)]),
        node("O", "sink"),
        node("K", "energy_system", thermal_capacity_mw=0.0),
    ]
    links = [
        link("S", "R"),
        link("R", "J"),
        link("J", "M"),
        link("J", "D"),
        link("J", "O"),
        link("M", "O"),
        link("D", "O"),
    ]
    basin = make_basin(
        nodes,
        links,
        municipal=town_table("M"),
        level_area_storage={"R": las_table([100.0, 120.0], [0.0, 0.0], [0.0, 200.0])},
        energy=energy_table("K", 0.0, 50.0, 60.0, 10.0),
    )
    return with_months(
        basin,
        5,
        {"S": [80.0, 120.0, 0.0, 0.0, 0.0]},
        municipal_hm3={"M": [30.0] * 5},
        demand_hm3={"D": [50.0, 0.0, 200.0, 200.0, 200.0]},
    )


def test_simulation_allocates_by_priority_and_follows_the_rule_curve():
    """Rule curve 150 hm3, buffer zone 20..60 hm3 with coefficient 0.5 (priority objective).

    Each month R may fall to the floor D + (1 - c) * (clip(S0, 20, 60) - 20):
      Jan: S0 100 -> floor 20 + 0.5 * 40 = 40. 80 in; M 30 + D 50 served (ranks 1 and 3 come
           before keeping water, rank 3.5); S = 100 + 80 - 80 = 100 (below the curve: kept).
      Feb: 120 in; M 30; D wants nothing; 100 + 120 - 30 = 190 > 150: the 40 above the rule
           curve are released to O. S = 150.
      Mar: no inflow; floor 40: 110 can go: M 30, D 80 (short 120). S = 40.
      Apr: S0 40 in the buffer zone: floor 20 + 0.5 * 20 = 30: 10 can go: all to M (rank 1
           before D): M 10 (short 20), D 0. S = 30.
      May: floor 20 + 0.5 * 10 = 25: M 5. S = 25.
    Hydropower uses the head of the storage at the start of the month:
      level 100 + 0.1 * S0 - 90 -> 20, 20, 25, 14, 13 m.
    """
    basin = rule_curve_basin()
    rules = ReservoirRules(
        target_hm3={"R": [150.0] * 12},
        buffer_top_hm3={"R": [60.0] * 12},
        buffer_coefficient={"R": 0.5},
    )
    run = run_simulate(basin, ModelOptions(objective="priority"), rules=rules)
    ds = run.results
    np.testing.assert_allclose(ds["storage"].sel(node="R"), [100, 150, 40, 30, 25], atol=TOL)
    np.testing.assert_allclose(ds["delivery"].sel(node="M"), [30, 30, 30, 10, 5], atol=TOL)
    np.testing.assert_allclose(ds["delivery"].sel(node="D"), [50, 0, 80, 0, 0], atol=TOL)
    np.testing.assert_allclose(ds["link_flow"].sel(link="J>O"), [0, 40, 0, 0, 0], atol=TOL)
    np.testing.assert_allclose(ds["head_m"].sel(node="R"), [20, 20, 25, 14, 13], atol=TOL)
    energy = 0.002725 * 0.9 * np.array([20, 20, 25, 14, 13]) * np.array([80, 70, 110, 10, 5])
    np.testing.assert_allclose(ds["energy"].sel(node="R"), energy, rtol=1e-9)
    assert ds.attrs["mode"] == "simulate" and ds.attrs["objective_kind"] == "priority"
    assert ds.attrs["water_balance_max_residual_hm3"] < 1e-9


# --- annual targets in windows that cut the year -------------------------------------------------


def test_annual_targets_are_met_by_windows_that_cut_the_year():
    """E must receive 120 hm3 a year (penalty 0.5 USD/m3); D is worth 0.2 and wants all of
    the 20 hm3 a month that S brings. Perfect foresight gives E exactly 120 and D 120.
    Three-month windows (and one-month steps) see a part of the year each: each asks for
    what is left of the target over the days left, so the year still ends at 120.
    """
    nodes = [
        node("S", "source"),
        node("J", "junction"),
        node("E", "environment", annual_target_hm3=120.0, penalty_usd_per_m3=0.5, terminal=True),
        demand_node("D", [(1.0, 0.2)]),
        node("O", "sink"),
    ]
    links = [link("S", "J"), link("J", "E"), link("J", "D"), link("J", "O"), link("D", "O")]
    basin = with_months(make_basin(nodes, links), 12, {"S": 20.0}, demand_hm3={"D": [20.0] * 12})
    optimize = run_optimize(basin, OPTIONS)
    rolling = run_rolling(basin, OPTIONS, window_months=3, keep_months=1, end="target")
    simulate = run_simulate(basin, OPTIONS)
    for run in (optimize, rolling, simulate):
        ds = run.results
        assert float(ds["env_flow"].sel(node="E").sum()) == pytest.approx(120.0, abs=1e-6)
        assert float(ds["delivery"].sel(node="D").sum()) == pytest.approx(120.0, abs=1e-6)
        assert float(ds["env_deficit"].sel(node="E").sum()) == pytest.approx(0.0, abs=1e-6)
        assert evaluate_net_benefit(ds, basin) == pytest.approx(24.0, abs=1e-6)  # 120 * 0.2


# --- the command line ----------------------------------------------------------------------------


def test_run_mode_all_prints_the_value_of_foresight(tmp_path, monkeypatch):
    """``nexusmodel run scenario.yaml --mode all`` on the tiny file basin, one year."""
    from basin_factory import tiny_basin
    from nexusmodel.cli import app

    folder = tiny_basin(tmp_path / "basin")
    scenario = tmp_path / "one_year.yaml"
    scenario.write_text(f"basin: {folder}\nhorizon:\n  start: '2030-01'\n  years: 1\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(scenario), "--mode", "all"])
    assert result.exit_code == 0, result.output
    assert "Value of foresight" in result.output
    for word in (
        "optimize",
        "rolling",
        "simulate",
        "net benefit",
        "hydropower winter",
        "ecological",
    ):
        assert word in result.output
    for mode in ("optimize", "rolling", "simulate"):
        assert (tmp_path / "results" / f"one_year_{mode}.nc").exists()


def test_rolling_windows_keep_a_seasonal_release_share():
    """At least 75 % of R's calendar-year release in April-September (hard). S brings 10 hm3
    a month; D wants 20 a month at 0.05 USD/m3; R must end as it started, so each year
    releases its 120 hm3, and optimize gives D 120 a year (6.0 MUSD) with >= 90 of it in
    April-September. Twelve-month windows see each year's end from January on and count what
    the year already released: the stitched years keep the share, with no breach."""
    from nexusmodel.basin.basin import Policy, SeasonShare

    nodes = [
        node("S", "source"),
        node("R", "reservoir", capacity_hm3=1000.0, initial_storage_hm3=500.0),
        demand_node("D", [(1.0, 0.05)]),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "D"), link("R", "O"), link("D", "O")]
    basin = with_months(make_basin(nodes, links), 24, {"S": 10.0}, demand_hm3={"D": [20.0] * 24})
    rule = SeasonShare("R", (4, 5, 6, 7, 8, 9), 0.75, None, True, 1.0)
    basin = basin.with_policy(Policy(season_shares=(rule,)))
    optimize = run_optimize(basin, OPTIONS)
    rolling = run_rolling(basin, OPTIONS, reference=Reference.from_run(optimize))
    for run in (optimize, rolling):
        ds = run.results
        release = ds["release"].sel(node="R").values.reshape(2, 12)
        share = release[:, 3:9].sum(axis=1) / release.sum(axis=1)
        assert (share >= 0.75 - 1e-9).all(), (run.mode, share)
        assert float(np.nansum(ds["release_rule_breach"].sel(node="R"))) == pytest.approx(
            0.0, abs=1e-6
        )
        assert evaluate_net_benefit(ds, basin) == pytest.approx(12.0, abs=1e-6)
