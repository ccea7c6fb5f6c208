"""Stochastic monthly inflows: lag-1 monthly generators that keep means, variances and persistence.

Two models, both with ``.generate(start, years, seed) -> DataFrame`` (monthly index ``"MS"``,
one column per site, the same units as the data they were fitted to):

:class:`MonthlyModel` (:func:`fit_thomas_fiering`), fitted to observed monthly series.
    Flows are lognormal month by month. The log-space mean and std of each calendar month are
    set from the observed mean ``M`` and coefficient of variation ``cv`` by moment matching,
    ``sigma^2 = ln(1 + cv^2)``, ``mu = ln(M) - sigma^2 / 2``, so the generated monthly means and
    variances equal the observed ones (not those of log(flow)) and flows are always positive.
    The standardized log-flow is the sum of two Gaussian parts::

        u[y, m] = sqrt(lam) * A[y] + sqrt(1 - lam) * e[y, m]

    ``A`` is a yearly AR(1) (coefficient ``phi``) that carries year-to-year persistence, and
    ``e`` is a Thomas-Fiering periodic lag-1 chain over months whose coefficients are set so
    that the lag-1 correlation between consecutive months equals the observed one (converted
    to log space with the lognormal relation ``rho = ln(1 + r cv1 cv2) / (sigma1 sigma2)``).
    ``lam`` and ``phi`` are solved per site, with the exact lognormal covariance formulas, so
    that the variance and the lag-1 correlation of the *annual volumes* equal the observed
    ones: a plain monthly lag-1 model usually gives too little year-to-year persistence.
    ``lam = 0`` (no yearly part) when the monthly chain alone already gives the observed
    annual variance; the model then cannot add persistence (see ``annual_fit``).
    Several sites: the innovations of ``A`` and ``e`` are drawn jointly normal with the
    correlation of the observed standardized monthly anomalies (pooled over months), so
    cross-site correlation is kept approximately.

:class:`AnnualScalingModel` (:func:`fit_to_annual_statistics`), for when only a monthly
    climatology and published annual statistics (mean and two exceedance quantiles) exist.
    The annual basin total (sum of all columns) follows a lognormal distribution: two
    parameters with the mean kept and the quantiles fitted by least squares in log space, or,
    when that misses a quantile by more than 1 %, three parameters fitted exactly (a lower
    bound >= 0). Year-to-year persistence is AR(1) in the normal space, with the coefficient
    set so that the annual totals have the requested lag-1 correlation. Each year
    ``q[m, site] = clim[m, site] * k_y * N[y, m, site]``: ``N`` is a lognormal month-to-month
    noise of mean 1 (cv ``noise_cv``, lag-1 ``noise_lag1`` across months and years,
    correlation ``noise_site_corr`` between sites) and ``k_y`` scales the year so that its
    volume is exactly the drawn annual total. The noise therefore only redistributes water
    within a year; annual totals follow the fitted distribution exactly.

Units: flows are ``"m3/s"`` (rates; monthly volume = q * days_in_month * 86 400 s) or monthly
volumes ``"hm3"`` / ``"km3"``. Annual volumes (:func:`annual_totals`) are in km3 or hm3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize_scalar
from scipy.signal import lfilter
from scipy.stats import norm

from nexusmodel.basin.basin import MEAN_MONTH_DAYS

SECONDS_PER_DAY = 86_400.0
#: Mean days of each calendar month (February 28.25), for climatologies and fitted weights.
MEAN_DAYS = np.array(MEAN_MONTH_DAYS, dtype=float)
FLOW_UNITS = ("m3/s", "hm3", "km3")
ANNUAL_UNITS = ("km3", "hm3")
_M3_PER = {"hm3": 1e6, "km3": 1e9}
MIN_YEARS = 5  # complete calendar years needed to fit a MonthlyModel
RHO_MAX = 0.99  # largest |correlation| used for a lag-1 coefficient
PHI_MAX = 0.95  # largest |coefficient| of the yearly AR(1) part
SHARE_MAX = 0.95  # largest share of log-variance given to the yearly part
QUANTILE_TOL = 0.01  # 2-parameter lognormal accepted if both quantiles are within 1 %
Z_HIGH = float(norm.ppf(0.95))  # 5 % exceedance
Z_LOW = float(norm.ppf(0.10))  # 90 % exceedance


# --------------------------------------------------------------------------- validation


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} = {value!r}: expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} = {value!r}: must be finite")
    return number


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


# --------------------------------------------------------------------------- Thomas-Fiering


def _lag1_corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each column of x with the same column of y (0 if constant)."""
    dx = x - x.mean(axis=0)
    dy = y - y.mean(axis=0)
    denom = np.sqrt((dx * dx).sum(axis=0) * (dy * dy).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (dx * dy).sum(axis=0) / np.where(denom > 0, denom, 1), 0.0)


