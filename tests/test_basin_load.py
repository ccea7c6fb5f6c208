"""Loading basin folders: the Syr Darya example against its published totals, and the tiny basin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pydantic
import pytest

from basin_factory import tiny_basin, tiny_basin_parts, write_basin
from nexusmodel.basin import Basin, horizon_series, load_basin, schema
from nexusmodel.basin.schema import (
    TABLE_UNITS,
    EnergySystemNode,
    LinkSpec,
    NodeBase,
    PlantSpec,
    ReservoirNode,
)
from nexusmodel.basin.summary import AREA, INFLOW, POWER, STORAGE, basin_summary
from nexusmodel.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SYR_DARYA = ROOT / "data" / "syr_darya"
NODE_MODELS = {
    "source": schema.SourceNode,
    "reservoir": schema.ReservoirNode,
    "hydropower": schema.HydropowerNode,
    "irrigation": schema.IrrigationNode,
    "municipal": schema.MunicipalNode,
    "demand": schema.DemandNode,
    "environment": schema.EnvironmentNode,
    "junction": schema.JunctionNode,
    "sink": schema.SinkNode,
    "energy_system": schema.EnergySystemNode,
}
DAYS = [31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February as in SOURCES.md


@pytest.fixture(scope="module")
def syr() -> Basin:
    return load_basin(SYR_DARYA)


def annual_km3_from_csv(column: str | None = None) -> float:
    """Annual volume (km3) of the inflow CSV, computed here from m3/s and days per month."""
    frame = pd.read_csv(SYR_DARYA / "inflows.csv", comment="#").set_index("month")
    assert list(frame.index) == list(range(1, 13))
    rates = frame[column] if column else frame.sum(axis=1)
    return sum(q * d * 86_400 for q, d in zip(rates, DAYS, strict=True)) / 1e9


# ------------------------------------------------------------------ the Syr Darya example


def test_syr_darya_natural_inflow_matches_the_published_37_km3() -> None:
    assert annual_km3_from_csv() == pytest.approx(37.2, abs=0.2)


def test_syr_darya_toktogul_inflow_is_about_12_km3(syr: Basin) -> None:
    assert annual_km3_from_csv("S_NAR") == pytest.approx(12.0, abs=0.3)
    assert any(link.from_ == "S_NAR" and link.to == "R_TOK" for link in syr.links)


def test_syr_darya_has_the_four_national_power_systems(syr: Basin) -> None:
    systems = syr.nodes_of_type("energy_system")
    assert len(systems) == 4
    assert all(isinstance(es, EnergySystemNode) for es in systems)
    assert sorted(es.country for es in systems) == ["KG", "KZ", "TJ", "UZ"]
    assert set(syr.tables.energy.index.get_level_values("node")) == {es.id for es in systems}


def test_syr_darya_toktogul_is_1200_mw_on_19_5_km3(syr: Basin) -> None:
    toktogul = syr.nodes["R_TOK"]
    assert isinstance(toktogul, ReservoirNode)
    assert toktogul.hydropower is not None
    assert toktogul.hydropower.installed_mw == 1200
    assert toktogul.capacity_hm3 == 19_500
    assert syr.energy_system_of(toktogul) == "ES_KG"


def test_syr_darya_network_shape(syr: Basin) -> None:
    assert syr.spec.countries == ["KG", "UZ", "TJ", "KZ"]
    assert len(syr.spec.nodes) == 35  # 8 irrigation districts since issue 11 (D_KGF, D_MAK)
    assert len(syr.water_node_ids) == 31
    assert syr.spec.illustrative
    terminal = [n.id for n in syr.nodes_of_type("environment") if n.terminal]  # type: ignore[union-attr]
    assert terminal == ["E_NAS"]
    assert syr.ids_of_type("sink") == ["K_ARN"]


def test_syr_darya_summary_agrees_with_the_files(syr: Basin) -> None:
    summary = basin_summary(syr)
    total = summary["by_country"].loc["total"]
    assert summary["inflow_km3_per_yr"] == pytest.approx(annual_km3_from_csv(), rel=1e-9)
    assert total[INFLOW] == pytest.approx(annual_km3_from_csv(), rel=1e-9)
    capacity = sum(n.capacity_hm3 for n in syr.nodes_of_type("reservoir")) / 1000  # type: ignore[union-attr]
    assert total[STORAGE] == pytest.approx(capacity)
    assert total[STORAGE] == pytest.approx(35.636)
    assert total[POWER] == pytest.approx(4058)  # SOURCES.md: 2,870 + 936 + 126 + 126 MW
    assert summary["by_country"].loc["KG", POWER] == pytest.approx(2870)
    areas = pd.read_csv(SYR_DARYA / "irrigated_areas.csv", comment="#")
    assert total[AREA] == pytest.approx(areas.area_ha.sum() / 1000)
    assert total[AREA] == pytest.approx(3130, abs=5)  # ~3.12 Mha irrigated in 2015
    nodes = summary["nodes"]
    assert int(nodes.to_numpy().sum()) == 35
    assert nodes.loc["irrigation"].to_dict() == {"KG": 1, "KZ": 3, "TJ": 1, "UZ": 3}
    assert nodes.loc["reservoir"].sum() == 6


def test_syr_darya_tables_cover_every_node(syr: Basin) -> None:
    t = syr.tables
    assert sorted(t.inflows.columns) == sorted(syr.ids_of_type("source"))
    assert list(t.inflows.index) == list(range(1, 13))
    assert set(t.evaporation.index) == set(syr.ids_of_type("reservoir"))
    assert set(t.level_area_storage) == set(syr.ids_of_type("reservoir"))
    assert {n for n, _ in t.irrigated_areas.index} == set(syr.ids_of_type("irrigation"))
    assert set(t.municipal.index) == set(syr.ids_of_type("municipal"))
    assert set(t.crops.index) == set(t.crop_water_requirements.index)


def test_syr_darya_lower_reach_losses_are_declared(syr: Basin) -> None:
    """The lower Syr Darya loses much of its flow before the Aral (SOURCES.md, plausibility)."""
    loss = {link.id: link.loss_fraction for link in syr.links}
    # the middle reach loses with the flow (issue 11: loss_segments rising 0.12 -> 0.25), and at
    # any flow less than the 1,200-1,400 km lower reach
    middle = next(link for link in syr.links if link.id == "R_CHD>R_KOK")
    segments = [s.loss_fraction for s in middle.loss_segments or ()]
    assert segments == sorted(segments) and len(segments) > 1
    assert all(0 < f < loss["R_KOK>E_NAS"] < 1 for f in segments)
    drains = [link for link in syr.links if link.kind == "return" and link.from_.startswith("D_")]
    assert all(0 < loss[link.id] < 1 for link in drains if link.to != "K_ARN")
    text = (SYR_DARYA / "SOURCES.md").read_text(encoding="utf-8")
    assert "## Plausibility of the baseline" in text


def test_syr_darya_loads_from_its_yaml_path_and_a_string() -> None:
    by_file = load_basin(SYR_DARYA / "basin.yaml")
    by_str = load_basin(str(SYR_DARYA))
    assert by_file.spec == by_str.spec
    assert by_file.path == SYR_DARYA


# ------------------------------------------------------------------ the tiny basin


def test_tiny_basin_loads(tmp_path: Path) -> None:
    basin = load_basin(tiny_basin(tmp_path))
    assert basin.ids_of_type("source", "reservoir", "irrigation", "municipal", "sink") == [
        "S1",
        "R1",
        "D1",
        "M1",
        "K1",
    ]
    assert basin.ids_of_type("energy_system") == ["ES_AA"]
    assert basin.energy_system_of(basin.nodes["R1"]) == "ES_AA"  # type: ignore[arg-type]
    assert basin.tables.inflows.loc[5, "S1"] == 30.0
    assert basin.tables.irrigated_areas.loc[("D1", "cotton")] == 3000.0
    assert basin.tables.energy.loc[("ES_AA", 12), "export_price_usd_per_mwh"] == 27.0
    assert list(basin.tables.evaporation.columns) == list(range(1, 13))
    assert basin.series is None


def test_basin_is_immutable(tmp_path: Path) -> None:
    basin = load_basin(tiny_basin(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        basin.path = tmp_path  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        basin.spec.nodes[1].capacity_hm3 = 5.0  # type: ignore[union-attr]


def test_inflows_in_hm3_per_month_are_converted_to_m3s(tmp_path: Path) -> None:
    hm3 = [31 * 0.0864 * 10] + [10.0] * 11  # January: exactly 10 m3/s
    folder = tiny_basin(tmp_path, inflows={"S1": hm3}, units={"inflows": "hm3/month"})
    inflows = load_basin(folder).tables.inflows["S1"]
    assert inflows[1] == pytest.approx(10.0)
    assert inflows[2] == pytest.approx(10.0 / (28.25 * 0.0864))


def test_default_table_names_are_found_without_a_tables_section(tmp_path: Path) -> None:
    folder = write_basin(tmp_path, declare_tables=False, **tiny_basin_parts())
    assert "tables:" not in (folder / "basin.yaml").read_text()
    basin = load_basin(folder)
    assert len(basin.tables.crops) == 2
    assert basin.tables.municipal.loc["M1", "population"] == 100_000


def test_optional_tables_may_be_left_out(tmp_path: Path) -> None:
    parts = tiny_basin_parts()
    parts["nodes"] = [n for n in parts["nodes"] if n["id"] in ("S1", "K1")]
    parts["links"] = [{"from": "S1", "to": "K1"}]
    for name in ("evaporation", "level_area_storage", "crops", "crop_water_requirements"):
        parts[name] = None
    for name in ("irrigated_areas", "municipal", "energy"):
        parts[name] = None
    basin = load_basin(write_basin(tmp_path, **parts))
    assert basin.tables.crops.empty
    assert list(basin.tables.crops.columns) == [
        "ky",
        "max_yield_t_per_ha",
        "price_usd_per_t",
        "cost_usd_per_ha",
    ]
    assert basin.tables.energy.index.names == ["node", "month"]
    assert basin_summary(basin)["by_country"].loc["total", AREA] == 0.0
    series = horizon_series(basin, "2030-01", 1)  # the empty tables have the right shape
    assert series.inflow_m3s.shape == (12, 1)
    assert series.crop_price_usd_per_t.shape == (1, 0)


def test_comments_and_spaces_in_csv_files_are_allowed(tmp_path: Path) -> None:
    text = "# a comment\nmonth, S1   # trailing comment\n" + "".join(
        f"{m}, {m}.5\n" + ("# between rows\n" if m == 6 else "") for m in range(1, 13)
    )
    basin = load_basin(tiny_basin(tmp_path, inflows=text))
    assert basin.tables.inflows.loc[7, "S1"] == 7.5


def test_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="basin.yaml: file not found"):
        load_basin(tmp_path / "nowhere")


def test_readme_documents_every_node_type_key_and_table() -> None:
    """The README's 'Basin files' section stays in step with the schema."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Basin files", 1)[1].split("\n## ", 1)[0]
    for node_type, model in NODE_MODELS.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{node_type}` |"))
        own = set(model.model_fields) - set(NodeBase.model_fields)
        for key in own - {"type"}:
            assert f"`{key}`" in row, (node_type, key)
    for key in PlantSpec.model_fields:
        assert f"`{key}`" in section, key
    for name in LinkSpec.model_fields:
        assert f"`{name.rstrip('_') if name != 'from_' else 'from'}`" in section, name
    for table, (units, _) in TABLE_UNITS.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{table}` ("))
        for unit in units:
            assert f"`{unit}`" in row, (table, unit)
    assert "nexusmodel validate data/<basin>" in section


def test_historical_inflows_load_with_a_monthly_date_index(tmp_path: Path) -> None:
    dates = [f"{y}-{m:02d}" for y in (2001, 2002) for m in range(1, 13)]
    history = pd.DataFrame({"date": dates, "S1": [31 * 0.0864 * 2.0] * 24})
    folder = tiny_basin(
        tmp_path, inflows_historical=history, units={"inflows_historical": "hm3/month"}
    )
    hist = load_basin(folder).tables.inflows_historical
    assert hist is not None
    assert hist.index[0] == pd.Timestamp("2001-01-01") and len(hist) == 24
    assert hist.loc["2001-01-01", "S1"] == pytest.approx(2.0)  # hm3/month -> m3/s, 31 days
    assert hist.loc["2001-02-01", "S1"] == pytest.approx(2.0 * 31 / 28)
