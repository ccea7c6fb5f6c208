"""Plots on the synthetic results of ``synthetic_results.py`` (Agg backend, nothing shown).

Each test finds the drawn artists (by their ``gid`` or bar container label) and compares the
plotted data with numbers worked out by hand from that module's docstring. Horizon: 24
months = 2 years; summer = April-September, winter = October-March.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

from nexusmodel import indicators as ind
from nexusmodel import plots
from synthetic_results import make_cube, make_results

ROOT = Path(__file__).resolve().parents[1]
SYR_DARYA = ROOT / "data" / "syr_darya"


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return make_results()


@pytest.fixture
def ax():
    fig = Figure(figsize=(8, 5))
    return fig.subplots()


@pytest.fixture(scope="module")
def syr_darya():
    from nexusmodel.basin import load_basin

    return load_basin(SYR_DARYA)


def line(ax, gid: str):
    found = [a for a in ax.get_lines() if a.get_gid() == gid]
    assert len(found) == 1, f"{gid}: {[a.get_gid() for a in ax.get_lines()]}"
    return found[0]


def bars(ax, label: str) -> BarContainer:
    found = [c for c in ax.containers if c.get_label() == label]
    assert len(found) == 1, f"{label}: {[c.get_label() for c in ax.containers]}"
    return found[0]


# --------------------------------------------------------------------------- storage


def test_storage_line_is_the_results_storage(ds, ax):
    out = plots.plot_storage(ds, ax=ax)
    assert out is ax
    storage = line(ax, "storage:RES")
    assert len(storage.get_xdata()) == 24
    # default unit km3: hm3 / 1000
    np.testing.assert_allclose(storage.get_ydata(), ds["storage"].sel(node="RES").values / 1e3)
    assert ax.get_ylabel() == "storage (km³)"
    # no bound or rule curve in the results and no basin: none drawn
    assert [a.get_gid() for a in ax.get_lines()] == ["storage:RES"]


def test_storage_in_hm3(ds, ax):
    plots.plot_storage(ds, ax=ax, units="hm3")
    np.testing.assert_allclose(
        line(ax, "storage:RES").get_ydata(), ds["storage"].sel(node="RES").values
    )
    with pytest.raises(ValueError, match="km3"):
        plots.plot_storage(ds, ax=ax, units="m3")


def test_storage_bounds_and_rule_curves_from_result_variables(ds, ax):
    # optional node variables (hm3): capacity 2000, dead storage 100, a minimum rule curve of
    # 300 in January-June and 400 in July-December; NaN at the other nodes
    rule_min = np.where(np.arange(24) % 12 < 6, 300.0, 400.0)
    only_res = np.array([n == "RES" for n in ds["node"].values])
    extra = ds.assign(
        storage_capacity=("node", np.where(only_res, 2000.0, np.nan)),
        dead_storage=("node", np.where(only_res, 100.0, np.nan)),
        rule_min=(("node", "time"), np.where(only_res[:, None], rule_min[None, :], np.nan)),
    )
    plots.plot_storage(extra, ax=ax)
    np.testing.assert_allclose(line(ax, "capacity:RES").get_ydata(), [2.0, 2.0])
    np.testing.assert_allclose(line(ax, "dead_storage:RES").get_ydata(), [0.1, 0.1])
    np.testing.assert_allclose(line(ax, "rule_min:RES").get_ydata(), rule_min / 1e3)
    assert not [a for a in ax.get_lines() if a.get_gid() == "rule_max:RES"]


def test_storage_bounds_from_a_basin(ds, ax, syr_darya):
    # the synthetic reservoir renamed R_TOK: capacity 19,500 and dead storage 5,500 hm3
    renamed = ds.assign_coords(node=["S_NAR", "R_TOK", "MUN", "IRR", "ENV"])
    plots.plot_storage(renamed, ax=ax, basin=syr_darya)
    np.testing.assert_allclose(line(ax, "capacity:R_TOK").get_ydata(), [19.5, 19.5])
    np.testing.assert_allclose(line(ax, "dead_storage:R_TOK").get_ydata(), [5.5, 5.5])


def test_storage_rule_curves_from_the_basin_table(ds, ax):
    # a basin whose rule-curve table gives a minimum of 10 * month hm3 (Jan 10 ... Dec 120)
    table = pd.DataFrame(
        [[10.0 * m for m in range(1, 13)]],
        index=pd.MultiIndex.from_tuples([("RES", "min")], names=["node", "bound"]),
        columns=list(range(1, 13)),
    )
    basin = SimpleNamespace(nodes={}, series=None, tables=SimpleNamespace(rule_curves=table))
    plots.plot_storage(ds, ax=ax, basin=basin, units="hm3")
    months = pd.DatetimeIndex(ds["time"].values).month
    np.testing.assert_allclose(line(ax, "rule_min:RES").get_ydata(), 10.0 * months)


def test_storage_of_one_scenario_of_a_cube(ax):
    cube = make_cube({"base": 1.0, "dry": 0.5})
    plots.plot_storage(cube, ax=ax, scenario="dry", units="hm3")
    np.testing.assert_allclose(
        line(ax, "storage:RES").get_ydata(), make_results(0.5)["storage"].sel(node="RES").values
    )
    with pytest.raises(ValueError, match="wet"):
        plots.plot_storage(cube, ax=ax, scenario="wet")


# --------------------------------------------------------------------------- supply


def test_supply_bars_against_demand(ds, ax):
    plots.plot_supply(ds, ax=ax)
    # mean annual km3 = horizon total hm3 / 2 years / 1000
    # MUN: demand 24 * 10 = 240, delivery 231.95; IRR: demand 12 * 30 = 360, delivery 342
    demand = [p.get_width() for p in bars(ax, "demand")]
    delivered = [p.get_width() for p in bars(ax, "delivered")]
    np.testing.assert_allclose(demand, [0.120, 0.180])
    np.testing.assert_allclose(delivered, [0.115975, 0.171])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Capital city (A)", "Lowland district (B)"]
    texts = [t.get_text() for t in ax.texts]
    assert "96.6 %" in texts  # 231.95 / 240
    assert "95.0 %" in texts  # 342 / 360


# --------------------------------------------------------------------------- hydropower


def test_hydropower_by_month_and_country(ds, ax):
    plots.plot_hydropower(ds, ax=ax)
    # RES (country A) makes 15 GWh in each winter month and 25 in each summer month; each
    # calendar month occurs twice in 2 years, so the mean month is 15 or 25
    heights = np.array([p.get_height() for p in bars(ax, "A")])
    expected = [25.0 if 4 <= m <= 9 else 15.0 for m in range(1, 13)]
    np.testing.assert_allclose(heights, expected)
    assert [c.get_label() for c in ax.containers] == ["A"]  # B has no plant
    # the twelve months add up to the indicator's mean annual generation (240 GWh)
    total = float(ind.hydropower_generation(ds, by="country").sel(country="A"))
    assert heights.sum() == pytest.approx(total) == pytest.approx(240.0)
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["Jan", "Feb", "Mar"]


# --------------------------------------------------------------------------- marginal value


def test_marginal_value_heat_map(ds, ax):
    plots.plot_marginal_value(ds, ax=ax)
    image = next(im for im in ax.get_images() if im.get_gid() == "marginal_value")
    data = np.ma.filled(image.get_array(), np.nan)
    summer = np.array([4 <= m <= 9 for m in range(1, 13)])
    expected = np.array(
        [
            np.where(summer, 0.06, 0.02),  # SRC
            np.where(summer, 0.06, 0.02),  # RES
            np.full(12, 0.5),  # MUN
            np.where(summer, 0.08, 0.0),  # IRR
            np.full(12, 0.01),  # ENV
        ]
    )
    np.testing.assert_allclose(data, expected)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Upper source",
        "Main reservoir",
        "Capital city",
        "Lowland district",
        "Lake",
    ]
    # five nodes: the values are written in the 60 cells
    assert sum(1 for t in ax.texts if t.get_text() == "0.5") == 12


# --------------------------------------------------------------------------- scenarios


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return make_cube({"base": 1.0, "dry": 0.5, "wet": 1.25})


def test_scenario_comparison_absolute_differences(cube, ax):
    names = ["hydropower_gwh_per_yr", "food_production_kt_per_yr"]
    plots.plot_scenario_comparison(cube, ax=ax, indicators=names, relative=False)
    # hydropower 240 GWh/yr at scale 1: dry 120 (-120), wet 300 (+60)
    # food 71.25 kt/yr (wheat 28.5 + cotton 42.75): dry 35.625 (-35.625), wet 89.0625 (+17.8125)
    dry = [p.get_width() for p in bars(ax, "dry")]
    wet = [p.get_width() for p in bars(ax, "wet")]
    np.testing.assert_allclose(dry, [-120.0, -35.625])
    np.testing.assert_allclose(wet, [60.0, 17.8125])
    assert [c.get_label() for c in ax.containers] == ["dry", "wet"]  # no bar for the baseline
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Hydropower generation",
        "Crop production",
    ]
    texts = [t.get_text() for t in ax.texts]
    assert "\u2212120 GWh/yr" in texts and "+60.0 GWh/yr" in texts


def test_scenario_comparison_relative_and_other_baseline(cube, ax):
    plots.plot_scenario_comparison(
        cube, ax=ax, indicators=["hydropower_gwh_per_yr"], baseline="dry"
    )
    # against dry (120 GWh/yr): base 240 is +100 %, wet 300 is +150 %
    assert [p.get_width() for p in bars(ax, "base")] == pytest.approx([100.0])
    assert [p.get_width() for p in bars(ax, "wet")] == pytest.approx([150.0])
    assert "%" in ax.get_xlabel()


def test_scenario_comparison_from_key_results(cube, ax):
    plots.plot_scenario_comparison(ind.key_results(cube), ax=ax)
    # default indicators: coverage and compliance do not change with the scale (0 %),
    # volumes, energy, food and money halve in dry (-50 %) and grow 25 % in wet
    table = plots.comparison_table(cube).set_index(["scenario", "indicator"])
    assert table.loc[("dry", "irrigation_delivery_km3_per_yr"), "relative_pct"] == pytest.approx(
        -50.0
    )
    assert table.loc[("wet", "irrigation_coverage_pct"), "relative_pct"] == pytest.approx(0.0)
    widths = [p.get_width() for p in bars(ax, "dry")]
    assert len(widths) == len(plots.COMPARISON_INDICATORS)
    assert widths[0] == pytest.approx(-50.0)
    with pytest.raises(ValueError, match="baseline"):
        plots.comparison_table(cube, baseline="nope")


# --------------------------------------------------------------------------- network


def link_flows(basin, per_month: dict[str, float]) -> xr.Dataset:
    """Results with only ``link_flow`` on the basin's links: a constant monthly flow (hm3)."""
    links = [f"{lk.from_}>{lk.to}" for lk in basin.links]
    values = np.array([[per_month.get(lk, 0.0)] * 24 for lk in links])
    time = pd.date_range("2020-01-01", periods=24, freq="MS")
    return xr.Dataset(
        {"link_flow": (("link", "time"), values)}, coords={"link": links, "time": time}
    )


