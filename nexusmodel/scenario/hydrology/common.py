"""Shared pieces of the inflow generators: units, input checks, annual totals, AR(1).

Units: flows are ``"m3/s"`` (rates; monthly volume = q * days_in_month * 86 400 s) or monthly
volumes ``"hm3"`` / ``"km3"``. Annual volumes (:func:`annual_totals`) are in km3 or hm3.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import MEAN_MONTH_DAYS

SECONDS_PER_DAY = 86_400.0
#: Mean days of each calendar month (February 28.25), for climatologies and fitted weights.
MEAN_DAYS = np.array(MEAN_MONTH_DAYS, dtype=float)
FLOW_UNITS = ("m3/s", "hm3", "km3")
ANNUAL_UNITS = ("km3", "hm3")
_M3_PER = {"hm3": 1e6, "km3": 1e9}
RHO_MAX = 0.99  # largest |correlation| used for a lag-1 coefficient


# --------------------------------------------------------------------------- validation


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} = {value!r}: use one of {', '.join(map(repr, choices))}")
    return str(value)


def _as_frame(data: object, name: str) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(data).__name__}")
    if data.shape[1] == 0:
        raise ValueError(f"{name}: has no columns; expected one column per site")
    return data


def _check_flow_values(frame: pd.DataFrame, name: str, labels: list[str]) -> np.ndarray:
    """Values as float, or ValueError naming the column and row of the first bad value."""
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: values must be numbers") from exc
    for problem, bad in (
        ("is missing (NaN) or infinite", ~np.isfinite(values)),
        ("is negative", values < 0.0),
    ):
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"{name}: column {frame.columns[col]!r} {problem} at {labels[row]} "
                f"(value {values[row, col]:g}); flows must be finite and >= 0"
            )
    return values


def _monthly_frame(data: object, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """A frame of consecutive monthly flows >= 0 and its values."""
    frame = _as_frame(data, name)
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(
            f"{name}: index must be a monthly DatetimeIndex, got {type(index).__name__}"
        )
    if index.hasnans:
        raise ValueError(f"{name}: index contains NaT")
    ordinal = np.asarray(index.year) * 12 + np.asarray(index.month)
    gaps = np.flatnonzero(np.diff(ordinal) != 1)
    if gaps.size:
        at = index[gaps[0] + 1]
        raise ValueError(
            f"{name}: index must be consecutive months; {index[gaps[0]]:%Y-%m} is followed by "
            f"{at:%Y-%m}"
        )
    labels = [f"{t:%Y-%m}" for t in index]
    return frame, _check_flow_values(frame, name, labels)


def _output_index(start: str | pd.Timestamp, years: int) -> pd.DatetimeIndex:
    try:
        first = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"start = {start!r}: not a date") from exc
    if pd.isna(first) or first != first.normalize() or first.day != 1:
        raise ValueError(f"start = {start!r}: must be the first day of a month, e.g. '2025-01-01'")
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or years < 1:
        raise ValueError(f"years = {years!r}: must be a whole number >= 1")
    return pd.date_range(first, periods=12 * int(years), freq="MS")


def _rng(seed: int) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed = {seed!r}: must be a whole number >= 0")
    return np.random.default_rng(int(seed))


def _month_days(first_year: int, n_years: int) -> np.ndarray:
    """Days of every month of ``n_years`` calendar years from ``first_year``."""
    months = pd.date_range(pd.Timestamp(first_year, 1, 1), periods=12 * n_years, freq="MS")
    return np.asarray(months.days_in_month, dtype=float)


# --------------------------------------------------------------------------- annual totals


def annual_totals(
    df: pd.DataFrame | pd.Series, unit: str = "m3/s", out: str = "km3", by_site: bool = False
) -> pd.Series | pd.DataFrame:
    """Calendar-year volumes of monthly data, complete years only.

    ``unit="m3/s"``: volume = sum(q * days_in_month * 86 400) m3; ``"hm3"``/``"km3"``: the
    values are monthly volumes and are summed. Result in ``out`` (``"km3"`` or ``"hm3"``),
    indexed by year; the sum over all columns (a basin total of additive inflows) unless
    ``by_site=True``, which returns one column per site. Years with fewer than 12 months are
    dropped.
    """
    unit = _choice(unit, "unit", FLOW_UNITS)
    out = _choice(out, "out", ANNUAL_UNITS)
    frame = _as_frame(df, "df")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError(f"df: index must be a DatetimeIndex, got {type(frame.index).__name__}")
    values = frame.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("df: contains NaN or infinite values")
    if unit == "m3/s":
        to_m3 = np.asarray(frame.index.days_in_month, dtype=float) * SECONDS_PER_DAY
    else:
        to_m3 = np.full(len(frame), _M3_PER[unit])
    year = pd.Index(np.asarray(frame.index.year), name="year")
    volumes = pd.DataFrame(
        values * to_m3[:, None] / _M3_PER[out], index=year, columns=frame.columns
    )
    grouped = volumes.groupby(level="year")
    per_site = grouped.sum()[grouped.size() == 12]
    if by_site:
        return per_site
    return per_site.sum(axis=1).rename(f"volume_{out}")


# --------------------------------------------------------------------------- AR(1)


def _lag1_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of x with the same column of y (0 if constant)."""
    dx = x - x.mean(axis=0)
    dy = y - y.mean(axis=0)
    denom = np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (dx * dy).sum(axis=0) / np.where(denom > 0, denom, 1), 0.0)


def _ar1(eps: np.ndarray, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) along axis 0.

    ``z[0] = eps[0]``, ``z[t] = phi * z[t-1] + sqrt(1 - phi^2) * eps[t]``.
    """
    from scipy.signal import lfilter  # lazy: a basin run without generators does not pay for it

    x = math.sqrt(1.0 - phi * phi) * eps
    x[0] = eps[0]
    return lfilter([1.0], [1.0, -phi], x, axis=0)
