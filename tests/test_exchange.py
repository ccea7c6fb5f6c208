"""The water-for-energy exchange on a hand-solved two-country basin (discount rate 0).

Two months of 2030: January is the "winter", February the "summer" of the agreement::

    R (KG, 100 hm3 at the start, no inflow, end free) --> H (KG plant) --> D (UZ) --> O
                                                                 \\-------------------> O

H makes g = 0.002725 * 0.9 * 50 = 0.122625 GWh per hm3 for E_KG (thermal at 100 USD/MWh,
demand 20 GWh in January and 10 in February). D (Uzbekistan) values 60 hm3 in February at
0.05 USD/m3. E_UZ has no demand and thermal at 150 USD/MWh. Energy is worth the same in both
months in Kyrgyzstan, so without the exchange February gets D's 60 hm3 and January the 40 left.

The exchange: Kyrgyzstan needs 20 hm3 in summer for itself; UZ pays 0.2 GWh per hm3 above
that, delivered in January. Delivering 1 GWh costs UZ 150 USD/MWh of thermal and saves
Kyrgyz thermal at 100: the basin pays 50 USD/MWh, i.e. 0.2 * 50 = 10 USD per 1000 m3
= 0.01 USD/m3 of extra summer release, far below D's 0.05: the releases stay the same, UZ
delivers 0.2 * (60 - 20) = 8 GWh in January.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_factory import energy_table, link, make_basin, node, run, with_months
from nexusmodel.basin.basin import Policy
from nexusmodel.errors import InputError
from nexusmodel.model import ModelOptions, build_model
from nexusmodel.scenario.schema import WaterEnergyExchange

TOL = 1e-6
G = 0.002725 * 0.9 * 50.0  # GWh per hm3 through H


def two_countries(
    uz_thermal_mw: float = 1000.0,
    uz_import_mw: float = 0.0,
    uz_demand_gwh: float = 0.0,
    uz_thermal_usd: float = 150.0,
    **exchange: object,
):
    nodes = [
        node(
            "R",
            "reservoir",
            country="KG",
            capacity_hm3=1000.0,
            initial_storage_hm3=100.0,
            end_storage="free",
        ),
        node(
            "H",
            "hydropower",
            country="KG",
            installed_mw=100.0,
            efficiency=0.9,
            max_turbine_flow_m3s=100.0,
            head_m=50.0,
            energy_system="E_KG",
        ),
        node(
            "D",
            "demand",
            country="UZ",
            monthly_demand_hm3=[0.0] * 12,
            benefit_segments=[{"share": 1.0, "value_usd_per_m3": 0.05}],
        ),
        node("O", "sink", country="UZ"),
        node("E_KG", "energy_system", country="KG", thermal_capacity_mw=1000.0),
        node(
            "E_UZ",
            "energy_system",
            country="UZ",
            thermal_capacity_mw=uz_thermal_mw,
            import_capacity_mw=uz_import_mw,
        ),
    ]
    links = [link("R", "H"), link("H", "D"), link("H", "O"), link("D", "O")]
    energy = pd.concat(
        [
            energy_table("E_KG", [20.0, 10.0] + [0.0] * 10, 100.0),
            energy_table("E_UZ", uz_demand_gwh, uz_thermal_usd, import_usd_mwh=120.0),
        ]
    )
    basin = make_basin(nodes, links, energy=energy)
    basin = with_months(basin, 2, {}, demand_hm3={"D": [0.0, 60.0]})
    if exchange:
        terms = {
            "upstream_reservoir": "R",
            "summer_months": [2],
            "winter_months": [1],
            "own_summer_release_hm3": 20.0,
            "gwh_per_hm3": 0.2,
            "shares_pct": {"UZ": 100.0},
            **exchange,
        }
        basin = basin.with_policy(Policy(exchange=WaterEnergyExchange.model_validate(terms)))
    return basin


def test_without_the_exchange_february_serves_d_and_january_gets_the_rest():
    r = run(two_countries())
    np.testing.assert_allclose(r.at("release", "R"), [40.0, 60.0], atol=TOL)
    np.testing.assert_allclose(r.ds["thermal"].sel(country="UZ"), [0.0, 0.0], atol=TOL)
    assert "exchange_owed" not in r.ds


def test_hard_exchange_delivers_what_is_owed_and_prices_it_at_the_cost_difference():
    r = run(two_countries())
    x = run(two_countries(hard=True))
    # releases unchanged: 0.01 USD/m3 of compensation < 0.05 USD/m3 at D
    np.testing.assert_allclose(x.at("release", "R"), [40.0, 60.0], atol=TOL)
    owed = 0.2 * (60.0 - 20.0)  # 8 GWh
    assert float(x.ds["exchange_summer_release"].sel(year=2030)) == pytest.approx(60.0)
    assert float(x.ds["exchange_own_release"].sel(year=2030)) == pytest.approx(20.0)
    assert float(x.ds["exchange_owed"].sel(country="UZ", year=2030)) == pytest.approx(owed)
    assert float(x.ds["exchange_paid"].sel(country="UZ", year=2030)) == pytest.approx(owed)
    assert float(x.ds["exchange_owed"].sel(country="KG", year=2030)) == 0.0
    np.testing.assert_allclose(x.ds["exchange_delivery"].sel(country="UZ"), [owed, 0.0], atol=TOL)
    # UZ burns 8 GWh in January; Kyrgyz thermal falls by 8 GWh:
    # January 20 - 40 g - 8, February 10 - 60 g
    np.testing.assert_allclose(x.ds["thermal"].sel(country="UZ"), [owed, 0.0], atol=TOL)
    np.testing.assert_allclose(
        x.ds["thermal"].sel(country="KG"), [20.0 - 40.0 * G - owed, 10.0 - 60.0 * G], atol=TOL
    )
    # the basin pays 8 GWh * (150 - 100) USD/MWh = 0.4 MUSD
    assert x.report.objective_musd == pytest.approx(r.report.objective_musd - 0.4, abs=TOL)
    # objective by hand: D 60 * 0.05 = 3; thermal KG 0.1 * (30 - 100 g - 8), UZ 0.15 * 8;
    # turbine tie-breaker 1e-4 USD/m3 on the 100 hm3
    expected = 3.0 - 0.1 * (30.0 - 100.0 * G - owed) - 0.15 * owed + 1e-4 * 100.0
    assert x.report.objective_musd == pytest.approx(expected, abs=TOL)
    # one more GWh owed costs the basin 150 - 100 = 50 USD/MWh
    assert float(x.ds["exchange_compensation_price"].sel(year=2030)) == pytest.approx(50.0)
    # Kyrgyz electricity stays at its thermal cost (thermal still runs)
    np.testing.assert_allclose(x.ds["energy_price"].sel(country="KG"), [100.0, 100.0], atol=TOL)
    # (UZ's price is degenerate here: with no demand of its own, its thermal is tied to the
    # deliveries; test_uzbek_price_is_its_thermal_cost gives it a demand)
    # the price effect of the own need: 1 hm3 more for Kyrgyzstan's own summer need is
    # 0.2 GWh less owed, 0.2 * 50 USD/MWh = 0.01 MUSD more for the basin
    y = run(two_countries(hard=True, own_summer_release_hm3=21.0))
    assert y.report.objective_musd == pytest.approx(x.report.objective_musd + 0.01, abs=TOL)


def test_uzbek_price_is_its_thermal_cost():
    """With 5 GWh of demand of its own, UZ burns 5 + 8 GWh in January: one GWh more or less
    of its demand is one of thermal, 150 USD/MWh."""
    x = run(two_countries(uz_demand_gwh=5.0, hard=True))
    np.testing.assert_allclose(x.ds["thermal"].sel(country="UZ"), [13.0, 5.0], atol=TOL)
    np.testing.assert_allclose(x.ds["energy_price"].sel(country="UZ"), [150.0, 150.0], atol=TOL)
    assert float(x.ds["exchange_compensation_price"].sel(year=2030)) == pytest.approx(50.0)


@pytest.mark.parametrize(("price", "delivered"), [(30.0, 0.0), (80.0, 8.0)])
def test_soft_exchange_pays_the_cheaper_of_delivery_and_the_agreed_price(price, delivered):
    """Soft: an unpaid MWh costs the agreed price. Below the 50 USD/MWh that delivering
    costs the basin, nothing is delivered; above it, all 8 GWh are."""
    r = run(two_countries())
    x = run(two_countries(hard=False, price_usd_per_mwh=price))
    owed = 8.0
    assert float(x.ds["exchange_paid"].sel(country="UZ", year=2030)) == pytest.approx(
        delivered, abs=TOL
    )
    assert float(x.ds["exchange_unpaid"].sel(country="UZ", year=2030)) == pytest.approx(
        owed - delivered, abs=TOL
    )
    cost = min(price, 50.0) * owed / 1000.0  # MUSD
    assert x.report.objective_musd == pytest.approx(r.report.objective_musd - cost, abs=TOL)
    assert float(x.ds["exchange_compensation_price"].sel(year=2030)) == pytest.approx(
        min(price, 50.0)
    )


def test_own_need_as_a_share_of_the_release():
    """own need = 50 % of the year's 100 hm3 = 50 hm3: 0.2 * (60 - 50) = 2 GWh owed."""
    x = run(two_countries(own_summer_release_hm3=None, own_summer_share_pct=50.0))
    np.testing.assert_allclose(x.at("release", "R"), [40.0, 60.0], atol=TOL)
    assert float(x.ds["exchange_own_release"].sel(year=2030)) == pytest.approx(50.0)
    assert float(x.ds["exchange_paid"].sel(country="UZ", year=2030)) == pytest.approx(2.0)


