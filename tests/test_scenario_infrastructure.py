"""Infrastructure changes (new network, re-validated) and the release-rule constraints."""

from __future__ import annotations

import numpy as np
import pytest

from nexusmodel.errors import InfeasibleError, InputError
from nexusmodel.run import run_scenario
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import root_scenario, syr_darya

NEW_DISTRICT = """
infrastructure:
  add_nodes:
    - {id: D_NEW, type: irrigation, name: New district, country: KZ,
       conveyance_efficiency: 0.8, field_efficiency: 0.8, return_fraction: 0.5}
  add_links:
    - {from: R_CHD, to: D_NEW, kind: canal, capacity_m3s: 50}
    - {from: D_NEW, to: R_KOK, kind: return}
  tables:
    irrigated_areas_ha: {D_NEW: {cotton: 20000, wheat: 10000}}
"""


def apply_text(tmp_path, body: str, years: int = 2):
    scenario = load_scenario(root_scenario(tmp_path, body, years=years))
    return scenario, apply_scenario(syr_darya(), scenario)


def test_kambarata_scenario_inserts_a_reservoir_upstream_of_toktogul():
    from scenario_helpers import SCENARIOS

    basin = syr_darya()
    new = apply_scenario(basin, load_scenario(SCENARIOS / "kambarata1_built.yaml"))
    links = {link.id for link in new.links}
    assert {"S_NAR>R_KAM", "R_KAM>R_TOK"} <= links and "S_NAR>R_TOK" not in links
    kam = new.nodes["R_KAM"]
    assert kam.hydropower.installed_mw == 1860  # type: ignore[union-attr]
    assert new.tables.level_area_storage["R_KAM"]["storage_hm3"].max() == 4650
    assert list(new.series.evaporation_mm["R_KAM"][:3]) == [5, 5, 30]
    assert "R_KAM" not in basin.nodes and "S_NAR>R_TOK" in {lk.id for lk in basin.links}


def test_new_district_gets_areas_and_series(tmp_path):
    _, new = apply_text(tmp_path, NEW_DISTRICT)
    assert new.nodes["D_NEW"].type == "irrigation"
    assert new.series.area_max_ha[("D_NEW", "cotton")].iloc[0] == 20000


def test_canal_lining_and_a_changed_plant(tmp_path):
    _, new = apply_text(
        tmp_path,
        """
        infrastructure:
          change_links:
            R_KOK>E_NAS: {loss_fraction: 0.5}
          change_nodes:
            R_TOK: {hydropower: {installed_mw: 1440}}
        """,
    )
    link = next(lk for lk in new.links if lk.id == "R_KOK>E_NAS")
    assert link.loss_fraction == 0.5
    assert new.nodes["R_TOK"].hydropower.installed_mw == 1440  # type: ignore[union-attr]
    assert new.nodes["R_TOK"].hydropower.max_turbine_flow_m3s == 950  # type: ignore[union-attr]


def test_removing_a_node_removes_its_links_and_rows(tmp_path):
    _, new = apply_text(tmp_path, "infrastructure: {remove_nodes: [K_ARN]}")
    assert "K_ARN" not in new.nodes
    assert not [lk for lk in new.links if "K_ARN" in (lk.from_, lk.to)]


def test_broken_network_is_an_input_error_naming_the_scenario(tmp_path):
    path = root_scenario(
        tmp_path,
        """
        infrastructure:
          add_nodes:
            - {id: J_NEW, type: junction, name: Dead end, country: KZ}
          add_links:
            - {from: R_CHD, to: J_NEW, kind: canal}
        """,
    )
    with pytest.raises(InputError) as exc:
        apply_scenario(syr_darya(), load_scenario(path))
    text = str(exc.value)
    assert f"the infrastructure changes of {path}" in text
    assert f"{path.resolve()}: infrastructure -> network: nodes[J_NEW]" in text
    assert "does not drain to a sink" in text


