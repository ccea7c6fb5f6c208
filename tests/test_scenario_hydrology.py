"""Stochastic hydrology in a scenario: reproducible, and true to the climatology and statistics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nexusmodel.errors import InputError
from nexusmodel.scenario import apply_scenario, load_scenario
from nexusmodel.scenario.hydrology import MEAN_DAYS, annual_totals
from scenario_helpers import root_scenario, syr_darya

STATS = "annual_mean_km3: 37.2, annual_p5_km3: 58.9, annual_p90_km3: 24.0"


def inflows(tmp_path, seed: int, years: int, name: str = "s.yaml"):
    body = f"hydrology: {{kind: stochastic, seed: {seed}, {STATS}}}\n"
    path = root_scenario(tmp_path, body, years=years, name=name)
    return apply_scenario(syr_darya(), load_scenario(path)).series.inflow_m3s


def test_same_seed_same_series_other_seed_other_series(tmp_path):
    a = inflows(tmp_path, 7, 5, "a.yaml")
    b = inflows(tmp_path, 7, 5, "b.yaml")
    c = inflows(tmp_path, 8, 5, "c.yaml")
    assert a.equals(b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())
    assert list(a.columns) == syr_darya().ids_of_type("source")
    assert (a.to_numpy() > 0).all()


def test_long_run_keeps_monthly_means_and_annual_statistics(tmp_path):
    flows = inflows(tmp_path, 3, 200)
    clim = syr_darya().tables.inflows[flows.columns]
    clim_km3 = float((clim.to_numpy() * (MEAN_DAYS * 86400 / 1e9)[:, None]).sum())
    scale = 37.2 / clim_km3  # the climatology is scaled to the published mean
    monthly = flows.groupby(flows.index.month).mean()
    ratio = monthly.sum(axis=1) / (clim.sum(axis=1) * scale)
    assert np.abs(ratio - 1).max() < 0.06  # every month within a few %
    annual = annual_totals(flows)  # km3
    assert annual.mean() == pytest.approx(37.2, rel=0.04)
    assert np.quantile(annual, 0.95) == pytest.approx(58.9, rel=0.15)
    assert np.quantile(annual, 0.10) == pytest.approx(24.0, rel=0.15)


def test_stochastic_needs_the_quantiles(tmp_path):
    path = root_scenario(tmp_path, "hydrology: {kind: stochastic, annual_p5_km3: 58.9}\n")
    with pytest.raises(InputError, match="hydrology: kind 'stochastic' needs annual_p5_km3"):
        load_scenario(path)


def test_inconsistent_statistics_name_the_hydrology(tmp_path):
    body = "hydrology: {kind: stochastic, annual_mean_km3: 20, annual_p5_km3: 58.9, annual_p90_km3: 24}\n"
    path = root_scenario(tmp_path, body)
    with pytest.raises(InputError, match=r"hydrology: annual statistics must satisfy p90"):
        apply_scenario(syr_darya(), load_scenario(path))


def test_historical_without_a_table_is_explained(tmp_path):
    path = root_scenario(tmp_path, "hydrology: {kind: historical}\n")
    basin = syr_darya()  # the shipped basin has a historical table: take it away
    basin = dataclasses.replace(
        basin, tables=dataclasses.replace(basin.tables, inflows_historical=None)
    )
    with pytest.raises(
        InputError, match="hydrology.kind: = 'historical': the basin has no historical"
    ):
        apply_scenario(basin, load_scenario(path))


def test_historical_outside_the_record_is_explained(tmp_path):
    path = root_scenario(tmp_path, "hydrology: {kind: historical}\n")  # 2025-01, 10 years
    with pytest.raises(
        InputError, match=r"the historical inflows cover 1932-01 to 2014-12, not the horizon"
    ):
        apply_scenario(syr_darya(), load_scenario(path))
