"""A historical (gauged plus reconstructed) monthly inflow series for a basin.

Three steps, each a function:

1. :func:`read_gauged_discharge` reads the long table of gauged discharge (the format of
   ``/work/shared/data/observed/chirchik_discharge_1923_2015.csv``: ``date, station_code,
   station, river, resolution, discharge_m3s, norm_m3s``), with a clear error naming the file,
   row and column of anything wrong.
2. :func:`monthly_discharge` turns one station's 10-day ("dec") or monthly ("mon") means into
   monthly means in m3/s (decades weighted by their days: 10, 10 and the rest of the month); a
   month with a missing decade is missing.
3. :func:`reconstruct` builds the other headwaters year by year from a gauged reference river
   by a monthly anomaly transfer in log space::

       a[y, m]    = ln Q_ref[y, m] - mean_y ln Q_ref[., m]                 (reference anomaly)
       q_r[y, m]  = clim_r[m] * exp(b_g * a[y, m]) / mean_y exp(b_g * a[., m])

   ``clim_r`` is river r's own mean monthly flow (the basin's climatology); dividing by the
   mean over the years keeps each river's mean of every calendar month, hence its mean and its
   monthly shape, exactly. One exponent ``b_g`` per group of rivers scales the reference's
   variability: it is fitted (bounded scalar least squares on the log of the two quantiles) so
   that the group's annual total has its published 5 % and 90 % exceedance volumes; the last
   group, without statistics of its own, is fitted to the basin's published total. The gauged
   reference river itself is kept as observed.

The result is RECONSTRUCTED, not observed, for every river but the reference: the other rivers
are correlated with the reference, not equal to it. ``python -m
nexusmodel.scenario.hydrology.historical`` writes the Syr Darya table
``data/syr_darya/inflows_historical.csv`` (see :data:`SYR_DARYA` and ``SOURCES.md``).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from nexusmodel.scenario.hydrology.common import SECONDS_PER_DAY

COLUMNS = ("date", "station_code", "resolution", "discharge_m3s")
RESOLUTIONS = ("dec", "mon")
EXPONENT_BOUNDS = (0.0, 6.0)  # allowed range of a group's anomaly exponent b_g
#: Exceedance probabilities of the published quantiles: (5 %, 90 %) -> quantiles 0.95, 0.10.
HIGH_QUANTILE, LOW_QUANTILE = 0.95, 0.10


# --------------------------------------------------------------------------- gauged data


def read_gauged_discharge(path: str | Path) -> pd.DataFrame:
    """The gauged discharge table, checked: one row per station and period, discharge in m3/s.

    Columns used: ``date`` (end of the period, YYYY-MM-DD), ``station_code`` (integer),
    ``resolution`` (``dec`` for 10-day means, ``mon`` for monthly means) and ``discharge_m3s``
    (>= 0, empty where missing). Raises ValueError naming the file, row and column of the first
    problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: gauged discharge file not found")
    try:
        frame = pd.read_csv(path, comment="#", dtype={"resolution": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: not a readable CSV table ({exc})") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
        )

    def fail(row: int, column: str, value: object, why: str) -> ValueError:
        # row 1 is the header line
        return ValueError(f"{path}: line {row + 2}, column {column} = {value!r}: {why}")

    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna())[0])
        raise fail(row, "date", frame["date"].iloc[row], "not a date YYYY-MM-DD")
    codes = pd.to_numeric(frame["station_code"], errors="coerce")
    bad = codes.isna() | (codes != codes.round())
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise fail(row, "station_code", frame["station_code"].iloc[row], "not a whole number")
    bad = ~frame["resolution"].isin(RESOLUTIONS)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise fail(row, "resolution", frame["resolution"].iloc[row], "use 'dec' or 'mon'")
    flow = pd.to_numeric(frame["discharge_m3s"], errors="coerce")
    bad = flow.isna() & frame["discharge_m3s"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise fail(row, "discharge_m3s", frame["discharge_m3s"].iloc[row], "not a number")
    bad = (flow < 0) | np.isinf(flow)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise fail(row, "discharge_m3s", float(flow.iloc[row]), "must be finite and >= 0")
    out = pd.DataFrame(
        {
            "date": dates,
            "station_code": codes.astype(int),
            "resolution": frame["resolution"].astype(str),
            "discharge_m3s": flow.astype(float),
        }
    )
    duplicated = out.duplicated(["station_code", "date"])
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise fail(row, "date", f"{dates.iloc[row]:%Y-%m-%d}", "repeated for this station")
    return out


def monthly_discharge(gauged: pd.DataFrame, station_code: int) -> pd.Series:
    """Monthly mean discharge (m3/s) of one station, index month starts ("MS").

    10-day means are weighted by their days (10, 10, days_in_month - 20); a month with fewer
    than three decades or a missing value is NaN. Monthly means are used as they are.
    """
    rows = gauged[gauged["station_code"] == station_code]
    if rows.empty:
        known = ", ".join(str(c) for c in sorted(gauged["station_code"].unique()))
        raise ValueError(f"station_code = {station_code!r}: not in the table (have {known})")
    month = rows["date"].dt.to_period("M").dt.to_timestamp()
    if (rows["resolution"] == "mon").all():
        series = pd.Series(rows["discharge_m3s"].to_numpy(), index=pd.DatetimeIndex(month))
    else:
        day = rows["date"].dt.day.to_numpy()
        days = np.where(day <= 20, 10.0, day - 20.0)
        table = pd.DataFrame(
            {"month": month, "flow_days": rows["discharge_m3s"].to_numpy() * days, "days": days}
        )
        grouped = table.groupby("month")
        volume = grouped["flow_days"].sum(min_count=1)
        complete = (grouped["flow_days"].count() == 3) & (grouped.size() == 3)
        series = (volume / grouped["days"].sum()).where(complete)
        series.index = pd.DatetimeIndex(series.index)
    full = pd.date_range(series.index.min(), series.index.max(), freq="MS")
    return series.reindex(full).rename(station_code)


def complete_years(series: pd.Series) -> pd.Series:
    """The calendar years of a monthly series that have all 12 months (others dropped)."""
    known = series.notna().groupby(series.index.year).transform("sum") == 12
    return series[known.to_numpy()]


def annual_volume_km3(flows: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Calendar-year volumes (km3) of monthly mean flows in m3/s (actual days per month)."""
    seconds = np.asarray(flows.index.days_in_month, dtype=float) * SECONDS_PER_DAY
    volume = flows.mul(seconds, axis=0) / 1e9
    return volume.groupby(flows.index.year).sum()


# --------------------------------------------------------------------------- reconstruction


@dataclass(frozen=True)
class Group:
    """Rivers reconstructed with one exponent, fitted to the group's published statistics.

    ``p5_km3`` / ``p90_km3``: annual total of the group exceeded in 5 % / 90 % of years. With
    ``None`` the exponent is fitted to the basin total's statistics instead (one such group).
    """

    name: str
    columns: tuple[str, ...]
    p5_km3: float | None = None
    p90_km3: float | None = None


@dataclass(frozen=True)
class Reconstruction:
    """Monthly flows (m3/s) of every column, the fitted exponents and the statistics reached."""

    flows: pd.DataFrame
    exponents: dict[str, tuple[float, float]]  # (b_wet, b_dry) per group
    statistics: pd.DataFrame = field(repr=False)


Exponents = tuple[float, float]  # (b_wet, b_dry): applied to anomalies above / below 0


def _transfer(anomaly: np.ndarray, exponents: Exponents) -> np.ndarray:
    """exp(b a), divided by its mean over the years of each calendar month (years x 12).

    ``b`` is ``exponents[0]`` where the anomaly is above the month's log mean (wet) and
    ``exponents[1]`` below it (dry).
    """
    wet, dry = exponents
    factor = np.exp(np.where(anomaly > 0.0, wet, dry) * anomaly)
    return factor / factor.mean(axis=0)


def _quantile_misfit(totals: np.ndarray, p5: float, p90: float) -> float:
    """Squared log errors of the 5 % and 90 % exceedance volumes of ``totals`` (km3)."""
    high, low = np.quantile(totals, [HIGH_QUANTILE, LOW_QUANTILE])
    return math.log(high / p5) ** 2 + math.log(low / p90) ** 2


def _fit_exponents(misfit: Callable[[Exponents], float]) -> Exponents:
    """(b_wet, b_dry) within EXPONENT_BOUNDS minimising ``misfit``: one common b, then both."""
    from scipy.optimize import minimize, minimize_scalar  # lazy: only building needs scipy

    low, high = EXPONENT_BOUNDS
    common = minimize_scalar(
        lambda b: misfit((b, b)), bounds=EXPONENT_BOUNDS, method="bounded", options={"xatol": 1e-6}
    )

    def bounded(x: np.ndarray) -> float:
        clipped = np.clip(x, low, high)
        return misfit((float(clipped[0]), float(clipped[1]))) + float(np.sum((x - clipped) ** 2))

    both = minimize(
        bounded,
        np.array([common.x, common.x]),
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-12, "maxiter": 2000},
    )
    wet, dry = np.clip(both.x, low, high)
    return float(wet), float(dry)


def reconstruct(
    climatology: pd.DataFrame,
    reference: pd.Series,
    reference_column: str,
    groups: Sequence[Group],
    basin_p5_km3: float,
    basin_p90_km3: float,
) -> Reconstruction:
    """Reconstruct every column of ``climatology`` year by year from the gauged ``reference``.

    ``climatology``: 12 rows (months 1..12) x rivers, mean monthly flow in m3/s.
    ``reference``: monthly flows (m3/s) of the gauged river, complete calendar years only (a
    gap between years is allowed); it becomes column ``reference_column`` unchanged.
    ``groups``: the other columns, each once; see :class:`Group` and the module docstring.
    """
    if sorted(climatology.index) != list(range(1, 13)):
        raise ValueError(
            f"climatology: index must be the months 1..12, got {list(climatology.index)}"
        )
    listed = [c for g in groups for c in g.columns]
    expected = sorted(c for c in climatology.columns if c != reference_column)
    if sorted(listed) != expected:
        raise ValueError(
            f"groups: must list every column but {reference_column!r} once; got {sorted(listed)}, "
            f"expected {expected}"
        )
    if sum(g.p5_km3 is None for g in groups) != 1:
        raise ValueError("groups: exactly one group must be fitted to the basin total (no p5/p90)")
    reference = complete_years(reference.dropna())
    if reference.empty:
        raise ValueError("reference: no complete calendar year")
    if (reference <= 0).any():
        raise ValueError("reference: flows must be > 0 for a log-space anomaly")
    n_years = len(np.unique(reference.index.year))
    index = pd.DatetimeIndex(reference.index)
    logs = np.log(reference.to_numpy()).reshape(n_years, 12)
    anomaly = logs - logs.mean(axis=0)
    clim = climatology.sort_index()
    seconds = np.asarray(index.days_in_month, dtype=float).reshape(n_years, 12) * SECONDS_PER_DAY

    def group_flows(columns: Sequence[str], exponents: Exponents) -> dict[str, np.ndarray]:
        factor = _transfer(anomaly, exponents)
        return {c: clim[c].to_numpy(dtype=float)[None, :] * factor for c in columns}

    def total_km3(flows: dict[str, np.ndarray]) -> np.ndarray:
        volume = np.zeros(n_years)
        for q in flows.values():
            volume += (q * seconds).sum(axis=1) / 1e9
        return volume

    def own_misfit(columns: Sequence[str], p5: float, p90: float, b: Exponents) -> float:
        return _quantile_misfit(total_km3(group_flows(columns, b)), p5, p90)

    flows = {reference_column: reference.to_numpy().reshape(n_years, 12)}
    exponents: dict[str, Exponents] = {reference_column: (1.0, 1.0)}
    rest = next(g for g in groups if g.p5_km3 is None)
    for group in [g for g in groups if g is not rest]:
        assert group.p5_km3 is not None and group.p90_km3 is not None
        pair = _fit_exponents(partial(own_misfit, group.columns, group.p5_km3, group.p90_km3))
        exponents[group.name] = pair
        flows.update(group_flows(group.columns, pair))
    known = total_km3(flows)
    pair = _fit_exponents(
        lambda b: _quantile_misfit(
            known + total_km3(group_flows(rest.columns, b)), basin_p5_km3, basin_p90_km3
        )
    )
    exponents[rest.name] = pair
    flows.update(group_flows(rest.columns, pair))

    frame = pd.DataFrame({c: flows[c].reshape(-1) for c in climatology.columns}, index=index)
    return Reconstruction(frame, exponents, statistics(frame, groups))


def statistics(flows: pd.DataFrame, groups: Sequence[Group] = ()) -> pd.DataFrame:
    """Annual mean, 5 % and 90 % exceedance volumes (km3) of each group and of the total."""
    annual = annual_volume_km3(flows)
    assert isinstance(annual, pd.DataFrame)
    parts = {g.name: annual[list(g.columns)].sum(axis=1) for g in groups}
    parts["total"] = annual.sum(axis=1)
    rows = {
        name: {
            "mean_km3": float(total.mean()),
            "p5_km3": float(total.quantile(HIGH_QUANTILE)),
            "p90_km3": float(total.quantile(LOW_QUANTILE)),
        }
        for name, total in parts.items()
    }
    return pd.DataFrame(rows).T


# --------------------------------------------------------------------------- Syr Darya


@dataclass(frozen=True)
class BasinRecipe:
    """What :func:`build_table` needs for one basin (sources in the basin's SOURCES.md)."""

    gauge_station: int
    reference_column: str
    groups: tuple[Group, ...]
    basin_mean_km3: float
    basin_p5_km3: float
    basin_p90_km3: float


#: Syr Darya: the Chirchik inflow to Charvak (gauge 16294) is observed; the Naryn to Uchkurgan
#: (S_NAR + S_NLAT) and the Karadarya to Andijan keep their ICWC statistics; the small Fergana
#: rivers, the lateral inflow above Chardara and the Arys are fitted to the formation-zone total
#: (ICWC IWRM-Fergana Table 1, BASIN_FACTS A0, A1, A3).
SYR_DARYA = BasinRecipe(
    gauge_station=16294,
    reference_column="S_CHI",
    groups=(
        Group("naryn_uchkurgan", ("S_NAR", "S_NLAT"), p5_km3=20.68, p90_km3=10.68),
        Group("karadarya_andijan", ("S_KAR",), p5_km3=6.49, p90_km3=1.83),
        Group("other_rivers", ("S_FSM", "S_CLAT", "S_ARYS")),
    ),
    basin_mean_km3=37.20,
    basin_p5_km3=58.91,
    basin_p90_km3=23.97,
)

HEADER = """\
# Syr Darya example basin - monthly NATURAL inflows year by year, m3/s. RECONSTRUCTED except S_CHI.
# S_CHI: OBSERVED inflow to Charvak (gauge 16294, Uzbek Hydromet via hydrosolutions/riversCentralAsia), 10-day means -> monthly.
# All other columns: RECONSTRUCTED from the Chirchik by a monthly log-anomaly transfer that keeps each river's mean monthly flow
# (inflows.csv) and fits the ICWC annual statistics (exponents wet/dry: {exponents}). Not gauged values. See SOURCES.md section 2.
# Years {first}-{last} with a complete Chirchik record ({missing}). Rebuild: python -m nexusmodel.scenario.hydrology.historical
"""


def build_table(
    gauged_path: str | Path, climatology: pd.DataFrame, recipe: BasinRecipe = SYR_DARYA
) -> Reconstruction:
    """The reconstruction of ``climatology``'s columns from the gauged file, per ``recipe``."""
    gauged = read_gauged_discharge(gauged_path)
    reference = complete_years(monthly_discharge(gauged, recipe.gauge_station))
    return reconstruct(
        climatology,
        reference,
        recipe.reference_column,
        recipe.groups,
        recipe.basin_p5_km3,
        recipe.basin_p90_km3,
    )


def write_table(result: Reconstruction, path: str | Path) -> None:
    """Write the flows as ``date,<columns>`` (YYYY-MM, m3/s, 2 decimals) with the header."""
    index = result.flows.index
    years = sorted(set(index.year))
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    text = HEADER.format(
        exponents=", ".join(f"{k} {w:.3f}/{d:.3f}" for k, (w, d) in result.exponents.items()),
        first=years[0],
        last=years[-1],
        missing=f"missing: {', '.join(map(str, missing))}" if missing else "no gap",
    )
    table = result.flows.round(2)
    table.index = pd.Index([f"{t:%Y-%m}" for t in index], name="date")
    Path(path).write_text(text + table.to_csv(lineterminator="\n"))


#: Gauged series written as calibration observations: station -> (variable, model node, label).
OBSERVED_SERIES = {
    16294: ("total_inflow", "R_CHA", "gauge 16294 inflow to Charvak"),
    16275: ("link_flow", "R_CHA>R_CHD", "gauge 16275 Chirchik at Chinaz"),
}
#: Short source of every row (the full citation is in the header and SOURCES.md).
SOURCE = "Uzhydromet via riversCentralAsia"


def observation_rows(gauged: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """Monthly means of :data:`OBSERVED_SERIES` as calibration observations (m3/s, mid-month).

    Long format of :func:`nexusmodel.calibration.load_observations`; months without a value
    (a missing decade) are left out.
    """
    rows = []
    for code, (variable, node, label) in OBSERVED_SERIES.items():
        series = monthly_discharge(gauged, code).dropna()
        series = series[(series.index.year >= first_year) & (series.index.year <= last_year)]
        for month, value in series.items():
            rows.append(
                (
                    variable,
                    node,
                    f"{month + pd.Timedelta(days=14):%Y-%m-%d}",
                    round(float(value), 2),
                    "m3/s",
                    f"{label}; {SOURCE}",
                )
            )
    return pd.DataFrame(rows, columns=["variable", "node", "date", "value", "unit", "source"])


OBSERVATIONS_HEADER = """\
# OBSERVED monthly mean discharge of the Chirchik for calibration (m3/s; 10-day means weighted by days -> monthly, dated mid-month).
# Source: Uzbek hydrometeorological service (Uzhydromet), as published in the GPL-3 R package hydrosolutions/riversCentralAsia
# (inst/extdata/data_ChirchikRiver; T. Siegfried, B. Marti; data attributed to Uzhydromet / A. Yakovlev).
# Gauge 16294: inflow to Charvak (Chatkal + Pskem + small tributaries). Gauge 16275: Chirchik at Chinaz near its mouth (regulated).
# Compare with match="date" on the historical hydrology. Chinaz is below the Tashkent oasis withdrawals and includes its collector
# returns and the Ugam; the model's lower-Chirchik link R_CHA>R_CHD does not (returns go straight to Chardara). See SOURCES.md section 2.
# Rebuild: python -m nexusmodel.scenario.hydrology.historical GAUGED_CSV data/syr_darya
"""


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: rebuild a basin's ``inflows_historical.csv`` from the gauged file."""
    parser = argparse.ArgumentParser(
        prog="python -m nexusmodel.scenario.hydrology.historical",
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("gauged", type=Path, help="gauged discharge CSV (Chirchik format)")
    parser.add_argument("basin", type=Path, help="basin folder with inflows.csv (Syr Darya)")
    parser.add_argument(
        "--out", type=Path, help="output CSV (default BASIN/inflows_historical.csv)"
    )
    parser.add_argument(
        "--observations",
        type=Path,
        help="observations CSV (default BASIN/observations_chirchik.csv)",
    )
    args = parser.parse_args(argv)
    from nexusmodel.basin.load import load_basin

    basin = load_basin(args.basin)
    result = build_table(args.gauged, basin.tables.inflows)
    out = args.out or args.basin / "inflows_historical.csv"
    write_table(result, out)
    print(f"wrote {out}")
    years = sorted(set(result.flows.index.year))
    observed = observation_rows(read_gauged_discharge(args.gauged), years[0], years[-1])
    obs_path = args.observations or args.basin / "observations_chirchik.csv"
    Path(obs_path).write_text(
        OBSERVATIONS_HEADER + observed.to_csv(index=False, lineterminator="\n")
    )
    print(f"wrote {obs_path} ({len(observed)} rows)")
    print(result.statistics.round(2).to_string())


if __name__ == "__main__":
    main()
