"""Annual-statistics generator: :class:`AnnualScalingModel`, fitted by :func:`fit_to_annual_statistics`.

For when only a monthly climatology and published annual statistics (mean and two exceedance
quantiles) exist. The annual basin total (sum of all columns) follows a lognormal distribution:
two parameters with the mean kept and the quantiles fitted by least squares in log space, or,
when that misses a quantile by more than 1 %, three parameters fitted exactly (a lower bound
>= 0). Year-to-year persistence is AR(1) in the normal space, with the coefficient set so that
the annual totals have the requested lag-1 correlation. Each year
``q[m, site] = clim[m, site] * k_y * N[y, m, site]``: ``N`` is a lognormal month-to-month noise
of mean 1 (cv ``noise_cv``, lag-1 ``noise_lag1`` across months and years, correlation
``noise_site_corr`` between sites) and ``k_y`` scales the year so that its volume is exactly the
drawn annual total. The noise therefore only redistributes water within a year; annual totals
follow the fitted distribution exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nexusmodel.scenario.drivers import finite_number
from nexusmodel.scenario.hydrology.common import (
    _M3_PER,
    ANNUAL_UNITS,
    FLOW_UNITS,
    MEAN_DAYS,
    RHO_MAX,
    SECONDS_PER_DAY,
    _ar1,
    _as_frame,
    _check_flow_values,
    _choice,
    _month_days,
    _output_index,
    _rng,
)

QUANTILE_TOL = 0.01  # 2-parameter lognormal accepted if both quantiles are within 1 %
#: Standard normal quantiles (scipy.stats.norm.ppf, written out so importing costs no scipy).
Z_HIGH = 1.6448536269514722  # ppf(0.95): 5 % exceedance
Z_LOW = -1.2815515655446004  # ppf(0.10): 90 % exceedance


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
    from scipy.optimize import brentq, minimize_scalar  # lazy: only fitting needs scipy
    from scipy.stats import norm

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
        from scipy.stats import norm  # lazy: a basin run without generators does not pay for it

        p = finite_number(exceedance, "exceedance")
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

    mean = finite_number(annual_mean, "annual_mean")
    high = finite_number(p5_exceedance, "p5_exceedance")
    low = finite_number(p90_exceedance, "p90_exceedance")
    if low <= 0.0:
        raise ValueError(f"p90_exceedance = {p90_exceedance!r}: must be > 0")
    if not low < mean < high:
        raise ValueError(
            f"annual statistics must satisfy p90_exceedance < annual_mean < p5_exceedance, got "
            f"p90_exceedance = {low!r}, annual_mean = {mean!r}, p5_exceedance = {high!r}"
        )
    lag1 = finite_number(lag1_annual, "lag1_annual")
    if not -1.0 < lag1 < 1.0:
        raise ValueError(f"lag1_annual = {lag1_annual!r}: must be between -1 and 1")
    cv = finite_number(noise_cv, "noise_cv")
    if cv < 0.0:
        raise ValueError(f"noise_cv = {noise_cv!r}: must be >= 0")
    noise_rho = finite_number(noise_lag1, "noise_lag1")
    if not -1.0 < noise_rho < 1.0:
        raise ValueError(f"noise_lag1 = {noise_lag1!r}: must be between -1 and 1")
    site_rho = finite_number(noise_site_corr, "noise_site_corr")
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