def test_network_map_positions_and_widths(ax, syr_darya):
    # 1000 hm3/month = 12 km3/yr on the Naryn into Toktogul, 250 (3 km3/yr) on the canal
    flows = link_flows(syr_darya, {"S_NAR>R_TOK": 1000.0, "R_AND>D_FER": 250.0})
    plots.plot_network(flows, basin=syr_darya, ax=ax, max_width=9.0)
    # nodes at their basin positions, one scatter per type and country
    scatters = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    reservoirs_kg = scatters["nodes:reservoir:KG"].get_offsets()
    np.testing.assert_allclose(reservoirs_kg, [syr_darya.nodes["R_TOK"].position])
    assert {"nodes:reservoir:UZ", "nodes:irrigation:KZ", "nodes:environment:KZ"} <= set(scatters)
    # country shapes differ, type colours are the type's
    assert (
        scatters["nodes:reservoir:KG"].get_paths()[0]
        != scatters["nodes:reservoir:UZ"].get_paths()[0]
    )
    np.testing.assert_allclose(
        scatters["nodes:irrigation:KZ"].get_facecolor()[0][:3],
        matplotlib.colors.to_rgb(plots.TYPE_COLORS["irrigation"]),
    )
    # link widths: 0.6 + (9 - 0.6) * flow / largest flow
    naryn = line(ax, "link:S_NAR>R_TOK")
    canal = line(ax, "link:R_AND>D_FER")
    idle = line(ax, "link:R_TOK>H_KUR")
    assert naryn.get_linewidth() == pytest.approx(9.0)
    assert canal.get_linewidth() == pytest.approx(0.6 + 8.4 * 0.25)
    assert idle.get_linewidth() == pytest.approx(0.6)
    np.testing.assert_allclose(naryn.get_xdata(), [74.2, 72.9])
    # every basin link is drawn, and labels name the nodes
    assert sum(1 for a in ax.get_lines() if str(a.get_gid()).startswith("link:")) == len(
        syr_darya.links
    )
    assert "R_TOK" in {t.get_text() for t in ax.texts}
    # plants are joined to their power system
    assert line(ax, "supply:R_TOK>ES_KG")


