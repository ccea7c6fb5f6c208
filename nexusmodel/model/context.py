"""BuildContext: what every component needs to build itself, computed once as arrays.

Scaling used throughout the model: water in hm3 per step, energy in GWh, money in million
USD (MUSD), crop areas in thousand ha (kha), production in thousand tonnes (kt).
USD/m3 and MUSD/hm3 are the same number, which keeps duals readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import Basin, BasinSeries, horizon_series
from nexusmodel.basin.schema import EnvironmentNode
from nexusmodel.model.options import ModelOptions
from nexusmodel.timeaxis import TimeAxis, make_time_axis

#: GWh produced by 1 hm3 falling 1 m at efficiency 1 (rho * g / 3.6e12 * 1e6).
GWH_PER_HM3_M = 0.002725


class Term(NamedTuple):
    """``coef[t] * var[key, t - lag]`` on the outflow side of node ``node``'s water balance."""

    node: str
    coef: np.ndarray
    var: object  # an indexed Pyomo Var or Expression, indexed (key, t)
    key: str
    lag: int = 0


class Rule(NamedTuple):
    """A rule with a named, non-negative slack: what it is, in the planner's words."""

    name: str  # e.g. "environmental annual target"
    slack: object  # indexed Pyomo Var (key, time-or-year)
    unit: str  # unit of the slack, e.g. "hm3"
    period: str  # "step" or "year": what the slack's second index is
    describe: str  # template, e.g. "{name} at {node} in {when}: short by {value:.1f} {unit}"


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

    @property
    def years(self) -> list[int]:
        return sorted(set(self.axis.years.tolist()))

    def steps_of_year(self, year: int) -> np.ndarray:
        return np.flatnonzero(self.axis.years == year)

    @property
    def discount(self) -> np.ndarray:
        """Discount factor of each step, (1 + r) ** -(years since the start)."""
        return (1.0 + self.options.discount_rate) ** -self.axis.years_since_start

    def year_discount(self, year: int) -> float:
        return float(self.discount[self.steps_of_year(year)[0]])

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
    def links_out(self, node: str) -> list[str]:
        return [link.id for link in self.basin.links if link.from_ == node]

    def links_in(self, node: str) -> list[str]:
        return [link.id for link in self.basin.links if link.to == node]

    def is_outlet(self, node: str) -> bool:
        spec = self.basin.nodes[node]
        return spec.type == "sink" or (isinstance(spec, EnvironmentNode) and spec.terminal)

    def priority_weight(self, node_type: str) -> float:
        """Weight per hm3 of the priority objective: each rank outweighs all lower ranks."""
        ranks = self.options.priorities
        rank = ranks.get(node_type, max(ranks.values()) + 1)
        return float(10.0 ** (max(ranks.values()) + 1 - rank))
