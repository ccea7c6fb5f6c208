"""Numerical drivers: turn scenario statements into multiplier series on a time axis.

"Population grows 2 %/yr", "inflow -10 % by 2050", "snowmelt earlier" become arrays of
factors, one per time step, that a scenario multiplies onto a baseline series. Every function
is a pure function of numpy/pandas objects and knows nothing about the basin or the model.

Time axis: a pandas ``DatetimeIndex`` of step starts (usually monthly, freq ``"MS"``; ten-day
or daily steps also work). Elapsed time is measured in *decimal years*::

    t = year + (month - 1) / 12 + (day - 1) / (12 * days_in_month)

so month starts are exactly 1/12 year apart and the same calendar month of two years is a
whole number of years apart (Jan 2025 -> Jan 2035 is exactly 10.0 years).

Changes are fractions (``-0.1`` = -10 %), rates are fractions per year (``0.02`` = 2 %/yr).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Literal

import numpy as np
import pandas as pd

RATE_UNIT = "m3/s"
VOLUME_UNIT = "hm3"
FlowUnit = Literal["m3/s", "hm3"]
RampMode = Literal["ramp", "step"]

#: Days of each calendar month in a non-leap year (used for climatologies).
DAYS_NOLEAP = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)


# --------------------------------------------------------------------------- validation


def finite_number(value: object, name: str) -> float:
    """``value`` as a finite float, or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} = {value!r}: expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} = {value!r}: must be finite")
    return number


def _check_times(times: object, name: str = "times") -> pd.DatetimeIndex:
    """A non-empty, strictly increasing DatetimeIndex, or ValueError naming ``name``."""
    if not isinstance(times, pd.DatetimeIndex):
        raise ValueError(f"{name}: expected a pandas DatetimeIndex, got {type(times).__name__}")
    if len(times) == 0:
        raise ValueError(f"{name}: is empty; need at least one time step")
    if times.hasnans:
        raise ValueError(f"{name}: contains NaT")
    if not (times.is_monotonic_increasing and times.is_unique):
        raise ValueError(f"{name}: must be strictly increasing")
    return times


def _check_change(value: object, name: str) -> float:
    """A relative change >= -1 (a multiplier 1 + change that is never negative)."""
    change = finite_number(value, name)
    if change < -1.0:
        raise ValueError(f"{name} = {value!r}: a change must be >= -1 (-0.1 = -10 %)")
    return change


