"""Model runs and matching: :func:`simulate`, and the simulated value of each observation
(:func:`simulated_values`, :func:`compare`), on the same date or the same calendar day.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.calibration.observations import OBSERVATION_UNITS
from nexusmodel.model import build_model
from nexusmodel.model.options import ModelOptions
from nexusmodel.results import extract_results
from nexusmodel.solve import solve

Match = Literal["date", "season"]

#: Options for the many runs of a calibration: fixed head (one LP per run), no diagnosis.
FAST_OPTIONS = ModelOptions(head="fixed", diagnose_infeasible=False)
_HM3_PER_M3S_DAY = 86_400.0 / 1e6


def simulate(basin: Basin, options: ModelOptions | None = None) -> xr.Dataset:
    """Build, solve and extract one run of a basin with horizon series (fast options by default)."""
    if basin.series is None:
        raise ValueError(
            "the basin has no horizon series: use horizon_series and Basin.with_series"
        )
    model = build_model(basin, options or FAST_OPTIONS)
    report = solve(model)
    return extract_results(model, report)


def _step_values(ds: xr.Dataset, variable: str, node: str) -> np.ndarray:
    """The per-step values (hm3, or m for level) of one variable at one node or link."""
    if variable == "link_flow":
        return np.nan_to_num(ds["link_flow"].sel(link=node).values.astype(float))
    if variable == "total_inflow":
        flow = ds["link_flow"].values - ds["link_loss"].values
        rows = np.asarray(ds["link_to"].values == node)
        arriving = flow[rows].sum(axis=0)
        natural = np.nan_to_num(ds["inflow"].sel(node=node).values.astype(float))
        return arriving + natural
    return ds[variable].sel(node=node).values.astype(float)


def _horizon(ds: xr.Dataset) -> tuple[pd.DatetimeIndex, np.ndarray]:
    starts = pd.DatetimeIndex(ds["time"].values)
    days = (
        np.asarray(ds["step_days"].values, dtype=float)
        if "step_days" in ds.coords
        else np.asarray(starts.days_in_month, dtype=float)
    )
    return starts, days


def _at_date(
    ds: xr.Dataset, variable: str, node: str, kind: str, dates: pd.DatetimeIndex
) -> np.ndarray:
    """Model values comparable with observations on ``dates`` (NaN outside the horizon)."""
    starts, days = _horizon(ds)
    ends = starts + pd.to_timedelta(days, unit="D")
    values = _step_values(ds, variable, node)
    out = np.full(len(dates), np.nan)
    if kind == "year":
        years = np.asarray(starts.year)
        for i, date in enumerate(dates):
            steps = years == date.year
            covered = steps.any() and starts[steps][0] == pd.Timestamp(date.year, 1, 1)
            covered = covered and ends[steps][-1] == pd.Timestamp(date.year + 1, 1, 1)
            if covered:
                out[i] = values[steps].sum()
        return out
    pos = np.searchsorted(starts.values, dates.values, side="right") - 1
    inside = (pos >= 0) & (dates.values <= ends[-1].to_datetime64())
    # a date at the very end of the horizon belongs to the last step (its end state)
    pos = np.clip(pos, 0, len(starts) - 1)
    for i in np.flatnonzero(inside).tolist():
        t = int(pos[i])
        if kind == "state":
            if variable == "storage" and "initial_storage" in ds:
                first = float(ds["initial_storage"].sel(node=node))
            else:
                first = values[0]
            previous = values[t - 1] if t > 0 else first
            share = (dates[i] - starts[t]) / pd.Timedelta(days=float(days[t]))
            out[i] = previous + min(share, 1.0) * (values[t] - previous)
        elif kind == "rate":
            out[i] = values[t] / (days[t] * _HM3_PER_M3S_DAY)
        else:  # "step"
            out[i] = values[t]
    return out


def _same_day(date: pd.Timestamp, year: int) -> pd.Timestamp:
    day = min(date.day, pd.Timestamp(year, date.month, 1).days_in_month)
    return pd.Timestamp(year, date.month, day)


def simulated_values(
    ds: xr.Dataset, observations: pd.DataFrame, match: Match = "season"
) -> pd.Series:
    """The model value for each observation row (same index), in the observation's unit.

    ``match="date"``: on the observation's date (NaN outside the horizon). ``"season"``: on the
    same calendar day (or calendar year, for annual totals) of each horizon year, averaged.
    """
    if match not in ("date", "season"):
        raise ValueError(f"match = {match!r}: use 'date' or 'season'")
    out = pd.Series(np.nan, index=observations.index, name="simulated")
    starts, _ = _horizon(ds)
    horizon_years = sorted(set(starts.year))
    for (variable, node, unit), rows in observations.groupby(
        ["variable", "node", "unit"], sort=False
    ):
        kind = OBSERVATION_UNITS[unit][2]
        dates = pd.DatetimeIndex(rows["date"])
        if match == "date":
            out[rows.index] = _at_date(ds, variable, node, kind, dates)
            continue
        per_year = np.vstack(
            [
                _at_date(
                    ds, variable, node, kind, pd.DatetimeIndex([_same_day(d, y) for d in dates])
                )
                for y in horizon_years
            ]
        )
        with np.errstate(all="ignore"):
            valid = np.isfinite(per_year)
            total = np.where(valid, per_year, 0.0).sum(axis=0)
            count = valid.sum(axis=0)
            out[rows.index] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def compare(ds: xr.Dataset, observations: pd.DataFrame, match: Match = "season") -> pd.DataFrame:
    """The observations with a ``simulated`` column beside ``value``."""
    table = observations.copy()
    table["simulated"] = simulated_values(ds, observations, match)
    return table
