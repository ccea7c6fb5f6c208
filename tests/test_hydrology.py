"""Stochastic monthly inflows: fitted statistics are reproduced by the generated series."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from nexusmodel.scenario.hydrology import (
    AnnualScalingModel,
    MonthlyModel,
    annual_totals,
    fit_thomas_fiering,
    fit_to_annual_statistics,
)

CLIMATOLOGY = np.array([50, 45, 60, 120, 300, 500, 600, 450, 250, 120, 80, 60], dtype=float)


def synthetic_flows(seed: int = 0, years: int = 60) -> pd.DataFrame:
    """Two correlated sites, lognormal, with a yearly AR(1) part (0.5) and monthly lag-1 (0.6)."""
    rng = np.random.default_rng(seed)
    yearly = np.zeros(years)
    yearly[0] = rng.standard_normal()
    for y in range(1, years):
        yearly[y] = 0.5 * yearly[y - 1] + np.sqrt(1 - 0.25) * rng.standard_normal()
    chain = np.zeros(12 * years)
    chain[0] = rng.standard_normal()
    for t in range(1, 12 * years):
        chain[t] = 0.6 * chain[t - 1] + np.sqrt(1 - 0.36) * rng.standard_normal()
    u = np.sqrt(0.3) * np.repeat(yearly, 12) + np.sqrt(0.7) * chain
    a = np.tile(CLIMATOLOGY, years) * np.exp(0.25 * u - 0.25**2 / 2)
    b = 0.4 * a * np.exp(0.15 * rng.standard_normal(12 * years))
    index = pd.date_range("1960-01-01", periods=12 * years, freq="MS")
    return pd.DataFrame({"upper": a, "tributary": b}, index=index)


@pytest.fixture(scope="module")
def observed() -> pd.DataFrame:
    return synthetic_flows()


@pytest.fixture(scope="module")
def model(observed: pd.DataFrame) -> MonthlyModel:
    return fit_thomas_fiering(observed)


@pytest.fixture(scope="module")
def generated(model: MonthlyModel) -> pd.DataFrame:
    return model.generate("2025-01-01", 1000, seed=0)


def standardized(df: pd.DataFrame) -> pd.DataFrame:
    by_month = df.groupby(df.index.month)
    return (df - by_month.transform("mean")) / by_month.transform("std")


# --------------------------------------------------------------------------- annual totals


def test_annual_totals_hand_numbers():
    index = pd.date_range("2020-01-01", periods=30, freq="MS")  # 2020 (leap), 2021, half 2022
    flows = pd.DataFrame({"a": 1.0, "b": 2.0}, index=index)
    totals = annual_totals(flows)  # km3, complete years only
    # 2020: 3 m3/s * 366 d * 86 400 s = 94 867 200 m3 = 0.0948672 km3
    # 2021: 3 m3/s * 365 d * 86 400 s = 94 608 000 m3 = 0.094608 km3
    assert list(totals.index) == [2020, 2021]
    assert totals.to_numpy() == pytest.approx([0.0948672, 0.094608], rel=1e-12)
    assert annual_totals(flows, out="hm3").loc[2021] == pytest.approx(94.608)
    per_site = annual_totals(flows, by_site=True)
    assert per_site.loc[2021, "a"] == pytest.approx(0.031536)
    # monthly volumes: 10 hm3 every month = 120 hm3 = 0.12 km3
    assert annual_totals(flows["a"] * 10, unit="hm3").loc[2020] == pytest.approx(0.12)


# --------------------------------------------------------------------------- Thomas-Fiering


def test_generated_monthly_means_and_std(model: MonthlyModel, generated: pd.DataFrame):
    by_month = generated.groupby(generated.index.month)
    mean_error = (by_month.mean() / model.mean - 1).abs().to_numpy()
    std_error = (by_month.std() / model.std - 1).abs().to_numpy()
    # 1 000 years, seed 0: worst of 24 month/site values 1.9 % (means), 7.8 % (std)
    assert mean_error.max() < 0.05
    assert std_error.max() < 0.10


def test_fitted_statistics_are_the_observed_ones(observed: pd.DataFrame, model: MonthlyModel):
    by_month = observed.groupby(observed.index.month)
    assert model.mean.to_numpy() == pytest.approx(by_month.mean().to_numpy(), rel=1e-12)
    assert model.std.to_numpy() == pytest.approx(by_month.std().to_numpy(), rel=1e-12)
    assert list(model.mean.index) == list(range(1, 13))
    # the yearly part is calibrated so that annual cv and lag-1 match the observations
    fit = model.annual_fit
    assert fit["cv_model"].to_numpy() == pytest.approx(fit["cv_observed"].to_numpy(), rel=1e-4)
    assert fit["lag1_model"].to_numpy() == pytest.approx(fit["lag1_observed"].to_numpy(), abs=1e-6)
    assert np.all(fit["share"] > 0)


def test_annual_persistence_is_kept(observed, model, generated):
    observed_lag1 = annual_totals(observed, by_site=True).apply(lambda c: c.autocorr())
    generated_lag1 = annual_totals(generated, by_site=True).apply(lambda c: c.autocorr())
    # observed 0.356 / 0.317; generated (1 000 years, seed 0) 0.347 / 0.307 (s.e. ~0.035);
    # a plain monthly lag-1 model (share = 0) would give 0.07 / 0.02
    assert (generated_lag1 - observed_lag1).abs().max() < 0.1
    observed_cv = annual_totals(observed).std() / annual_totals(observed).mean()
    generated_cv = annual_totals(generated).std() / annual_totals(generated).mean()
    assert generated_cv == pytest.approx(observed_cv, rel=0.1)


def test_cross_site_correlation_is_kept(observed, generated):
    r_obs = standardized(observed).corr().loc["upper", "tributary"]
    r_gen = standardized(generated).corr().loc["upper", "tributary"]
    # observed 0.864, generated 0.854 (seed 0)
    assert r_gen == pytest.approx(r_obs, abs=0.05)


def test_generated_frame_shape_and_positivity(model, generated):
    assert generated.shape == (12_000, 2)
    assert list(generated.columns) == ["upper", "tributary"]
    assert generated.index.freqstr == "MS" and generated.index[0] == pd.Timestamp("2025-01-01")
    assert np.all(np.isfinite(generated.to_numpy())) and generated.to_numpy().min() > 0
    mid_year = model.generate("2025-10-01", 3, seed=1)
    assert len(mid_year) == 36 and mid_year.index[-1] == pd.Timestamp("2028-09-01")


def test_same_seed_same_series_different_seed_differs(model):
    first = model.generate("2025-01-01", 20, seed=7)
    pd.testing.assert_frame_equal(first, model.generate("2025-01-01", 20, seed=7))
    assert not np.allclose(first.to_numpy(), model.generate("2025-01-01", 20, seed=8).to_numpy())


def test_months_without_flow_stay_dry():
    flows = synthetic_flows(seed=2, years=20)
    flows.loc[flows.index.month.isin([1, 2]), "tributary"] = 0.0  # an ephemeral tributary
    generated = fit_thomas_fiering(flows).generate("2025-01-01", 50, seed=0)
    dry = generated.index.month.isin([1, 2])
    assert np.all(generated.loc[dry, "tributary"] == 0.0)
    assert generated.loc[~dry, "tributary"].min() > 0
    assert np.all(np.isfinite(generated.to_numpy()))


def test_single_site_series_and_volume_unit():
    flows = synthetic_flows(seed=4, years=30)["upper"] * 2.6  # ~hm3 per month
    generated = fit_thomas_fiering(flows, unit="hm3").generate("2025-01-01", 10, seed=0)
    assert list(generated.columns) == ["upper"] and len(generated) == 120


# --------------------------------------------------------------------------- annual scaling


@pytest.fixture(scope="module")
def syr_darya_climatology() -> pd.DataFrame:
    # three made-up tributaries in m3/s; their total (~27 km3/yr) is scaled to the published mean
    months = range(1, 13)
    return pd.DataFrame(
        {
            "naryn": [200, 190, 210, 350, 700, 1100, 1000, 700, 400, 280, 240, 210],
            "karadarya": [80, 80, 100, 200, 350, 400, 300, 200, 120, 90, 85, 80],
            "chirchik": [100, 100, 150, 300, 500, 500, 350, 200, 120, 100, 100, 100],
        },
        index=months,
        dtype=float,
    )


@pytest.fixture(scope="module")
def syr_darya(syr_darya_climatology) -> AnnualScalingModel:
    return fit_to_annual_statistics(syr_darya_climatology, 37.2, 58.9, 24.0, lag1_annual=0.3)


def test_annual_distribution_fit(syr_darya):
    # 2-parameter lognormal with the mean kept: sigma ~0.307, quantiles within 0.3 %
    assert syr_darya.kind == "lognormal2"
    assert syr_darya.annual_mean == pytest.approx(37.2, rel=1e-12)
    assert syr_darya.quantile(0.05) == pytest.approx(58.9, rel=0.01)
    assert syr_darya.quantile(0.90) == pytest.approx(24.0, rel=0.01)


def test_generated_annual_totals_match_published_statistics(syr_darya):
    flows = syr_darya.generate("2025-01-01", 2000, seed=0)
    totals = annual_totals(flows)  # km3
    assert len(totals) == 2000
    # sampling s.e. over 2 000 AR(1) years: ~0.9 % (mean), ~2 % (quantiles)
    # seed 0: mean -1.2 %, 5 % exceedance -1.7 %, 90 % exceedance -1.2 %, lag-1 0.298
    assert totals.mean() == pytest.approx(37.2, rel=0.02)
    assert totals.quantile(0.95) == pytest.approx(58.9, rel=0.05)
    assert totals.quantile(0.10) == pytest.approx(24.0, rel=0.05)
    assert totals.autocorr() == pytest.approx(0.3, abs=0.07)
    assert flows.to_numpy().min() > 0


def test_annual_scaling_monthly_pattern(syr_darya, syr_darya_climatology):
    flows = syr_darya.generate("2025-01-01", 1000, seed=1)
    by_month = flows.groupby(flows.index.month).mean()
    expected = syr_darya_climatology * syr_darya.scale
    assert (by_month / expected - 1).abs().to_numpy().max() < 0.05
    # the noise only moves water within a year: without it every year is the climatology shape
    quiet = fit_to_annual_statistics(syr_darya_climatology, 37.2, 58.9, 24.0, noise_cv=0.0)
    year = quiet.generate("2025-01-01", 3, seed=0).loc["2026"]
    ratio = year.to_numpy() / syr_darya_climatology.to_numpy()
    assert ratio == pytest.approx(np.full(ratio.shape, ratio[0, 0]), rel=1e-12)


def test_three_parameter_fit_when_two_parameters_miss(syr_darya_climatology):
    # mean 38 with the same quantiles: the 2-parameter fit misses them by ~3 %
    model = fit_to_annual_statistics(syr_darya_climatology, 38.0, 58.9, 24.0)
    assert model.kind == "lognormal3"
    assert model.annual_mean == pytest.approx(38.0, rel=1e-9)
    assert model.quantile(0.05) == pytest.approx(58.9, rel=1e-9)
    assert model.quantile(0.90) == pytest.approx(24.0, rel=1e-9)
    totals = annual_totals(model.generate("2025-01-01", 2000, seed=0))
    assert totals.mean() == pytest.approx(38.0, rel=0.02)


def test_annual_scaling_reproducible_and_units(syr_darya, syr_darya_climatology):
    first = syr_darya.generate("2025-04-01", 5, seed=3)
    pd.testing.assert_frame_equal(first, syr_darya.generate("2025-04-01", 5, seed=3))
    assert not first.equals(syr_darya.generate("2025-04-01", 5, seed=4))
    assert list(first.columns) == ["naryn", "karadarya", "chirchik"] and len(first) == 60
    hm3 = syr_darya_climatology * 2.6  # monthly volumes instead of rates
    model = fit_to_annual_statistics(hm3, 37_200, 58_900, 24_000, unit="hm3", annual_unit="hm3")
    totals = annual_totals(model.generate("2025-01-01", 10, seed=0), unit="hm3", out="hm3")
    assert totals.min() > 10_000 and totals.max() < 100_000


# --------------------------------------------------------------------------- bad input


def _bad(frame: pd.DataFrame, column: str, when: str, value: float) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[pd.Timestamp(when), column] = value
    return frame


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: _bad(f, "tributary", "1975-05-01", -3.0), "'tributary' is negative at 1975-05"),
        (lambda f: _bad(f, "upper", "1980-01-01", np.nan), "'upper' is missing (NaN)"),
        (lambda f: f.drop(pd.Timestamp("1970-03-01")), "consecutive months"),
        (lambda f: f.iloc[:48], "4 complete calendar year(s); need at least 5"),
        (lambda f: f.to_numpy(), "expected a pandas DataFrame"),
        (lambda f: f.reset_index(drop=True), "monthly DatetimeIndex"),
        (lambda f: f.iloc[:, :0], "no columns"),
    ],
)
def test_fit_thomas_fiering_rejects_bad_series(observed, make, message):
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        fit_thomas_fiering(make(observed))
    assert str(info.value).startswith("series")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.iloc[:11], "climatology: expected 12 rows"),
        (lambda c: c.set_axis(range(0, 12)), "climatology: index must be the months 1..12"),
        (lambda c: c.assign(naryn=-c["naryn"]), "climatology: column 'naryn' is negative"),
        (lambda c: c * 0.0, "climatology: all flows are zero"),
    ],
)
def test_fit_to_annual_statistics_rejects_bad_climatology(syr_darya_climatology, change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_to_annual_statistics(change(syr_darya_climatology), 37.2, 58.9, 24.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"p90_exceedance": 40.0}, "p90_exceedance < annual_mean < p5_exceedance"),
        ({"p90_exceedance": -1.0}, "p90_exceedance = -1.0"),
        ({"annual_mean": "37"}, "annual_mean = '37'"),
        ({"lag1_annual": 1.0}, "lag1_annual = 1.0"),
        ({"noise_cv": -0.1}, "noise_cv = -0.1"),
        ({"noise_site_corr": 2.0}, "noise_site_corr = 2.0"),
        ({"unit": "l/s"}, "unit = 'l/s'"),
        ({"annual_unit": "m3"}, "annual_unit = 'm3'"),
    ],
)
def test_fit_to_annual_statistics_rejects_bad_numbers(syr_darya_climatology, kwargs, name):
    args = {"annual_mean": 37.2, "p5_exceedance": 58.9, "p90_exceedance": 24.0} | kwargs
    with pytest.raises(ValueError, match=re.escape(name)):
        fit_to_annual_statistics(syr_darya_climatology, **args)


@pytest.mark.parametrize(
    ("start", "years", "seed", "name"),
    [
        ("2025-01-15", 10, 0, "start = '2025-01-15'"),
        ("not a date", 10, 0, "start = 'not a date'"),
        ("2025-01-01", 0, 0, "years = 0"),
        ("2025-01-01", 2.5, 0, "years = 2.5"),
        ("2025-01-01", 10, -1, "seed = -1"),
        ("2025-01-01", 10, None, "seed = None"),
    ],
)
def test_generate_rejects_bad_arguments(model, syr_darya, start, years, seed, name):
    for fitted in (model, syr_darya):
        with pytest.raises(ValueError, match=re.escape(name)):
            fitted.generate(start, years, seed)
