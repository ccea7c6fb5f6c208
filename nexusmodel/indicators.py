"""Planning indicators: pure functions of a results Dataset.

Every function takes the Dataset that ``extract_results`` returns (variables, dims and units
in :mod:`nexusmodel.results.variables`) and returns an :class:`xarray.DataArray` or
:class:`xarray.Dataset` whose variables carry a ``units`` attribute. The functions reduce
over ``time`` and ``year`` only, so a scenario cube (an extra leading ``scenario`` dim) or
an ensemble (a ``member`` dim) gives one value per scenario or member.

Conventions
-----------
* The steps are calendar months: the horizon lasts ``n_steps / 12`` years, and "per year"
  means the horizon total divided by that (the mean annual value). Variables on the
  ``year`` dim (crops) are averaged over ``year``; both agree when the horizon is made of
  whole calendar years.
* Winter is October-March and summer April-September (the Central Asian irrigation
  season); a seasonal value "per year" is the seasonal total divided by the horizon years.
* ``by="node"`` keeps the node dim; ``by="country"`` sums nodes by their ``node_country``
  coordinate into a ``country`` dim; ``by="sector"`` sums them by ``node_type`` into a
  ``sector`` dim with the labels ``irrigation``, ``municipal``, ``demand`` and
  ``environment``. Ratios are computed from group totals (a ratio of sums, not a mean of
  node ratios).
* A ratio whose denominator is zero is NaN (e.g. the coverage of a node that demanded
  nothing).

Volumes are hm3 in the results (1 hm3 = 1e6 m3 = 1e-3 km3); energy GWh; money USD.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "DEMAND_TYPES",
    "PLANT_TYPES",
    "SECTORS",
    "SUMMER_MONTHS",
    "WINTER_MONTHS",
    "MissingVariableError",
    "agricultural_income",
    "co2_emissions",
    "energy_security",
    "env_compliance",
    "food_production",
    "hashimoto",
    "hydropower_generation",
    "income_per_m3",
    "key_results",
    "key_results_dict",
    "marginal_value_of_water",
    "reliability",
    "resilience",
    "supply_coverage",
    "terminal_inflow",
    "thermal_replacement",
    "vulnerability",
    "water_accounts",
    "water_productivity",
]

WINTER_MONTHS: tuple[int, ...] = (10, 11, 12, 1, 2, 3)
SUMMER_MONTHS: tuple[int, ...] = (4, 5, 6, 7, 8, 9)
#: node types whose water requirement is a ``demand`` met by a ``delivery``
DEMAND_TYPES: tuple[str, ...] = ("irrigation", "municipal", "demand")
#: the sectors of ``by="sector"``, in output order (environment: requirement and deficit)
SECTORS: tuple[str, ...] = ("irrigation", "municipal", "demand", "environment")
#: node types that can carry a hydropower plant
PLANT_TYPES: tuple[str, ...] = ("reservoir", "hydropower")

_KM3_PER_HM3 = 1e-3
_M3_PER_HM3 = 1e6
_MWH_PER_GWH = 1e3
_KG_PER_T = 1e3
_USD_PER_MUSD = 1e6
_BY_CHOICES = ("node", "country", "sector")


class MissingVariableError(KeyError):
    """The results Dataset lacks a variable or coordinate an indicator needs."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------------------------------
# helpers


def _var(ds: xr.Dataset, name: str) -> xr.DataArray:
    if name not in ds.variables:
        raise MissingVariableError(f"the results have no variable '{name}'")
    return ds[name]


def _units(da: xr.DataArray, units: str, long_name: str, name: str | None = None) -> xr.DataArray:
    """A copy of ``da`` with only ``units`` and ``long_name`` as attributes."""
    out = da.copy(deep=False)
    out.attrs = {"units": units, "long_name": long_name}
    if name is not None:
        out.name = name
    return out


def _n_years(ds: xr.Dataset) -> float:
    n = ds.sizes.get("time", 0)
    if n == 0:
        raise ValueError("the results have no time steps")
    return n / 12.0


def _str_coord(ds: xr.Dataset, name: str) -> np.ndarray:
    if name not in ds.coords and name not in ds.variables:
        raise MissingVariableError(f"the results have no coordinate '{name}' on the node dim")
    return np.asarray(ds[name].values).astype(str)


def _nodes_of_type(ds: xr.Dataset, types: Sequence[str]) -> np.ndarray:
    mask = np.isin(_str_coord(ds, "node_type"), list(types))
    return np.asarray(ds["node"].values)[mask]


def _node_label(ds: xr.Dataset, nodes: np.ndarray, coord: str) -> np.ndarray:
    index = pd.Index(np.asarray(ds["node"].values))
    return _str_coord(ds, coord)[index.get_indexer(nodes)]


def _applicable_nodes(da: xr.DataArray) -> np.ndarray:
    """Nodes where ``da`` has at least one non-NaN value."""
    others = [d for d in da.dims if d != "node"]
    mask = da.notnull().any(others) if others else da.notnull()
    return np.asarray(da["node"].values)[np.asarray(mask.values, dtype=bool)]


def _check_by(by: str, allowed: Sequence[str] = _BY_CHOICES) -> None:
    if by not in allowed:
        raise ValueError(f"by={by!r}: must be one of {', '.join(map(repr, allowed))}")


