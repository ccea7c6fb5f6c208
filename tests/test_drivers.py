"""Scenario drivers: numbers worked out by hand in the comments."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from nexusmodel.scenario.drivers import (
    decimal_year,
    elasticity_growth,
    growth_factor,
    monthly_change,
    path_factor,
    ramp,
    shift_snowmelt,
    shift_snowmelt_climatology,
    years_since,
)


def months(start: str = "2025-01-01", years: int = 11) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=12 * years, freq="MS")


# --------------------------------------------------------------------------- time


def test_decimal_year_is_month_based():
    t = decimal_year(pd.DatetimeIndex(["2025-01-01", "2025-07-01", "2025-07-11", "2035-01-01"]))
    # Jul = 2025 + 6/12; 11 Jul = + (11-1)/(12*31); Jan 2035 = 2035.0
    assert t == pytest.approx([2025.0, 2025.5, 2025.5 + 10 / 372, 2035.0], abs=1e-12)


def test_years_since_first_step_and_base_year():
    times = months("2025-04-01", 2)
    assert years_since(times)[0] == 0.0
    assert years_since(times)[12] == pytest.approx(1.0)
    # from 1 Jan 2024: Apr 2025 = 1 + 3/12
    assert years_since(times, base_year=2024)[0] == pytest.approx(1.25)


# --------------------------------------------------------------------------- growth


def test_growth_factor_two_percent_for_ten_years():
    f = growth_factor(months(), 0.02)
    assert f[0] == 1.0
    # 1.02^10 = 1.2189944...; Jan 2035 is step 120
    assert f[120] == pytest.approx(1.02**10, rel=1e-12)
    assert f[120] == pytest.approx(1.218994, abs=1e-6)
    # half a year: 1.02^0.5 = 1.0099504
    assert f[6] == pytest.approx(1.0099504, abs=1e-7)
    assert np.all(np.diff(f) > 0)


def test_growth_factor_base_year():
    f = growth_factor(months("2025-01-01", 1), 0.02, base_year=2020)
    # 5 years after 1 Jan 2020: 1.02^5 = 1.1040808
    assert f[0] == pytest.approx(1.1040808, abs=1e-7)


def test_elasticity_growth():
    f = elasticity_growth(months(), 0.05, 0.6)
    # (1.05)^(0.6*10) = 1.05^6 = 1.3400956
    assert f[120] == pytest.approx(1.3400956, abs=1e-7)
    assert f[0] == 1.0
    assert elasticity_growth(months(), 0.05, 0.0) == pytest.approx(np.ones(132))


def test_path_factor_interpolates_and_holds_flat():
    times = months("2020-01-01", 20)
    f = path_factor(times, {2035: 1.3, 2025: 1.0})
    year = np.asarray(times.year)
    assert np.all(f[year < 2025] == 1.0)  # flat before the first year
    assert np.all(f[year >= 2035] == 1.3)  # flat after the last year
    # 1 Jul 2030 = 2030.5: 1.0 + 0.3 * 5.5/10 = 1.165
    assert f[times.get_loc(pd.Timestamp("2030-07-01"))] == pytest.approx(1.165)


# --------------------------------------------------------------------------- changes


def test_ramp_minus_ten_percent_over_eleven_years():
    times = months("2020-01-01", 11)  # 2020..2030
    f = ramp(times, -0.1)
    year = np.asarray(times.year)
    assert np.all(f[year == 2020] == 1.0)  # first year: no change
    assert f[year == 2030] == pytest.approx(np.full(12, 0.9))  # last year: -10 %
    # middle year 2025: 1 - 0.1 * 5/10 = 0.95
    assert f[year == 2025] == pytest.approx(np.full(12, 0.95))
    # 2021: 1 - 0.1 * 1/10 = 0.99, constant within the year
    assert f[year == 2021] == pytest.approx(np.full(12, 0.99))


def test_ramp_step_mode():
    assert ramp(months(), -0.1, mode="step") == pytest.approx(np.full(132, 0.9))
    assert ramp(months("2025-01-01", 1), 0.2, mode="step") == pytest.approx(np.full(12, 1.2))


def test_monthly_change():
    times = months("2025-01-01", 2)
    f = monthly_change(times, {7: -0.1, 8: -0.1})
    month = np.asarray(times.month)
    assert f[np.isin(month, [7, 8])] == pytest.approx(np.full(4, 0.9))
    assert np.all(f[~np.isin(month, [7, 8])] == 1.0)
    assert monthly_change(times, 0.05) == pytest.approx(np.full(24, 1.05))


# --------------------------------------------------------------------------- snowmelt


def test_shift_snowmelt_volume_in_m3s():
    # two years of flows in m3/s; volumes are q * days (the 86 400 s/day cancels)
    times = months("2023-01-01", 2)  # 2024 is a leap year (Feb 29 days)
    rng = np.random.default_rng(3)
    q = pd.Series(rng.uniform(50, 800, len(times)), index=times, name="inflow")
    out = shift_snowmelt(q, from_months=(7, 8, 9), to_months=(4, 5), fraction=0.15, unit="m3/s")
    days = np.asarray(times.days_in_month, dtype=float)
    vol, new = q.to_numpy() * days, out.to_numpy() * days
    for year in (2023, 2024):
        rows = np.asarray(times.year) == year
        month = np.asarray(times.month)
        src, dst = rows & np.isin(month, [7, 8, 9]), rows & np.isin(month, [4, 5])
        # annual volume kept
        assert new[rows].sum() == pytest.approx(vol[rows].sum(), rel=1e-9)
        # Jul-Sep lose exactly 0.15 * V(Jul-Sep), Apr-May gain it
        moved = 0.15 * vol[src].sum()
        assert vol[src].sum() - new[src].sum() == pytest.approx(moved, rel=1e-9)
        assert new[dst].sum() - vol[dst].sum() == pytest.approx(moved, rel=1e-9)
        # spread in proportion to the existing Apr/May volumes
        gain = new[dst] - vol[dst]
        assert gain == pytest.approx(moved * vol[dst] / vol[dst].sum(), rel=1e-9)
        other = rows & ~np.isin(month, [4, 5, 7, 8, 9])
        assert new[other] == pytest.approx(vol[other], rel=1e-12)
    assert out.name == "inflow" and out.index.equals(q.index)


def test_shift_snowmelt_hand_numbers_hm3():
    # one year of monthly volumes (hm3): Apr 100, May 300, Jul/Aug/Sep 400 each, others 50
    times = months("2025-01-01", 1)
    v = np.full(12, 50.0)
    v[[3, 4]] = [100.0, 300.0]
    v[[6, 7, 8]] = 400.0
    out = shift_snowmelt(pd.Series(v, index=times), (7, 8, 9), (4, 5), 0.15, unit="hm3")
    # moved = 0.15 * 1200 = 180; Apr gets 180 * 100/400 = 45, May 180 * 300/400 = 135
    # each of Jul-Sep keeps 400 * 0.85 = 340
    expected = v.copy()
    expected[[3, 4]] = [145.0, 435.0]
    expected[[6, 7, 8]] = 340.0
    assert out.to_numpy() == pytest.approx(expected, rel=1e-12)
    assert out.sum() == pytest.approx(v.sum(), rel=1e-12)


def test_shift_snowmelt_partial_year_unchanged():
    times = pd.date_range("2025-06-01", periods=19, freq="MS")  # Jun 2025 .. Dec 2026
    q = pd.Series(100.0, index=times)
    out = shift_snowmelt(q, (7, 8, 9), (4, 5), 0.2)
    assert np.all(out[times.year == 2025] == 100.0)  # Apr/May 2025 missing: no shift
    assert out[times.year == 2026].iloc[3] > 100.0  # Apr 2026 gains


def test_shift_snowmelt_climatology():
    clim = np.array([20, 20, 30, 80, 200, 400, 500, 400, 200, 80, 40, 25], dtype=float)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    out = shift_snowmelt_climatology(clim, (7, 8, 9), (4, 5), 0.15)
    assert (out * days).sum() == pytest.approx((clim * days).sum(), rel=1e-12)
    # moved = 0.15 * (500*31 + 400*31 + 200*30) = 0.15 * 33 900 = 5 085 (m3/s * day)
    # Apr gets 5085 * 2400/8600 = 1419.07 -> Apr rate = (2400 + 1419.07)/30 = 127.30
    assert out[3] == pytest.approx((2400 + 5085 * 2400 / 8600) / 30, rel=1e-12)
    assert out[6] == pytest.approx(500 * 0.85)
    series = pd.Series(clim[::-1], index=range(12, 0, -1))  # out of order, months 12..1
    as_series = shift_snowmelt_climatology(series, (7, 8, 9), (4, 5), 0.15)
    assert list(as_series.index) == list(range(1, 13))
    assert as_series.to_numpy() == pytest.approx(out)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: growth_factor(months(), -1.5), "rate_per_year"),
        (lambda: growth_factor(months(), float("nan")), "rate_per_year"),
        (lambda: growth_factor(months(), "2%"), "rate_per_year"),
        (lambda: growth_factor(list(months()), 0.02), "times"),
        (lambda: growth_factor(pd.DatetimeIndex([]), 0.02), "times"),
        (lambda: growth_factor(months()[::-1], 0.02), "times"),
        (lambda: growth_factor(months(), 0.02, base_year=2020.5), "base_year"),
        (lambda: elasticity_growth(months(), 0.03, float("inf")), "elasticity"),
        (lambda: elasticity_growth(months(), -2.0, 0.5), "gdp_growth_per_year"),
        (lambda: path_factor(months(), {}), "path"),
        (lambda: path_factor(months(), {2025.5: 1.0}), "path"),
        (lambda: path_factor(months(), {2025: -1.0}), "path[2025]"),
        (lambda: ramp(months(), -1.2), "final_change"),
        (lambda: ramp(months(), -0.1, mode="linear"), "mode"),
        (lambda: ramp(months("2025-01-01", 1), -0.1), "mode='step'"),
        (lambda: monthly_change(months(), {13: 0.1}), "change_by_month"),
        (lambda: monthly_change(months(), {7: -1.5}), "change_by_month[7]"),
        (lambda: shift_snowmelt(pd.Series(1.0, index=months()), (7,), (4,), 1.5), "fraction"),
        (lambda: shift_snowmelt(pd.Series(1.0, index=months()), (7,), (7,), 0.1), "to_months"),
        (lambda: shift_snowmelt(pd.Series(1.0, index=months()), (), (4,), 0.1), "from_months"),
        (lambda: shift_snowmelt(pd.Series(1.0, index=months()), (0,), (4,), 0.1), "from_months"),
        (lambda: shift_snowmelt(pd.Series(-1.0, index=months()), (7,), (4,), 0.1), "series"),
        (lambda: shift_snowmelt(pd.Series(1.0, index=months()), (7,), (4,), 0.1, "l/s"), "unit"),
        (lambda: shift_snowmelt(np.ones(12), (7,), (4,), 0.1), "series"),
        (lambda: shift_snowmelt_climatology(np.ones(11), (7,), (4,), 0.1), "values12"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=re.escape(name)):
        call()


def test_daily_steps_in_a_month_are_not_monthly_series():
    days = pd.date_range("2025-01-01", periods=60, freq="D")
    with pytest.raises(ValueError, match="series.index"):
        shift_snowmelt(pd.Series(1.0, index=days), (7,), (4,), 0.1)