def test_network_without_results_and_without_positions(ax, syr_darya):
    plots.plot_network(None, basin=syr_darya, ax=ax, energy_systems=False, labels=None)
    widths = {a.get_linewidth() for a in ax.get_lines() if str(a.get_gid()).startswith("link:")}
    assert widths == {0.8}
    assert not [c for c in ax.collections if "energy_system" in str(c.get_gid())]
    nodes = [
        n.model_copy(update={"position": None}) if n.id == "R_TOK" else n
        for n in syr_darya.spec.nodes
    ]
    no_position = syr_darya.with_spec(syr_darya.spec.model_copy(update={"nodes": nodes}))
    with pytest.raises(ValueError, match="R_TOK"):
        plots.plot_network(None, basin=no_position, ax=ax)


# --------------------------------------------------------------------------- conventions


def test_a_new_figure_when_no_axes_is_given(ds):
    try:
        for draw in (
            plots.plot_storage,
            plots.plot_supply,
            plots.plot_hydropower,
            plots.plot_marginal_value,
        ):
            out = draw(ds)
            assert out.figure is not None and out.has_data()
        out = plots.plot_scenario_comparison(make_cube())
        assert out.containers
    finally:
        plt.close("all")


def test_pretty_units_and_differences():
    assert plots.pretty_units("km3/yr") == "km³/yr"
    assert plots.pretty_units("USD/m3") == "USD/m³"
    assert plots.format_difference(-1.234, "km3/yr") == "\u22121.23 km³/yr"
    assert plots.format_difference(2.5, "%") == "+2.50 pp"
    assert plots.format_difference(0.0001, "GWh/yr") == "no change"
    assert plots.format_difference(float("nan"), "GWh/yr") == "n/a"


def test_storage_lines_of_several_runs_on_one_axes(ax):
    # base then a larger run: the y range grows to show both (from 0)
    plots.plot_storage(make_results(1.0), ax=ax, label="base", units="hm3")
    plots.plot_storage(make_results(3.0), ax=ax, label="big", color="C1", units="hm3")
    top = float(make_results(3.0)["storage"].sel(node="RES").max())
    low, high = ax.get_ylim()
    assert low == 0.0 and high >= top
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base", "big"]
