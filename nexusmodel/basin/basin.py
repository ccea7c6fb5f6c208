"""The Basin: an immutable, validated network with its tables and (once a horizon is set) series.

A Basin is made by :func:`nexusmodel.basin.load.load_basin` and never changed afterwards:
scenarios and horizons make new Basins (:func:`dataclasses.replace`). Tables hold the basin
files as tidy pandas objects; ``series`` holds monthly exogenous data over a planning horizon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from nexusmodel.basin.schema import (
    BasinFile,
    EnergySystemNode,
    HydropowerNode,
    LinkSpec,
    Node,
    ReservoirNode,
)

MONTHS = tuple(range(1, 13))
#: Mean days of each calendar month (February 28.25), for the mean year of a climatology.
MEAN_MONTH_DAYS = (31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SECONDS_PER_DAY = 86_400.0


CROP_COLUMNS = ["ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"]
MUNICIPAL_COLUMNS = ["population", "per_capita_l_per_day", "industrial_hm3_per_year"]
ENERGY_COLUMNS = [
    "demand_gwh",
    "thermal_cost_usd_per_mwh",
    "import_price_usd_per_mwh",
    "export_price_usd_per_mwh",
]


@dataclass(frozen=True)
class BasinTables:
    """The CSV tables of a basin, each as read and checked, in the file's units.

    - ``inflows``: monthly climatology, index month 1..12, one column per source (m3/s)
    - ``inflows_historical``: optional monthly series, DatetimeIndex (MS), columns sources (m3/s)
    - ``evaporation``: index reservoir id, columns 1..12, net evaporation (mm/month)
    - ``level_area_storage``: reservoir id -> DataFrame[level_m, area_km2, storage_hm3]
    - ``rule_curves``: index (node, bound in {min, max}), columns 1..12 (hm3)
    - ``crops``: index crop: ky, max_yield_t_per_ha, price_usd_per_t, cost_usd_per_ha
    - ``crop_water_requirements``: index crop, columns 1..12, net irrigation need (mm/month)
    - ``irrigated_areas``: Series indexed (node, crop), area (ha)
    - ``municipal``: index node: population, per_capita_l_per_day, industrial_hm3_per_year
    - ``energy``: index (node, month): demand_gwh, thermal_cost_usd_per_mwh,
      import_price_usd_per_mwh, export_price_usd_per_mwh
    """

    inflows: pd.DataFrame
    inflows_historical: pd.DataFrame | None = None
    evaporation: pd.DataFrame = field(default_factory=lambda: _empty(list(MONTHS)))
    level_area_storage: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    rule_curves: pd.DataFrame = field(
        default_factory=lambda: _empty(list(MONTHS), ["node", "bound"])
    )
    crops: pd.DataFrame = field(default_factory=lambda: _empty(CROP_COLUMNS, ["crop"]))
    crop_water_requirements: pd.DataFrame = field(
        default_factory=lambda: _empty(list(MONTHS), ["crop"])
    )
    irrigated_areas: pd.Series = field(
        default_factory=lambda: pd.Series(
            dtype=float, index=pd.MultiIndex.from_tuples([], names=["node", "crop"])
        )
    )
    municipal: pd.DataFrame = field(default_factory=lambda: _empty(MUNICIPAL_COLUMNS))
    energy: pd.DataFrame = field(default_factory=lambda: _empty(ENERGY_COLUMNS, ["node", "month"]))


def _empty(columns: list, index: list[str] | None = None) -> pd.DataFrame:
    """An empty table with the columns (and index levels) of a basin table that is absent."""
    names = index or ["node"]
    keys: pd.Index = (
        pd.MultiIndex.from_arrays([[] for _ in names], names=names)
        if len(names) > 1
        else pd.Index([], name=names[0], dtype=object)
    )
    return pd.DataFrame(index=keys, columns=pd.Index(columns), dtype=float)


@dataclass(frozen=True)
class BasinSeries:
    """Exogenous monthly data over a planning horizon (index: month starts, freq MS).

    Made from the tables by :func:`horizon_series` and changed by scenario drivers.
    Units: inflow m3/s (mean over the month); evaporation and crop water need mm/month;
    municipal and demand hm3/month; energy demand GWh/month; prices USD/MWh, USD/t, USD/ha;
    areas ha (by year); rule curves hm3; environmental minimum flow m3/s.
    """

    inflow_m3s: pd.DataFrame
    evaporation_mm: pd.DataFrame
    crop_water_mm: pd.DataFrame
    municipal_hm3: pd.DataFrame
    demand_hm3: pd.DataFrame
    energy_demand_gwh: pd.DataFrame
    thermal_cost_usd_per_mwh: pd.DataFrame
    import_price_usd_per_mwh: pd.DataFrame
    export_price_usd_per_mwh: pd.DataFrame
    rule_min_hm3: pd.DataFrame
    rule_max_hm3: pd.DataFrame
    env_min_m3s: pd.DataFrame
    area_max_ha: pd.DataFrame  # index year, columns MultiIndex (node, crop)
    crop_price_usd_per_t: pd.DataFrame  # index year, columns crop
    crop_cost_usd_per_ha: pd.DataFrame  # index year, columns crop

    @property
    def months(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.inflow_m3s.index)


class SeasonShare(NamedTuple):
    """Share of a reservoir's annual release that must (min) or may (max) fall in ``months``."""

    node: str
    months: tuple[int, ...]
    min_share: float | None  # fraction 0..1
    max_share: float | None
    hard: bool
    penalty_usd_per_m3: float


