"""Calibration: parameters, observations, matching, and recovery of a known (synthetic) truth."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nexusmodel import calibration, calibration_metrics
from nexusmodel.basin import Basin, horizon_series, load_basin
from nexusmodel.calibration import (
    Parameter,
    apply_parameters,
    calibrate,
    calibration_objective,
    compare,
    load_observations,
    metrics_table,
    simulate,
    simulated_values,
)
from nexusmodel.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SYR_DARYA = ROOT / "data" / "syr_darya"

# A source, a reservoir without a plant, one irrigation district (two crops) and a terminal
# lake that also takes the district's returns. Water is plentiful: the district always gets
# its full net need, so its withdrawal fixes the efficiency and its returns the return fraction.
TINY_YAML = """
name: Tiny
description: a source, a reservoir, one irrigation district and a terminal lake
countries: [A]
reference_period: synthetic
nodes:
  - {id: SRC, type: source, name: Source, country: A}
  - {id: RES, type: reservoir, name: Reservoir, country: A, capacity_hm3: 400,
     dead_storage_hm3: 20, initial_storage_hm3: 200}
  - {id: IRR, type: irrigation, name: District, country: A, conveyance_efficiency: 0.8,
     field_efficiency: 0.85, return_fraction: 0.6}
  - {id: LAKE, type: environment, name: Lake, country: A, terminal: true,
     annual_target_hm3: 300, penalty_usd_per_m3: 0.01}
links:
  - {from: SRC, to: RES}
  - {from: RES, to: IRR, kind: canal, capacity_m3s: 80}
  - {from: RES, to: LAKE}
  - {from: IRR, to: LAKE, kind: return}
