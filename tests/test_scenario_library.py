"""Every file in scenarios/ says which question it answers, validates, and solves (short horizon)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nexusmodel.indicators import key_results_dict
from nexusmodel.run import run_scenario
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import SCENARIOS, syr_darya

FILES = sorted(SCENARIOS.glob("*.yaml"))
NAMES = [f.stem for f in FILES]
SHORT_YEARS = 3  # the runs below use the files' settings over a 3-year horizon

EXPECTED = {
    "baseline",
    "climate_2050_moderate",
    "climate_2050_dry",
    "high_population_growth",
    "toktogul_energy_mode",
    "toktogul_irrigation_mode",
    "ecological_flow_first",
    "irrigation_efficiency_investment",
    "kambarata1_built",
    "dry_2050_efficiency",
}


def test_the_library_has_the_scenarios_of_the_issue():
    assert set(NAMES) >= EXPECTED


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_file_opens_with_the_question_it_answers(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# ")
    head = [line for line in path.read_text().splitlines() if line.startswith("#")][:4]
    assert "?" in " ".join(head)


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_file_validates(path):
    scenario = load_scenario(path)
    basin = apply_scenario(syr_darya(), scenario)
    assert basin.series is not None
    assert len(basin.series.months) == 12 * scenario.spec.horizon.years
    assert scenario.spec.description


def test_dry_2050_efficiency_extends_two_levels_deep():
    s = load_scenario(SCENARIOS / "dry_2050_efficiency.yaml")
    assert [p.name for p in s.chain] == [
        "dry_2050_efficiency.yaml",
        "climate_2050_dry.yaml",
        "baseline.yaml",
    ]
    assert s.spec.climate.inflow_change["all"].change_pct == -10
    assert s.origin_of("climate.inflow_change.all.change_pct").name == "climate_2050_dry.yaml"
    assert s.origin_of("horizon.years").name == "baseline.yaml"


@pytest.fixture(scope="module")
def short_runs():
    """Key results and results of every scenario over a short horizon (solved once)."""
    out = {}
    for path in FILES:
        scenario = load_scenario(path).with_horizon(SHORT_YEARS)
        ds = run_scenario(scenario).results
        out[path.stem] = (key_results_dict(ds), ds)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_file_solves(short_runs, name):
    key, ds = short_runs[name]
    assert ds.attrs["status"] == "optimal"
    assert ds.attrs["scenario"] == name
    for value in (
        key["irrigation_delivery_km3_per_yr"],
        key["hydropower_winter_gwh_per_yr"],
        key["terminal_inflow_km3_per_yr"],
    ):
        assert math.isfinite(value) and value > 0


def summer_share(ds, node="R_TOK"):
    r = ds["release"].sel(node=node)
    summer = r.where(r.time.dt.month.isin([4, 5, 6, 7, 8, 9]), 0.0)
    return (summer.groupby("time.year").sum() / r.groupby("time.year").sum()).values


@pytest.mark.slow
def test_scenarios_answer_their_questions(short_runs):
    base = short_runs["baseline"][0]
    energy, irrigation = short_runs["toktogul_energy_mode"], short_runs["toktogul_irrigation_mode"]
    assert (summer_share(energy[1]) <= 0.45 + 1e-6).all()
    assert (summer_share(irrigation[1]) >= 0.75 - 1e-6).all()
    assert irrigation[0]["hydropower_winter_gwh_per_yr"] < energy[0]["hydropower_winter_gwh_per_yr"]
    kambarata = short_runs["kambarata1_built"][0]
    assert kambarata["hydropower_gwh_per_yr"] > base["hydropower_gwh_per_yr"] + 3000
    efficient = short_runs["irrigation_efficiency_investment"][0]
    assert efficient["irrigation_demand_km3_per_yr"] < base["irrigation_demand_km3_per_yr"]
    growth = short_runs["high_population_growth"][0]
    assert growth["municipal_coverage_pct"] == pytest.approx(100.0)  # a hard priority
    nas = short_runs["ecological_flow_first"][1]["env_flow"].sel(node="E_NAS")
    assert float(nas.groupby("time.year").sum().min()) >= 1500 - 1e-3
    assert np.isfinite(short_runs["stochastic_inflows"][0]["objective_musd"])
