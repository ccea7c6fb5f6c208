"""Scenario files: inheritance (precedence, chains, cycles), origin tracking, clear errors."""

from __future__ import annotations

import pytest

from nexusmodel.errors import InputError
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import BASIN, root_scenario, syr_darya, write


def problems_of(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


# --------------------------------------------------------------------------- inheritance


def test_child_overrides_parent_key_by_key(tmp_path):
    root_scenario(
        tmp_path,
        """
        climate:
          inflow_change:
            all: {change_pct: -10, mode: ramp}
          crop_water_demand:
            all: {change_pct: 8}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: root.yaml
        horizon: {years: 5}
        climate:
          inflow_change:
            all: {change_pct: -20}
        """,
    )
    s = load_scenario(child)
    assert s.spec.horizon.years == 5  # child wins
    assert s.spec.horizon.start == "2025-01"  # sibling kept from the parent
    assert s.spec.climate.inflow_change["all"].change_pct == -20
    assert s.spec.climate.inflow_change["all"].mode == "ramp"  # kept from the parent
    assert s.spec.climate.crop_water_demand["all"].change_pct == 8
    assert s.basin_path == BASIN
    assert s.chain == (child.resolve(), (tmp_path / "root.yaml").resolve())


def test_three_level_chain_records_where_each_setting_came_from(tmp_path):
    root = root_scenario(tmp_path, "hydrology: {kind: climatology}\n")
    middle = write(
        tmp_path,
        "middle.yaml",
        """
        extends: root.yaml
        climate:
          evaporation:
            all: {change_pct: 5, mode: step}
        policy:
          municipal_priority: hard
        """,
    )
    leaf = write(
        tmp_path,
        "leaf.yaml",
        """
        extends: middle
        climate:
          evaporation:
            all: {change_pct: 7}
        policy:
          municipal_priority: null
        """,
    )
    s = load_scenario(leaf)
    assert [p.name for p in s.chain] == ["leaf.yaml", "middle.yaml", "root.yaml"]
    assert s.spec.climate.evaporation["all"].change_pct == 7
    assert s.spec.climate.evaporation["all"].mode == "step"
    assert s.spec.policy.municipal_priority is None  # null: back to the default
    assert s.options.municipal_hard is False
    origin = {key: path for key, _, path in s.effective_settings()}
    assert origin["climate.evaporation.all.change_pct"] == leaf.resolve()
    assert origin["climate.evaporation.all.mode"] == middle.resolve()
    assert origin["horizon.years"] == root.resolve()
    assert origin["hydrology.seed"] is None  # a default
    assert origin["basin"] == root.resolve()


def test_municipal_priority_sets_the_solve_option(tmp_path):
    s = load_scenario(root_scenario(tmp_path, "policy: {municipal_priority: hard}\n"))
    assert s.options.municipal_hard is True
    assert s.spec.solve.municipal_hard is False  # the file's solve options are untouched


def test_month_names_and_numbers_merge(tmp_path):
    root_scenario(
        tmp_path,
        """
        climate:
          inflow_change:
            S_NAR: {by_month_pct: {Jul: -10, Aug: -10}}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: root.yaml
        climate:
          inflow_change:
            S_NAR: {by_month_pct: {7: -30}}
        """,
    )
    change = load_scenario(child).spec.climate.inflow_change["S_NAR"]
    assert change.by_month_pct == {7: -30, 8: -10}


def test_extends_cycle_is_rejected_clearly(tmp_path):
    write(tmp_path, "a.yaml", f"extends: b.yaml\nbasin: {BASIN}\n")
    write(tmp_path, "b.yaml", "extends: c.yaml\n")
    write(tmp_path, "c.yaml", "extends: a.yaml\n")
    with pytest.raises(InputError) as exc:
        load_scenario(tmp_path / "a.yaml")
    (text,) = problems_of(exc)
    assert "c.yaml: extends" in text
    assert "cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml" in text


def test_extending_itself_is_a_cycle(tmp_path):
    write(tmp_path, "self.yaml", f"extends: self.yaml\nbasin: {BASIN}\n")
    with pytest.raises(InputError, match="cycle: self.yaml -> self.yaml"):
        load_scenario(tmp_path / "self.yaml")


def test_unknown_parent_is_rejected_with_a_hint(tmp_path):
    root_scenario(tmp_path, name="baseline.yaml")
    child = write(tmp_path, "child.yaml", "extends: baseline_typo.yaml\n")
    with pytest.raises(InputError) as exc:
        load_scenario(child)
    (text,) = problems_of(exc)
    assert f"{child.resolve()}: extends" in text
    assert "no such scenario file" in text
    assert "did you mean 'baseline.yaml'" in text


def test_extends_must_name_one_file(tmp_path):
    child = write(tmp_path, "child.yaml", "extends: [a.yaml, b.yaml]\n")
    with pytest.raises(InputError, match="expected the file name of one parent scenario"):
        load_scenario(child)


# --------------------------------------------------------------------------- validation


def test_unknown_key_names_file_key_and_valid_choices(tmp_path):
    path = root_scenario(tmp_path, "climate:\n  snowmelt_shift: {fraction_pct: 10, mod: ramp}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    (text,) = problems_of(exc)
    assert text.startswith(f"{path.resolve()}: climate.snowmelt_shift.mod: unknown key")
    assert "did you mean 'mode'?" in text
    assert "fraction_pct, from_months, to_months, nodes, mode" in text


def test_unknown_top_level_key_lists_the_sections(tmp_path):
    path = root_scenario(tmp_path, "demographics: {}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    (text,) = problems_of(exc)
    assert "demographics: unknown key" in text
    assert "did you mean 'demography'?" in text


def test_error_names_the_parent_file_that_set_the_bad_value(tmp_path):
    root = root_scenario(
        tmp_path, "climate:\n  evaporation:\n    all: {change_pct: 5, mode: linear}\n"
    )
    child = write(tmp_path, "child.yaml", "extends: root.yaml\nhorizon: {years: 3}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(child)
    (text,) = problems_of(exc)
    assert text.startswith(f"{root.resolve()}: climate.evaporation.all.mode")
    assert "valid choices: 'ramp' or 'step'" in text


def test_wrong_unit_in_the_key_is_explained(tmp_path):
    path = root_scenario(
        tmp_path, "policy:\n  ecological_flows:\n    E_NAS: {annual_target_km3: 1.5}\n"
    )
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    (text,) = problems_of(exc)
    assert "policy.ecological_flows.E_NAS.annual_target_km3: unknown key" in text
    assert "wrong unit: this setting is 'annual_target_hm3' (in hm3)" in text


def test_value_written_with_a_unit_is_explained(tmp_path):
    path = root_scenario(tmp_path, "climate:\n  crop_water_demand:\n    all: {change_pct: 15 %}\n")
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    (text,) = problems_of(exc)
    assert "climate.crop_water_demand.all.change_pct: = '15 %': expected a plain number" in text
    assert "write the value in % without a unit" in text


def test_wrong_unit_choice_lists_the_valid_units(tmp_path):
    path = root_scenario(
        tmp_path,
        "policy:\n  agreed_releases:\n    R_KAI: {minimum: {Jun: 500}, unit: l/s}\n",
    )
    with pytest.raises(
        InputError,
        match=r"unit: = 'l/s': not a valid choice \(valid choices: 'm3/s' or 'hm3/month'\)",
    ):
        load_scenario(path)


def test_all_problems_are_reported_in_one_error(tmp_path):
    path = root_scenario(
        tmp_path,
        """
        horizon: {start: '2025-13'}
        hydrology: {kind: stochastic}
        demography:
          population_growth:
            UZ: {rate_pct_per_year: 2, path: {2025: 1.0}}
        """,
    )
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    texts = problems_of(exc)
    assert len(texts) == 3
    assert any("horizon.start: = '2025-13': not a month" in t for t in texts)
    assert any("hydrology: kind 'stochastic' needs annual_p5_km3" in t for t in texts)
    assert any("population_growth.UZ: give exactly one of rate_pct_per_year" in t for t in texts)


def test_missing_basin_is_named(tmp_path):
    path = write(tmp_path, "nobasin.yaml", "horizon: {years: 3}\n")
    with pytest.raises(InputError, match="basin: missing required key"):
        load_scenario(path)


def test_bad_new_node_is_named_by_its_id(tmp_path):
    path = root_scenario(
        tmp_path,
        """
        infrastructure:
          add_nodes:
            - {id: R_NEW, type: reservoir, name: New, country: KG, capacity_hm3: -5,
               initial_storage_hm3: 1}
        """,
    )
    with pytest.raises(InputError, match=r"infrastructure.add_nodes\[R_NEW\].capacity_hm3: = -5"):
        load_scenario(path)


# --------------------------------------------------------------------------- references


def test_dangling_node_id_names_file_key_and_choices(tmp_path):
    path = root_scenario(
        tmp_path, "demography:\n  population_growth:\n    M_TSH: {rate_pct_per_year: 2}\n"
    )
    with pytest.raises(InputError) as exc:
        apply_scenario(syr_darya(), load_scenario(path))
    (text,) = problems_of(exc)
    assert text.startswith(f"{path.resolve()}: demography.population_growth.M_TSH")
    assert "no such country or municipal node" in text
    assert "did you mean 'M_TAS'?" in text
    assert "valid choices: all, UZ, M_FER, M_TAS" in text


def test_node_of_the_wrong_type_is_named(tmp_path):
    path = root_scenario(tmp_path, "climate:\n  inflow_change:\n    D_FER: {change_pct: -5}\n")
    with pytest.raises(
        InputError, match="'D_FER' is an irrigation node, not country or source node"
    ):
        apply_scenario(syr_darya(), load_scenario(path))


def test_dangling_ids_in_rules_are_reported_together(tmp_path):
    path = root_scenario(
        tmp_path,
        """
        policy:
          seasonal_release:
            R_TOKTOGUL: {min_share_pct: 75}
          spill_caps:
            R_CHD: {max_hm3_per_year: 0}
          ecological_flows:
            E_ARAL: {annual_target_hm3: 1500}
        climate:
          crop_water_demand:
            maize: {change_pct: 10}
        """,
    )
    with pytest.raises(InputError) as exc:
        apply_scenario(syr_darya(), load_scenario(path))
    texts = problems_of(exc)
    assert len(texts) == 4
    assert any("seasonal_release.R_TOKTOGUL" in t and "did you mean 'R_TOK'" in t for t in texts)
    assert any("spill_caps.R_CHD" in t and "not sink node" in t for t in texts)
    assert any("ecological_flows.E_ARAL" in t and "E_NAS" in t for t in texts)
    assert any("crop_water_demand.maize: = 'maize': no such crop" in t for t in texts)
