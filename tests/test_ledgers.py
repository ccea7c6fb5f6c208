"""Ledgers per country on the hand-solved two-country basin of ``test_exchange`` (discount
rate 0), and the identity: the countries' parts sum to the basin's net benefit.

Kyrgyzstan (R, H, E_KG) passes all 100 hm3 of R to Uzbekistan (D, O, E_UZ): 40 in January,
60 in February. With the hard exchange, UZ delivers 0.2 * (60 - 20) = 8 GWh in January.
"""

from __future__ import annotations

import numpy as np
import pytest

from model_factory import run
from nexusmodel.results.ledgers import (
    TRADE,
    TRANSFER,
    country_ledger,
    electricity_ledger,
    net_benefit_by_country,
    water_ledger,
)
from nexusmodel.results.net_benefit import BENEFIT_PARTS, PENALTY_PARTS, net_benefit_parts
from test_exchange import G, two_countries, with_line

TOL = 1e-6


def test_water_between_neighbours_after_losses():
    r = run(two_countries(hard=True))
    water = water_ledger(r.ds).set_index(["country", "neighbour", "year"])
    # H (KG) -> D and H -> O (UZ): 100 hm3 = 0.1 km3 in 2030
    assert water.loc[("UZ", "KG", 2030), "received_km3"] == pytest.approx(0.1)
    assert water.loc[("UZ", "KG", 2030), "passed_km3"] == pytest.approx(0.0)
    assert water.loc[("KG", "UZ", 2030), "passed_km3"] == pytest.approx(0.1)
    assert water.loc[("KG", "UZ", 2030), "received_km3"] == pytest.approx(0.0)


def test_electricity_and_compensation_by_country():
    r = run(two_countries(hard=True, price_usd_per_mwh=24.0))
    energy = electricity_ledger(r.ds)
    uz, kg = energy.loc[("UZ", 2030)], energy.loc[("KG", 2030)]
    assert uz["exchange_delivered_gwh"] == pytest.approx(8.0)
    assert kg["exchange_received_gwh"] == pytest.approx(8.0)
    assert uz["compensation_owed_gwh"] == pytest.approx(8.0)
    assert uz["compensation_paid_gwh"] == pytest.approx(8.0)
    assert kg["compensation_paid_gwh"] == pytest.approx(-8.0)  # received
    # 8 GWh at 24 USD/MWh = 0.192 MUSD
    assert uz["compensation_paid_musd"] == pytest.approx(0.192)
    assert kg["imports_gwh"] == 0.0 and uz["exports_gwh"] == 0.0


@pytest.mark.parametrize(
    "exchange",
    [
        {},
        {"hard": True},
        {"compensation": "fuel", "price_usd_per_mwh": 24.0},
        {"hard": False, "price_usd_per_mwh": 30.0},
    ],
    ids=["none", "electricity", "fuel", "soft"],
)
def test_country_parts_sum_to_the_basin_figure(exchange):
    r = run(two_countries(**exchange))
    basin = r.model.context.basin
    by_country = net_benefit_by_country(r.ds, basin)
    basin_parts = net_benefit_parts(r.ds, basin)
    for part in (*BENEFIT_PARTS, *PENALTY_PARTS):
        assert by_country[part].sum() == pytest.approx(basin_parts[part], abs=TOL), part
    assert by_country[TRANSFER].sum() == pytest.approx(0.0, abs=TOL)
    assert by_country["net_benefit_musd"].sum() == pytest.approx(
        r.ds.attrs["net_benefit_musd"], abs=TOL
    )
    # by year as well: every (country, year) cell adds up to the same total
    by_year = net_benefit_by_country(r.ds, basin, by_year=True)
    assert by_year["net_benefit_musd"].sum() == pytest.approx(
        r.ds.attrs["net_benefit_musd"], abs=TOL
    )