def _concat(
    parts: list[xr.DataArray], labels: Sequence, dim: str, position: int | None = None
) -> xr.DataArray:
    """Stack ``parts`` along a new ``dim`` (a plain numpy coordinate) placed at ``position``
    among the dims (default last), so that leading ``scenario``/``member`` dims stay first."""
    out = xr.concat(parts, dim=dim, coords="minimal", compat="override", join="outer")
    others = [d for d in out.dims if d != dim]
    others.insert(len(others) if position is None else position, dim)
    return out.assign_coords({dim: np.asarray(labels)}).transpose(*others)


def _group(da: xr.DataArray, ds: xr.Dataset, by: str) -> xr.DataArray:
    """Sum a node-dim array over the groups of ``by`` (unchanged for ``by="node"``)."""
    _check_by(by)
    if by == "node":
        return da
    nodes = np.asarray(da["node"].values)
    if by == "country":
        labels = _node_label(ds, nodes, "node_country")
        groups = sorted(set(labels))
    else:
        labels = _node_label(ds, nodes, "node_type")
        groups = [s for s in SECTORS if s in set(labels)]
    parts = [da.isel(node=np.flatnonzero(labels == g)).sum("node") for g in groups]
    if not parts:  # no node to group: an empty group dim
        return da.sum("node").expand_dims({by: np.array([], dtype=str)})
    return _concat(parts, groups, by, position=da.dims.index("node"))


def _ratio(num: xr.DataArray, den: xr.DataArray) -> xr.DataArray:
    """num / den, NaN where den is 0 (no division warning)."""
    return num / den.where(den != 0)


def _nanmean(da: xr.DataArray, dim: str | Sequence[str]) -> xr.DataArray:
    """Mean skipping NaN; NaN (no warning) where every value is NaN."""
    return _ratio(da.sum(dim), da.notnull().sum(dim))


def _season_mask(ds: xr.Dataset, season: str | None) -> np.ndarray:
    month = np.asarray(ds["time"].dt.month.values)
    if season is None:
        return np.ones(month.shape, dtype=bool)
    if season == "winter":
        return np.isin(month, WINTER_MONTHS)
    if season == "summer":
        return np.isin(month, SUMMER_MONTHS)
    raise ValueError(f"season={season!r}: must be None, 'winter' or 'summer'")


