"""Thomas-Fiering monthly generator: :class:`MonthlyModel`, fitted by :func:`fit_thomas_fiering`.

Fitted to observed monthly series. Flows are lognormal month by month. The log-space mean and
std of each calendar month are set from the observed mean ``M`` and coefficient of variation
``cv`` by moment matching, ``sigma^2 = ln(1 + cv^2)``, ``mu = ln(M) - sigma^2 / 2``, so the
generated monthly means and variances equal the observed ones (not those of log(flow)) and flows
are always positive. The standardized log-flow is the sum of two Gaussian parts::

    u[y, m] = sqrt(lam) * A[y] + sqrt(1 - lam) * e[y, m]

``A`` is a yearly AR(1) (coefficient ``phi``) that carries year-to-year persistence, and ``e``
is a Thomas-Fiering periodic lag-1 chain over months whose coefficients are set so that the
lag-1 correlation between consecutive months equals the observed one (converted to log space
with the lognormal relation ``rho = ln(1 + r cv1 cv2) / (sigma1 sigma2)``). ``lam`` and ``phi``
are solved per site, with the exact lognormal covariance formulas, so that the variance and the
lag-1 correlation of the *annual volumes* equal the observed ones: a plain monthly lag-1 model
usually gives too little year-to-year persistence. ``lam = 0`` (no yearly part) when the monthly
chain alone already gives the observed annual variance; the model then cannot add persistence
(see ``annual_fit``). Several sites: the innovations of ``A`` and ``e`` are drawn jointly normal
with the correlation of the observed standardized monthly anomalies (pooled over months), so
cross-site correlation is kept approximately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nexusmodel.scenario.hydrology.common import (
    FLOW_UNITS,
    MEAN_DAYS,
    RHO_MAX,
    _ar1,
    _choice,
    _lag1_corr,
    _monthly_frame,
    _output_index,
    _rng,
)

MIN_YEARS = 5  # complete calendar years needed to fit a MonthlyModel
PHI_MAX = 0.95  # largest |coefficient| of the yearly AR(1) part
SHARE_MAX = 0.95  # largest share of log-variance given to the yearly part


# --------------------------------------------------------------------------- Thomas-Fiering


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
    from scipy.optimize import brentq  # lazy: only fitting needs scipy

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