def test_who_gains_and_who_pays_by_hand():
    """Hard electricity exchange: KG's energy is - 0.1 MUSD/GWh x its thermal (30 - 100 g
    - 8 GWh); UZ gets D's 60 hm3 x 0.05 = 3 MUSD and pays 8 GWh x 0.15 = 1.2 MUSD of thermal.
    Fuel instead: UZ pays 8 GWh-equivalent x 24 USD/MWh = 0.192 MUSD to KG, no electricity."""
    x = run(two_countries(hard=True))
    table = country_ledger(x.ds, x.model.context.basin)
    assert table.loc["KG", "energy_musd"] == pytest.approx(-0.1 * (30 - 100 * G - 8), abs=TOL)
    assert table.loc["UZ", "energy_musd"] == pytest.approx(-1.2, abs=TOL)
    assert table.loc["UZ", "demand_benefit_musd"] == pytest.approx(3.0, abs=TOL)
    assert table.loc["UZ", "water_received_km3_per_yr"] == pytest.approx(0.1)
    assert table.loc["UZ", "exchange_delivered_gwh_per_yr"] == pytest.approx(8.0)
    fuel = run(two_countries(compensation="fuel", price_usd_per_mwh=24.0))
    table = country_ledger(fuel.ds, fuel.model.context.basin)
    assert table.loc["KG", "energy_musd"] == pytest.approx(-0.1 * (30 - 100 * G), abs=TOL)
    assert table.loc["KG", f"{TRANSFER}_musd"] == pytest.approx(0.192, abs=TOL)
    assert table.loc["UZ", f"{TRANSFER}_musd"] == pytest.approx(-0.192, abs=TOL)
    assert table.loc["UZ", "net_benefit_musd"] == pytest.approx(3.0 - 0.192, abs=TOL)


def test_compare_puts_the_ledgers_side_by_side():
    """Without a basin to find (results made in memory) the money is NaN; water and
    electricity come from the results alone."""
    import numpy as np

    from nexusmodel.comparison import ledger_table

    runs = [run(two_countries()), run(two_countries(hard=True))]
    table = ledger_table(["none", "exchange"], [r.ds for r in runs])
    assert list(table.columns) == ["none", "exchange"]
    assert table.loc[("UZ", "exchange_delivered_gwh_per_yr"), "exchange"] == pytest.approx(8.0)
    assert table.loc[("UZ", "exchange_delivered_gwh_per_yr"), "none"] == 0.0
    assert table.loc[("UZ", "water_received_km3_per_yr"), "none"] == pytest.approx(0.1)
    assert np.isnan(table.loc[("UZ", "net_benefit_musd"), "none"])


def test_syr_darya_one_year_parts_sum_to_the_basin_and_water_balances():
    """One year of the shipped exchange scenario: every part of every country adds up to the
    basin's, and what the countries pass on is what their neighbours receive."""
    from nexusmodel.run import run_scenario
    from nexusmodel.scenario import load_scenario
    from scenario_helpers import SCENARIOS

    scenario = load_scenario(SCENARIOS / "water_energy_exchange.yaml").with_horizon(1)
    result = run_scenario(scenario)
    ds, basin = result.results, result.model.context.basin
    by_country = net_benefit_by_country(ds, basin)
    parts = net_benefit_parts(ds, basin)
    for part in (*BENEFIT_PARTS, *PENALTY_PARTS):
        assert by_country[part].sum() == pytest.approx(parts[part], rel=1e-9, abs=1e-6), part
    assert by_country["net_benefit_musd"].sum() == pytest.approx(
        ds.attrs["net_benefit_musd"], rel=1e-9
    )
    assert set(by_country.index) == {"KG", "UZ", "TJ", "KZ"}
    water = water_ledger(ds)
    assert water["received_km3"].sum() == pytest.approx(water["passed_km3"].sum())
    # Kyrgyzstan, the headwater country, receives nothing and passes on most of the Naryn
    kg = water[water["country"] == "KG"]
    assert kg["received_km3"].sum() == 0.0 and kg["passed_km3"].sum() > 10.0
    energy = electricity_ledger(ds, basin)
    paid = energy["compensation_paid_gwh"].groupby(level="country").sum()
    assert paid.sum() == pytest.approx(0.0, abs=1e-6)  # what KZ and UZ pay, KG receives


def test_trade_over_a_line_is_paid_at_the_senders_price():
    """UZ thermal at 50 USD/MWh sends KG its thermal need over the line (January 20 - 40 g,
    February 10 - 60 g); the 8 GWh owed in January are compensation, the rest trade that KG
    pays UZ at UZ's price, 50 USD/MWh. The transfers cancel in the basin's total."""
    x = run(with_line(two_countries(uz_thermal_usd=50.0, hard=True)))
    basin = x.model.context.basin
    np.testing.assert_allclose(x.ds["energy_price"].sel(country="UZ"), [50.0, 50.0], atol=TOL)
    table = net_benefit_by_country(x.ds, basin)
    traded = (20 - 40 * G - 8) + (10 - 60 * G)  # GWh
    assert table.loc["UZ", TRADE] == pytest.approx(traded * 0.05, abs=TOL)
    assert table.loc["KG", TRADE] == pytest.approx(-traded * 0.05, abs=TOL)
    assert table["net_benefit_musd"].sum() == pytest.approx(x.ds.attrs["net_benefit_musd"], abs=TOL)
