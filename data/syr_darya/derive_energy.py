"""Derive the Syr Darya power-system data from the MESSAGEix-CAS workbooks (as CSV).

Usage: ``python data/syr_darya/derive_energy.py CAS_DIR`` (CAS_DIR holds ``cas_*.csv``, see
SOURCES.md section 8). Writes ``energy.csv`` beside this script and prints the capacities,
efficiencies and demand totals it used, so that SOURCES.md can be checked against them. The
``generators:`` and ``interconnectors:`` lists of basin.yaml carry these numbers by hand, each
with its comment.

- National demand (GWh/month): the 2025 final demand of every sector and month
  (``cas_demand.csv``, monthly slices only; the ``year`` slice is their sum) times the
  transmission and distribution input of ``elec_t_d`` in ``cas_input.csv`` (1.25: 20 % of the
  generated energy is lost before it reaches users).
- Thermal capacities (MW): the sum over vintages 1960-2015 of ``cas_historical_new_capacity``
  (GW per year of each 5-year period) times 5 years.
- Efficiencies: 1 / the fuel input per unit of electricity in ``cas_input.csv`` (2020).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
COUNTRIES = {"KAZ": "ES_KZ", "KGZ": "ES_KG", "TJK": "ES_TJ", "UZB": "ES_UZ"}
YEAR = "2025"
PERIOD_YEARS = 5

#: (reference thermal cost, import price, export price), USD/MWh (SOURCES.md section 8). The
#: thermal cost is that of the system's own dearest fleet in regular use (the gas steam plants,
#: or the CHPs where there is no gas steam fleet), the cost of an aggregate thermal plant that
#: the Syr Darya basin does not have (thermal_capacity_mw 0): the economy's energy_prices
#: driver scales it with the trade prices.
TRADE = {
    "ES_KG": (31.4, 24.0, 20.0),
    "ES_UZ": (31.6, 24.0, 20.0),
    "ES_TJ": (28.4, 24.0, 20.0),
    "ES_KZ": (31.6, 35.0, 20.0),
}


def demand_gwh(cas: Path) -> pd.DataFrame:
    """National gross demand by system and month (GWh)."""
    d = pd.read_csv(cas / "cas_demand.csv")
    d = d[d.node.isin(list(COUNTRIES)) & (d.time != "year")]
    inputs = pd.read_csv(cas / "cas_input.csv")
    td = inputs[(inputs.technology == "elec_t_d") & (inputs.year_act == 2020)]
    gross = td.groupby("node_loc").value.first()
    monthly = d.groupby(["node", "time"])[YEAR].sum().unstack("node")
    monthly.index = monthly.index.astype(int)
    monthly = monthly.sort_index()
    return monthly.mul(gross.reindex(monthly.columns)) * 1000.0  # TWh -> GWh


def capacities_mw(cas: Path) -> pd.Series:
    h = pd.read_csv(cas / "cas_historical_new_capacity.csv")
    years = [c for c in h.columns if c.isdigit()]
    h["mw"] = h[years].sum(axis=1) * PERIOD_YEARS * 1000.0
    return h.set_index(["node_loc", "technology"]).mw


def efficiencies(cas: Path) -> pd.Series:
    i = pd.read_csv(cas / "cas_input.csv")
    techs = ["coal_ppl", "gas_ppl", "gas_cc", "gas_ct", "foil_ppl"]
    x = i[i.technology.isin(techs) & (i.year_act == 2020) & (i.node_loc == "KAZ")]
    return 1.0 / x.groupby("technology").value.first()


def main(cas: Path) -> None:
    demand = demand_gwh(cas)
    rows = []
    for cas_node, es in COUNTRIES.items():
        thermal, imp, exp = TRADE[es]
        for month in range(1, 13):
            rows.append(
                (es, month, round(float(demand.loc[month, cas_node]), 1), thermal, imp, exp)
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "node",
            "month",
            "demand_gwh",
            "thermal_cost_usd_per_mwh",
            "import_price_usd_per_mwh",
            "export_price_usd_per_mwh",
        ],
    )
    header = (
        "# National monthly electricity demand of each country (gross: final demand x 1.25 for grid "
        "losses), MESSAGEix-CAS 2025, and outside-trade prices.\n"
        "# demand_gwh: derive_energy.py from cas_demand.csv and cas_input.csv (elec_t_d). "
        "thermal_cost_usd_per_mwh: reference only (gas steam or CHP cost; no aggregate thermal\n"
        "# plant, thermal_capacity_mw 0: the generators of basin.yaml carry the thermal fleets). "
        "import/export prices: trade with systems outside the model (ASSUMPTION, SOURCES.md 8).\n"
    )
    (HERE / "energy.csv").write_text(header + out.to_csv(index=False))
    print("gross demand TWh/yr:", (demand.sum() / 1000).round(2).to_dict())
    print("capacities MW:", capacities_mw(cas).round(0).to_dict())
    print("efficiencies:", efficiencies(cas).round(3).to_dict())


if __name__ == "__main__":
    main(Path(sys.argv[1]))