def _check_month(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 1 <= value <= 12:
        raise ValueError(f"{name}: month {value!r} is not a calendar month 1..12")
    return int(value)


def _check_months(months: object, name: str) -> tuple[int, ...]:
    """A non-empty collection of distinct calendar months 1..12."""
    if isinstance(months, int | np.integer) and not isinstance(months, bool):
        months = (months,)
    if not isinstance(months, Iterable) or isinstance(months, str | bytes):
        raise ValueError(f"{name} = {months!r}: expected calendar months, e.g. (7, 8, 9)")
    result = tuple(_check_month(m, name) for m in months)
    if not result:
        raise ValueError(f"{name}: is empty; give at least one calendar month")
    if len(set(result)) != len(result):
        raise ValueError(f"{name} = {result}: a month is repeated")
    return result


def _check_unit(unit: object) -> FlowUnit:
    if unit == "m3/s" or unit == "hm3":
        return unit
    raise ValueError(f"unit = {unit!r}: use 'm3/s' (a rate) or 'hm3' (a volume per month)")


# --------------------------------------------------------------------------- time


def decimal_year(times: pd.DatetimeIndex) -> np.ndarray:
    """Decimal year of each step: ``year + (month-1)/12 + (day-1)/(12*days_in_month)``."""
    times = _check_times(times)
    year = np.asarray(times.year, dtype=float)
    month = np.asarray(times.month, dtype=float)
    day = np.asarray(times.day, dtype=float)
    days_in_month = np.asarray(times.days_in_month, dtype=float)
    return year + (month - 1.0) / 12.0 + (day - 1.0) / (12.0 * days_in_month)


def years_since(times: pd.DatetimeIndex, base_year: int | None = None) -> np.ndarray:
    """Elapsed years at each step (decimal years, see module docstring).

    ``base_year=None``: counted from the first step (0 at the first step).
    ``base_year=Y``: counted from 1 January of year Y (negative before it).
    """
    t = decimal_year(times)
    if base_year is None:
        return t - t[0]
    if isinstance(base_year, bool) or not isinstance(base_year, int | np.integer):
        raise ValueError(f"base_year = {base_year!r}: expected a whole year such as 2025, or None")
    return t - float(base_year)


# --------------------------------------------------------------------------- growth


def growth_factor(
    times: pd.DatetimeIndex, rate_per_year: float, base_year: int | None = None
) -> np.ndarray:
    """Compound growth factor ``(1 + r) ** t`` with ``t = years_since(times, base_year)``.

    ``r`` is a fraction per year (0.02 = 2 %/yr) and must be > -1. With ``base_year=None``
    the factor is 1 in the first step and ``(1 + r) ** 10`` exactly ten years later.
    """
    r = finite_number(rate_per_year, "rate_per_year")
    if r <= -1.0:
        raise ValueError(f"rate_per_year = {rate_per_year!r}: must be > -1 (0.02 = 2 %/yr)")
    return (1.0 + r) ** years_since(times, base_year)


def elasticity_growth(
    times: pd.DatetimeIndex,
    gdp_growth_per_year: float,
    elasticity: float,
    base_year: int | None = None,
) -> np.ndarray:
    """Demand factor driven by GDP: ``(1 + g) ** (elasticity * t)``, t as in growth_factor.

    ``g`` is the GDP growth as a fraction per year (> -1); ``elasticity`` is the % change of
    demand per % change of GDP (e.g. 0.6 for industrial water use).
    """
    g = finite_number(gdp_growth_per_year, "gdp_growth_per_year")
    if g <= -1.0:
        raise ValueError(f"gdp_growth_per_year = {gdp_growth_per_year!r}: must be > -1")
    e = finite_number(elasticity, "elasticity")
    return (1.0 + g) ** (e * years_since(times, base_year))


def path_factor(times: pd.DatetimeIndex, path: Mapping[int, float]) -> np.ndarray:
    """Factors from a yearly path such as ``{2025: 1.0, 2035: 1.3}``.

    The factor of year Y applies at 1 January of Y; in between it is interpolated linearly in
    decimal years (so it changes from month to month); before the first and after the last
    year of the path it is held flat. Factors must be finite and >= 0.
    """
    t = decimal_year(times)
    if not isinstance(path, Mapping) or not path:
        raise ValueError(f"path = {path!r}: expected a non-empty dict {{year: factor}}")
    points: list[tuple[float, float]] = []
    for year, factor in path.items():
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise ValueError(f"path: key {year!r} is not a whole year such as 2030")
        value = finite_number(factor, f"path[{year}]")
        if value < 0.0:
            raise ValueError(f"path[{year}] = {factor!r}: a factor must be >= 0")
        points.append((float(year), value))
    points.sort()
    years, values = zip(*points, strict=True)
    return np.interp(t, np.asarray(years), np.asarray(values))


# --------------------------------------------------------------------------- changes


def ramp(times: pd.DatetimeIndex, final_change: float, mode: RampMode = "ramp") -> np.ndarray:
    """Multiplier series for a change such as -10 % (``final_change=-0.1``).

    ``"step"``: ``1 + final_change`` in every step.
    ``"ramp"``: constant within each calendar year Y, ``1 + final_change * (Y - Y0) / (Y1 - Y0)``
    with Y0 / Y1 the first / last calendar year of ``times``: no change in the first year, the
    full change in the last. A ramp needs at least two calendar years.
    """
    times = _check_times(times)
    change = _check_change(final_change, "final_change")
    if mode == "step":
        return np.full(len(times), 1.0 + change)
    if mode != "ramp":
        raise ValueError(f"mode = {mode!r}: use 'ramp' or 'step'")
    year = np.asarray(times.year, dtype=float)
    first, last = year[0], year[-1]
    if last == first:
        raise ValueError(
            f"times: a ramp needs at least two calendar years, got only {int(first)} "
            "(use mode='step')"
        )
    return 1.0 + change * (year - first) / (last - first)


def monthly_change(
    times: pd.DatetimeIndex, change_by_month: Mapping[int, float] | float
) -> np.ndarray:
    """Multiplier ``1 + change`` for each step by calendar month.

    ``change_by_month`` is ``{month: change}`` (months 1..12, missing months unchanged), e.g.
    ``{7: -0.1, 8: -0.1}``, or one number applied to every month. Changes must be >= -1.
    """
    times = _check_times(times)
    table = np.ones(12)
    if isinstance(change_by_month, Mapping):
        for month, change in change_by_month.items():
            m = _check_month(month, "change_by_month")
            table[m - 1] = 1.0 + _check_change(change, f"change_by_month[{m}]")
    else:
        table[:] = 1.0 + _check_change(change_by_month, "change_by_month")
    return table[np.asarray(times.month) - 1]


# --------------------------------------------------------------------------- snowmelt


def _shift_volumes(
    volumes: np.ndarray,
    months: np.ndarray,
    days: np.ndarray,
    source: tuple[int, ...],
    target: tuple[int, ...],
    fraction: float,
) -> np.ndarray:
    """One year's monthly volumes with ``fraction`` of the source volume moved to the target.

    Each source month keeps ``1 - fraction`` of its volume; the moved volume
    ``fraction * V(source)`` is shared among the target months in proportion to their own
    volume (in proportion to their days if they hold none). A year missing any source or target
    month is returned unchanged.
    """
    is_source = np.isin(months, source)
    is_target = np.isin(months, target)
    if is_source.sum() != len(source) or is_target.sum() != len(target):
        return volumes.copy()
    moved = fraction * volumes[is_source].sum()
    weights = volumes[is_target]
    if weights.sum() <= 0.0:
        weights = days[is_target]
    out = volumes.copy()
    out[is_source] *= 1.0 - fraction
    out[is_target] += moved * weights / weights.sum()
    return out


def _check_shift(
    from_months: object, to_months: object, fraction: object, unit: object
) -> tuple[tuple[int, ...], tuple[int, ...], float, FlowUnit]:
    source = _check_months(from_months, "from_months")
    target = _check_months(to_months, "to_months")
    overlap = sorted(set(source) & set(target))
    if overlap:
        raise ValueError(f"to_months = {target}: month(s) {overlap} are also in from_months")
    share = finite_number(fraction, "fraction")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"fraction = {fraction!r}: must be between 0 and 1 (0.15 = 15 %)")
    return source, target, share, _check_unit(unit)