def test_fuel_compensation_is_a_transfer_owed_and_paid():
    r = run(two_countries())
    x = run(two_countries(compensation="fuel", price_usd_per_mwh=24.0))
    assert x.report.objective_musd == pytest.approx(r.report.objective_musd, abs=TOL)
    assert float(x.ds["exchange_owed"].sel(country="UZ", year=2030)) == pytest.approx(8.0)
    assert float(x.ds["exchange_paid"].sel(country="UZ", year=2030)) == pytest.approx(8.0)
    np.testing.assert_allclose(x.ds["exchange_delivery"], 0.0)


def test_exchange_with_a_missing_place_is_an_input_error():
    basin = two_countries(upstream_reservoir="H")
    with pytest.raises(InputError, match="upstream_reservoir.*'H': not a reservoir"):
        build_model(basin, ModelOptions(discount_rate=0.0))
    basin = two_countries(shares_pct={"TJ": 100.0})
    with pytest.raises(InputError, match="shares_pct.*'TJ' has no energy system"):
        build_model(basin, ModelOptions(discount_rate=0.0))


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"shares_pct": {"UZ": 60, "KZ": 30}}, "sum to 90"),
        ({"own_summer_share_pct": 50}, "exactly one of"),
        ({"winter_months": ["Feb"], "summer_months": ["Feb"]}, "both summer_months"),
        ({"hard": False}, "soft exchange"),
    ],
)
def test_exchange_terms_are_checked(terms, message):
    base = {
        "upstream_reservoir": "R",
        "own_summer_release_hm3": 20.0,
        "gwh_per_hm3": 0.2,
        "shares_pct": {"UZ": 100.0},
    }
    with pytest.raises(ValueError, match=message):
        WaterEnergyExchange.model_validate({**base, **terms})