"""
MONTH_HEADER = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec"
TINY_TABLES = {
    "inflows.csv": "month,SRC\n"
    + "".join(
        f"{m},{q}\n"
        for m, q in enumerate([10, 10, 15, 30, 60, 80, 70, 40, 20, 15, 12, 10], start=1)
    ),
    "crops.csv": "crop,ky,max_yield_t_per_ha,price_usd_per_t,cost_usd_per_ha\n"
    "wheat,1.0,5,300,400\ncotton,0.85,3,600,700\n",
    "crop_water_requirements.csv": f"crop,{MONTH_HEADER}\n"
    "wheat,0,0,30,70,110,60,0,0,0,40,20,0\ncotton,0,0,0,20,60,120,170,150,80,0,0,0\n",
    "irrigated_areas.csv": "node,crop,area_ha\nIRR,wheat,20000\nIRR,cotton,30000\n",
    "level_area_storage.csv": "node,level_m,area_km2,storage_hm3\n"
    "RES,100,0,0\nRES,110,20,100\nRES,120,40,400\n",
}

CONVEYANCE = Parameter("conveyance", "conveyance_efficiency", (0.5, 0.95), 0.85)
RETURNS = Parameter("return_fraction", "return_fraction", (0.2, 0.9), 0.7)
HEADER = "variable,node,date,value,unit,source\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Basin:
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "basin.yaml").write_text(textwrap.dedent(TINY_YAML))
    for name, text in TINY_TABLES.items():
        (folder / name).write_text(text)
    basin = load_basin(folder)
    return basin.with_series(horizon_series(basin, "2020-01-01", 1))


@pytest.fixture(scope="module")
def tiny_run(tiny: Basin):
    return simulate(tiny)


def monthly_observations(variables: list[tuple[str, str]], unit: str = "hm3/month") -> pd.DataFrame:
    dates = pd.date_range("2020-01-01", periods=12, freq="MS") + pd.Timedelta(days=14)
    rows = [(v, n, d, 0.0, unit, "synthetic") for v, n in variables for d in dates]
    return pd.DataFrame(rows, columns=list(calibration.OBSERVATION_COLUMNS))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "observations.csv"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- synthetic truth


def test_recovers_known_parameters_from_synthetic_truth(tiny: Basin) -> None:
    """Observations made by the model at conveyance 0.7 and return fraction 0.5, with 1 %
    noise, are fitted back from a start at 0.85 / 0.7 to within 0.03 / 0.05."""
    truth = simulate(apply_parameters(tiny, {CONVEYANCE: 0.7, RETURNS: 0.5}))
    obs = monthly_observations([("delivery", "IRR"), ("return_flow", "IRR"), ("env_flow", "LAKE")])
    rng = np.random.default_rng(0)
    obs["value"] = simulated_values(truth, obs, "date") * (1 + 0.01 * rng.standard_normal(len(obs)))

    result = calibrate([CONVEYANCE, RETURNS], tiny, obs, match="date", max_evaluations=40)

    assert result.values["conveyance"] == pytest.approx(0.7, abs=0.03)
    assert result.values["return_fraction"] == pytest.approx(0.5, abs=0.05)
    assert result.loss_after < result.loss_before
    assert result.loss_after < 0.02
    assert result.evaluations <= 45
    after = result.metrics
    assert list(after.columns) == [
        "n",
        "NSE before",
        "NSE after",
        "KGE before",
        "KGE after",
        "PBIAS before",
        "PBIAS after",
    ]
    assert (after["NSE after"] > 0.99).all()
    assert (after["PBIAS after"].abs() < 1.0).all()
    table = result.table()
    assert table.loc["conveyance", "initial"] == 0.85
    assert table.loc["conveyance", "fitted"] == result.values["conveyance"]
    assert result.fitted == {
        CONVEYANCE: result.values["conveyance"],
        RETURNS: result.values["return_fraction"],
    }


def test_objective_is_zero_at_the_truth_and_positive_elsewhere(tiny: Basin) -> None:
    truth = simulate(apply_parameters(tiny, {CONVEYANCE: 0.7, RETURNS: 0.5}))
    obs = monthly_observations([("delivery", "IRR"), ("return_flow", "IRR")])
    obs["value"] = simulated_values(truth, obs, "date")
    at_truth = {CONVEYANCE: 0.7, RETURNS: 0.5}
    elsewhere = {CONVEYANCE: 0.85, RETURNS: 0.5}
    for metric in ("kge", "nse"):
        assert calibration_objective(at_truth, tiny, obs, metric, match="date") == pytest.approx(
            0.0, abs=1e-9
        )
        assert calibration_objective(elsewhere, tiny, obs, metric, match="date") > 0.01
    with pytest.raises(ValueError, match="metric"):
        calibration_objective(at_truth, tiny, obs, "rmse", match="date")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- apply_parameters


def test_apply_parameters_is_pure(tiny: Basin) -> None:
    spec_before = tiny.spec.model_dump()
    area_before = tiny.series.area_max_ha.copy()
    area = Parameter("area", "irrigated_area", (0.5, 1.5), 1.0)
    new = apply_parameters(tiny, {CONVEYANCE: 0.7, RETURNS: 0.5, area: 1.2})

    assert tiny.spec.model_dump() == spec_before  # the input basin is untouched
    pd.testing.assert_frame_equal(tiny.series.area_max_ha, area_before)
    assert tiny.nodes["IRR"].conveyance_efficiency == 0.8
    assert new.nodes["IRR"].conveyance_efficiency == 0.7
    assert new.nodes["IRR"].return_fraction == 0.5
    assert new.nodes["IRR"].field_efficiency == 0.85
    np.testing.assert_allclose(new.series.area_max_ha.to_numpy(), 1.2 * area_before.to_numpy())
    assert new is not tiny and new.tables is tiny.tables
    pd.testing.assert_frame_equal(new.series.inflow_m3s, tiny.series.inflow_m3s)
    assert apply_parameters(tiny, {}) is tiny


def test_scale_mode_multiplies_each_nodes_own_value(tiny: Basin) -> None:
    scale = Parameter("conveyance_factor", "conveyance_efficiency", (0.8, 1.2), 1.0, mode="scale")
    assert apply_parameters(tiny, {scale: 1.1}).nodes["IRR"].conveyance_efficiency == pytest.approx(
        0.88
    )
    storage = Parameter("res0", "initial_storage_hm3", (50, 400), 200, nodes="RES")
    assert apply_parameters(tiny, {storage: 120}).nodes["RES"].initial_storage_hm3 == 120


def test_link_parameters(tiny: Basin) -> None:
    loss = Parameter("river_loss", "loss_fraction", (0.0, 0.5), 0.0, nodes="RES>LAKE")
    new = apply_parameters(tiny, {loss: 0.2})
    assert {link.id: link.loss_fraction for link in new.links}["RES>LAKE"] == 0.2
    assert all(link.loss_fraction == 0.0 for link in tiny.links)
    assert simulate(new)["link_loss"].sel(link="RES>LAKE").sum() > 0
    capacity = Parameter("canal", "capacity_m3s", (10, 200), 80, nodes=("RES>IRR",))
    new = apply_parameters(tiny, {capacity: 50})
    assert {link.id: link.capacity_m3s for link in new.links}["RES>IRR"] == 50
    with pytest.raises(InputError, match="no such link.*did you mean 'RES>LAKE'"):
        apply_parameters(tiny, {Parameter("x", "loss_fraction", (0, 1), 0, nodes="RES>LAK"): 0.1})
    with pytest.raises(ValueError, match="link ids"):
        Parameter("x", "loss_fraction", (0, 1), 0)


def test_a_scaled_link_parameter_scales_each_month_of_a_profile(tiny: Basin) -> None:
    """A monthly capacity profile (a winter ice limit) scaled by 0.5 halves every month."""
    profile = [40.0] * 3 + [80.0] * 6 + [40.0] * 3
    links = [
        link.model_copy(update={"capacity_m3s": profile}) if link.id == "RES>IRR" else link
        for link in tiny.spec.links
    ]
    basin = tiny.with_spec(tiny.spec.model_copy(update={"links": links}))
    scale = Parameter("canal", "capacity_m3s", (0.1, 2.0), 1.0, nodes="RES>IRR", mode="scale")
    new = apply_parameters(basin, {scale: 0.5})
    assert {link.id: link.capacity_m3s for link in new.links}["RES>IRR"] == [20.0] * 3 + [
        40.0
    ] * 6 + [20.0] * 3


def test_apply_parameters_errors_name_the_parameter(tiny: Basin) -> None:
    with pytest.raises(InputError, match="conveyance.*outside its bounds"):
        apply_parameters(tiny, {CONVEYANCE: 0.99})
    too_high = Parameter(
        "conveyance_factor", "conveyance_efficiency", (0.8, 1.5), 1.0, mode="scale"
    )
    with pytest.raises(InputError, match=r"nodes\[IRR\]\.conveyance_efficiency"):
        apply_parameters(tiny, {too_high: 1.4})  # 0.8 * 1.4 > 1
    wrong_field = Parameter("bad", "capacity_hm3", (1, 10), 5, nodes="IRR")
    with pytest.raises(InputError, match="has no field 'capacity_hm3'"):
        apply_parameters(tiny, {wrong_field: 5})
    unknown = Parameter("bad", "initial_storage_hm3", (1, 10), 5, nodes=("RESS",))
    with pytest.raises(InputError, match="did you mean 'RES'"):
        apply_parameters(tiny, {unknown: 5})
    too_full = Parameter("res0", "initial_storage_hm3", (100, 500), 200, nodes="RES")
    with pytest.raises(InputError, match="make the basin invalid"):
        apply_parameters(tiny, {too_full: 450})  # above the 400 hm3 capacity
    area = Parameter("area", "irrigated_area", (0.5, 1.5), 1.0)
    without_series = Basin(spec=tiny.spec, tables=tiny.tables, path=tiny.path)
    with pytest.raises(InputError, match="horizon series"):
        apply_parameters(without_series, {area: 1.1})


def test_parameter_checks_itself() -> None:
    with pytest.raises(ValueError, match="outside its bounds"):
        Parameter("p", "conveyance_efficiency", (0.5, 0.9), 0.95)
    with pytest.raises(ValueError, match="lo < hi"):
        Parameter("p", "conveyance_efficiency", (0.9, 0.5), 0.7)
    with pytest.raises(ValueError, match="name them"):
        Parameter("p", "initial_storage_hm3", (1, 2), 1.5)
    with pytest.raises(ValueError, match="only be scaled"):
        Parameter("p", "irrigated_area", (0.5, 1.5), 1.0, mode="set")
    p = Parameter("p", "conveyance_efficiency", (0.5, 0.9), 0.7)
    assert p.mode == "set" and p.to_value(p.to_unit(0.6)) == pytest.approx(0.6)


# --------------------------------------------------------------------------- observations


def test_load_observations_reads_and_converts(tmp_path: Path, tiny: Basin) -> None:
    path = write(
        tmp_path,
        "# a comment line\n"
        + HEADER
        + "storage,RES,2020-04-01,0.15,km3,https://example.org/a\n"
        + "\n"
        + "env_flow,LAKE,2020-01-01,0.3,km3/year,report p. 3\n"
        + "link_flow,RES>IRR,2020-07-15,25,m3/s,bulletin\n",
    )
    obs = load_observations(path, tiny)
    assert list(obs.columns) == [*calibration.OBSERVATION_COLUMNS, "line"]
    assert obs["value"].tolist() == [150.0, 300.0, 25.0]
    assert obs["unit"].tolist() == ["hm3", "hm3/year", "m3/s"]
    assert obs["line"].tolist() == [3, 5, 6]
    assert obs["date"].dtype.kind == "M"


def test_load_observations_reports_every_bad_row(tmp_path: Path, tiny: Basin) -> None:
    path = write(
        tmp_path,
        HEADER
        + "storage,RES,2020-04-01,150,hm3,ok\n"  # line 2
        + "storag,RES,2020-04-01,150,hm3,src\n"  # line 3
        + "storage,RES,2020-13-01,150,hm3,src\n"  # line 4
        + "storage,RES,2020-05-01,lots,hm3,src\n"  # line 5
        + "storage,RES,2020-06-01,150,m3/s,src\n"  # line 6
        + "storage,RSE,2020-06-01,150,hm3,src\n"  # line 7
        + "storage,RES,2020-07-01,150,hm3,\n"  # line 8
        + "storage,RES,2020-04-01,0.15,km3,src\n"  # line 9: repeats line 2
        + "release,RES,2020-04-01,-5,m3/s,src\n"  # line 10
        + "storage,RES,2020-04-01\n",  # line 11
    )
    with pytest.raises(InputError) as info:
        load_observations(path, tiny)
    problems = {p.location.rsplit("line ", 1)[1]: str(p) for p in info.value.problems}
    assert set(problems) == {"3", "4", "5", "6", "7", "8", "9", "10", "11"}
    assert "did you mean 'storage'" in problems["3"]
    assert "not a date" in problems["4"] and "YYYY-MM-DD" in problems["4"]
    assert "'lots': not a finite number" in problems["5"]
    assert "unit = 'm3/s': not a unit for storage" in problems["6"]
    assert "no such node" in problems["7"] and "did you mean 'RES'" in problems["7"]
    assert "source is empty" in problems["8"]
    assert "repeats the storage of RES on 2020-04-01" in problems["9"] and "line 2" in problems["9"]
    assert "must be >= 0" in problems["10"]
    assert "has 3 fields, the header has 6" in problems["11"]
    assert str(path) in str(info.value)


def test_load_observations_checks_the_header_and_links(tmp_path: Path, tiny: Basin) -> None:
    with pytest.raises(InputError, match="missing column 'unit'.*\n.*unknown column 'units'"):
        load_observations(write(tmp_path, "variable,node,date,value,units,source\n"))
    with pytest.raises(InputError, match="is empty"):
        load_observations(write(tmp_path, "# nothing\n"))
    with pytest.raises(InputError, match="file not found"):
        load_observations(tmp_path / "missing.csv")
    bad_link = write(tmp_path, HEADER + "link_flow,RES>LAKES,2020-01-01,1,m3/s,src\n")
    with pytest.raises(InputError, match="no such link.*did you mean 'RES>LAKE'"):
        load_observations(bad_link, tiny)
    load_observations(bad_link)  # without a basin, ids are not checked


def test_shipped_observations_load_against_the_syr_darya() -> None:
    basin = load_basin(SYR_DARYA)
    obs = load_observations(SYR_DARYA / "observations.csv", basin)
    toktogul_april = obs[
        (obs.variable == "storage") & (obs.node == "R_TOK") & (obs.date.dt.month == 4)
    ]
    april_first = toktogul_april[toktogul_april.date.dt.day == 1]
    assert april_first.date.dt.year.tolist() == list(range(2006, 2014))
    assert april_first.value.tolist() == [14130, 13760, 6560, 6420, 11820, 15400, 14240, 13770]
    assert obs["source"].str.len().min() > 0
    assert set(obs["node"]) <= set(basin.nodes)


# --------------------------------------------------------------------------- matching


def test_simulated_values_by_unit(tiny: Basin, tiny_run) -> None:
    ds = tiny_run
    storage = ds["storage"].sel(node="RES").values
    rows = [
        ("storage", "RES", "2020-01-01", "hm3"),  # the initial storage
        ("storage", "RES", "2020-02-01", "hm3"),  # the end of January
        ("storage", "RES", "2020-02-15", "hm3"),  # half-way through February (29 days)
        ("delivery", "IRR", "2020-07-10", "hm3/month"),
        ("delivery", "IRR", "2020-07-10", "m3/s"),
        ("delivery", "IRR", "2020-03-01", "hm3/year"),
        ("total_inflow", "RES", "2020-05-20", "hm3/month"),
        ("storage", "RES", "2021-06-01", "hm3"),  # outside the horizon
    ]
    obs = pd.DataFrame(
        [(v, n, pd.Timestamp(d), 1.0, u, "s") for v, n, d, u in rows],
        columns=list(calibration.OBSERVATION_COLUMNS),
    )
    sim = simulated_values(ds, obs, "date").to_numpy()
    delivery = ds["delivery"].sel(node="IRR").values
    assert sim[0] == pytest.approx(200.0)
    assert sim[1] == pytest.approx(storage[0])
    assert sim[2] == pytest.approx(storage[0] + 14 / 29 * (storage[1] - storage[0]))
    assert sim[3] == pytest.approx(delivery[6])
    assert sim[4] == pytest.approx(delivery[6] / (31 * 0.0864))
    assert sim[5] == pytest.approx(delivery.sum())
    assert sim[6] == pytest.approx(ds["link_flow"].sel(link="SRC>RES").values[4])
    assert np.isnan(sim[7])
    # a climatology run matches any year's observation on the same calendar day
    season = simulated_values(ds, obs, "season").to_numpy()
    assert season[7] == pytest.approx(storage[4])
    np.testing.assert_allclose(season[:7], sim[:7])
    with pytest.raises(ValueError, match="match"):
        simulated_values(ds, obs, "year")  # type: ignore[arg-type]


def test_metrics_table_and_reexported_metrics(tiny_run) -> None:
    obs = monthly_observations([("delivery", "IRR"), ("storage", "RES")], unit="hm3/month")
    obs.loc[obs.variable == "storage", "unit"] = "hm3"
    obs["value"] = simulated_values(tiny_run, obs, "date") * 1.1
    table = metrics_table(compare(tiny_run, obs, "date"))
    assert list(table.columns) == ["n", "NSE", "KGE", "PBIAS"]
    assert table.index.names == ["variable", "node", "unit"]
    assert table["PBIAS"].to_numpy() == pytest.approx([100 * (1 / 1.1 - 1)] * 2)
    assert table["n"].tolist() == [12, 12]
    # the metric functions are those of calibration_metrics, not copies
    for name in ("nse", "kge", "kge_components", "pbias", "paired"):
        assert getattr(calibration, name) is getattr(calibration_metrics, name)
