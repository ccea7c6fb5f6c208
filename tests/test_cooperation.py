"""Each country on its own against the basin optimum with side payments, on a two-country
basin solved by hand (discount rate 0).

Two months of 2030::

    R (KG, 100 hm3 at the start, no inflow, end free) --> H (KG plant) --> D (UZ) --> O
                                                                 \\-------------------> O

H makes g = 0.122625 GWh per hm3 for E_KG (20 GWh of demand each month; thermal at 100
USD/MWh in January and 20 in February), so a hm3 is worth 0.0122625 USD/m3 to Kyrgyzstan in
January and 0.0024525 in February. D (Uzbekistan) values 60 hm3 in February at 0.05 USD/m3.

- Kyrgyzstan on its own releases all 100 hm3 in January; Uzbekistan gets no February water.
  KG's welfare: -(0.1 (20 - 100 g) + 0.02 x 20); UZ's: 0.
- Together: 60 hm3 in February for D, 40 in January. KG loses 60 g x (0.1 - 0.02) = 4.8 g
  = 0.5886 MUSD of thermal savings, UZ gains 3 MUSD: a surplus of 3 - 4.8 g = 2.4114 MUSD.
- Equal shares: each gets 1.2057 MUSD more than on its own; UZ pays KG 4.8 g + 1.2057.
"""

from __future__ import annotations

import pandas as pd
import pytest

from model_factory import energy_table, link, make_basin, node, with_months
from nexusmodel.cooperation import cooperation, country_order, side_payments
from nexusmodel.errors import InputError
from nexusmodel.model import ModelOptions

G = 0.002725 * 0.9 * 50.0
TOL = 1e-6


def upstream_downstream():
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
        node("E_UZ", "energy_system", country="UZ", thermal_capacity_mw=1000.0),
    ]
    links = [link("R", "H"), link("H", "D"), link("H", "O"), link("D", "O")]
    energy = pd.concat(
        [
            energy_table("E_KG", 20.0, [100.0, 20.0] + [50.0] * 10),
            energy_table("E_UZ", 0.0, 150.0),
        ]
    )
    basin = make_basin(nodes, links, energy=energy)
    return with_months(basin, 2, {}, demand_hm3={"D": [0.0, 60.0]})


def test_upstream_first():
    assert country_order(upstream_downstream()) == ["KG", "UZ"]


@pytest.mark.parametrize("rule", ["equal", "proportional"])
def test_alone_together_and_side_payments_by_hand(rule):
    basin = upstream_downstream()
    if rule == "proportional":  # UZ's welfare on its own is 0: no proportional shares
        with pytest.raises(InputError, match="proportional"):
            cooperation(basin, ModelOptions(discount_rate=0.0), rule=rule)
        return
    result = cooperation(basin, ModelOptions(discount_rate=0.0), rule=rule)
    alone_kg = -(0.1 * (20 - 100 * G) + 0.02 * 20)
    together_kg = -(0.1 * (20 - 40 * G) + 0.02 * (20 - 60 * G))
    assert result.alone["KG"] == pytest.approx(alone_kg, abs=TOL)
    assert result.alone["UZ"] == pytest.approx(0.0, abs=TOL)
    assert result.together["KG"] == pytest.approx(together_kg, abs=TOL)
    assert result.together["UZ"] == pytest.approx(3.0, abs=TOL)
    surplus = 3.0 - 4.8 * G
    assert result.surplus_musd == pytest.approx(surplus, abs=TOL)
    # KG on its own: everything in January; together: 40 / 60
    alone_release = result.alone_results["release"].sel(node="R").to_numpy()
    assert alone_release == pytest.approx([100.0, 0.0], abs=TOL)
    together_release = result.together_results["release"].sel(node="R").to_numpy()
    assert together_release == pytest.approx([40.0, 60.0], abs=TOL)
    # equal shares: UZ pays KG its loss and half the surplus
    assert result.side_payments["KG"] == pytest.approx(4.8 * G + surplus / 2, abs=TOL)
    assert result.side_payments["UZ"] == pytest.approx(-(4.8 * G + surplus / 2), abs=TOL)
    table = result.table()
    assert table["gain_musd"].to_list() == pytest.approx([surplus / 2] * 2, abs=TOL)
    assert table["side_payment_musd"].sum() == pytest.approx(0.0, abs=TOL)


def test_proportional_shares():
    """Alone 10 and 30, together 5 and 55: surplus 20 shared 1:3 -> 15 and 45."""
    pay = side_payments({"A": 10.0, "B": 30.0}, {"A": 5.0, "B": 55.0}, "proportional")
    assert pay == pytest.approx({"A": 10.0, "B": -10.0})


def test_an_exchange_is_left_out_side_payments_take_its_place():
    from test_exchange import two_countries

    options = ModelOptions(discount_rate=0.0)
    with_exchange = cooperation(two_countries(hard=True), options)
    without = cooperation(two_countries(), options)
    assert with_exchange.together == pytest.approx(without.together, abs=TOL)
    assert with_exchange.alone == pytest.approx(without.alone, abs=TOL)
    assert "exchange_owed" not in with_exchange.together_results