# UZ's thermal plants make at most 5 GWh in January (5000 MWh / 744 h); imports at 120 USD/MWh
UZ_5_GWH_MW = 5000.0 / 744.0


def test_deliveries_come_from_the_payers_own_plants():
    """Only 5 GWh can be delivered, so the summer release is held to 20 + 5 / 0.2 = 45 hm3
    (D gets 45, January 55). Against no exchange: D loses 15 hm3 x 0.05 = 0.75 MUSD, KG
    burns 5 GWh less (+0.5 MUSD), UZ burns 5 GWh (-0.75 MUSD): -1.0 MUSD. Imports passed on
    are not compensation."""
    r = run(two_countries(uz_thermal_mw=UZ_5_GWH_MW, uz_import_mw=1000.0))
    x = run(two_countries(uz_thermal_mw=UZ_5_GWH_MW, uz_import_mw=1000.0, hard=True))
    np.testing.assert_allclose(x.at("release", "R"), [55.0, 45.0], atol=TOL)
    np.testing.assert_allclose(x.ds["exchange_delivery"].sel(country="UZ"), [5.0, 0.0], atol=TOL)
    np.testing.assert_allclose(x.ds["imports"].sel(country="UZ"), [0.0, 0.0], atol=TOL)
    assert x.report.objective_musd == pytest.approx(r.report.objective_musd - 1.0, abs=TOL)