def _check_flows(values: np.ndarray, name: str, labels: Sequence[str]) -> None:
    """Finite values >= 0, or ValueError naming the first bad one by its label."""
    for problem, bad in (("NaN or infinite", ~np.isfinite(values)), ("negative", values < 0.0)):
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name}: value at {labels[at]} is {problem} ({values[at]:g}); flows must be >= 0"
            )


def shift_snowmelt(
    series: pd.Series,
    from_months: Iterable[int],
    to_months: Iterable[int],
    fraction: float,
    unit: FlowUnit = "m3/s",
) -> pd.Series:
    """Move ``fraction`` of the volume of ``from_months`` into ``to_months`` in each year.

    For each calendar year: ``V_moved = fraction * V(from_months)``; every from-month loses the
    same share ``fraction`` of its volume; the to-months receive ``V_moved`` in proportion to
    their existing volume. The annual volume is unchanged. Volumes are ``q * days_in_month``
    for ``unit="m3/s"`` (rates; the constant 86 400 s/day cancels) and the values themselves for
    ``unit="hm3"`` (or any other volume per month). Calendar years that lack one of the months
    (a partial first or last year) are left unchanged. Returns a new Series, same index/unit.
    """
    source, target, share, unit = _check_shift(from_months, to_months, fraction, unit)
    if not isinstance(series, pd.Series):
        raise ValueError(f"series: expected a pandas Series, got {type(series).__name__}")
    index = _check_times(series.index, "series.index")
    year_month = np.asarray(index.year) * 12 + np.asarray(index.month)
    if len(np.unique(year_month)) != len(index):
        raise ValueError("series.index: more than one value in a month; expected monthly data")
    values = series.to_numpy(dtype=float)
    _check_flows(values, "series", [f"{t:%Y-%m}" for t in index])
    days = np.asarray(index.days_in_month, dtype=float)
    per_volume = days if unit == RATE_UNIT else np.ones(len(values))
    volumes = values * per_volume
    years = np.asarray(index.year)
    months = np.asarray(index.month)
    out = np.empty_like(volumes)
    for year in np.unique(years):
        rows = years == year
        out[rows] = _shift_volumes(volumes[rows], months[rows], days[rows], source, target, share)
    return pd.Series(out / per_volume, index=series.index, name=series.name)


def shift_snowmelt_climatology(
    values12: np.ndarray | pd.Series | Iterable[float],
    from_months: Iterable[int],
    to_months: Iterable[int],
    fraction: float,
    unit: FlowUnit = "m3/s",
) -> np.ndarray | pd.Series:
    """:func:`shift_snowmelt` for a 12-value climatology (January..December).

    Rates are weighted by the days of a non-leap year. A Series must be indexed by months
    1..12 and is returned as a Series with the same index; anything else returns an array.
    """
    source, target, share, unit = _check_shift(from_months, to_months, fraction, unit)
    months_index: pd.Index | None = None
    if isinstance(values12, pd.Series):
        if sorted(values12.index) != list(range(1, 13)):
            raise ValueError("values12: a Series must be indexed by the months 1..12")
        ordered = values12.sort_index()
        months_index = ordered.index
        values = ordered.to_numpy(dtype=float)
    else:
        try:
            values = np.asarray(values12, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"values12: expected 12 numbers, got {values12!r}") from exc
    if values.shape != (12,):
        raise ValueError(f"values12: expected 12 monthly values, got shape {values.shape}")
    _check_flows(values, "values12", [f"month {m}" for m in range(1, 13)])
    per_volume = DAYS_NOLEAP if unit == RATE_UNIT else np.ones(12)
    months = np.arange(1, 13)
    shifted = _shift_volumes(values * per_volume, months, DAYS_NOLEAP, source, target, share)
    result = shifted / per_volume
    if months_index is not None:
        return pd.Series(result, index=months_index, name=getattr(values12, "name", None))
    return result
