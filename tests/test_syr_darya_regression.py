"""The shipped Syr Darya basin held against published magnitudes (issue 11).

The baseline (``scenarios/baseline.yaml``: today's basin over the real years 1985-2014,
Chirchik gauged, other headwaters reconstructed) is solved once for the module; the policy
scenarios once each. Every assertion cites its source: ``BASIN_FACTS`` is
/work/shared/data/BASIN_FACTS.md (copied into data/syr_darya/SOURCES.md), ``PLAUSIBILITY`` the
list "Plausibility of a Syr Darya baseline" of the shared data README. The dry years are
2000 and 2008 (2000-2001 in the basin's accounts; 2001 was a normal year on the gauged
Chirchik and is normal here, SOURCES.md section 2a).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nexusmodel.run import run_scenario

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
DRY = [2000, 2008]
WET = [2002, 2010]  # 57.7 and 66.6 km3 of natural inflow, the wettest of the 30 years
WINTER = [10, 11, 12, 1, 2, 3]
CASCADE = ["R_TOK", "H_KUR", "H_TAS", "H_SHA", "H_UCH"]


@pytest.fixture(scope="module")
def baseline() -> xr.Dataset:
    return run_scenario(SCENARIOS / "baseline.yaml").results


@pytest.fixture(scope="module")
def scenario_runs(baseline: xr.Dataset) -> dict[str, xr.Dataset]:
    names = ("toktogul_energy_mode", "toktogul_irrigation_mode", "ecological_flow_first")
    runs = {n: run_scenario(SCENARIOS / f"{n}.yaml").results for n in names}
    runs["baseline"] = baseline
    return runs


def per_year(da: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    return da.groupby(ds["time"].dt.year).sum()


def n_years(ds: xr.Dataset) -> int:
    return len(np.unique(ds["time"].dt.year))


def irrigation(ds: xr.Dataset) -> xr.DataArray:
    return ds["node_type"] == "irrigation"


def downstream_summer_shortage_km3(ds: xr.Dataset, years: list[int]) -> float:
    """Irrigation shortage outside Kyrgyzstan in April-September of ``years`` (km3/yr)."""
    keep = (
        irrigation(ds)
        & (ds["node_country"] != "KG")
        & ds["time"].dt.year.isin(years)
        & ~ds["time"].dt.month.isin(WINTER)
    )
    return float((ds["demand"] - ds["delivery"]).where(keep).sum()) / len(years) / 1000


def kyrgyz_winter_energy_gwh(ds: xr.Dataset, years: list[int]) -> float:
    keep = (
        (ds["node_energy_country"] == "KG")
        & ds["time"].dt.year.isin(years)
        & ds["time"].dt.month.isin(WINTER)
    )
    return float(ds["energy"].where(keep).sum()) / len(years)


def test_the_baseline_runs_the_real_years(baseline):
    years = np.unique(baseline["time"].dt.year)
    assert years[0] == 1985 and years[-1] == 2014 and len(years) == 30
    # natural inflow: ICWC formation-zone mean 37.2 km3/yr (BASIN_FACTS A0); 1985-2014 is a
    # wetter-than-average 30 years in the reconstruction (SOURCES.md 2a: 38.6 km3)
    inflow = float(baseline["inflow"].sum()) / 30 / 1000
    assert 36.0 <= inflow <= 40.0


@pytest.mark.xfail(
    strict=True,
    reason="perfect foresight keeps Toktogul at ~16.5 km3 on average (real operation: "
    "~12-15 km3), so its head and generation (4.68 TWh) run above the physical check; an "
    "outcome of the operation, not of a data value (SOURCES.md, Plausibility)",
)
def test_toktogul_generation(baseline):
    # 4.0-4.5 TWh/yr: physical check of BASIN_FACTS A1 (12 km3 x ~150 m x 0.9); PLAUSIBILITY
    twh = float(baseline["energy"].sel(node="R_TOK").sum()) / 30 / 1000
    assert 4.0 <= twh <= 4.5


def test_toktogul_generation_is_within_the_physics_of_its_head(baseline):
    # at most the energy of all its release at the full-reservoir head (900 - 730 m = 170 m,
    # BASIN_FACTS A1 normal level 900 m; tailwater 730 m, SOURCES.md section 3):
    # 0.002725 x 0.9 x 170 GWh per hm3 = 0.417 kWh/m3; at least the physical check's 4.0 TWh
    released = float(baseline["release"].sel(node="R_TOK").sum())
    energy = float(baseline["energy"].sel(node="R_TOK").sum())
    assert energy <= 0.002725 * 0.9 * 170.0 * released
    assert energy / 30 / 1000 >= 4.0


def test_naryn_cascade_energy_per_m3(baseline):
    # about 0.85-1.0 kWh per m3 released from Toktogul: ~1.0 from the Kyrgyz energy minister
    # (1.6 km3 less water = 1.6 TWh less, 24.kg 2025), ~0.85 from a head sum (BASIN_FACTS A1);
    # "about": 1 % below the head sum's 0.85 is still that figure
    kwh_per_m3 = float(baseline["energy"].sel(node=CASCADE).sum()) / float(
        baseline["release"].sel(node="R_TOK").sum()
    )
    assert 0.84 <= kwh_per_m3 <= 1.0


def test_basin_withdrawals(baseline):
    # irrigation withdrawals of the order of 25-35 km3/yr (PLAUSIBILITY; Syr Darya diversions
    # ~30 km3/yr in the 1960s, UNEP/ENVSEC, BASIN_FACTS A0)
    km3 = float(baseline["delivery"].where(irrigation(baseline)).sum()) / 30 / 1000
    assert 25.0 <= km3 <= 35.0


def test_kyrgyz_irrigation(baseline):
    # Kyrgyz irrigation in the Fergana valley of the order of 1 km3/yr or more (PLAUSIBILITY)
    kg = irrigation(baseline) & (baseline["node_country"] == "KG")
    assert float(baseline["delivery"].where(kg).sum()) / 30 / 1000 >= 1.0


def test_aral_inflow_in_the_observed_years(baseline):
    aral = per_year(baseline["env_flow"].sel(node="E_NAS"), baseline) / 1000
    # about 1-3 km3/yr in recent years (PLAUSIBILITY): the 30-year mean
    assert 1.0 <= float(aral.mean()) <= 3.0
    # 46.6 km3 in the 19 years since the Kokaral dam (2005), 13.3 km3 in the last 7
    # (BASIN_FACTS A13): (46.6 - 13.3) / 12 = 2.8 km3/yr over 2005-2016 [D]. The model's
    # 2005-2014 holds 2010, the wettest year of the 30 (66.6 km3): within 2.0-4.0 of it
    assert 2.0 <= float(aral.sel(year=slice(2005, 2014)).mean()) <= 4.0
    # never below the least published year (0.816 km3 in 2022, BASIN_FACTS A13) by much:
    # the environmental reach's own minimum holds (1.5 km3/yr target, SOURCES.md section 7)
    assert float(aral.min()) >= 0.8


def test_shortages_downstream_in_the_dry_years(baseline):
    # chronic downstream summer shortages in dry years (PLAUSIBILITY; issue 11): at least
    # 0.5 km3 short outside Kyrgyzstan in each dry summer, several times a wet year's
    for year in DRY:
        assert downstream_summer_shortage_km3(baseline, [year]) >= 0.5, year
    assert downstream_summer_shortage_km3(baseline, DRY) >= 5 * downstream_summer_shortage_km3(
        baseline, WET
    )


def test_toktogul_irrigation_mode_costs_kyrgyz_winter_energy(scenario_runs):
    # the 1984 protocol (75 % of the annual release in April-September, BASIN_FACTS A1) against
    # the energy mode (winter releases ~2.5 x larger since 1993, BASIN_FACTS A1): in the dry
    # years Kyrgyzstan makes less winter electricity under the irrigation mode
    energy = kyrgyz_winter_energy_gwh(scenario_runs["toktogul_energy_mode"], DRY)
    irrigation_mode = kyrgyz_winter_energy_gwh(scenario_runs["toktogul_irrigation_mode"], DRY)
    assert energy - irrigation_mode >= 1000.0  # GWh per dry winter

    # and the basin's net benefit is lower under the summer-release protocol, once the Kyrgyz
    # winter demand it leaves unserved (the CAPS lines full, issue 12) is valued at its penalty
    def welfare(ds: xr.Dataset) -> float:
        return ds.attrs["net_benefit_musd"] - ds.attrs["penalty_unserved_energy_musd"]

    assert welfare(scenario_runs["toktogul_irrigation_mode"]) < welfare(
        scenario_runs["toktogul_energy_mode"]
    )


@pytest.mark.xfail(
    strict=True,
    reason="perfect foresight re-regulates Toktogul's winter water in Kairakkum and Chardara "
    "and carries storage into the dry years in either mode: the energy mode leaves "
    "downstream dry-summer shortages almost unchanged (+0.02 km3); the winter limit below "
    "Chardara is not reached (no Arnasay spill). Needs rolling (myopic) operation or the "
    "Koksaray diversion split (issue 11, not done)",
)
def test_toktogul_energy_mode_costs_downstream_summer_water_in_dry_years(scenario_runs):
    energy = downstream_summer_shortage_km3(scenario_runs["toktogul_energy_mode"], DRY)
    irrigation_mode = downstream_summer_shortage_km3(scenario_runs["toktogul_irrigation_mode"], DRY)
    assert energy - irrigation_mode >= 0.2  # km3 per dry summer


@pytest.mark.xfail(
    strict=True,
    reason="issue 12: with national power systems priced by the LP (UZ gas steam plants set "
    "the price in most months, 31-33 USD/MWh in winter and summer alike, instead of the old "
    "assumed 45/35/25), Toktogul releases more in summer and the baseline already sends most "
    "of the ecological flow: eco-first costs +0.013 km3 of dry-summer irrigation water and "
    "0.6 MUSD over 30 years",
)
def test_ecological_flow_first_costs_something_measurable(scenario_runs):
    # 1.5 km3/yr and 30 m3/s in April-September to the Northern Aral, hard (the ICWC-agreed
    # environmental delivery: 0.997 km3 with >= 30 m3/s in the 2024 growing season,
    # BASIN_FACTS A13): the dry summers lose irrigation water downstream
    eco = downstream_summer_shortage_km3(scenario_runs["ecological_flow_first"], DRY)
    base = downstream_summer_shortage_km3(scenario_runs["baseline"], DRY)
    assert eco - base >= 0.1  # km3 per dry summer
    assert (
        scenario_runs["ecological_flow_first"].attrs["net_benefit_musd"]
        < scenario_runs["baseline"].attrs["net_benefit_musd"]
    )
