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

Modules: :mod:`~.common` (units, checks, :func:`annual_totals`), :mod:`~.thomas_fiering`,
:mod:`~.annual_scaling`, :mod:`~.bootstrap` (block bootstrap of whole years of a record) and
:mod:`~.historical` (a basin's gauged and reconstructed year-by-year inflows). scipy is
imported only inside the fitting functions, so importing this package (every basin run does,
through the scenario layer) does not load it.
"""

from nexusmodel.scenario.hydrology.annual_scaling import (
    AnnualScalingModel,
    fit_to_annual_statistics,
)
from nexusmodel.scenario.hydrology.bootstrap import BlockBootstrapModel, fit_block_bootstrap
from nexusmodel.scenario.hydrology.common import (
    ANNUAL_UNITS,
    FLOW_UNITS,
    MEAN_DAYS,
    SECONDS_PER_DAY,
    annual_totals,
)
from nexusmodel.scenario.hydrology.thomas_fiering import MonthlyModel, fit_thomas_fiering

__all__ = [
    "ANNUAL_UNITS",
    "FLOW_UNITS",
    "MEAN_DAYS",
    "SECONDS_PER_DAY",
    "AnnualScalingModel",
    "BlockBootstrapModel",
    "MonthlyModel",
    "annual_totals",
    "fit_block_bootstrap",
    "fit_thomas_fiering",
    "fit_to_annual_statistics",
]
