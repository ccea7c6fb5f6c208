"""Calibration metrics on hand-computed cases (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nexusmodel.calibration_metrics import kge, kge_components, nse, pbias

OBS = [1.0, 2.0, 3.0, 4.0]
SWAPPED = [1.0, 3.0, 2.0, 4.0]  # the middle two values swapped


@pytest.mark.parametrize(
    "wrap",
    [np.asarray, pd.Series, lambda v: xr.DataArray(v, dims="time")],
    ids=["numpy", "pandas", "xarray"],
)
def test_perfect_fit(wrap):
    sim, obs = wrap(OBS), wrap(OBS)
    assert nse(sim, obs) == pytest.approx(1.0)
    assert kge(sim, obs) == pytest.approx(1.0)
    assert pbias(sim, obs) == pytest.approx(0.0)


def test_nse_hand_computed():
    # mean(obs) = 2.5
    # sum((sim - obs)^2) = 0 + 1 + 1 + 0 = 2
    # sum((obs - 2.5)^2) = 2.25 + 0.25 + 0.25 + 2.25 = 5
    # NSE = 1 - 2 / 5 = 0.6
    assert nse(SWAPPED, OBS) == pytest.approx(0.6)


def test_nse_mean_predictor_is_zero():
    # sim = mean(obs) = 2.5 everywhere: sum((sim - obs)^2) = sum((obs - mean)^2) -> NSE = 0
    assert nse([2.5] * 4, OBS) == pytest.approx(0.0, abs=1e-12)


def test_kge_hand_computed_correlation_only():
    # same values, order changed: alpha = 1 (same std), beta = 1 (same mean 2.5)
    # r = sum((s-2.5)(o-2.5)) / sqrt(sum((s-2.5)^2) sum((o-2.5)^2))
    #   = [(-1.5)(-1.5) + (0.5)(-0.5) + (-0.5)(0.5) + (1.5)(1.5)] / sqrt(5 * 5)
    #   = (2.25 - 0.25 - 0.25 + 2.25) / 5 = 4 / 5 = 0.8
    # KGE = 1 - sqrt((0.8 - 1)^2 + 0 + 0) = 1 - 0.2 = 0.8
    parts = kge_components(SWAPPED, OBS)
    assert parts.r == pytest.approx(0.8)
    assert parts.alpha == pytest.approx(1.0)
    assert parts.beta == pytest.approx(1.0)
    assert kge(SWAPPED, OBS) == pytest.approx(0.8)


def test_kge_hand_computed_bias_and_variability():
    # sim = 2 * obs = [2, 4, 6, 8]: r = 1, alpha = std(sim)/std(obs) = 2,
    # beta = mean(sim)/mean(obs) = 5 / 2.5 = 2
    # KGE = 1 - sqrt(0 + (2 - 1)^2 + (2 - 1)^2) = 1 - sqrt(2) = -0.414213562...
    assert kge([2.0, 4.0, 6.0, 8.0], OBS) == pytest.approx(1.0 - math.sqrt(2.0))


def test_pbias_hand_computed_and_sign():
    obs = [10.0, 20.0, 30.0, 40.0]  # sum 100
    sim = [12.0, 18.0, 33.0, 47.0]  # sum 110
    # PBIAS = 100 * (110 - 100) / 100 = +10 % (positive: the simulation overestimates)
    assert pbias(sim, obs) == pytest.approx(10.0)
    # swap roles: 100 * (100 - 110) / 110 = -9.0909... %
    assert pbias(obs, sim) == pytest.approx(-100.0 / 11.0)


def test_nan_pairs_are_ignored():
    obs = [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]
    sim = [1.0, 3.0, 7.0, 2.0, 4.0, np.nan]
    # valid pairs: (1,1), (3,2), (2,3), (4,4): the SWAPPED/OBS case -> NSE 0.6, KGE 0.8
    assert nse(sim, obs) == pytest.approx(0.6)
    assert kge(sim, obs) == pytest.approx(0.8)
    # sums over valid pairs: sim 10, obs 10 -> PBIAS 0
    assert pbias(sim, obs) == pytest.approx(0.0)


def test_series_align_on_index():
    obs = pd.Series(OBS, index=[0, 1, 2, 3])
    sim = pd.Series([99.0, *SWAPPED], index=[-1, 0, 1, 2, 3])  # extra label dropped
    assert nse(sim, obs) == pytest.approx(0.6)


def test_dataarrays_align_on_coords():
    obs = xr.DataArray(OBS, dims="time", coords={"time": [0, 1, 2, 3]})
    sim = xr.DataArray(SWAPPED[::-1], dims="time", coords={"time": [3, 2, 1, 0]})
    assert nse(sim, obs) == pytest.approx(0.6)


@pytest.mark.parametrize("metric", [nse, kge, pbias])
def test_fewer_than_two_valid_pairs_raise(metric):
    with pytest.raises(ValueError, match="at least 2"):
        metric([1.0, np.nan, 3.0], [np.nan, 2.0, 3.0])  # one valid pair


def test_undefined_cases_raise():
    with pytest.raises(ValueError, match="constant"):
        nse([1.0, 2.0], [3.0, 3.0])
    with pytest.raises(ValueError, match="constant"):
        kge([2.5] * 4, OBS)
    with pytest.raises(ValueError, match="sum to 0"):
        pbias([1.0, 1.0], [1.0, -1.0])
    with pytest.raises(ValueError, match="shapes"):
        nse([1.0, 2.0, 3.0], [1.0, 2.0])
