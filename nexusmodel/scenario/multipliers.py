"""Driver multipliers on the horizon's months (:class:`DriverSeries`), problems named by key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from nexusmodel.errors import Problem
from nexusmodel.scenario import drivers
from nexusmodel.scenario.keys import where_set
from nexusmodel.scenario.load import Scenario
from nexusmodel.scenario.schema import Change, Growth, MonthlyChange

__all__ = ["DriverSeries", "scale_columns"]


class DriverSeries:
    """Multiplier series on the horizon's months, with problems named by scenario key."""

    def __init__(self, scenario: Scenario, months: pd.DatetimeIndex) -> None:
        self.scenario = scenario
        self.months = months
        self.problems: list[Problem] = []

    def call(self, key: str, fn: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
        try:
            return np.asarray(fn(*args), dtype=float)
        except ValueError as exc:
            self.problems.append(Problem(where_set(self.scenario, key), str(exc)))
            return np.ones(len(self.months))

    def change(self, key: str, change: Change) -> np.ndarray:
        """1 + change, reached by step or ramp."""
        return self.call(key, drivers.ramp, self.months, change.change_pct / 100.0, change.mode)

    def progress(self, key: str, mode: str) -> np.ndarray:
        """Share of a change applied at each step: 1 (step) or 0..1 by calendar year (ramp)."""
        return self.call(key, drivers.ramp, self.months, 1.0, mode) - 1.0

    def monthly(self, key: str, change: MonthlyChange) -> np.ndarray:
        table = dict(enumerate(change.table(), start=1))
        by_month = self.call(key, drivers.monthly_change, self.months, table)
        return 1.0 + (by_month - 1.0) * self.progress(key, change.mode)

    def growth(self, key: str, growth: Growth) -> np.ndarray:
        if growth.rate_pct_per_year is not None:
            return self.call(
                key, drivers.growth_factor, self.months, growth.rate_pct_per_year / 100.0
            )
        return self.call(key, drivers.path_factor, self.months, growth.path)

    def yearly(self, values: np.ndarray, years: pd.Index) -> np.ndarray:
        """A monthly multiplier on a year index (its value in each year's first month)."""
        first = pd.Series(values, index=self.months.year).groupby(level=0).first()
        return first.reindex(years).to_numpy(dtype=float)


def scale_columns(frame: pd.DataFrame, factors: Mapping[Any, np.ndarray]) -> pd.DataFrame:
    out = frame.copy()
    for column, factor in factors.items():
        out[column] = out[column].to_numpy(dtype=float) * factor
    return out