def _chain_coefficients(rho: np.ndarray, share: float, phi: float) -> np.ndarray:
    """Coefficients of the monthly chain ``e`` so that ``u`` keeps the lag-1 correlations.

    ``rho[m]`` is the log-space correlation of month m with the month before it (``rho[0]``:
    December -> January; NaN if either month has no variance: the chain link is then 0, only the
    yearly part joins them). Within a year ``corr = share + (1 - share) * c``; across the new year
    ``corr = share * phi + (1 - share) * c``.
    """
    coef = (rho - share) / (1.0 - share)
    coef[0] = (rho[0] - share * phi) / (1.0 - share)
    return np.clip(np.nan_to_num(coef, nan=0.0), -1.0, 1.0)


def _chain_corr(coef: np.ndarray) -> np.ndarray:
    """24 x 24 correlation over two calendar years of a periodic AR(1) with these coefficients."""
    links = np.tile(coef, 2)  # links[p] joins position p - 1 to position p
    corr = np.eye(24)
    for p in range(23):
        products = np.cumprod(links[p + 1 :])
        corr[p, p + 1 :] = products
        corr[p + 1 :, p] = products
    return corr


def _annual_moments(
    share: float,
    phi: float,
    mean: np.ndarray,
    sigma: np.ndarray,
    rho: np.ndarray,
    weight: np.ndarray,
) -> tuple[float, float]:
    """Variance and lag-1 covariance of annual volumes sum(weight * q) (lognormal, exact)."""
    year = np.repeat([0, 1], 12)
    corr = share * np.where(year[:, None] == year[None, :], 1.0, phi)
    corr = corr + (1.0 - share) * _chain_corr(_chain_coefficients(rho, share, phi))
    np.fill_diagonal(corr, 1.0)
    scale = np.tile(weight * mean, 2)
    s = np.tile(sigma, 2)
    cov = np.outer(scale, scale) * np.expm1(np.outer(s, s) * corr)
    return float(cov[:12, :12].sum()), float(cov[:12, 12:].sum())


def _calibrate_site(
    mean: np.ndarray,
    sigma: np.ndarray,
    rho: np.ndarray,
    weight: np.ndarray,
    var_target: float,
    lag1_target: float,
) -> tuple[float, float]:
    """Share ``lam`` and coefficient ``phi`` of the yearly part matching annual var and lag-1."""
    known = rho[1:][np.isfinite(rho[1:])]
    share_max = min(SHARE_MAX, float(np.min((1.0 + known) / 2.0, initial=2.0)) - 1e-6)

    def var_gap(share: float) -> float:
        return _annual_moments(share, 0.0, mean, sigma, rho, weight)[0] - var_target

    if share_max <= 0.0 or var_target <= 0.0 or var_gap(0.0) >= 0.0:
        return 0.0, 0.0
    if var_gap(share_max) + var_target <= 0.0:  # no month varies: nothing to calibrate
        return 0.0, 0.0
    share = share_max if var_gap(share_max) <= 0.0 else brentq(var_gap, 0.0, share_max, xtol=1e-8)
    low, high = -PHI_MAX, PHI_MAX
    if np.isfinite(rho[0]):  # keep the December -> January chain link within [-1, 1]
        low = max(low, (rho[0] - (1.0 - share)) / share)
        high = min(high, (rho[0] + (1.0 - share)) / share)
        low = min(low, high)

    def lag1_gap(phi: float) -> float:
        var, cov = _annual_moments(share, phi, mean, sigma, rho, weight)
        return cov / var - lag1_target

    if lag1_gap(low) >= 0.0:
        return share, low
    if lag1_gap(high) <= 0.0:
        return share, high
    return share, brentq(lag1_gap, low, high, xtol=1e-8)


