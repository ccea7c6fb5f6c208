"""The power system in scenarios: infrastructure adds and changes generators and lines, the
economy's electricity-demand driver moves the demand the model must serve."""

from __future__ import annotations

import numpy as np
import pytest

from nexusmodel.errors import InputError
from nexusmodel.run import run_scenario
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import root_scenario, syr_darya

SOLAR_AND_LINE = """
infrastructure:
  add_generators:
    - {id: G_KG_SOLAR, name: Kyrgyz solar park, energy_system: ES_KG, kind: solar,
       capacity_mw: 300, availability: [0.15, 0.19, 0.24, 0.3, 0.34, 0.36, 0.38, 0.36, 0.32, 0.26, 0.18, 0.13]}
  change_interconnectors:
    L_KZ_KG: {capacity_mw: 1008}
  change_generators:
    G_KG_CHP: {must_run_fraction: 0.0}
"""


def apply_text(tmp_path, body: str, years: int = 1):
    scenario = load_scenario(root_scenario(tmp_path, body, years=years))
    return apply_scenario(syr_darya(), scenario)


def test_a_solar_park_and_a_line_upgrade_are_scenario_changes(tmp_path):
    new = apply_text(tmp_path, SOLAR_AND_LINE)
    gens = {g.id: g for g in new.spec.generators}
    lines = {c.id: c for c in new.spec.interconnectors}
    assert gens["G_KG_SOLAR"].capacity_mw == 300 and gens["G_KG_SOLAR"].kind == "solar"
    assert lines["L_KZ_KG"].capacity_mw == 1008
    assert lines["L_KZ_KG"].loss_fraction == 0.03  # the rest of the line is kept
    assert gens["G_KG_CHP"].must_run_fraction == 0.0
    assert gens["G_KG_CHP"].capacity_mw == 947
    base = {c.id: c for c in syr_darya().spec.interconnectors}
    assert base["L_KZ_KG"].capacity_mw == 508  # the basin itself is unchanged


def test_bad_power_changes_name_the_key(tmp_path):
    body = """
    infrastructure:
      change_generators:
        G_KG_CHX: {capacity_mw: 1}
      change_interconnectors:
        L_KZ_KG: {loss_fraction: 1.5}
      add_interconnectors:
        - {id: L_KG_CN, from: ES_KG, to: ES_CN, capacity_mw: 100}
    """
    with pytest.raises(InputError) as exc:
        apply_text(tmp_path, body)
    text = str(exc.value)
    assert "infrastructure.change_generators.G_KG_CHX: = 'G_KG_CHX': no such generator" in text
    assert "did you mean 'G_KG_CHP'?" in text
    assert "infrastructure.change_interconnectors.L_KZ_KG.loss_fraction: = 1.5" in text
    body = """
    infrastructure:
      add_interconnectors:
        - {id: L_KG_CN, from: ES_KG, to: ES_CN, capacity_mw: 100}
    """
    with pytest.raises(InputError) as exc:
        apply_text(tmp_path, body)
    assert "interconnectors[L_KG_CN].to: = 'ES_CN': no such energy system" in str(exc.value)


def test_the_demand_driver_moves_the_demand_served(tmp_path):
    """4 %/yr more Kyrgyz demand over 2025-2026, compounding month by month: month k of the
    horizon serves 1.04 ** (k / 12) times the demand, all of it (from the lines and thermal
    plants where the river's plants fall short); Uzbek demand is unchanged."""
    grown = root_scenario(
        tmp_path, "economy: {energy_demand: {KG: {rate_pct_per_year: 4}}}", years=2
    )
    plain = root_scenario(tmp_path, "", 2, name="plain.yaml")
    a, b = (run_scenario(path).results for path in (plain, grown))
    kg = {"country": "KG"}
    factor = 1.04 ** (np.arange(24) / 12.0)
    base_kg = a["energy_demand"].sel(**kg).to_numpy()
    np.testing.assert_allclose(b["energy_demand"].sel(**kg), base_kg * factor, rtol=1e-9)
    uz = {"country": "UZ"}
    np.testing.assert_allclose(b["energy_demand"].sel(**uz), a["energy_demand"].sel(**uz))
    for ds in (a, b):
        assert float(ds["unserved_energy"].sel(**kg).sum()) == pytest.approx(0.0, abs=1e-6)
    extra_gwh = float((base_kg * (factor - 1.0)).sum())
    supply = ("thermal", "hydropower", "other_generation")
    more = sum(float((b[n] - a[n]).sel(**kg).sum()) for n in supply)
    flows = b["interconnector_flow"] - a["interconnector_flow"]
    assert extra_gwh > 100.0
    assert more + float(np.abs(flows).sum()) > 0.5 * extra_gwh  # someone makes it


def test_a_scenario_co2_price_reaches_every_generator(tmp_path):
    new = apply_text(tmp_path, "economy: {co2_price_usd_per_t: 40}")
    gens = {g.id: g for g in new.spec.generators}
    assert all(g.co2_price_usd_per_t == 40 for g in gens.values())
    coal = gens["G_KZ_COAL"]  # 5 / 0.328 + 4 + 40 x 0.341 / 0.328 (USD/MWh)
    assert coal.cost_usd_per_mwh == pytest.approx(5 / 0.328 + 4 + 40 * 0.341 / 0.328)
    assert all(g.co2_price_usd_per_t == 0 for g in syr_darya().spec.generators)