class MinRelease(NamedTuple):
    """Agreed minimum release of a reservoir by calendar month (0 = none that month)."""

    node: str
    release_m3s: tuple[float, ...]  # 12 values, January..December
    hard: bool
    penalty_usd_per_m3: float


class SpillCap(NamedTuple):
    """Cap on the water sent to a sink (all links into it except return channels)."""

    node: str
    max_hm3_per_year: float | None
    max_m3s: float | None
    hard: bool
    penalty_usd_per_m3: float


class WithdrawalLimit(NamedTuple):
    """A country's agreed limit on what its water users take in ``months`` of each year."""

    country: str
    months: tuple[int, ...]
    max_hm3_per_year: float
    hard: bool
    penalty_usd_per_m3: float


@dataclass(frozen=True)
class Policy:
    """Operating rules a scenario adds (read by ``model.components.release_rules`` and
    ``model.components.withdrawal_limits``)."""

    season_shares: tuple[SeasonShare, ...] = ()
    min_releases: tuple[MinRelease, ...] = ()
    spill_caps: tuple[SpillCap, ...] = ()
    withdrawal_limits: tuple[WithdrawalLimit, ...] = ()
    #: the water-for-energy exchange (``model.components.exchange``), a scenario schema object
    exchange: Any = None

    def __bool__(self) -> bool:
        return bool(
            self.season_shares
            or self.min_releases
            or self.spill_caps
            or self.withdrawal_limits
            or self.exchange is not None
        )


@dataclass(frozen=True)
class Basin:
    """A validated basin network: nodes, links, tables and optional horizon series."""

    spec: BasinFile
    tables: BasinTables
    path: Path
    series: BasinSeries | None = None
    policy: Policy = field(default_factory=Policy)  # scenario operating rules
    #: the file that set each scenario setting ("policy.agreed_releases.R_TOK.minimum.6"),
    #: so that an infeasible rule is traced to its file and key
    settings_origin: Mapping[str, Path] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def nodes(self) -> dict[str, Node]:
        return {n.id: n for n in self.spec.nodes}

    @property
    def links(self) -> tuple[LinkSpec, ...]:
        return tuple(self.spec.links)

    def nodes_of_type(self, *types: str) -> list[Node]:
        return [n for n in self.spec.nodes if n.type in types]

    def ids_of_type(self, *types: str) -> list[str]:
        return [n.id for n in self.nodes_of_type(*types)]

    @property
    def water_node_ids(self) -> list[str]:
        """Every node that carries water (all but the energy systems), in file order."""
        return [n.id for n in self.spec.nodes if n.type != "energy_system"]

    def energy_system_of(self, node: ReservoirNode | HydropowerNode) -> str:
        """The energy-system node a plant delivers to: explicit, or its country's."""
        explicit = (
            node.hydropower.energy_system
            if isinstance(node, ReservoirNode) and node.hydropower
            else getattr(node, "energy_system", None)
        )
        if explicit:
            return explicit
        for es in self.nodes_of_type("energy_system"):
            if isinstance(es, EnergySystemNode) and es.country == node.country:
                return es.id
        return ""

    def with_series(self, series: BasinSeries) -> Basin:
        """A new Basin with these horizon series (the original is unchanged)."""
        return replace(self, series=series)

    def with_origin(self, origin: Mapping[str, Path]) -> Basin:
        """A new Basin that remembers which scenario file set each setting."""
        return replace(self, settings_origin=dict(origin))

    def with_policy(self, policy: Policy) -> Basin:
        """A new Basin with these operating rules (scenario policy)."""
        return replace(self, policy=policy)

    def with_spec(self, spec: BasinFile) -> Basin:
        """A new Basin with a changed network (scenario infrastructure changes)."""
        new = replace(self, spec=spec)
        new.__dict__.pop("nodes", None)
        return new


def month_days(index: pd.DatetimeIndex) -> np.ndarray:
    """Days in each month of a monthly index."""
    return np.asarray(index.days_in_month, dtype=float)