def _log_site_corr(
    values: np.ndarray, months: np.ndarray, cv: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """Same-month correlation between sites of log-flow, averaged over months.

    Observed correlations ``r`` of each calendar month become log-space correlations with the
    lognormal relation ``ln(1 + r cv_i cv_j) / (sigma_i sigma_j)``.
    """
    n_sites = values.shape[1]
    corr = np.eye(n_sites)
    for i in range(n_sites):
        for j in range(i + 1, n_sites):
            logs = []
            for m in range(12):
                if sigma[m, i] > 0 and sigma[m, j] > 0:
                    rows = months == m
                    r = _lag1_corr(values[rows, i : i + 1], values[rows, j : j + 1])[0]
                    arg = max(1.0 + r * cv[m, i] * cv[m, j], 1e-12)
                    logs.append(math.log(arg) / (sigma[m, i] * sigma[m, j]))
            corr[i, j] = corr[j, i] = float(np.clip(np.mean(logs), -1, 1)) if logs else 0.0
    return corr


def _periodic_gain(link: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Stationary h of the periodic recursion ``h[m] = link[m] * h[m-1] + gain[m]`` (12 months)."""
    h, total = 0.0, 1.0
    for m in range(12):  # h[11] = total * h[11] + (value reached from h[-1] = 0)
        h = link[m] * h + gain[m]
        total *= link[m]
    h = h / max(1.0 - total, 1e-12)
    out = np.empty(12)
    for m in range(12):
        h = link[m] * h + gain[m]
        out[m] = h
    return out


def _innovation_corr(
    values: np.ndarray,
    months: np.ndarray,
    cv: np.ndarray,
    sigma: np.ndarray,
    share: np.ndarray,
    phi: np.ndarray,
    chain: np.ndarray,
) -> np.ndarray:
    """Correlation of the innovations that gives the observed same-month log correlations.

    With innovation correlation ``r`` the same-month covariance of ``u_i, u_j`` is ``r * G``:
    ``G = sqrt(lam_i lam_j) (1-phi_i^2)^.5 (1-phi_j^2)^.5 / (1 - phi_i phi_j)`` (yearly parts)
    ``+ sqrt((1-lam_i)(1-lam_j)) * mean_m h_m`` (monthly chains, h from _periodic_gain).
    """
    target = _log_site_corr(values, months, cv, sigma)
    n_sites = len(share)
    corr = np.eye(n_sites)
    for i in range(n_sites):
        for j in range(i + 1, n_sites):
            yearly = math.sqrt((1 - phi[i] ** 2) * (1 - phi[j] ** 2)) / (1 - phi[i] * phi[j])
            monthly = _periodic_gain(
                chain[:, i] * chain[:, j], np.sqrt((1 - chain[:, i] ** 2) * (1 - chain[:, j] ** 2))
            ).mean()
            gain = math.sqrt(share[i] * share[j]) * yearly
            gain += math.sqrt((1 - share[i]) * (1 - share[j])) * monthly
            corr[i, j] = corr[j, i] = float(np.clip(target[i, j] / gain, -1, 1)) if gain else 0.0
    return corr


def _site_factor(corr: np.ndarray) -> np.ndarray:
    """A matrix L with L @ L.T = corr (negative eigenvalues clipped to 0)."""
    values, vectors = np.linalg.eigh(corr)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def _ar1(eps: np.ndarray, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) along axis 0.

    ``z[0] = eps[0]``, ``z[t] = phi * z[t-1] + sqrt(1 - phi^2) * eps[t]``.
    """
    x = math.sqrt(1.0 - phi * phi) * eps
    x[0] = eps[0]
    return lfilter([1.0], [1.0, -phi], x, axis=0)


@dataclass(frozen=True, eq=False)
class MonthlyModel:
    """Fitted lag-1 monthly lognormal model with a yearly persistence part (see module doc).

    ``mean``, ``std`` and ``lag1`` (12 x sites, months 1..12) are the observed monthly
    statistics the model reproduces (``lag1`` of month m: correlation with the month before).
    ``annual_fit`` lists per site the observed and modelled annual cv and lag-1 correlation,
    the yearly share ``lam`` of the log-variance and its AR(1) coefficient ``phi``.
    """

    columns: pd.Index
    unit: str
    mean: pd.DataFrame
    std: pd.DataFrame
    lag1: pd.DataFrame
    log_mu: np.ndarray  # (12, sites)
    log_sigma: np.ndarray  # (12, sites)
    chain: np.ndarray  # (12, sites) coefficients of the monthly chain e
    share: np.ndarray  # (sites,) lam
    phi: np.ndarray  # (sites,)
    site_corr: np.ndarray  # (sites, sites) correlation of the innovations
    annual_fit: pd.DataFrame

    def generate(self, start: str | pd.Timestamp, years: int, seed: int) -> pd.DataFrame:
        """``years`` years of monthly flows from ``start`` (a month start), same units/columns."""
        index = _output_index(start, years)
        rng = _rng(seed)
        n_years = index[-1].year - index[0].year + 1
        n_months, n_sites = 12 * n_years, len(self.columns)
        factor = _site_factor(self.site_corr)
        eta = rng.standard_normal((n_years, n_sites)) @ factor.T
        xi = rng.standard_normal((n_months, n_sites)) @ factor.T
        yearly = np.column_stack([_ar1(eta[:, s], self.phi[s]) for s in range(n_sites)])
        innovation = np.sqrt(1.0 - self.chain**2)
        chain = np.empty_like(xi)
        chain[0] = xi[0]
        for t in range(1, n_months):
            m = t % 12
            chain[t] = self.chain[m] * chain[t - 1] + innovation[m] * xi[t]
        u = np.sqrt(self.share) * np.repeat(yearly, 12, axis=0) + np.sqrt(1 - self.share) * chain
        month = np.tile(np.arange(12), n_years)
        with np.errstate(invalid="ignore"):
            flows = np.exp(self.log_mu[month] + self.log_sigma[month] * u)
        flows = np.where(np.isfinite(self.log_mu[month]), flows, 0.0)
        offset = index[0].month - 1
        return pd.DataFrame(
            flows[offset : offset + len(index)], index=index, columns=self.columns.copy()
        )


def _monthly_moments(
    values: np.ndarray, months: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per calendar month (rows 0..11): mean, std (ddof 1), lag-1 corr with the month before."""
    n_sites = values.shape[1]
    mean, std, lag1 = (np.zeros((12, n_sites)) for _ in range(3))
    for m in range(12):
        rows = np.flatnonzero(months == m)
        mean[m] = values[rows].mean(axis=0)
        std[m] = values[rows].std(axis=0, ddof=1)
        rows = rows[rows >= 1]
        lag1[m] = _lag1_corr(values[rows - 1], values[rows])
    return mean, std, lag1


def _log_parameters(
    mean: np.ndarray, std: np.ndarray, lag1: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lognormal moment matching: cv, sigma, mu (-inf for a dry month), log-space lag-1 rho.

    ``sigma^2 = ln(1 + cv^2)``, ``mu = ln(mean) - sigma^2 / 2``,
    ``rho = ln(1 + r cv_prev cv) / (sigma_prev sigma)`` (NaN when a sigma is 0).
    """
    positive = mean > 0.0
    cv = np.where(positive, std / np.where(positive, mean, 1.0), 0.0)
    sigma = np.sqrt(np.log1p(cv**2))
    with np.errstate(divide="ignore"):
        mu = np.where(positive, np.log(np.where(positive, mean, 1.0)) - sigma**2 / 2, -np.inf)
    pair = np.roll(sigma, 1, axis=0) * sigma
    arg = np.maximum(1.0 + lag1 * np.roll(cv, 1, axis=0) * cv, 1e-12)
    rho = np.where(pair > 0, np.log(arg) / np.where(pair > 0, pair, 1.0), np.nan)
    return cv, sigma, mu, np.clip(rho, -RHO_MAX, RHO_MAX)


def _annual_volumes(values: np.ndarray, index: pd.DatetimeIndex, unit: str) -> np.ndarray:
    """Volumes of the complete calendar years (years x sites), in value-units x days for rates."""
    years = np.asarray(index.year)
    per_month = np.asarray(index.days_in_month, dtype=float)
    if unit != "m3/s":
        per_month = np.ones(len(index))
    frame = pd.DataFrame(values * per_month[:, None], index=years)
    grouped = frame.groupby(level=0)
    return grouped.sum()[grouped.size() == 12].to_numpy()


def fit_thomas_fiering(series: pd.DataFrame, unit: str = "m3/s") -> MonthlyModel:
    """Fit a :class:`MonthlyModel` to consecutive monthly flows (one column per site, >= 0).

    Needs at least 5 complete calendar years. ``unit`` ("m3/s", "hm3" or "km3") only sets how
    months are weighted into annual volumes (days for rates). See the module docstring.
    """
    unit = _choice(unit, "unit", FLOW_UNITS)
    frame, values = _monthly_frame(series, "series")
    volumes = _annual_volumes(values, frame.index, unit)
    if len(volumes) < MIN_YEARS:
        raise ValueError(
            f"series: has {len(volumes)} complete calendar year(s); need at least {MIN_YEARS}"
        )
    months = np.asarray(frame.index.month) - 1
    mean, std, lag1 = _monthly_moments(values, months)
    cv, sigma, log_mu, rho = _log_parameters(mean, std, lag1)
    weight = MEAN_DAYS if unit == "m3/s" else np.ones(12)
    n_sites = values.shape[1]
    share, phi, chain = np.zeros(n_sites), np.zeros(n_sites), np.zeros((12, n_sites))
    rows = []
    for s in range(n_sites):
        var_obs = float(np.var(volumes[:, s], ddof=1))
        lag1_obs = float(_lag1_corr(volumes[:-1, s : s + 1], volumes[1:, s : s + 1])[0])
        site = (mean[:, s], sigma[:, s], rho[:, s], weight)
        share[s], phi[s] = _calibrate_site(*site, var_obs, lag1_obs)
        chain[:, s] = _chain_coefficients(rho[:, s], share[s], phi[s])
        var_mod, cov_mod = _annual_moments(share[s], phi[s], *site)
        mean_mod, mean_obs = float((weight * mean[:, s]).sum()), float(volumes[:, s].mean())
        rows.append(
            {
                "cv_observed": math.sqrt(var_obs) / mean_obs if mean_obs > 0 else 0.0,
                "cv_model": math.sqrt(var_mod) / mean_mod if mean_mod > 0 else 0.0,
                "lag1_observed": lag1_obs,
                "lag1_model": cov_mod / var_mod if var_mod > 0 else 0.0,
                "share": share[s],
                "phi": phi[s],
            }
        )
    columns = frame.columns.copy()
    month_index = pd.RangeIndex(1, 13, name="month")

    def table(data: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(data, index=month_index, columns=columns)

    return MonthlyModel(
        columns=columns,
        unit=unit,
        mean=table(mean),
        std=table(std),
        lag1=table(lag1),
        log_mu=log_mu,
        log_sigma=sigma,
        chain=chain,
        share=share,
        phi=phi,
        site_corr=_innovation_corr(values, months, cv, sigma, share, phi, chain),
        annual_fit=pd.DataFrame(rows, index=columns),
    )


# --------------------------------------------------------------------------- annual scaling


def _fit_annual_distribution(
    mean: float, q_high: float, q_low: float
) -> tuple[str, float, float, float]:
    """(kind, lower bound, mu, sigma) of ``T = bound + exp(mu + sigma Z)``, mean kept exactly.

    First a 2-parameter lognormal (bound 0): ``mu = ln(mean) - sigma^2 / 2`` and ``sigma`` by
    least squares on the log of the two quantiles. If a quantile is missed by more than 1 %,
    the 3-parameter lognormal through both quantiles with the given mean is used when one
    exists with a bound between ``-5 * q_high`` and ``q_low / 2`` and P(T < 0) <= 1e-6;
    otherwise the 2-parameter fit is kept (check ``AnnualScalingModel.quantile``).
    """
    log_high, log_low = math.log(q_high), math.log(q_low)

    def squared_error(sigma: float) -> float:
        mu = math.log(mean) - sigma * sigma / 2
        return (mu + Z_HIGH * sigma - log_high) ** 2 + (mu + Z_LOW * sigma - log_low) ** 2

    sigma = float(
        minimize_scalar(
            squared_error, bounds=(1e-6, 3.0), method="bounded", options={"xatol": 1e-12}
        ).x
    )
    mu = math.log(mean) - sigma * sigma / 2
    misfit = max(
        abs(math.exp(mu + Z_HIGH * sigma) / q_high - 1),
        abs(math.exp(mu + Z_LOW * sigma) / q_low - 1),
    )
    if misfit <= QUANTILE_TOL:
        return "lognormal2", 0.0, mu, sigma

    def three(bound: float) -> tuple[float, float]:
        s = (math.log(q_high - bound) - math.log(q_low - bound)) / (Z_HIGH - Z_LOW)
        return math.log(q_high - bound) - Z_HIGH * s, s

    def mean_gap(bound: float) -> float:
        m, s = three(bound)
        return bound + math.exp(m + s * s / 2) - mean

    # the mean is not monotonic in the bound: scan for brackets, keep the root nearest 0
    grid = np.concatenate([np.linspace(-5.0 * q_high, 0.0, 201), np.linspace(0.0, q_low / 2, 101)])
    gaps = np.array([mean_gap(b) for b in grid])
    roots = [
        brentq(mean_gap, grid[i], grid[i + 1], xtol=1e-12 * q_high)
        for i in np.flatnonzero(np.sign(gaps[:-1]) * np.sign(gaps[1:]) <= 0)
    ]
    for bound in sorted(roots, key=abs):
        m, s = three(bound)
        if bound >= 0.0 or norm.cdf((math.log(-bound) - m) / s) <= 1e-6:
            return "lognormal3", float(bound), m, s
    return "lognormal2", 0.0, mu, sigma


@dataclass(frozen=True, eq=False)
class AnnualScalingModel:
    """Annual basin total (lognormal, AR(1)) times a noisy monthly climatology (see module doc).

    ``climatology`` (12 x sites, months 1..12, in ``unit``) is the pattern; the annual total
    ``T = lower_bound + exp(mu + sigma Z)`` is in ``annual_unit``; ``phi`` is the AR(1)
    coefficient of Z. ``scale`` = annual mean / climatology total: generated monthly means are
    about ``climatology * scale``.
    """

    climatology: pd.DataFrame
    unit: str
    annual_unit: str
    kind: str
    lower_bound: float
    mu: float
    sigma: float
    lag1_annual: float
    phi: float
    noise_cv: float
    noise_lag1: float
    noise_site_corr: float
    scale: float

    @property
    def columns(self) -> pd.Index:
        return self.climatology.columns

    @property
    def annual_mean(self) -> float:
        """Mean annual total, in ``annual_unit``."""
        return self.lower_bound + math.exp(self.mu + self.sigma**2 / 2)

    def quantile(self, exceedance: float) -> float:
        """Annual total exceeded with probability ``exceedance`` (0.05 = 5 %), ``annual_unit``."""
        p = _number(exceedance, "exceedance")
        if not 0.0 < p < 1.0:
            raise ValueError(f"exceedance = {exceedance!r}: must be between 0 and 1")
        return self.lower_bound + math.exp(self.mu + self.sigma * float(norm.ppf(1.0 - p)))

    def generate(self, start: str | pd.Timestamp, years: int, seed: int) -> pd.DataFrame:
        """``years`` years of monthly flows from ``start`` (a month start), in ``unit``."""
        index = _output_index(start, years)
        rng = _rng(seed)
        first_year = index[0].year
        n_years = index[-1].year - first_year + 1
        n_months, n_sites = 12 * n_years, len(self.columns)
        z = _ar1(rng.standard_normal(n_years), self.phi)
        totals = np.maximum(self.lower_bound + np.exp(self.mu + self.sigma * z), 0.0)
        common = rng.standard_normal((n_months, 1))
        own = rng.standard_normal((n_months, n_sites))
        c = self.noise_site_corr
        eps = _ar1(math.sqrt(c) * common + math.sqrt(1.0 - c) * own, self.noise_lag1)
        s2 = math.log1p(self.noise_cv**2)
        noise = np.exp(math.sqrt(s2) * eps - s2 / 2)
        base = np.tile(self.climatology.to_numpy(dtype=float), (n_years, 1)) * noise
        if self.unit == "m3/s":
            to_annual = (
                _month_days(first_year, n_years) * SECONDS_PER_DAY / _M3_PER[self.annual_unit]
            )
        else:
            to_annual = np.full(n_months, _M3_PER[self.unit] / _M3_PER[self.annual_unit])
        year_volume = (base * to_annual[:, None]).reshape(n_years, 12 * n_sites).sum(axis=1)
        flows = base * np.repeat(totals / year_volume, 12)[:, None]
        offset = index[0].month - 1
        return pd.DataFrame(
            flows[offset : offset + len(index)], index=index, columns=self.columns.copy()
        )


def fit_to_annual_statistics(
    climatology: pd.DataFrame,
    annual_mean: float,
    p5_exceedance: float,
    p90_exceedance: float,
    lag1_annual: float = 0.3,
    *,
    unit: str = "m3/s",
    annual_unit: str = "km3",
    noise_cv: float = 0.1,
    noise_lag1: float = 0.5,
    noise_site_corr: float = 1.0,
    scale_to_annual_mean: bool = True,
) -> AnnualScalingModel:
    """Fit an :class:`AnnualScalingModel` to a climatology and published annual statistics.

    ``climatology``: 12 rows (index months 1..12) x sites of mean monthly flows in ``unit``.
    ``annual_mean``, ``p5_exceedance`` (total exceeded in 5 % of years) and ``p90_exceedance``
    (exceeded in 90 % of years) describe the annual total of all columns, in ``annual_unit``.
    ``lag1_annual`` is the lag-1 correlation of annual totals. With ``scale_to_annual_mean``
    the climatology is scaled to the published mean (``model.scale``); otherwise the annual
    distribution is scaled to the climatology's own total (same cv and quantile ratios).
    """
    unit = _choice(unit, "unit", FLOW_UNITS)
    annual_unit = _choice(annual_unit, "annual_unit", ANNUAL_UNITS)
    clim = _as_frame(climatology, "climatology")
    if clim.shape[0] != 12:
        raise ValueError(
            f"climatology: expected 12 rows (months 1..12), got {clim.shape[0]} row(s)"
        )
    if sorted(clim.index) != list(range(1, 13)):
        raise ValueError(f"climatology: index must be the months 1..12, got {list(clim.index)}")
    clim = clim.sort_index()
    values = _check_flow_values(clim, "climatology", [f"month {m}" for m in clim.index])
    if unit == "m3/s":
        to_annual = MEAN_DAYS * SECONDS_PER_DAY / _M3_PER[annual_unit]
    else:
        to_annual = np.full(12, _M3_PER[unit] / _M3_PER[annual_unit])
    clim_total = float((values * to_annual[:, None]).sum())
    if clim_total <= 0.0:
        raise ValueError("climatology: all flows are zero; need a positive annual total")

    mean = _number(annual_mean, "annual_mean")
    high = _number(p5_exceedance, "p5_exceedance")
    low = _number(p90_exceedance, "p90_exceedance")
    if low <= 0.0:
        raise ValueError(f"p90_exceedance = {p90_exceedance!r}: must be > 0")
    if not low < mean < high:
        raise ValueError(
            f"annual statistics must satisfy p90_exceedance < annual_mean < p5_exceedance, got "
            f"p90_exceedance = {low!r}, annual_mean = {mean!r}, p5_exceedance = {high!r}"
        )
    lag1 = _number(lag1_annual, "lag1_annual")
    if not -1.0 < lag1 < 1.0:
        raise ValueError(f"lag1_annual = {lag1_annual!r}: must be between -1 and 1")
    cv = _number(noise_cv, "noise_cv")
    if cv < 0.0:
        raise ValueError(f"noise_cv = {noise_cv!r}: must be >= 0")
    noise_rho = _number(noise_lag1, "noise_lag1")
    if not -1.0 < noise_rho < 1.0:
        raise ValueError(f"noise_lag1 = {noise_lag1!r}: must be between -1 and 1")
    site_rho = _number(noise_site_corr, "noise_site_corr")
    if not 0.0 <= site_rho <= 1.0:
        raise ValueError(f"noise_site_corr = {noise_site_corr!r}: must be between 0 and 1")

    kind, bound, mu, sigma = _fit_annual_distribution(mean, high, low)
    arg = 1.0 + lag1 * math.expm1(sigma * sigma)
    if arg <= 0.0:
        raise ValueError(
            f"lag1_annual = {lag1_annual!r}: too negative for a lognormal of this spread"
        )
    phi = float(np.clip(math.log(arg) / (sigma * sigma), -RHO_MAX, RHO_MAX))
    scale = mean / clim_total
    if not scale_to_annual_mean:
        bound, mu, scale = bound / scale, mu - math.log(scale), 1.0
    return AnnualScalingModel(
        climatology=clim.astype(float),
        unit=unit,
        annual_unit=annual_unit,
        kind=kind,
        lower_bound=bound,
        mu=mu,
        sigma=sigma,
        lag1_annual=lag1,
        phi=phi,
        noise_cv=cv,
        noise_lag1=noise_rho,
        noise_site_corr=site_rho,
        scale=scale,
    )
