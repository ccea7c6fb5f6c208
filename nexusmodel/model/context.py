"""BuildContext: what every component needs to build itself, computed once as arrays.

Scaling used throughout the model: water in hm3 per step, energy in GWh, money in million
USD (MUSD), crop areas in thousand ha (kha), production in thousand tonnes (kt).
USD/m3 and MUSD/hm3 are the same number, which keeps duals readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import Basin, BasinSeries, horizon_series
from nexusmodel.basin.schema import EnvironmentNode
from nexusmodel.model.options import ModelOptions
from nexusmodel.timeaxis import TimeAxis, make_time_axis

N = TypeVar("N")


def nodes_of_class(basin: Basin, kind: type[N]) -> dict[str, N]:
    """The basin's nodes of one schema class (e.g. ``ReservoirNode``) by id, in file order:
    typed, where ``basin.nodes`` gives the union of every node class."""
    return {n.id: n for n in basin.spec.nodes if isinstance(n, kind)}


#: GWh produced by 1 hm3 falling 1 m at efficiency 1 (rho * g / 3.6e12 * 1e6).
GWH_PER_HM3_M = 0.002725


def elapsed_years(step_starts: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Time from the first step's start to each step's start (years of 365.25 days)."""
    starts = pd.DatetimeIndex(step_starts)
    return np.asarray((starts - starts[0]).days, dtype=float) / 365.25


def discount_factors(rate: float, step_starts: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """The one discounting of the package: (1 + rate) ** -(years since the first step's
    start) for each step (1 on the first step; ``rate`` per year). The build, the in-place
    updates, every window of rolling and simulate runs and the value of foresight use it."""
    return (1.0 + rate) ** -elapsed_years(step_starts)


class Term(NamedTuple):
    """``coef[t] * var[key, t - lag]`` on the outflow side of node ``node``'s water balance."""

    node: str
    coef: np.ndarray
    var: object  # an indexed Pyomo Var or Expression, indexed (key, t)
    key: tuple[str | int, ...]  # the index of var before the step, e.g. (link id,)
    lag: int = 0


class Rule(NamedTuple):
    """A rule with a named, non-negative slack: what it is, in the planner's words."""

    name: str  # e.g. "environmental annual target"
    slack: object  # indexed Pyomo Var (key, time-or-year)
    unit: str  # unit of the slack, e.g. "hm3"
    period: str  # "step" or "year": what the slack's second index is
    describe: str  # template, e.g. "{name} at {node} in {when}: short by {value:.1f} {unit}"


class _AxisCache:
    """Arrays of one time axis that the build asks for again and again (read-only use)."""

    def __init__(self, axis: TimeAxis) -> None:
        self.axis = axis
        self.step_years = axis.years
        self.years = sorted(set(self.step_years.tolist()))
        self._steps: dict[int, np.ndarray] = {}
        self._discount: dict[float, np.ndarray] = {}

    def steps_of_year(self, year: int) -> np.ndarray:
        if year not in self._steps:
            self._steps[year] = np.flatnonzero(self.step_years == year)
        return self._steps[year]

    def discount(self, rate: float) -> np.ndarray:
        if rate not in self._discount:
            self._discount[rate] = discount_factors(rate, self.axis.start)
        return self._discount[rate]


@dataclass
class BuildContext:
    """The basin as arrays on the time axis, shared by all components of one build."""

    basin: Basin
    series: BasinSeries
    options: ModelOptions
    axis: TimeAxis
    water_nodes: list[str]
    link_ids: list[str]
    rules: list[Rule] = field(default_factory=list)

    @classmethod
    def from_basin(cls, basin: Basin, options: ModelOptions) -> BuildContext:
        series = basin.series or horizon_series(basin, "2025-01", 1)
        axis = make_time_axis(series.months, options.step)
        return cls(
            basin=basin,
            series=series,
            options=options,
            axis=axis,
            water_nodes=basin.water_node_ids,
            link_ids=[link.id for link in basin.links],
        )

    # --- time -----------------------------------------------------------------------------
    @property
    def steps(self) -> range:
        return range(len(self.axis))

    def _of_axis(self) -> _AxisCache:
        """Values derived from the time axis, computed once per axis (the axis may be swapped)."""
        cache = self.__dict__.get("_axis_cache")
        if cache is None or cache.axis is not self.axis:
            cache = _AxisCache(self.axis)
            self.__dict__["_axis_cache"] = cache
        return cache

    @property
    def years(self) -> list[int]:
        return list(self._of_axis().years)

    def steps_of_year(self, year: int) -> np.ndarray:
        return self._of_axis().steps_of_year(year).copy()

    @property
    def discount(self) -> np.ndarray:
        """Discount factor of each step, (1 + r) ** -(years since the start)."""
        return self._of_axis().discount(self.options.discount_rate).copy()

    def year_discount(self, year: int) -> float:
        cache = self._of_axis()
        return float(cache.discount(self.options.discount_rate)[cache.steps_of_year(year)[0]])

    def m3s_to_hm3(self, rate_m3s: np.ndarray | float) -> np.ndarray:
        """A rate (m3/s, per step or constant) as a volume per step (hm3)."""
        return np.asarray(rate_m3s, dtype=float) * self.axis.seconds / 1e6

    def mw_to_gwh(self, mw: float) -> np.ndarray:
        """Energy (GWh) a capacity (MW) delivers over each step."""
        return mw * self.axis.hours / 1000.0

    def monthly(self, frame: pd.DataFrame, column: str, kind: str) -> np.ndarray:
        """One column of a monthly series on the steps ("rate" repeats, "volume" shares)."""
        return self.axis.per_step(frame[column].to_numpy(dtype=float), kind)  # type: ignore[arg-type]

    # --- network ----------------------------------------------------------------------------
    def _links_by_node(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Outgoing and incoming link ids of every node, once per basin (it may be swapped)."""
        cache = self.__dict__.get("_link_cache")
        if cache is None or cache[0] is not self.basin:
            out: dict[str, list[str]] = {}
            into: dict[str, list[str]] = {}
            for link in self.basin.links:
                out.setdefault(link.from_, []).append(link.id)
                into.setdefault(link.to, []).append(link.id)
            cache = (self.basin, out, into)
            self.__dict__["_link_cache"] = cache
        return cache[1], cache[2]

    def links_out(self, node: str) -> list[str]:
        return list(self._links_by_node()[0].get(node, ()))

    def links_in(self, node: str) -> list[str]:
        return list(self._links_by_node()[1].get(node, ()))

    def is_outlet(self, node: str) -> bool:
        spec = self.basin.nodes[node]
        return spec.type == "sink" or (isinstance(spec, EnvironmentNode) and spec.terminal)

    def priority_weight(self, node_type: str) -> float:
        """Weight per hm3 of the priority objective: each rank outweighs all lower ranks."""
        ranks = self.options.priorities
        rank = ranks.get(node_type, max(ranks.values()) + 1)
        return float(10.0 ** (max(ranks.values()) + 1 - rank))