def m3s_to_hm3(rate_m3s: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Volume in hm3 of a mean rate in m3/s sustained for ``days`` days."""
    return rate_m3s * days * SECONDS_PER_DAY / 1e6


def _by_month(table: pd.DataFrame, months: pd.DatetimeIndex, columns: list[str]) -> pd.DataFrame:
    """Repeat a 12-month table (index ids, columns 1..12) over monthly steps."""
    if not columns:
        return pd.DataFrame(index=months)
    values = table.loc[columns, list(MONTHS)].to_numpy(dtype=float)  # ids x 12
    return pd.DataFrame(values[:, months.month - 1].T, index=months, columns=columns)


def horizon_series(
    basin: Basin, start: str | pd.Timestamp, years: int, hydrology: str = "climatology"
) -> BasinSeries:
    """Monthly exogenous series over ``years`` years from ``start``, from the basin tables.

    ``hydrology`` is ``"climatology"`` (the mean year repeated) or ``"historical"`` (the
    historical table, which must cover the horizon).
    """
    months = pd.date_range(pd.Timestamp(start), periods=12 * years, freq="MS")
    t = basin.tables
    sources = basin.ids_of_type("source")
    if hydrology == "historical":
        if t.inflows_historical is None:
            raise ValueError("the basin has no historical inflow table (inflows_historical)")
        hist = t.inflows_historical.reindex(months)
        if hist[sources].isna().to_numpy().any():
            first, last = t.inflows_historical.index[[0, -1]]
            raise ValueError(
                f"the historical inflows cover {first:%Y-%m} to {last:%Y-%m}, "
                f"not the horizon {months[0]:%Y-%m} to {months[-1]:%Y-%m}"
            )
        inflow = hist[sources].astype(float)
    else:
        clim = t.inflows[sources].to_numpy(dtype=float)  # 12 x sources
        inflow = pd.DataFrame(clim[months.month - 1], index=months, columns=sources)

    reservoirs = basin.ids_of_type("reservoir")
    evap = _by_month(t.evaporation, months, [r for r in reservoirs if r in t.evaporation.index])
    evaporation = evap.reindex(columns=reservoirs, fill_value=0.0)
    crops = list(t.crops.index)
    crop_water = _by_month(t.crop_water_requirements, months, crops)

    municipal_ids = basin.ids_of_type("municipal")
    days = month_days(months)
    mun = {}
    for node in municipal_ids:
        row = t.municipal.loc[node]
        per_day_hm3 = row.population * row.per_capita_l_per_day / 1e9
        industrial_per_day = row.industrial_hm3_per_year / 365.25
        mun[node] = (per_day_hm3 + industrial_per_day) * days
    municipal = pd.DataFrame(mun, index=months, columns=municipal_ids)

    demand_nodes = basin.nodes_of_type("demand")
    demand = pd.DataFrame(
        {n.id: np.asarray(n.monthly_demand_hm3)[months.month - 1] for n in demand_nodes},  # type: ignore[union-attr]
        index=months,
        columns=[n.id for n in demand_nodes],
    )

    energy_ids = basin.ids_of_type("energy_system")

    def energy_column(col: str) -> pd.DataFrame:
        if not energy_ids:
            return pd.DataFrame(index=months)
        wide = t.energy[col].unstack("node").reindex(columns=energy_ids)  # month x node
        return pd.DataFrame(
            wide.loc[list(months.month)].to_numpy(dtype=float), index=months, columns=energy_ids
        )

    def rule(bound: str, default: float) -> pd.DataFrame:
        out = pd.DataFrame(default, index=months, columns=reservoirs, dtype=float)
        for r in reservoirs:
            if (r, bound) in t.rule_curves.index:
                values = t.rule_curves.loc[(r, bound), list(MONTHS)].to_numpy(dtype=float)
                out[r] = values[months.month - 1]
        return out

    env_nodes = basin.nodes_of_type("environment")
    env = {}
    for n in env_nodes:
        flow = n.min_flow_m3s  # type: ignore[union-attr]
        values = np.asarray(flow if isinstance(flow, list) else [flow] * 12, dtype=float)
        env[n.id] = values[months.month - 1]
    env_min = pd.DataFrame(env, index=months, columns=[n.id for n in env_nodes])

    years_index = pd.Index(sorted(set(months.year)), name="year")
    areas = t.irrigated_areas
    area_max = pd.DataFrame(
        np.tile(areas.to_numpy(dtype=float), (len(years_index), 1)),
        index=years_index,
        columns=areas.index,
    )
    price = pd.DataFrame(
        np.tile(t.crops["price_usd_per_t"].to_numpy(dtype=float), (len(years_index), 1)),
        index=years_index,
        columns=crops,
    )
    cost = pd.DataFrame(
        np.tile(t.crops["cost_usd_per_ha"].to_numpy(dtype=float), (len(years_index), 1)),
        index=years_index,
        columns=crops,
    )
    return BasinSeries(
        inflow_m3s=inflow,
        evaporation_mm=evaporation,
        crop_water_mm=crop_water,
        municipal_hm3=municipal,
        demand_hm3=demand,
        energy_demand_gwh=energy_column("demand_gwh"),
        thermal_cost_usd_per_mwh=energy_column("thermal_cost_usd_per_mwh"),
        import_price_usd_per_mwh=energy_column("import_price_usd_per_mwh"),
        export_price_usd_per_mwh=energy_column("export_price_usd_per_mwh"),
        rule_min_hm3=rule("min", 0.0),
        rule_max_hm3=rule("max", np.inf),
        env_min_m3s=env_min,
        area_max_ha=area_max,
        crop_price_usd_per_t=price,
        crop_cost_usd_per_ha=cost,
    )