def test_bad_changes_name_the_key(tmp_path):
    path = root_scenario(
        tmp_path,
        """
        infrastructure:
          remove_links: [S_NAR>R_TAK]
          change_nodes:
            R_TOKT: {capacity_hm3: 1}
        """,
    )
    with pytest.raises(InputError) as exc:
        apply_scenario(syr_darya(), load_scenario(path))
    text = str(exc.value)
    assert "infrastructure.remove_links[0]: = 'S_NAR>R_TAK': no such link" in text
    assert "did you mean 'S_NAR>R_TOK'?" in text
    assert "infrastructure.change_nodes.R_TOKT: no such node" in text
    path = root_scenario(
        tmp_path, "infrastructure: {change_nodes: {R_TOK: {capacity_hm3: -1}}}", name="neg.yaml"
    )
    with pytest.raises(InputError, match="infrastructure.change_nodes.R_TOK.capacity_hm3: = -1"):
        apply_scenario(syr_darya(), load_scenario(path))


def test_table_rows_must_name_nodes_of_the_right_type(tmp_path):
    path = root_scenario(
        tmp_path, "infrastructure: {tables: {irrigated_areas_ha: {M_TAS: {cotton: 5}}}}"
    )
    with pytest.raises(InputError, match="'M_TAS' is a municipal node, not irrigation node"):
        apply_scenario(syr_darya(), load_scenario(path))


# --------------------------------------------------------------------------- release rules


def release(ds, node):
    return ds["release"].sel(node=node)


def summer_share(ds, node: str) -> np.ndarray:
    r = release(ds, node)
    summer = r.where(r.time.dt.month.isin([4, 5, 6, 7, 8, 9]), 0.0)
    return (summer.groupby("time.year").sum() / r.groupby("time.year").sum()).values


@pytest.mark.slow
def test_release_rules_hold_in_the_solution(tmp_path):
    scenario = load_scenario(
        root_scenario(
            tmp_path,
            """
            policy:
              seasonal_release: {R_TOK: {min_share_pct: 75, hard: true}}
              agreed_releases:
                R_KAI: {minimum: {Jun: 500, Jul: 650, Aug: 600, Sep: 300}, hard: true}
              spill_caps: {K_ARN: {max_hm3_per_year: 0, hard: true}}
            """,
            years=2,
        )
    )
    ds = run_scenario(scenario).results
    assert (summer_share(ds, "R_TOK") >= 0.75 - 1e-6).all()
    kai = release(ds, "R_KAI") * 1e6 / (ds["step_days"] * 86400)  # m3/s
    for month, q in ((6, 500), (7, 650), (8, 600), (9, 300)):
        assert (kai.where(kai.time.dt.month == month, drop=True) >= q - 1e-4).all()
    assert float(ds["link_flow"].sel(link="R_CHD>K_ARN").sum()) == pytest.approx(0, abs=1e-6)
    assert float(np.nansum(ds["release_rule_breach"].values)) == pytest.approx(0, abs=1e-6)


@pytest.mark.slow
def test_energy_mode_caps_the_summer_share(tmp_path):
    scenario = load_scenario(
        root_scenario(tmp_path, "policy: {seasonal_release: {R_TOK: {max_share_pct: 20}}}", years=2)
    )
    ds = run_scenario(scenario).results
    assert (summer_share(ds, "R_TOK") <= 0.20 + 1e-6).all()


@pytest.mark.slow
def test_conflicting_hard_rules_are_named_by_the_diagnosis(tmp_path):
    scenario = load_scenario(
        root_scenario(
            tmp_path,
            """
            policy:
              seasonal_release: {R_TOK: {min_share_pct: 100, hard: true}}
              agreed_releases: {R_TOK: {minimum: {Jan: 400}, hard: true}}
            """,
            years=2,
        )
    )
    with pytest.raises(InfeasibleError) as exc:
        run_scenario(scenario)
    text = str(exc.value)
    assert "R_TOK (Toktogul reservoir and HPP)" in text
    assert "seasonal release share" in text or "agreed minimum release" in text