def test_deliveries_may_be_imports_passed_on_when_allowed():
    """from_own_plants false: UZ imports the 8 GWh at 120 USD/MWh for KG (thermal at 100):
    the basin pays 8 x 20 USD/MWh = 0.16 MUSD, and the summer release stays 60 hm3."""
    r = run(two_countries(uz_thermal_mw=UZ_5_GWH_MW, uz_import_mw=1000.0))
    x = run(
        two_countries(
            uz_thermal_mw=UZ_5_GWH_MW, uz_import_mw=1000.0, hard=True, from_own_plants=False
        )
    )
    np.testing.assert_allclose(x.at("release", "R"), [40.0, 60.0], atol=TOL)
    np.testing.assert_allclose(x.ds["imports"].sel(country="UZ"), [8.0, 0.0], atol=TOL)
    assert x.report.objective_musd == pytest.approx(r.report.objective_musd - 0.16, abs=TOL)


def test_a_scenario_file_naming_a_wrong_reservoir_is_named_in_the_error(tmp_path):
    from nexusmodel.run import run_scenario
    from nexusmodel.scenario import load_scenario
    from scenario_helpers import SCENARIOS

    path = tmp_path / "bad.yaml"
    path.write_text(
        f"# Does a wrong reservoir give a clear error?\nextends: {SCENARIOS / 'water_energy_exchange.yaml'}\n"
        "policy:\n  water_energy_exchange:\n    upstream_reservoir: R_NOPE\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        run_scenario(load_scenario(path).with_horizon(1))
    text = str(err.value)
    assert "bad.yaml: policy.water_energy_exchange.upstream_reservoir" in text
    assert "'R_NOPE': not a reservoir" in text


# --- with a power system's lines (issue 12's interconnectors, when the schema has them) ----


def with_line(basin, capacity_mw: float = 1000.0):
    """The basin with a line E_UZ -> E_KG (no loss); skipped before the power system merges."""
    import importlib

    schema = importlib.import_module("nexusmodel.basin.schema")
    if not hasattr(schema, "InterconnectorSpec"):
        pytest.skip("no interconnectors in this version (the power system of issue 12)")
    line = schema.InterconnectorSpec.model_validate(
        {"id": "L", "from": "E_UZ", "to": "E_KG", "capacity_mw": capacity_mw}
    )
    return basin.with_spec(basin.spec.model_copy(update={"interconnectors": [line]}))


def test_a_line_carries_the_compensation_once():
    """UZ thermal at 150 USD/MWh: no trade on the line without the exchange; with it the
    owed 8 GWh go over the line in January (not also through the exchange's own terms), at
    a cost to the basin of 8 x (150 - 100) = 0.4 MUSD (plus the 1e-3 USD/MWh tie-breaker)."""
    r = run(with_line(two_countries()))
    x = run(with_line(two_countries(hard=True)))
    np.testing.assert_allclose(
        r.ds["interconnector_flow"].sel(interconnector="L"), [0, 0], atol=TOL
    )
    np.testing.assert_allclose(
        x.ds["interconnector_flow"].sel(interconnector="L"), [8, 0], atol=TOL
    )
    np.testing.assert_allclose(x.ds["exchange_delivery"].sel(country="UZ"), [8, 0], atol=TOL)
    np.testing.assert_allclose(x.ds["thermal"].sel(country="UZ"), [8, 0], atol=TOL)
    expected = r.report.objective_musd - 0.4 - 8 * 1e-6
    assert x.report.objective_musd == pytest.approx(expected, abs=TOL)


def test_trade_on_the_line_is_not_compensation():
    """UZ thermal at 50 USD/MWh, cheaper than KG's 100: the line carries all KG's thermal
    need as trade (January 20 - 40 g, February 10 - 60 g), but only the 8 GWh owed are paid."""
    x = run(with_line(two_countries(uz_thermal_usd=50.0, hard=True)))
    flow = x.ds["interconnector_flow"].sel(interconnector="L").to_numpy()
    np.testing.assert_allclose(flow, [20 - 40 * G, 10 - 60 * G], atol=TOL)
    assert float(x.ds["exchange_paid"].sel(country="UZ", year=2030)) == pytest.approx(8.0)
    assert float(x.ds["exchange_owed"].sel(country="UZ", year=2030)) == pytest.approx(8.0)
