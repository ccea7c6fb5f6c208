"""The historical hydrology: gauged-file reader, decades -> months, and the shipped Syr Darya table.

Published statistics (BASIN_FACTS A0, A1, A3; ICWC IWRM-Fergana Table 1): formation zone mean
37.20 km3, exceeded in 5 % of years 58.91, in 90 % 23.97; Naryn at Uchkurgan 14.54 / 20.68 /
10.68; Karadarya to Andijan 3.92 / 6.49 / 1.83.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nexusmodel.basin import load_basin
from nexusmodel.calibration import load_observations
from nexusmodel.scenario import apply_scenario, load_scenario
from nexusmodel.scenario.hydrology.historical import (
    Group,
    annual_volume_km3,
    monthly_discharge,
    read_gauged_discharge,
    reconstruct,
)

ROOT = Path(__file__).resolve().parents[1]
BASIN = ROOT / "data" / "syr_darya"
# the gauged source beside the checkout (../shared/ on the developers' and CI machines)
GAUGED = (
    Path(__file__).resolve().parents[2] / "shared/data/observed/chirchik_discharge_1923_2015.csv"
)
HEADER = "date,station_code,station,river,resolution,discharge_m3s,norm_m3s\n"


@pytest.fixture(scope="module")
def basin():
    return load_basin(BASIN)


@pytest.fixture(scope="module")
def historical(basin) -> pd.DataFrame:
    return basin.tables.inflows_historical


@pytest.fixture(scope="module")
def annual(historical) -> pd.DataFrame:
    return annual_volume_km3(historical)


def write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "gauged.csv"
    path.write_text(HEADER + rows)
    return path


# --------------------------------------------------------------------------- reader


def test_decades_become_day_weighted_monthly_means(tmp_path):
    rows = (
        "2001-01-10,1,A,r,dec,1.0,\n2001-01-20,1,A,r,dec,2.0,\n2001-01-31,1,A,r,dec,3.0,\n"
        "2001-02-10,1,A,r,dec,4.0,\n2001-02-20,1,A,r,dec,4.0,\n2001-02-28,1,A,r,dec,8.0,\n"
        "2001-03-10,1,A,r,dec,5.0,\n2001-03-20,1,A,r,dec,,\n2001-03-31,1,A,r,dec,5.0,\n"
        "2001-01-31,2,B,r,mon,7.5,\n"
    )
    gauged = read_gauged_discharge(write(tmp_path, rows))
    monthly = monthly_discharge(gauged, 1)
    # January: (10 x 1 + 10 x 2 + 11 x 3) / 31; February 2001: (10 x 4 + 10 x 4 + 8 x 8) / 28
    assert monthly.iloc[0] == pytest.approx(63 / 31)
    assert monthly.iloc[1] == pytest.approx(144 / 28)
    assert np.isnan(monthly.iloc[2])  # a missing decade leaves the month missing
    assert list(monthly.index) == list(pd.date_range("2001-01-01", periods=3, freq="MS"))
    assert monthly_discharge(gauged, 2).iloc[0] == 7.5


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("2001-13-10,1,A,r,dec,1.0,\n", r"line 2, column date = '2001-13-10': not a date"),
        ("2001-01-10,1,A,r,week,1.0,\n", r"line 2, column resolution = 'week'"),
        ("2001-01-10,1,A,r,dec,-3,\n", r"line 2, column discharge_m3s = -3.0: must be"),
        ("2001-01-10,1,A,r,dec,abc,\n", r"line 2, column discharge_m3s = 'abc': not a number"),
        ("2001-01-10,x,A,r,dec,1,\n", r"column station_code = 'x'"),
        ("2001-01-10,1,A,r,dec,1,\n2001-01-10,1,A,r,dec,2,\n", r"line 3, column date .* repeated"),
    ],
)
def test_bad_rows_name_file_line_and_column(tmp_path, rows, expected):
    with pytest.raises(ValueError, match=expected) as info:
        read_gauged_discharge(write(tmp_path, rows))
    assert "gauged.csv" in str(info.value)


def test_missing_file_column_and_station_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        read_gauged_discharge(tmp_path / "nope.csv")
    path = tmp_path / "short.csv"
    path.write_text("date,station_code\n2001-01-10,1\n")
    with pytest.raises(ValueError, match="missing column.*resolution, discharge_m3s"):
        read_gauged_discharge(path)
    gauged = read_gauged_discharge(write(tmp_path, "2001-01-10,1,A,r,dec,1.0,\n"))
    with pytest.raises(ValueError, match="station_code = 99: not in the table"):
        monthly_discharge(gauged, 99)


# --------------------------------------------------------------------------- method


def test_transfer_keeps_each_month_mean_and_the_reference():
    months = pd.date_range("2001-01-01", periods=24, freq="MS")
    ref = pd.Series(np.r_[np.full(12, 10.0), np.full(12, 40.0)], index=months)
    clim = pd.DataFrame(
        {"REF": np.full(12, 25.0), "A": np.arange(1.0, 13.0), "B": np.full(12, 5.0)},
        index=range(1, 13),
    )
    groups = [Group("a", ("A",), p5_km3=1.0, p90_km3=0.01), Group("rest", ("B",))]
    result = reconstruct(clim, ref, "REF", groups, basin_p5_km3=3.0, basin_p90_km3=0.5)
    flows = result.flows
    assert flows["REF"].equals(ref.astype(float).rename("REF"))
    # anomaly -/+ ln 2 in the two years: mean of exp(b a) / mean = clim in every month
    by_month = flows.groupby(flows.index.month).mean()
    np.testing.assert_allclose(by_month["A"], np.arange(1.0, 13.0))
    np.testing.assert_allclose(by_month["B"], 5.0)
    assert (flows.loc["2002", "A"].to_numpy() > flows.loc["2001", "A"].to_numpy()).all()


# --------------------------------------------------------------------------- shipped table


def test_table_is_labelled_reconstructed_and_covers_the_record(historical):
    head = (BASIN / "inflows_historical.csv").read_text().splitlines()[:5]
    assert "RECONSTRUCTED except S_CHI" in head[0]
    assert "OBSERVED" in head[1]
    assert "RECONSTRUCTED" in (BASIN / "SOURCES.md").read_text()
    years = sorted(set(historical.index.year))
    assert years[0] == 1932 and years[-1] == 2014
    assert len(years) == 80 and not {1943, 1944, 1945} & set(years)  # the gauge's gap


def test_charvak_is_the_observed_series(basin, historical):
    observed = load_observations(BASIN / "observations_chirchik.csv", basin)
    charvak = observed[observed["node"] == "R_CHA"]
    months = pd.DatetimeIndex(charvak["date"]).to_period("M").to_timestamp()
    in_table = months.isin(historical.index)  # the file also has the months of broken years
    shipped = historical["S_CHI"].reindex(months[in_table]).to_numpy()
    np.testing.assert_allclose(shipped, charvak["value"].to_numpy()[in_table], atol=0.006)
    assert in_table.sum() == 80 * 12


def test_each_river_keeps_its_mean_and_monthly_shape(basin, historical):
    clim = basin.tables.inflows
    by_month = historical.groupby(historical.index.month).mean()
    for river in clim.columns.drop("S_CHI"):
        np.testing.assert_allclose(by_month[river], clim[river], rtol=1e-3, err_msg=river)
    # the observed Chirchik mean (1932-2014) is the climatology's S_CHI within 1 %
    np.testing.assert_allclose(by_month["S_CHI"], clim["S_CHI"], rtol=0.01)


def test_annual_statistics_hold(annual):
    total = annual.sum(axis=1)
    assert total.mean() == pytest.approx(37.20, rel=0.005)
    assert total.quantile(0.95) == pytest.approx(58.91, rel=0.01)  # exceeded in 5 % of years
    assert total.quantile(0.10) == pytest.approx(23.97, rel=0.01)  # exceeded in 90 %
    naryn = annual["S_NAR"] + annual["S_NLAT"]
    assert naryn.mean() == pytest.approx(14.54, rel=0.01)
    assert naryn.quantile(0.95) == pytest.approx(20.68, rel=0.01)
    assert naryn.quantile(0.10) == pytest.approx(10.68, rel=0.01)
    karadarya = annual["S_KAR"]
    assert karadarya.mean() == pytest.approx(3.92, rel=0.01)
    assert karadarya.quantile(0.95) == pytest.approx(6.49, rel=0.01)
    assert karadarya.quantile(0.10) == pytest.approx(1.83, rel=0.01)


def test_dry_years_are_dry(annual):
    total = annual.sum(axis=1)
    # Chirchik 2000: 5.25, 2008: 5.20 km3 against a mean of 6.48: both years in the driest third
    driest_third = total.quantile(1 / 3)
    for year in (2000, 2008):
        assert total[year] < driest_third, year
        assert total[year] < 0.8 * 37.2
    # 2001 was a normal year on the Chirchik (6.47 km3), so it is not dry here either
    assert annual.loc[2001, "S_CHI"] == pytest.approx(6.47, abs=0.01)


def test_historical_scenario_runs_the_real_years(basin):
    scenario = load_scenario(ROOT / "scenarios" / "historical.yaml")
    assert "reconstructed" in str(scenario.provenance(basin)["hydrology"])  # results attrs
    series = apply_scenario(basin, scenario).series
    assert series.months[0] == pd.Timestamp("1985-01-01")
    assert series.months[-1] == pd.Timestamp("2014-12-01")
    inflow = series.inflow_m3s
    np.testing.assert_allclose(
        inflow.to_numpy(),
        basin.tables.inflows_historical.loc["1985":"2014", inflow.columns].to_numpy(),
    )
    climatology = apply_scenario(basin, load_scenario(ROOT / "scenarios" / "climatology.yaml"))
    clim = climatology.series.inflow_m3s
    assert np.allclose(clim.iloc[:12].to_numpy(), clim.iloc[12:24].to_numpy())  # every year alike


@pytest.mark.skipif(not GAUGED.is_file(), reason="the shared gauged file is not on this machine")
def test_rebuilding_from_the_gauged_file_gives_the_shipped_table(tmp_path):
    from nexusmodel.scenario.hydrology.historical import main

    main(
        [
            str(GAUGED),
            str(BASIN),
            "--out",
            str(tmp_path / "h.csv"),
            "--observations",
            str(tmp_path / "o.csv"),
        ]
    )
    assert (tmp_path / "h.csv").read_text() == (BASIN / "inflows_historical.csv").read_text()
    assert (tmp_path / "o.csv").read_text() == (BASIN / "observations_chirchik.csv").read_text()


# --------------------------------------------------------------------------- block bootstrap


def test_block_bootstrap_draws_whole_real_years_in_blocks(historical):
    from nexusmodel.scenario.hydrology import fit_block_bootstrap

    model = fit_block_bootstrap(historical, block_years=3)
    # blocks never span the 1943-1945 gap: 1941 and 1942 cannot start a 3-year block
    assert 1940 in model.block_starts and 1941 not in model.block_starts
    assert 1942 not in model.block_starts and 2012 in model.block_starts
    assert 2013 not in model.block_starts
    flows = model.generate("2025-01-01", 7, seed=5)
    assert flows.shape == (84, historical.shape[1])
    drawn = model.draw_years(7, seed=5)
    assert drawn[1] == drawn[0] + 1 and drawn[2] == drawn[0] + 2  # a block is consecutive
    for k, year in enumerate(drawn):  # every generated year is a record year, all sites
        np.testing.assert_array_equal(
            flows.iloc[12 * k : 12 * k + 12].to_numpy(), historical.loc[str(year)].to_numpy()
        )
    assert model.generate("2025-01-01", 7, seed=5).equals(flows)
    assert not model.generate("2025-01-01", 7, seed=6).equals(flows)
    later = model.generate("2025-04-01", 1, seed=5)  # starts in April of the first drawn year
    np.testing.assert_array_equal(later.to_numpy()[:9], flows.to_numpy()[3:12])


def test_block_bootstrap_errors_are_clear(historical):
    from nexusmodel.scenario.hydrology import fit_block_bootstrap

    with pytest.raises(ValueError, match="block_years = 0: must be a whole number >= 1"):
        fit_block_bootstrap(historical, block_years=0)
    with pytest.raises(ValueError, match="block_years = 80: longer than every run"):
        fit_block_bootstrap(historical, block_years=80)
    bad = historical.loc["1990":"1994"].copy()
    bad.iloc[5, 0] = -1.0
    with pytest.raises(ValueError, match=r"column 'S_NAR' is negative at 1990-06"):
        fit_block_bootstrap(bad, block_years=1)
