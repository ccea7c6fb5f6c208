"""Every check, triggered by a small broken basin: the message names the file, the node or row,
the field, the bad value and the fix, and all problems come in one error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from basin_factory import energy_rows, monthly, tiny_basin_parts, write_basin
from nexusmodel.basin import load_basin
from nexusmodel.errors import InputError, Problem


def broken(tmp_path: Path, change: Any = None, **overrides: Any) -> tuple[Path, InputError]:
    """Write the tiny basin with ``change(parts)`` applied and ``overrides``; return the error."""
    parts = tiny_basin_parts()
    if change is not None:
        change(parts)
    parts.update(overrides)
    folder = write_basin(tmp_path, **parts)
    with pytest.raises(InputError) as info:
        load_basin(folder)
    return folder, info.value


def problem(error: InputError, *fragments: str) -> Problem:
    """The one problem whose text contains every fragment (file, where, field, value, fix)."""
    found = [p for p in error.problems if all(f in str(p) for f in fragments)]
    assert found, f"no problem with {fragments} in:\n{error}"
    assert str(found[0]) in str(error)  # the message lists it
    return found[0]


def node(parts: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in parts["nodes"] if n["id"] == node_id)


# ------------------------------------------------------------------ ids and graph


def test_duplicate_id(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["nodes"].append({"id": "D1", "type": "junction", "name": "again", "country": "BB"})

    folder, err = broken(tmp_path, change)
    p = problem(err, str(folder / "basin.yaml"), "nodes[D1].id", "duplicate id", "unique")
    assert p.fix


def test_unknown_link_end_suggests_the_closest_id(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["links"][0]["to"] = "R2"

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        "links[S1>R2].to",
        "= 'R2'",
        "no such water node",
        "did you mean 'R1'?",
    )


def test_link_to_an_energy_system_explains_why(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["links"].append({"from": "R1", "to": "ES_AA"})

    _, err = broken(tmp_path, change)
    problem(err, "links[R1>ES_AA].to", "= 'ES_AA'", "energy systems take no links")


def test_cycle(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["links"].append({"from": "D1", "to": "R1", "kind": "return"})

    folder, err = broken(tmp_path, change)
    p = problem(err, str(folder / "basin.yaml"), "links", "cycle", "remove one link")
    assert "R1 > D1 > R1" in p.message or "D1 > R1 > D1" in p.message


def test_node_that_does_not_drain(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["nodes"].append({"id": "J9", "type": "junction", "name": "dead end", "country": "AA"})
        parts["links"].append({"from": "S1", "to": "J9"})

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        "nodes[J9]",
        "does not drain to a sink or terminal lake",
        "add a link downstream from it",
    )
    assert len(err.problems) == 1


def test_outlet_with_outgoing_links(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["nodes"].append({"id": "K2", "type": "sink", "name": "second", "country": "BB"})
        parts["links"].append({"from": "K1", "to": "K2"})

    _, err = broken(tmp_path, change)
    problem(err, "nodes[K1]", "is an outlet (sink)", "['K2']", "make it a junction")


def test_no_outlet_at_all(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "K1")["type"] = "junction"

    _, err = broken(tmp_path, change)
    problem(err, "basin.yaml", "no sink or terminal lake", "add a node of type sink")


def test_undeclared_country(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "M1")["country"] = "BC"

    parts = tiny_basin_parts()
    change(parts)
    folder = write_basin(tmp_path, countries=["AA", "BB"], **parts)
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, "nodes[M1].country", "= 'BC'", "not in the basin's countries", "'BB'")


# ------------------------------------------------------------------ reservoirs


def test_dead_storage_above_capacity(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["dead_storage_hm3"] = 150.0

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        "nodes[R1].dead_storage_hm3",
        "= 150.0",
        "above capacity_hm3 = 100.0",
        "dead storage must be <= capacity",
    )


def test_initial_storage_out_of_bounds(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["initial_storage_hm3"] = 120.0

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        "nodes[R1].initial_storage_hm3",
        "= 120.0",
        "outside [10.0, 100.0]",
        "between dead storage and capacity",
    )
    assert len(err.problems) == 1


def test_non_monotonic_level_area_storage(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        las = parts["level_area_storage"]
        las.loc[2, "storage_hm3"], las.loc[3, "storage_hm3"] = 60.0, 30.0

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "level_area_storage.csv"),
        "node R1, row 4, column storage_hm3",
        "= 30.0: not increasing (previous 60.0)",
        "sort the rows by level",
    )


def test_level_area_storage_must_span_the_operating_range(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["level_area_storage"] = parts["level_area_storage"].iloc[:4]  # stops at 60 hm3

    _, err = broken(tmp_path, change)
    problem(err, "level_area_storage.csv: node R1", "spans 0.0..60.0", "extend the table")


def test_plant_needs_a_level_area_storage_table(tmp_path: Path) -> None:
    _, err = broken(tmp_path, level_area_storage=None)
    problem(err, "level_area_storage.csv", "no level-area-storage rows for R1", "for its head")


def test_tailwater_above_the_full_level(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["hydropower"]["tailwater_level_m"] = 150.0

    _, err = broken(tmp_path, change)
    problem(
        err,
        "nodes[R1].hydropower.tailwater_level_m",
        "= 150.0",
        "not below the full level 140.0",
        "below the reservoir level",
    )


def test_rule_curve_min_above_max(tmp_path: Path) -> None:
    lo = [20.0] * 12
    lo[3] = 80.0
    rules = pd.DataFrame(
        [monthly(lo, node="R1", bound="min"), monthly(70.0, node="R1", bound="max")]
    )
    folder, err = broken(tmp_path, rule_curves=rules)
    problem(
        err,
        str(folder / "rule_curves.csv"),
        "node R1, month 4",
        "min 80.0 > max 70.0",
        "min must be <= max",
    )
    assert len(err.problems) == 1


def test_rule_curve_of_an_unknown_reservoir_and_bound(tmp_path: Path) -> None:
    rules = pd.DataFrame(
        [monthly(20.0, node="R2", bound="min"), monthly(90, node="R1", bound="mx")]
    )
    _, err = broken(tmp_path, rule_curves=rules)
    problem(err, "rule_curves.csv: node R2", "not a reservoir", "did you mean 'R1'?")
    problem(err, "rule_curves.csv: node R1, bound", "= 'mx'", "use 'min' or 'max'")


# ------------------------------------------------------------------ tables


def test_negative_inflow(tmp_path: Path) -> None:
    flows = [5.0] * 12
    flows[2] = -2.0
    folder, err = broken(tmp_path, inflows={"S1": flows})
    problem(
        err,
        str(folder / "inflows.csv"),
        "month 3, column S1",
        "= -2 m3/s: negative inflow",
        "inflows must be >= 0",
    )


def test_negative_inflow_is_shown_in_the_unit_of_the_file(tmp_path: Path) -> None:
    flows = [10.0] * 12
    flows[0] = -7.5
    parts = tiny_basin_parts()
    parts["inflows"] = {"S1": flows}
    folder = write_basin(tmp_path, units={"inflows": "hm3/month"}, **parts)
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, "month 1, column S1", "= -7.5 hm3/month: negative inflow")


def test_inflow_column_for_an_unknown_source_and_a_missing_one(tmp_path: Path) -> None:
    _, err = broken(tmp_path, inflows={"S2": 5.0})
    problem(err, "inflows.csv: column S2", "not a source node", "did you mean 'S1'?")
    problem(err, "inflows.csv", "no column for source S1", "add a column named after the node id")


def test_inflows_need_twelve_months(tmp_path: Path) -> None:
    text = "month,S1\n" + "".join(f"{m},5\n" for m in range(1, 12))
    _, err = broken(tmp_path, inflows=text)
    problem(err, "inflows.csv", "must have one row for each month 1..12", "give 12 rows")


def test_month_that_is_not_a_month(tmp_path: Path) -> None:
    text = "month,S1\n" + "".join(f"{m},5\n" for m in range(1, 12)) + "13,5\n"
    folder, err = broken(tmp_path, inflows=text)
    problem(err, f"{folder / 'inflows.csv'}: line 13, column month", "= 13", "from 1 to 12")


@pytest.mark.parametrize("field", ["return_fraction", "conveyance_efficiency"])
def test_fraction_outside_zero_one(tmp_path: Path, field: str) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "D1")[field] = 1.5

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        f"nodes[D1].{field}",
        "= 1.5",
        "less than or equal to 1",
        "use a value <= 1",
    )


def test_negative_loss_fraction_on_a_link(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["links"][3]["loss_fraction"] = -0.2

    _, err = broken(tmp_path, change)
    problem(err, "links[R1>K1].loss_fraction", "= -0.2", "use a value >= 0")


def test_crop_missing_from_the_crop_table(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        areas = parts["irrigated_areas"]
        parts["irrigated_areas"] = pd.concat(
            [areas, pd.DataFrame({"node": ["D1"], "crop": ["cottn"], "area_ha": [10.0]})]
        )

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "irrigated_areas.csv"),
        "node D1, crop cottn",
        "crop not in the crop table",
        "did you mean 'cotton'?",
    )


def test_crop_without_water_requirements(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["crop_water_requirements"] = parts["crop_water_requirements"].iloc[:1]

    _, err = broken(tmp_path, change)
    problem(err, "crop_water_requirements.csv", "no row for crop wheat", "net irrigation need")


def test_irrigation_node_without_areas_and_areas_of_a_non_district(tmp_path: Path) -> None:
    areas = pd.DataFrame({"node": ["D2"], "crop": ["cotton"], "area_ha": [10.0]})
    _, err = broken(tmp_path, irrigated_areas=areas)
    problem(err, "irrigated_areas.csv: node D2", "not an irrigation node", "did you mean 'D1'?")
    problem(err, "irrigated_areas.csv", "no areas for irrigation node D1", "add rows")


def test_negative_crop_yield_and_area(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["crops"].loc[1, "max_yield_t_per_ha"] = -5.5
        parts["irrigated_areas"].loc[0, "area_ha"] = -3.0

    _, err = broken(tmp_path, change)
    problem(err, "crops.csv: crop wheat, max_yield_t_per_ha", "= -5.5", "must be >= 0")
    problem(err, "irrigated_areas.csv: node D1, crop cotton, area_ha", "= -3.0", ">= 0")


def test_municipal_node_without_a_row(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["municipal"]["node"] = ["M2"]

    _, err = broken(tmp_path, change)
    problem(err, "municipal.csv", "no row for municipal node M1", "add population")


def test_misspelt_node_type(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["type"] = "reservior"

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "basin.yaml"),
        "nodes[R1].type",
        "= 'reservior': not a node type",
        "did you mean 'reservoir'?",
    )


def test_missing_node_type(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        del node(parts, "M1")["type"]

    _, err = broken(tmp_path, change)
    problem(err, "nodes[M1].type", "missing node type", "one of source, reservoir")


def test_unknown_key(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["capcity_hm3"] = 100.0
        node(parts, "R1")["hydropower"]["installed_mv"] = 20.0
        parts["links"][1]["capacity"] = 30.0

    folder, err = broken(tmp_path, change)
    yaml_file = str(folder / "basin.yaml")
    problem(err, yaml_file, "nodes[R1].capcity_hm3", "unknown key", "did you mean 'capacity_hm3'?")
    problem(err, "nodes[R1].hydropower.installed_mv", "did you mean 'installed_mw'?")
    problem(err, "links[R1>D1].capacity", "unknown key", "did you mean 'capacity_m3s'?")
    assert len(err.problems) == 3


def test_unknown_top_level_key_and_table(tmp_path: Path) -> None:
    parts = tiny_basin_parts()
    folder = write_basin(
        tmp_path,
        extra={"node": []},
        **parts,
    )
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, "basin.yaml: node", "unknown key", "did you mean 'nodes'?")

    folder = write_basin(tmp_path / "b", units={"inflow": "m3/s"}, **tiny_basin_parts())
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, "tables.inflow", "unknown table", "did you mean 'inflows'?")


def test_wrong_unit_declared_for_a_table(tmp_path: Path) -> None:
    parts = tiny_basin_parts()
    folder = write_basin(tmp_path, units={"inflows": "m3/day", "energy": "MWh"}, **parts)
    with pytest.raises(InputError) as info:
        load_basin(folder)
    err = info.value
    problem(
        err,
        str(folder / "basin.yaml"),
        "tables.inflows.unit",
        "= 'm3/day': not a unit this table accepts",
        "use 'm3/s' or 'hm3/month'",
    )
    problem(err, "tables.energy.unit", "= 'MWh'", "use 'GWh/month, USD/MWh'")


def test_export_price_not_below_thermal_cost(tmp_path: Path) -> None:
    energy = energy_rows("ES_AA")
    energy.loc[6, "export_price_usd_per_mwh"] = 45.0  # July: = thermal cost
    folder, err = broken(tmp_path, energy=energy)
    problem(
        err,
        str(folder / "energy.csv"),
        "node ES_AA, month 7, export_price_usd_per_mwh",
        "= 45.0: not below the thermal cost and import price",
        "keep exports cheaper",
    )


def test_energy_rows_of_an_unknown_system_and_missing_months(tmp_path: Path) -> None:
    energy = pd.concat([energy_rows("ES_AA").iloc[:11], energy_rows("ES_AB")])
    _, err = broken(tmp_path, energy=energy)
    problem(err, "energy.csv: node ES_AA", "months [1, 2", "one row for each month 1..12")
    problem(err, "energy.csv: node ES_AB", "not an energy system node", "did you mean 'ES_AA'?")


def test_plant_without_an_energy_system(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["nodes"] = [n for n in parts["nodes"] if n["type"] != "energy_system"]

    _, err = broken(tmp_path, change, energy=None)
    problem(err, "nodes[R1]", "no energy system serves country AA", "add an energy_system node")


def test_plant_naming_an_unknown_energy_system(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["hydropower"]["energy_system"] = "ES_A"

    _, err = broken(tmp_path, change)
    problem(err, "nodes[R1].energy_system", "= 'ES_A'", "did you mean 'ES_AA'?")


def test_demand_curve_must_fall_and_add_up(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["nodes"].append(
            {
                "id": "U1",
                "type": "demand",
                "name": "user",
                "country": "BB",
                "monthly_demand_hm3": [1.0] * 12,
                "benefit_segments": [
                    {"share": 0.5, "value_usd_per_m3": 0.1},
                    {"share": 0.6, "value_usd_per_m3": 0.3},
                ],
            }
        )
        parts["links"] += [{"from": "R1", "to": "U1", "kind": "canal"}, {"from": "U1", "to": "K1"}]

    _, err = broken(tmp_path, change)
    problem(err, "nodes[U1].benefit_segments", "shares add up to 1.1", "must add up to 1")
    problem(err, "nodes[U1].benefit_segments", "values [0.1, 0.3] increase", "highest value down")


# ------------------------------------------------------------------ files and CSV cells


def test_not_a_number_in_a_csv_cell_names_the_line(tmp_path: Path) -> None:
    text = "# header comment\nnode,crop,area_ha\nD1,cotton,3000\n# note\nD1,wheat,2 000 ha\n"
    folder, err = broken(tmp_path, irrigated_areas=text)
    problem(
        err,
        f"{folder / 'irrigated_areas.csv'}: line 5, column area_ha",
        "= '2 000 ha': not a number",
        "use a plain number",
    )


def test_empty_csv_cell(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["crops"].loc[0, "ky"] = None

    folder, err = broken(tmp_path, change)
    problem(err, f"{folder / 'crops.csv'}: line 2, column ky", "empty value", "fill in a number")


def test_missing_column(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["municipal"] = parts["municipal"].drop(columns="per_capita_l_per_day")

    folder, err = broken(tmp_path, change)
    problem(
        err,
        str(folder / "municipal.csv"),
        "missing column(s) ['per_capita_l_per_day']",
        "the header must have",
    )


def test_repeated_row(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["municipal"] = pd.concat([parts["municipal"]] * 2)

    folder, err = broken(tmp_path, change)
    problem(err, f"{folder / 'municipal.csv'}: line 3", "node M1 appears twice", "keep one row")


def test_declared_table_file_missing(tmp_path: Path) -> None:
    parts = tiny_basin_parts()
    folder = write_basin(tmp_path, **parts)
    (folder / "crops.csv").unlink()
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, str(folder / "crops.csv"), "file not found", "fix 'tables' in basin.yaml")


def test_missing_inflow_table(tmp_path: Path) -> None:
    folder = write_basin(tmp_path, **tiny_basin_parts())
    (folder / "inflows.csv").unlink()
    with pytest.raises(InputError) as info:
        load_basin(folder)
    problem(info.value, str(folder / "inflows.csv"), "file not found")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    folder = write_basin(tmp_path, **tiny_basin_parts())
    lines = (folder / "basin.yaml").read_text().splitlines()
    lines[2] = "countries: [AA, BB"
    (folder / "basin.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_basin(folder)
    p = problem(info.value, f"{folder / 'basin.yaml'}:", "invalid YAML", "fix the syntax")
    assert p.location.split(":")[-1].isdigit()


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "basin.yaml").write_text("- just\n- a list\n")
    with pytest.raises(InputError) as info:
        load_basin(tmp_path)
    problem(info.value, "basin.yaml", "is list, not a mapping", "key: value")


def test_yaml_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "basin.yaml").write_bytes("name: Syr Dar\xe9a\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_basin(tmp_path)
    problem(info.value, "basin.yaml", "not UTF-8", "save it as UTF-8")


def test_wrong_types_and_lengths_get_a_fix(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["capacity_hm3"] = "big"
        node(parts, "R1")["end_storage"] = "last"
        node(parts, "S1")["id"] = "1S"
        parts["nodes"].append(
            {
                "id": "E1",
                "type": "environment",
                "name": "wetland",
                "country": "BB",
                "min_flow_m3s": [1.0] * 11,
            }
        )

    _, err = broken(tmp_path, change)
    problem(err, "nodes[R1].capacity_hm3", "= 'big'", "use a number")
    problem(err, "nodes[R1].end_storage", "= 'last'", "use 'initial', 'free' or 'value'")
    problem(err, "nodes[1S].id", "= '1S'", "'^[A-Za-z][A-Za-z0-9_]*$'", "starting with a letter")
    p = problem(err, "nodes[E1].min_flow_m3s", "at least 12 items", "give 12 monthly values")
    assert "or input should be a valid number" in p.message  # one problem for the union field
    assert len(err.problems) == 4


def test_every_problem_has_a_location_a_message_and_a_fix(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["dead_storage_hm3"] = 500.0
        parts["links"].append({"from": "K1", "to": "S1"})
        parts["crops"].loc[0, "ky"] = -1.0
        parts["level_area_storage"] = parts["level_area_storage"].iloc[:1]

    _, err = broken(tmp_path, change, inflows={"S1": -1.0}, energy=energy_rows("ES_AA", exports=99))
    assert len(err.problems) >= 6
    for p in err.problems:
        assert p.location and p.message and p.fix, p


# ------------------------------------------------------------------ all at once


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    flows = [5.0] * 12
    flows[7] = -1.0

    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["dead_storage_hm3"] = 150.0

    folder, err = broken(tmp_path, change, inflows={"S1": flows})
    first = problem(err, str(folder / "basin.yaml"), "nodes[R1].dead_storage_hm3", "= 150.0")
    second = problem(err, str(folder / "inflows.csv"), "month 8, column S1", "= -1 m3/s")
    text = str(err)
    assert text.startswith(f"invalid basin {folder}: {len(err.problems)} problem(s)")
    assert text.index(str(first)) < text.index(str(second))


def test_schema_problems_are_reported_at_once(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        node(parts, "R1")["type"] = "reservior"
        node(parts, "D1")["return_fraction"] = 2.0
        node(parts, "M1")["populaton"] = 5

    _, err = broken(tmp_path, change)
    assert len(err.problems) == 3
    problem(err, "nodes[R1].type", "did you mean 'reservoir'?")
    problem(err, "nodes[D1].return_fraction", "= 2.0")
    problem(err, "nodes[M1].populaton", "unknown key")


def test_id_problems_do_not_hide_table_problems(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["links"][0]["to"] = "R9"
        node(parts, "R1")["initial_storage_hm3"] = 5.0

    _, err = broken(tmp_path, change, energy=energy_rows("ES_AA", exports=60))
    problem(err, "links[S1>R9].to", "did you mean 'R1'?")
    problem(err, "nodes[R1].initial_storage_hm3", "= 5.0")
    problem(err, "energy.csv: node ES_AA, month 1, export_price_usd_per_mwh", "= 60.0")
    assert not any("does not drain" in p.message for p in err.problems)  # graph waits for ids


def test_problems_in_several_csv_files_are_reported_at_once(tmp_path: Path) -> None:
    def change(parts: dict[str, Any]) -> None:
        parts["crops"]["ky"] = ["high", "1.05"]
        parts["energy"] = parts["energy"].drop(columns="demand_gwh")

    _, err = broken(
        tmp_path, change, inflows="month,S1\n" + "".join(f"{m},x\n" for m in range(1, 13))
    )
    problem(err, "crops.csv: line 2, column ky", "= 'high'")
    problem(err, "energy.csv", "missing column(s) ['demand_gwh']")
    problem(err, "inflows.csv: line 2, column S1", "= 'x'")


def test_historical_inflows_negative_value_and_unknown_column(tmp_path: Path) -> None:
    dates = [f"2001-{m:02d}" for m in range(1, 13)]
    flows = [5.0] * 12
    flows[2] = -4.0
    history = pd.DataFrame({"date": dates, "S1": flows, "S9": 1.0})
    _, err = broken(tmp_path, inflows_historical=history)
    problem(err, "inflows_historical.csv: date 2001-03, column S1", "negative inflow", ">= 0")
    problem(err, "inflows_historical.csv: column S9", "not a source node", "did you mean 'S1'?")


def test_historical_inflows_bad_date(tmp_path: Path) -> None:
    history = pd.DataFrame({"date": ["2001-01", "Feb 2001"], "S1": [1.0, 2.0]})
    _, err = broken(tmp_path, inflows_historical=history)
    problem(err, "inflows_historical.csv", "bad date", "use YYYY-MM")


def test_one_helper_names_an_unknown_id_with_a_hint() -> None:
    from nexusmodel.basin.checks import unknown_id

    problem = unknown_id("evaporation.csv: node R_TOX", "not a reservoir", "R_TOX", {"R_TOK"})
    assert str(problem) == ("evaporation.csv: node R_TOX: not a reservoir (did you mean 'R_TOK'?)")
    none = unknown_id("municipal.csv: node M1", "not a municipal node", "M1", [])
    assert none.fix == "valid choices: (none)"
