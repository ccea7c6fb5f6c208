"""Time steps of a run: months, ten-day "decades" (as Central Asian bulletins use) or days.

Monthly basin data are spread over the steps of each month in proportion to their length,
so a rate (m3/s, MW) stays a rate and a volume (hm3, mm, GWh) is shared by days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

StepKind = Literal["month", "decade", "day"]
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class TimeAxis:
    """The steps of a run and how each maps onto the monthly basin data."""

    start: pd.DatetimeIndex  # step starts
    days: np.ndarray  # length of each step (days)
    month_pos: np.ndarray  # position of the step's month in the monthly series
    month_share: np.ndarray  # step days / days in its month
    kind: StepKind

    def __len__(self) -> int:
        return len(self.start)

    @property
    def seconds(self) -> np.ndarray:
        return self.days * SECONDS_PER_DAY

    @property
    def hours(self) -> np.ndarray:
        return self.days * 24.0

    @property
    def years(self) -> np.ndarray:
        """Calendar year of each step."""
        return np.asarray(self.start.year)

    @property
    def calendar_months(self) -> np.ndarray:
        return np.asarray(self.start.month)

    @property
    def years_since_start(self) -> np.ndarray:
        """Elapsed time at the step start, in years (for discounting)."""
        return np.asarray((self.start - self.start[0]).days, dtype=float) / 365.25

    def per_step(self, monthly: np.ndarray, kind: Literal["rate", "volume"]) -> np.ndarray:
        """Monthly values (last axis = months) on the steps: rates repeat, volumes are shared."""
        values = np.asarray(monthly, dtype=float)[..., self.month_pos]
        return values if kind == "rate" else values * self.month_share


def make_time_axis(months: pd.DatetimeIndex, kind: StepKind = "month") -> TimeAxis:
    """Steps covering the given months (month starts), of the given kind."""
    months = pd.DatetimeIndex(months)
    month_days = np.asarray(months.days_in_month, dtype=float)
    if kind == "month":
        return TimeAxis(months, month_days, np.arange(len(months)), np.ones(len(months)), kind)
    starts: list[pd.Timestamp] = []
    days: list[float] = []
    pos: list[int] = []
    for i, (month, ndays) in enumerate(zip(months, month_days, strict=True)):
        if kind == "decade":
            cuts = [(1, 10), (11, 10), (21, ndays - 20)]
        elif kind == "day":
            cuts = [(d, 1.0) for d in range(1, int(ndays) + 1)]
        else:
            raise ValueError(f"step = {kind!r}: use 'month', 'decade' or 'day'")
        for first_day, length in cuts:
            starts.append(month + pd.Timedelta(days=first_day - 1))
            days.append(float(length))
            pos.append(i)
    days_arr = np.asarray(days)
    pos_arr = np.asarray(pos)
    return TimeAxis(
        pd.DatetimeIndex(starts), days_arr, pos_arr, days_arr / month_days[pos_arr], kind
    )
