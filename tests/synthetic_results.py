"""A tiny, hand-computable results Dataset with the names, dims and coords of the real one.

Used by the indicator tests and by the plot and report tests. Every number is chosen so that
the expected indicator values can be worked out on paper (the tests write the arithmetic).

The basin (two countries, ``A`` upstream and ``B`` downstream; 24 monthly steps from
2020-01; crops ``wheat`` and ``cotton``)::

    SRC (source, A) --> RES (reservoir + plant, A) --> MUN (municipal, A) --return--> ENV
                              |--canal--> IRR (irrigation, B) --return--> ENV
                              `--river--> ENV (environment, terminal lake, B)

Monthly values (hm3 unless stated; "summer" = April-September, "winter" = October-March):

* ``SRC`` inflow 100 every month; link ``SRC>RES`` carries it without loss.
* ``RES`` evaporation 1; turbines pass the whole release (no spill); energy 25 GWh in summer
  and 15 GWh in winter; initial storage 500; storage follows the reservoir balance.
* ``MUN`` demand 10; shortage 2 (t=2), 1 (t=3), 5 (t=10), 0.05 (t=15, below the 1 %
  failure tolerance), 0 otherwise; consumes 40 % of delivery, returns 60 % to ``ENV``.
  Link ``RES>MUN`` carries delivery + 0.5 and loses 0.5.
* ``IRR`` demand 30 in summer, 0 in winter; shortage 6 (t=18) and 12 (t=19); consumes 2/3
  of delivery (wheat 1/4 of it, cotton 3/4), returns 1/3 to ``ENV``. Link ``RES>IRR``
  carries delivery + 2 and loses 2 in summer, nothing in winter.
* ``RES>ENV`` carries 80 in summer, 60 in winter, and loses 1 every month.
* ``ENV`` requirement 100 in July and August, 50 otherwise; env_flow = all arrivals.
* Crops: 1 kg/m3 (wheat) and 0.5 kg/m3 (cotton) of net crop water; wheat 200 USD/t and
  100 USD/ha on 10 000 ha; cotton 400 USD/t and 300 USD/ha on 30 000 ha.
* Electricity (GWh/month): demand A 20, B 30; A thermal 5 in winter, exports 5 in summer;
  B imports 5 in summer, thermal 30 in winter and 25 in summer; thermal costs 60 USD/MWh,
  trade 55 USD/MWh; energy price A 50, B 60 USD/MWh.
* Marginal value (USD/m3): SRC, RES 0.02 in winter, 0.06 in summer; MUN 0.5; IRR 0.08 in
  summer, 0 in winter; ENV 0.01.

``scale`` multiplies every volume, energy, mass, money and area (not prices, levels or
heads): all ratios stay the same and the water balance still closes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.results.variables import VARIABLES

NODES = ["SRC", "RES", "MUN", "IRR", "ENV"]
NODE_TYPES = ["source", "reservoir", "municipal", "irrigation", "environment"]
NODE_COUNTRIES = ["A", "A", "A", "B", "B"]
NODE_NAMES = ["Upper source", "Main reservoir", "Capital city", "Lowland district", "Lake"]
LINKS = ["SRC>RES", "RES>MUN", "RES>IRR", "RES>ENV", "MUN>ENV", "IRR>ENV"]
COUNTRIES = ["A", "B"]
CROPS = ["wheat", "cotton"]
YEARS = [2020, 2021]
N_STEPS = 24

#: units that ``scale`` multiplies
_SCALED_UNITS = {"hm3", "GWh", "t", "USD", "ha"}


def make_results(scale: float = 1.0) -> xr.Dataset:
    """The synthetic results of one run (see the module docstring for every number)."""
    time = pd.date_range("2020-01-01", periods=N_STEPS, freq="MS")
    month = np.asarray(time.month)
    summer = (month >= 4) & (month <= 9)
    nan = np.full(N_STEPS, np.nan)
    zeros = np.zeros(N_STEPS)

    # municipal
    mun_demand = np.full(N_STEPS, 10.0)
    mun_short = zeros.copy()
    mun_short[[2, 3, 10, 15]] = [2.0, 1.0, 5.0, 0.05]
    mun_deliv = mun_demand - mun_short
    mun_cons = 0.4 * mun_deliv
    mun_ret = mun_deliv - mun_cons

    # irrigation
    irr_demand = np.where(summer, 30.0, 0.0)
    irr_short = zeros.copy()
    irr_short[[18, 19]] = [6.0, 12.0]
    irr_deliv = irr_demand - irr_short
    irr_cons = irr_deliv * 2.0 / 3.0
    irr_ret = irr_deliv - irr_cons

    # links (flow at the upstream end, loss along the link)
    link_flow = np.array(
        [
            np.full(N_STEPS, 100.0),  # SRC>RES
            mun_deliv + 0.5,  # RES>MUN
            np.where(summer, irr_deliv + 2.0, 0.0),  # RES>IRR
            np.where(summer, 80.0, 60.0),  # RES>ENV
            mun_ret,  # MUN>ENV
            irr_ret,  # IRR>ENV
        ]
    )
    link_loss = np.array(
        [zeros, np.full(N_STEPS, 0.5), np.where(summer, 2.0, 0.0), np.ones(N_STEPS), zeros, zeros]
    )

    # reservoir
    evap = np.ones(N_STEPS)
    release = link_flow[1] + link_flow[2] + link_flow[3]
    initial_storage = 500.0
    storage = initial_storage + np.cumsum(100.0 - evap - release)
    energy = np.where(summer, 25.0, 15.0)

    # environment (terminal lake)
    env_req = np.where((month == 7) | (month == 8), 100.0, 50.0)
    env_flow = (link_flow[3] - link_loss[3]) + mun_ret + irr_ret
    env_def = np.maximum(env_req - env_flow, 0.0)

    def node_var(**by_node: np.ndarray) -> np.ndarray:
        return np.array([by_node.get(n, nan) for n in NODES])

    data: dict[str, np.ndarray] = {
        "inflow": node_var(SRC=np.full(N_STEPS, 100.0)),
        "link_flow": link_flow,
        "link_loss": link_loss,
        "storage": node_var(RES=storage),
        "level": node_var(RES=400.0 + storage / 100.0),
        "evaporation": node_var(RES=evap),
        "release": node_var(RES=release),
        "turbine_flow": node_var(RES=release),
        "spill": node_var(RES=zeros),
        "head_m": node_var(RES=np.full(N_STEPS, 100.0)),
        "energy": node_var(RES=energy),
        "demand": node_var(MUN=mun_demand, IRR=irr_demand),
        "delivery": node_var(MUN=mun_deliv, IRR=irr_deliv),
        "shortage": node_var(MUN=mun_short, IRR=irr_short),
        "consumption": node_var(MUN=mun_cons, IRR=irr_cons),
        "return_flow": node_var(MUN=mun_ret, IRR=irr_ret),
        "env_requirement": node_var(ENV=env_req),
        "env_flow": node_var(ENV=env_flow),
        "env_deficit": node_var(ENV=env_def),
        "sink_inflow": node_var(),
    }

    # food: crop water is the district's consumption, 1/4 wheat and 3/4 cotton
    crop_share = np.array([0.25, 0.75])
    kg_per_m3 = np.array([1.0, 0.5])
    price_usd_t = np.array([200.0, 400.0])
    cost_usd_ha = np.array([100.0, 300.0])
    area_ha = np.array([10_000.0, 30_000.0])
    irr_crop_water = crop_share[:, None] * irr_cons[None, :]  # (crop, time)
    irr_crop_req = crop_share[:, None] * np.where(summer, 20.0, 0.0)[None, :]
    years = np.asarray(time.year)
    water_by_year = np.stack(
        [irr_crop_water[:, years == y].sum(axis=1) for y in YEARS], axis=1
    )  # (crop, year), hm3
    production = water_by_year * kg_per_m3[:, None] * 1000.0  # hm3 * kg/m3 * 1e6 / 1e3 = t
    area = np.repeat(area_ha[:, None], len(YEARS), axis=1)

    def crop_var(irr: np.ndarray) -> np.ndarray:
        out = np.full((len(NODES), *irr.shape), np.nan)
        out[NODES.index("IRR")] = irr
        return out

    data.update(
        crop_area=crop_var(area),
        crop_area_max=crop_var(area),
        crop_water=crop_var(irr_crop_water),
        crop_water_requirement=crop_var(irr_crop_req),
        production=crop_var(production),
        crop_revenue=crop_var(production * price_usd_t[:, None]),
        crop_cost=crop_var(area * cost_usd_ha[:, None]),
    )

    # electricity, countries A and B
    def country_var(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array([a, b])

    thermal = country_var(np.where(summer, 0.0, 5.0), np.where(summer, 25.0, 30.0))
    imports = country_var(zeros, np.where(summer, 5.0, 0.0))
    exports = country_var(np.where(summer, 5.0, 0.0), zeros)
    data.update(
        energy_demand=country_var(np.full(N_STEPS, 20.0), np.full(N_STEPS, 30.0)),
        hydropower=country_var(energy, zeros),
        thermal=thermal,
        imports=imports,
        exports=exports,
        unserved_energy=country_var(zeros, zeros),
        energy_surplus=country_var(zeros, zeros),
        thermal_cost=thermal * 1000.0 * 60.0,
        import_cost=imports * 1000.0 * 55.0,
        export_revenue=exports * 1000.0 * 55.0,
        energy_price=country_var(np.full(N_STEPS, 50.0), np.full(N_STEPS, 60.0)),
        # no generators or interconnectors in this basin: the aggregate thermal plant above
        other_generation=country_var(zeros, zeros),
        co2_emissions=country_var(zeros, zeros),
        generation=np.zeros((0, N_STEPS)),
        generation_cost=np.zeros((0, N_STEPS)),
        interconnector_flow=np.zeros((0, N_STEPS)),
        interconnector_loss=np.zeros((0, N_STEPS)),
        interconnector_cost=np.zeros((0, N_STEPS)),
    )

    # economics and rules
    season_value = np.where(summer, 0.06, 0.02)
    data.update(
        marginal_value=node_var(
            SRC=season_value,
            RES=season_value,
            MUN=np.full(N_STEPS, 0.5),
            IRR=np.where(summer, 0.08, 0.0),
            ENV=np.full(N_STEPS, 0.01),
        ),
        link_capacity_price=np.zeros((len(LINKS), N_STEPS)),
        env_rule_price=node_var(ENV=np.where(env_def > 0, 0.5, 0.0)),
        storage_bound_price=node_var(RES=zeros),
        storage_max_price=node_var(RES=zeros),
        residual_deficit=np.full((len(NODES), N_STEPS), np.nan),
        land_price=np.full((len(NODES), len(YEARS)), np.nan),
        resource_price=np.full((len(NODES), 0, len(YEARS)), np.nan),
        water_right_price=np.full((len(NODES), len(YEARS)), np.nan),
        storage_min_price=node_var(RES=zeros),
        link_reduced_cost=np.zeros((len(LINKS), N_STEPS)),
        link_min_flow_deficit=np.zeros((len(LINKS), N_STEPS)),
        storage_min_deficit=node_var(RES=zeros),
        water_balance_residual=np.zeros((len(NODES), N_STEPS)),
        initial_storage=np.array([np.nan, initial_storage, np.nan, np.nan, np.nan]),
    )

    data_vars = {}
    for name, spec in VARIABLES.items():
        values = data[name]
        if spec.units in _SCALED_UNITS:
            values = values * scale
        data_vars[name] = (spec.dims, values, {"units": spec.units, "long_name": spec.long_name})

    coords = {
        "time": time,
        "step_days": ("time", np.asarray(time.days_in_month, dtype=float), {"units": "d"}),
        "node": NODES,
        "node_type": ("node", NODE_TYPES),
        "node_country": ("node", NODE_COUNTRIES),
        "node_name": ("node", NODE_NAMES),
        "node_terminal": ("node", [n == "ENV" for n in NODES]),
        "link": LINKS,
        "link_from": ("link", [lk.split(">")[0] for lk in LINKS]),
        "link_to": ("link", [lk.split(">")[1] for lk in LINKS]),
        "crop": CROPS,
        "resource": np.array([], dtype=str),
        "country": COUNTRIES,
        "year": YEARS,
    }
    attrs = {
        "basin": "synthetic",
        "objective_musd": 100.0 * scale,
        "net_benefit_musd": 100.0 * scale,  # no tie-breaker or penalty in these made-up runs
        "penalties_musd": 0.0,
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def make_cube(scales: Mapping[str, float] | None = None, dim: str = "scenario") -> xr.Dataset:
    """Runs of :func:`make_results` stacked along a leading ``dim`` (``scenario`` or ``member``).

    ``scales`` maps each label to its ``scale`` (default ``{"base": 1.0, "dry": 0.5}``). The
    objective becomes a data variable ``objective_musd`` along ``dim``.
    """
    scales = dict(scales or {"base": 1.0, "dry": 0.5})
    runs = []
    for scale in scales.values():
        run = make_results(scale)
        for name in ("objective_musd", "net_benefit_musd", "penalties_musd"):
            run[name] = xr.DataArray(run.attrs.pop(name), attrs={"units": "million USD"})
        runs.append(run)
    cube = xr.concat(
        runs,
        dim=pd.Index(list(scales), name=dim),
        data_vars="all",
        coords="minimal",
        compat="override",
        join="exact",
    )
    return cube.transpose(dim, ...)