def _sum_by_year(da: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    """Totals per calendar year of the steps, on a ``year`` dim (partial years are partial)."""
    years = np.asarray(ds["time"].dt.year.values)
    uniq = sorted(set(years.tolist()))
    parts = [da.isel(time=np.flatnonzero(years == y)).sum("time") for y in uniq]
    return _concat(parts, uniq, "year", position=da.dims.index("time"))


def _requirement_table(ds: xr.Dataset, types: Sequence[str]) -> xr.Dataset:
    """Requirement, supplied volume and shortage (hm3, node x time) at nodes of ``types``.

    Demand nodes (irrigation, municipal, demand): ``demand``, ``delivery``, ``shortage``.
    Environment nodes: ``env_requirement``, requirement - ``env_deficit``, ``env_deficit``.
    NaN values at the selected nodes count as 0.
    """
    unknown = set(types) - set(SECTORS)
    if unknown:
        raise ValueError(f"node types {sorted(unknown)} have no requirement; use {SECTORS}")
    nodes = _nodes_of_type(ds, types)
    present = set(_node_label(ds, nodes, "node_type"))
    fields: dict[str, xr.DataArray] = {}
    if present & set(DEMAND_TYPES):
        demand = _var(ds, "demand")
        supplied = _var(ds, "delivery")
        shortage = ds["shortage"] if "shortage" in ds.variables else demand - supplied
        fields = {"demand": demand, "supplied": supplied, "shortage": shortage}
    if "environment" in present:
        req = _var(ds, "env_requirement")
        deficit = _var(ds, "env_deficit")
        env = {"demand": req, "supplied": req - deficit, "shortage": deficit}
        if fields:
            is_env = ds["node_type"] == "environment"
            fields = {
                k: xr.where(is_env, env[k], fields[k]).transpose(*fields[k].dims) for k in env
            }
        else:
            fields = env
    if not fields:  # no node of these types: empty node dim
        empty = xr.zeros_like(ds["time"], dtype=float).expand_dims(node=nodes)
        fields = {"demand": empty, "supplied": empty, "shortage": empty}
    return xr.Dataset({k: v.sel(node=nodes).fillna(0.0) for k, v in fields.items()})


# ---------------------------------------------------------------------------------------
# water supply


def supply_coverage(
    ds: xr.Dataset, by: str = "node", node_types: Sequence[str] = SECTORS
) -> xr.DataArray:
    """Share of the requirement that was supplied over the horizon (fraction, 0-1).

    coverage = sum over time of supplied / sum over time of required, where at irrigation,
    municipal and demand nodes supplied = ``delivery`` and required = ``demand``, and at
    environment nodes supplied = ``env_requirement - env_deficit`` and required =
    ``env_requirement``. With ``by="country"`` or ``"sector"`` both sums also run over the
    nodes of the group. NaN where nothing was required. ``node_types`` restricts the nodes.
    """
    _check_by(by)
    t = _requirement_table(ds, node_types)
    num = _group(t["supplied"].sum("time"), ds, by)
    den = _group(t["demand"].sum("time"), ds, by)
    return _units(_ratio(num, den), "1", "supply coverage (supplied / required)", "coverage")


def _failures(
    ds: xr.Dataset, by: str, tol: float, node_types: Sequence[str]
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    if tol < 0:
        raise ValueError(f"tol={tol}: must be >= 0")
    t = _requirement_table(ds, node_types)
    demand = _group(t["demand"], ds, by)
    shortage = _group(t["shortage"], ds, by)
    return shortage > tol * demand, demand, shortage


def reliability(
    ds: xr.Dataset, by: str = "node", tol: float = 0.01, node_types: Sequence[str] = DEMAND_TYPES
) -> xr.DataArray:
    """Hashimoto et al. (1982) reliability: share of months that are not failures (0-1).

    A month fails when shortage > ``tol`` * demand (``tol`` = 0.01: more than 1 % short).
    With ``by="country"`` or ``"sector"`` the demand and shortage of the group's nodes are
    summed first and the group is judged as one user.
    """
    _check_by(by)
    fail, _, _ = _failures(ds, by, tol, node_types)
    return _units(
        1.0 - fail.mean("time"), "1", "reliability (share of months without failure)", "reliability"
    )


def resilience(
    ds: xr.Dataset, by: str = "node", tol: float = 0.01, node_types: Sequence[str] = DEMAND_TYPES
) -> xr.DataArray:
    """Hashimoto et al. (1982) resilience: probability that a failure month is followed by a
    success month (0-1).

    resilience = (number of months t that fail while t+1 succeeds) / (number of failure
    months). A failure in the last month counts in the denominator (its recovery is not
    observed). 1.0 when there is no failure. Failure as in :func:`reliability`.
    """
    _check_by(by)
    fail, _, _ = _failures(ds, by, tol, node_types)
    following = fail.shift(time=-1, fill_value=True)  # after the horizon: no recovery seen
    recoveries = (fail & ~following).sum("time")
    n_fail = fail.sum("time")
    value = xr.where(n_fail > 0, _ratio(recoveries, n_fail), 1.0)
    return _units(value, "1", "resilience (P(success at t+1 | failure at t))", "resilience")


def vulnerability(
    ds: xr.Dataset,
    by: str = "node",
    tol: float = 0.01,
    relative: bool = True,
    node_types: Sequence[str] = DEMAND_TYPES,
) -> xr.DataArray:
    """Hashimoto et al. (1982) vulnerability: mean severity of the failure months.

    ``relative=True`` (default): mean over failure months of shortage / demand (fraction
    0-1). ``relative=False``: mean shortage volume over failure months (hm3 per failure
    month). 0.0 when there is no failure. Failure as in :func:`reliability`.
    """
    _check_by(by)
    fail, demand, shortage = _failures(ds, by, tol, node_types)
    severity = _ratio(shortage, demand) if relative else shortage
    n_fail = fail.sum("time")
    value = xr.where(n_fail > 0, _ratio(severity.where(fail).sum("time"), n_fail), 0.0)
    if relative:
        return _units(
            value, "1", "vulnerability (mean shortage / demand in failure months)", "vulnerability"
        )
    return _units(value, "hm3", "vulnerability (mean shortage in failure months)", "vulnerability")


def hashimoto(
    ds: xr.Dataset,
    by: str = "node",
    tol: float = 0.01,
    relative: bool = True,
    node_types: Sequence[str] = DEMAND_TYPES,
) -> xr.Dataset:
    """:func:`reliability`, :func:`resilience` and :func:`vulnerability` in one Dataset."""
    return xr.Dataset(
        {
            "reliability": reliability(ds, by=by, tol=tol, node_types=node_types),
            "resilience": resilience(ds, by=by, tol=tol, node_types=node_types),
            "vulnerability": vulnerability(
                ds, relative=relative, by=by, tol=tol, node_types=node_types
            ),
        },
        attrs={"tol": tol, "relative": int(relative)},
    )


def env_compliance(ds: xr.Dataset, tol: float = 1e-3) -> xr.Dataset:
    """Compliance with the environmental flow requirement at each environment node.

    * ``compliance``: share of months with ``env_deficit`` <= ``tol`` (hm3; default 1e-3
      hm3 = 1000 m3, a solver-noise allowance), fraction 0-1;
    * ``deficit_volume``: total ``env_deficit`` over the horizon (hm3).
    """
    nodes = _nodes_of_type(ds, ["environment"])
    deficit = _var(ds, "env_deficit").sel(node=nodes).fillna(0.0)
    return xr.Dataset(
        {
            "compliance": _units(
                (deficit <= tol).mean("time"),
                "1",
                "share of months meeting the environmental requirement",
            ),
            "deficit_volume": _units(
                deficit.sum("time"), "hm3", "environmental requirement not met over the horizon"
            ),
        },
        attrs={"tol_hm3": tol},
    )


def _terminal_nodes(ds: xr.Dataset) -> np.ndarray:
    env = _nodes_of_type(ds, ["environment"])
    if "node_terminal" in ds.variables:
        flag = np.asarray(ds["node_terminal"].sel(node=env).values, dtype=object) == 1
        return env[flag]  # True (or 1); False, NaN and None are not terminal
    has_outlet = set(np.asarray(ds["link_from"].values).astype(str)) if "link_from" in ds else set()
    return np.array([n for n in env if str(n) not in has_outlet], dtype=env.dtype)


def terminal_inflow(ds: xr.Dataset, nodes: Sequence[str] | None = None) -> xr.Dataset:
    """Inflow to the terminal lakes or seas (km3/yr).

    Terminal nodes are the environment nodes with ``node_terminal`` True (or, without that
    coordinate, the environment nodes no link leaves), unless ``nodes`` names them. The
    inflow is ``env_flow`` (``sink_inflow`` at a sink named in ``nodes``).

    * ``mean``: horizon total / horizon years, per node (km3/yr);
    * ``per_year``: total per calendar year of the steps, per node (km3/yr).
    """
    nodes_arr = _terminal_nodes(ds) if nodes is None else np.asarray(list(nodes))
    types = _node_label(ds, nodes_arr, "node_type")
    is_sink = types == "sink"
    if is_sink.any() and not is_sink.all():
        env = _var(ds, "env_flow")
        sink = _var(ds, "sink_inflow")
        flow = xr.where(ds["node_type"] == "sink", sink, env).transpose(*env.dims)
    else:
        flow = _var(ds, "sink_inflow" if is_sink.any() else "env_flow")
    flow = flow.sel(node=nodes_arr).fillna(0.0) * _KM3_PER_HM3
    return xr.Dataset(
        {
            "mean": _units(
                flow.sum("time") / _n_years(ds), "km3/yr", "mean annual inflow to the terminal node"
            ),
            "per_year": _units(
                _sum_by_year(flow, ds), "km3/yr", "inflow to the terminal node per calendar year"
            ),
        }
    )


# ---------------------------------------------------------------------------------------
# energy


def hydropower_generation(
    ds: xr.Dataset, by: str = "node", season: str | None = None
) -> xr.DataArray:
    """Mean annual hydropower generation (GWh/yr), from the plant variable ``energy``.

    ``season``: ``None`` (all months), ``"winter"`` (October-March) or ``"summer"``
    (April-September): the season's generation over the horizon / horizon years.
    ``by="node"``: every node with an ``energy`` value (plants); ``by="country"``: summed
    by the plant's ``node_country`` (where the plant stands, which may differ from the
    energy system it supplies).
    """
    _check_by(by, ("node", "country"))
    energy = _var(ds, "energy")
    energy = energy.sel(node=_applicable_nodes(energy)).fillna(0.0)
    energy = energy.isel(time=np.flatnonzero(_season_mask(ds, season)))
    total = _group(energy.sum("time"), ds, by) / _n_years(ds)
    label = f"{season} " if season else ""
    return _units(total, "GWh/yr", f"mean annual {label}hydropower generation", "hydropower")


def thermal_replacement(ds: xr.Dataset) -> xr.Dataset:
    """Thermal generation and its cost by country (the alternative to hydropower).

    * ``thermal``: mean annual ``thermal`` generation (GWh/yr);
    * ``thermal_cost``: mean annual ``thermal_cost`` (million USD/yr).
    """
    years = _n_years(ds)
    return xr.Dataset(
        {
            "thermal": _units(
                _var(ds, "thermal").fillna(0.0).sum("time") / years,
                "GWh/yr",
                "mean annual thermal generation",
            ),
            "thermal_cost": _units(
                _var(ds, "thermal_cost").fillna(0.0).sum("time") / years / _USD_PER_MUSD,
                "million USD/yr",
                "mean annual cost of thermal generation",
            ),
        }
    )


def energy_security(ds: xr.Dataset) -> xr.Dataset:
    """Energy security by country (the results' ``country`` dim):

    * ``unserved_energy``: mean annual ``unserved_energy`` (GWh/yr);
    * ``winter_imports``, ``winter_demand``: mean annual ``imports`` and ``energy_demand``
      in October-March (GWh/yr);
    * ``winter_import_dependence``: 100 x winter imports / winter demand (%; NaN without
      winter demand). Imports are trade with systems outside the model.
    """
    years = _n_years(ds)
    winter = np.flatnonzero(_season_mask(ds, "winter"))
    imports = _var(ds, "imports").fillna(0.0).isel(time=winter).sum("time") / years
    demand = _var(ds, "energy_demand").fillna(0.0).isel(time=winter).sum("time") / years
    return xr.Dataset(
        {
            "unserved_energy": _units(
                _var(ds, "unserved_energy").fillna(0.0).sum("time") / years,
                "GWh/yr",
                "mean annual unserved energy",
            ),
            "winter_imports": _units(imports, "GWh/yr", "mean annual winter imports"),
            "winter_demand": _units(demand, "GWh/yr", "mean annual winter electricity demand"),
            "winter_import_dependence": _units(
                100.0 * _ratio(imports, demand), "%", "winter imports / winter demand"
            ),
        }
    )


def co2_emissions(ds: xr.Dataset) -> xr.DataArray:
    """Mean annual CO2 from thermal generation by country (kt CO2/yr), from the results'
    ``co2_emissions`` (country, time; kt per step) when the power system gives it; NaN for
    every country of ``thermal`` when the results have no emissions."""
    if "co2_emissions" not in ds.variables:
        co2 = _var(ds, "thermal").isel(time=0, drop=True) * np.nan
    else:
        co2 = ds["co2_emissions"].fillna(0.0).sum("time") / _n_years(ds)
    return _units(co2, "kt/yr", "mean annual CO2 from thermal generation", "co2_emissions")


# ---------------------------------------------------------------------------------------
# food


def _crop_annual(ds: xr.Dataset, da: xr.DataArray, by: str) -> xr.DataArray:
    """Mean over ``year`` of a (node, crop, year) variable, summed by crop, node or country."""
    _check_by(by, ("crop", "node", "country"))
    da = da.sel(node=_applicable_nodes(da)).fillna(0.0).mean("year")
    if by == "crop":
        return da.sum("node")
    return _group(da.sum("crop"), ds, "country" if by == "country" else "node")


def food_production(ds: xr.Dataset, by: str = "crop") -> xr.DataArray:
    """Mean annual crop production (t/yr): ``production`` averaged over ``year``.

    ``by="crop"`` sums the districts; ``by="node"`` and ``by="country"`` sum the crops (a
    total mass of all crops) by district or by the district's country.
    """
    out = _crop_annual(ds, _var(ds, "production"), by)
    return _units(out, "t/yr", "mean annual crop production", "production")


def agricultural_income(ds: xr.Dataset, by: str = "crop") -> xr.DataArray:
    """Mean annual agricultural net income, ``crop_revenue - crop_cost`` (million USD/yr).

    Grouping as in :func:`food_production`.
    """
    income = _var(ds, "crop_revenue") - _var(ds, "crop_cost")
    out = _crop_annual(ds, income, by) / _USD_PER_MUSD
    return _units(
        out,
        "million USD/yr",
        "mean annual agricultural income (revenue - cost)",
        "agricultural_income",
    )


def water_productivity(ds: xr.Dataset) -> xr.Dataset:
    """Crop water productivity (kg/m3) on a net and a gross basis.

    * ``net_by_crop``: production / ``crop_water``, by crop over all districts. The water is
      the net irrigation water given to the crop at the field (no conveyance or field losses);
    * ``gross_by_district``: production of all crops / ``delivery`` at the district intake,
      by irrigation node (the water withdrawn, losses included).

    Totals over the horizon: production over ``year``, water over ``time`` (these should
    cover the same years).
    """
    production = _var(ds, "production")
    crop_water = _var(ds, "crop_water")
    prod_crop = production.fillna(0.0).sum(("node", "year")) * _KG_PER_T
    water_crop = crop_water.fillna(0.0).sum(("node", "time")) * _M3_PER_HM3
    districts = _nodes_of_type(ds, ["irrigation"])
    prod_node = production.sel(node=districts).fillna(0.0).sum(("crop", "year")) * _KG_PER_T
    delivery = _var(ds, "delivery").sel(node=districts).fillna(0.0).sum("time") * _M3_PER_HM3
    return xr.Dataset(
        {
            "net_by_crop": _units(
                _ratio(prod_crop, water_crop), "kg/m3", "crop production per m3 of net crop water"
            ),
            "gross_by_district": _units(
                _ratio(prod_node, delivery),
                "kg/m3",
                "crop production per m3 delivered to the district",
            ),
        }
    )


def _plant_value(ds: xr.Dataset, plants: np.ndarray) -> xr.DataArray:
    """Value of the energy of each plant and step, USD: energy (GWh) * 1000 * price (USD/MWh).

    The price is the ``energy_price`` of the plant's ``node_energy_country`` coordinate if
    the results have one, else of its ``node_country``.
    """
    coord = "node_energy_country" if "node_energy_country" in ds.variables else "node_country"
    countries = _node_label(ds, plants, coord)
    price = _var(ds, "energy_price").reindex(country=sorted(set(countries)))
    indexer = xr.DataArray(countries, dims="node", coords={"node": plants})
    price = price.sel(country=indexer).drop_vars("country")
    energy = _var(ds, "energy").sel(node=plants).fillna(0.0)
    return energy * _MWH_PER_GWH * price


def income_per_m3(ds: xr.Dataset, by: str = "sector") -> xr.Dataset:
    """Economic return per m3 of water (USD/m3), by node, country or sector.

    * ``irrigation``: agricultural income (``crop_revenue - crop_cost``) / ``delivery`` at
      the irrigation nodes: USD per m3 **withdrawn**;
    * ``hydropower``: value of the energy (``energy`` GWh x ``energy_price`` USD/MWh of the
      plant's country) / ``turbine_flow``: USD per m3 **turbined**. Turbined water is not a
      withdrawal (it stays in the river and may be used again downstream), so it is reported
      separately and must not be added to the irrigation figure.

    Municipal and other demands have no income variable in the results and are not reported.
    ``by="sector"`` gives one value of each over the basin; ``by="node"`` puts both on the
    node dim (NaN where a node is not a district or a plant); ``by="country"`` groups by
    ``node_country``. Totals over the horizon.
    """
    _check_by(by)
    districts = _nodes_of_type(ds, ["irrigation"])
    income = (_var(ds, "crop_revenue") - _var(ds, "crop_cost")).sel(node=districts)
    income = income.fillna(0.0).sum(("crop", "year"))
    withdrawn = _var(ds, "delivery").sel(node=districts).fillna(0.0).sum("time") * _M3_PER_HM3
    energy = _var(ds, "energy")
    plants = _applicable_nodes(energy)
    value = _plant_value(ds, plants).sum("time")
    turbined = _var(ds, "turbine_flow").sel(node=plants).fillna(0.0).sum("time") * _M3_PER_HM3
    if by == "sector":
        irr = _ratio(income.sum("node"), withdrawn.sum("node"))
        hyd = _ratio(value.sum("node"), turbined.sum("node"))
    else:
        group = "node" if by == "node" else "country"
        irr = _ratio(_group(income, ds, group), _group(withdrawn, ds, group))
        hyd = _ratio(_group(value, ds, group), _group(turbined, ds, group))
        irr, hyd = xr.align(irr.reset_coords(drop=True), hyd.reset_coords(drop=True), join="outer")
    return xr.Dataset(
        {
            "irrigation": _units(irr, "USD/m3", "agricultural income per m3 withdrawn"),
            "hydropower": _units(hyd, "USD/m3", "energy value per m3 turbined (not withdrawn)"),
        }
    )


# ---------------------------------------------------------------------------------------
# water accounts and values


def _incidence(ds: xr.Dataset, end: str) -> xr.DataArray:
    """(link, node) 1/0 matrix: the link's ``end`` (``link_from`` or ``link_to``) is the node."""
    ends = np.asarray(_var(ds, end).values).astype(str)
    nodes = np.asarray(ds["node"].values).astype(str)
    return xr.DataArray(
        (ends[:, None] == nodes[None, :]).astype(float),
        dims=("link", "node"),
        coords={"link": ds["link"].values, "node": ds["node"].values},
    )


def water_accounts(ds: xr.Dataset) -> xr.Dataset:
    """Water account of each country (km3/yr, mean annual), on a ``country`` dim.

    Countries are those of ``node_country``. Link flows are at the upstream end
    (``link_flow``) and lose ``link_loss`` on the way; a link between two countries is
    charged to the upstream country: its loss is in the upstream ``losses`` and the rest,
    ``link_flow - link_loss``, is the upstream ``passed_out`` and the downstream ``received``.

    * ``formed``: ``inflow`` (natural runoff) at the country's nodes;
    * ``received``: ``link_flow - link_loss`` of links from another country's node;
    * ``withdrawn``: ``delivery`` at irrigation, municipal and demand nodes (informative);
    * ``consumed``: ``consumption`` at the country's nodes;
    * ``returned``: ``return_flow`` at the country's nodes (informative: it flows on links);
    * ``evaporated``: reservoir ``evaporation``;
    * ``losses``: ``link_loss`` of links leaving the country's nodes;
    * ``passed_out``: ``link_flow - link_loss`` of links to another country's node;
    * ``to_sinks_and_terminals``: ``link_flow - link_loss`` arriving at the country's sinks
      and at its environment nodes that no link leaves (terminal lakes);
    * ``storage_change``: storage at the end of the horizon - ``initial_storage`` (a node
      variable, hm3). Without ``initial_storage`` the start storage is rebuilt from the first
      step's reservoir balance, which makes the first step's balance close by construction;
    * ``closure`` = formed + received - consumed - evaporated - losses - passed_out -
      to_sinks_and_terminals - storage_change: ~0 when every node balance closes (it is the
      sum of the ``water_balance_residual`` of the country's nodes).
    """
    years = _n_years(ds)
    nodes = np.asarray(ds["node"].values)
    countries = _node_label(ds, nodes, "node_country")
    node_country = dict(zip(nodes.astype(str), countries, strict=True))
    link_from = np.asarray(_var(ds, "link_from").values).astype(str)
    link_to = np.asarray(_var(ds, "link_to").values).astype(str)
    from_c = np.array([node_country[n] for n in link_from])
    to_c = np.array([node_country[n] for n in link_to])

    flow = _var(ds, "link_flow").fillna(0.0)
    loss = ds["link_loss"].fillna(0.0) if "link_loss" in ds.variables else xr.zeros_like(flow)
    arriving = flow - loss
    flow_t, loss_t, arriving_t = (x.sum("time") for x in (flow, loss, arriving))

    types = _node_label(ds, nodes, "node_type")
    outlets = set(link_from)
    terminal = {
        str(n)
        for n, t in zip(nodes, types, strict=True)
        if t == "sink" or (t == "environment" and str(n) not in outlets)
    }
    to_terminal = np.array([n in terminal for n in link_to])

    def node_total(name: str, which: np.ndarray | None = None) -> xr.DataArray:
        if name not in ds.variables:
            return xr.zeros_like(flow_t.isel(link=0, drop=True))
        da = ds[name] if which is None else ds[name].sel(node=which)
        return da.fillna(0.0).sum(("node", "time"))

    storage_change = _storage_change(ds, arriving, flow)
    demand_nodes = _nodes_of_type(ds, DEMAND_TYPES)
    rows: dict[str, list[xr.DataArray]] = {
        k: []
        for k in (
            "formed",
            "received",
            "withdrawn",
            "consumed",
            "returned",
            "evaporated",
            "losses",
            "passed_out",
            "to_sinks_and_terminals",
            "storage_change",
        )
    }
    uniq = sorted(set(countries))
    for c in uniq:
        in_c = nodes[countries == c]
        cross_in = np.flatnonzero((to_c == c) & (from_c != c))
        cross_out = np.flatnonzero((from_c == c) & (to_c != c))
        from_here = np.flatnonzero(from_c == c)
        sinks_here = np.flatnonzero((to_c == c) & to_terminal)
        rows["formed"].append(node_total("inflow", in_c))
        rows["received"].append(arriving_t.isel(link=cross_in).sum("link"))
        rows["withdrawn"].append(node_total("delivery", np.intersect1d(in_c, demand_nodes)))
        rows["consumed"].append(node_total("consumption", in_c))
        rows["returned"].append(node_total("return_flow", in_c))
        rows["evaporated"].append(node_total("evaporation", in_c))
        rows["losses"].append(loss_t.isel(link=from_here).sum("link"))
        rows["passed_out"].append(arriving_t.isel(link=cross_out).sum("link"))
        rows["to_sinks_and_terminals"].append(arriving_t.isel(link=sinks_here).sum("link"))
        rows["storage_change"].append(storage_change.sel(node=in_c).sum("node"))

    terms = {k: _concat(v, uniq, "country") * _KM3_PER_HM3 / years for k, v in rows.items()}
    terms["closure"] = (
        terms["formed"]
        + terms["received"]
        - terms["consumed"]
        - terms["evaporated"]
        - terms["losses"]
        - terms["passed_out"]
        - terms["to_sinks_and_terminals"]
        - terms["storage_change"]
    )
    names = {
        "formed": "natural runoff formed in the country",
        "received": "inflow received from upstream countries",
        "withdrawn": "water delivered to irrigation, municipal and demand nodes",
        "consumed": "water consumed",
        "returned": "return flows",
        "evaporated": "reservoir evaporation",
        "losses": "conveyance losses on links leaving the country's nodes",
        "passed_out": "outflow passed to downstream countries (after losses)",
        "to_sinks_and_terminals": "water reaching sinks and terminal lakes in the country",
        "storage_change": "change in reservoir storage over the horizon, per year",
        "closure": "balance closure (should be ~0)",
    }
    return xr.Dataset(
        {k: _units(v, "km3/yr", names[k]) for k, v in terms.items()},
        attrs={"units": "km3/yr"},
    )


def _storage_change(ds: xr.Dataset, arriving: xr.DataArray, flow: xr.DataArray) -> xr.DataArray:
    """End storage - start storage per node (hm3), 0 where the node stores nothing."""
    if "storage" not in ds.variables:
        return xr.zeros_like(ds["node"], dtype=float)
    storage = ds["storage"]
    end = storage.isel(time=-1).fillna(0.0)
    if "initial_storage" in ds.variables:
        start = ds["initial_storage"].fillna(0.0)
    else:
        # start = S_0 - (inflow + arrivals - departures - evaporation - consumption) at t0
        first = {"time": 0}
        arr = xr.dot(arriving.isel(first), _incidence(ds, "link_to"), dim="link")
        dep = xr.dot(flow.isel(first), _incidence(ds, "link_from"), dim="link")
        gain = arr - dep
        for name, sign in (("inflow", 1.0), ("evaporation", -1.0), ("consumption", -1.0)):
            if name in ds.variables:
                gain = gain + sign * ds[name].isel(first).fillna(0.0)
        start = storage.isel(first).fillna(0.0) - gain
    stores = storage.notnull().any("time")
    change = (end - start).where(stores, 0.0)
    return change.drop_vars(
        [c for c in change.coords if c not in change.dims and "node" not in change[c].dims]
    )


def marginal_value_of_water(ds: xr.Dataset, by_season: bool = True) -> xr.DataArray:
    """Mean marginal value of water (``marginal_value``, the dual of the node balance), USD/m3.

    Plain mean over the months (of the season with ``by_season=True``, giving a ``season``
    dim with ``winter`` = October-March and ``summer`` = April-September), at every node
    where it is defined.
    """
    mv = _var(ds, "marginal_value")
    mv = mv.sel(node=_applicable_nodes(mv))
    if not by_season:
        out = _nanmean(mv, "time")
    else:
        parts = [
            _nanmean(mv.isel(time=np.flatnonzero(_season_mask(ds, s))), "time")
            for s in ("winter", "summer")
        ]
        out = _concat(parts, ["winter", "summer"], "season")
    return _units(out, "USD/m3", "mean marginal value of water", "marginal_value")


# ---------------------------------------------------------------------------------------
# headline numbers

#: the names of :func:`key_results`, in order, with their units
KEY_RESULTS: dict[str, str] = {
    "objective_musd": "million USD",
    "net_benefit_musd": "million USD",
    "penalties_musd": "million USD",
    "irrigation_delivery_km3_per_yr": "km3/yr",
    "irrigation_demand_km3_per_yr": "km3/yr",
    "irrigation_coverage_pct": "%",
    "municipal_coverage_pct": "%",
    "food_production_kt_per_yr": "kt/yr",
    "agricultural_income_musd_per_yr": "million USD/yr",
    "hydropower_gwh_per_yr": "GWh/yr",
    "hydropower_winter_gwh_per_yr": "GWh/yr",
    "hydropower_summer_gwh_per_yr": "GWh/yr",
    "thermal_gwh_per_yr": "GWh/yr",
    "thermal_cost_musd_per_yr": "million USD/yr",
    "terminal_inflow_km3_per_yr": "km3/yr",
    "env_compliance_pct": "%",
}


def _objective(ds: xr.Dataset) -> xr.DataArray:
    if "objective_musd" in ds.data_vars:
        return ds["objective_musd"]
    if "objective_musd" in ds.attrs:
        return xr.DataArray(float(ds.attrs["objective_musd"]))
    raise MissingVariableError("the results have no 'objective_musd' (variable or attribute)")


def _attr(ds: xr.Dataset, name: str) -> xr.DataArray:
    """A figure kept as a variable (cubes) or an attribute (one run); NaN if neither."""
    if name in ds.data_vars:
        return ds[name]
    return xr.DataArray(float(ds.attrs.get(name, np.nan)))


def _sector_sums(ds: xr.Dataset, sector: str) -> tuple[xr.DataArray, xr.DataArray]:
    t = _requirement_table(ds, [sector])
    return t["supplied"].sum(("node", "time")), t["demand"].sum(("node", "time"))


def key_results(ds: xr.Dataset) -> xr.Dataset:
    """The headline numbers a planner reads first, one scalar variable each (per scenario or
    member in a cube). Names are stable and carry their units (see :data:`KEY_RESULTS`):

    * ``objective_musd``: the objective (variable or attribute ``objective_musd``);
    * ``net_benefit_musd``, ``penalties_musd``: the net benefit and the penalties shown
      apart (:mod:`nexusmodel.results.net_benefit`; NaN in results made before them);
    * ``irrigation_delivery_km3_per_yr``, ``irrigation_demand_km3_per_yr``: mean annual
      delivery and demand of the irrigation nodes; ``irrigation_coverage_pct`` = 100 x their
      ratio; ``municipal_coverage_pct`` likewise for municipal nodes;
    * ``food_production_kt_per_yr``: all crops (1 kt = 1000 t);
      ``agricultural_income_musd_per_yr``;
    * ``hydropower_gwh_per_yr``, ``hydropower_winter_gwh_per_yr`` (October-March),
      ``hydropower_summer_gwh_per_yr`` (April-September): all plants;
    * ``thermal_gwh_per_yr``, ``thermal_cost_musd_per_yr``: all countries;
    * ``terminal_inflow_km3_per_yr``: summed over the terminal nodes (NaN if none);
    * ``env_compliance_pct``: 100 x the mean over environment nodes of the share of
      compliant months (NaN if none).

    A number whose variables are missing from the results is NaN.
    """
    years = _n_years(ds)

    def irrigation() -> tuple[xr.DataArray, ...]:
        supplied, demand = _sector_sums(ds, "irrigation")
        return (
            supplied * _KM3_PER_HM3 / years,
            demand * _KM3_PER_HM3 / years,
            100.0 * _ratio(supplied, demand),
        )

    def municipal() -> xr.DataArray:
        supplied, demand = _sector_sums(ds, "municipal")
        return 100.0 * _ratio(supplied, demand)

    def terminal() -> xr.DataArray:
        mean = terminal_inflow(ds)["mean"]
        return mean.sum("node") if mean.sizes["node"] else xr.DataArray(np.nan)

    def compliance() -> xr.DataArray:
        share = env_compliance(ds)["compliance"]
        return 100.0 * share.mean("node") if share.sizes["node"] else xr.DataArray(np.nan)

    getters = {
        "objective_musd": lambda: _objective(ds),
        "net_benefit_musd": lambda: _attr(ds, "net_benefit_musd"),
        "penalties_musd": lambda: _attr(ds, "penalties_musd"),
        "irrigation_delivery_km3_per_yr": lambda: irrigation()[0],
        "irrigation_demand_km3_per_yr": lambda: irrigation()[1],
        "irrigation_coverage_pct": lambda: irrigation()[2],
        "municipal_coverage_pct": municipal,
        "food_production_kt_per_yr": lambda: food_production(ds, "crop").sum("crop") / 1e3,
        "agricultural_income_musd_per_yr": lambda: agricultural_income(ds, "crop").sum("crop"),
        "hydropower_gwh_per_yr": lambda: hydropower_generation(ds).sum("node"),
        "hydropower_winter_gwh_per_yr": lambda: hydropower_generation(ds, season="winter").sum(
            "node"
        ),
        "hydropower_summer_gwh_per_yr": lambda: hydropower_generation(ds, season="summer").sum(
            "node"
        ),
        "thermal_gwh_per_yr": lambda: thermal_replacement(ds)["thermal"].sum("country"),
        "thermal_cost_musd_per_yr": lambda: thermal_replacement(ds)["thermal_cost"].sum("country"),
        "terminal_inflow_km3_per_yr": terminal,
        "env_compliance_pct": compliance,
    }
    out = {}
    for name, get in getters.items():
        try:
            value = get()
        except MissingVariableError:
            value = xr.DataArray(np.nan)
        value = value.drop_vars([c for c in value.coords if c not in value.dims])
        out[name] = _units(value, KEY_RESULTS[name], name.replace("_", " "))
    return xr.Dataset(out)


def key_results_dict(ds: xr.Dataset) -> dict[str, float]:
    """:func:`key_results` of a single run as ``{name: float}`` (ValueError for a cube)."""
    kr = key_results(ds)
    extra = list(kr.dims)
    if extra:
        raise ValueError(f"key_results_dict needs a single run; the results have dims {extra}")
    return {str(name): float(kr[name].values) for name in kr.data_vars}
