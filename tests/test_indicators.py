"""Indicators on the synthetic results of ``synthetic_results.py``.

Expected values are worked out by hand from the numbers in that module's docstring; the
arithmetic is in the comments. Horizon: 24 months = 2 years; summer = April-September.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import xarray as xr

from nexusmodel import indicators as ind
from synthetic_results import make_cube, make_results

# Totals over the 24 months that several tests use (hm3):
# MUN delivery = 24 * 10 - (2 + 1 + 5 + 0.05) = 231.95; consumption 0.4 * 231.95 = 92.78;
#     return 0.6 * 231.95 = 139.17
# IRR delivery = 12 summer months * 30 - (6 + 12) = 342; consumption 2/3 * 342 = 228;
#     return 114
# ENV requirement = 2 years * (10 * 50 + 2 * 100) = 1400
# ENV flow per month = (RES>ENV flow - 1) + MUN return + IRR return; in July/August:
#     year 1: 79 + 6 + 10 = 95 (deficit 5 each); year 2 July 79 + 6 + 8 = 93 (deficit 7),
#     August 79 + 6 + 6 = 91 (deficit 9); every other month >= 50 -> total deficit 26
MUN_DELIVERY, IRR_DELIVERY, ENV_REQ, ENV_DEFICIT = 231.95, 342.0, 1400.0, 26.0


@pytest.fixture(scope="module")
def ds() -> xr.Dataset:
    return make_results()


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return make_cube({"base": 1.0, "dry": 0.5})


def with_mun_shortage(ds: xr.Dataset, shortage: dict[int, float]) -> xr.Dataset:
    """A copy where MUN's shortage is ``shortage`` (step -> hm3) and 0 elsewhere."""
    out = ds.copy(deep=True)
    values = np.zeros(ds.sizes["time"])
    for step, value in shortage.items():
        values[step] = value
    out["shortage"].loc[{"node": "MUN"}] = values
    out["delivery"].loc[{"node": "MUN"}] = 10.0 - values
    return out


# --------------------------------------------------------------------------- coverage


def test_supply_coverage_by_node(ds):
    cov = ind.supply_coverage(ds)
    assert cov.attrs["units"] == "1"
    assert list(cov.node.values) == ["MUN", "IRR", "ENV"]
    assert cov.sel(node="MUN") == pytest.approx(231.95 / 240.0)  # 0.96646
    assert cov.sel(node="IRR") == pytest.approx(342.0 / 360.0)  # 0.95
    assert cov.sel(node="ENV") == pytest.approx((1400.0 - 26.0) / 1400.0)  # 0.98143


def test_supply_coverage_by_country_and_sector(ds):
    by_country = ind.supply_coverage(ds, by="country")
    assert by_country.sel(country="A") == pytest.approx(231.95 / 240.0)
    # B = IRR + ENV: (342 + 1374) / (360 + 1400) = 1716 / 1760 = 0.975
    assert by_country.sel(country="B") == pytest.approx(0.975)
    by_sector = ind.supply_coverage(ds, by="sector")
    assert list(by_sector.sector.values) == ["irrigation", "municipal", "environment"]
    assert by_sector.sel(sector="irrigation") == pytest.approx(0.95)


def test_supply_coverage_zero_demand_is_nan(ds):
    # IRR demands nothing in winter: coverage over January alone is 0 / 0 -> NaN
    cov = ind.supply_coverage(ds.isel(time=[0]))
    assert np.isnan(cov.sel(node="IRR"))


# --------------------------------------------------------------------------- Hashimoto


def test_hashimoto_by_node(ds):
    h = ind.hashimoto(ds)
    assert list(h.node.values) == ["MUN", "IRR"]  # demand nodes only
    # MUN: failures at t = 2, 3, 10 (t = 15: 0.05 <= 0.01 * 10 is not a failure)
    #   reliability = 21 / 24 = 0.875
    #   recoveries: 3 -> 4 and 10 -> 11 (2 -> 3 stays failed): resilience = 2 / 3
    #   vulnerability = mean(2/10, 1/10, 5/10) = 0.8 / 3 = 0.26667
    mun = h.sel(node="MUN")
    assert mun.reliability == pytest.approx(0.875)
    assert mun.resilience == pytest.approx(2.0 / 3.0)
    assert mun.vulnerability == pytest.approx(0.8 / 3.0)
    # IRR: failures at t = 18, 19 (shortage 6 and 12 of 30)
    #   reliability = 22 / 24; recovery 19 -> 20 only: resilience = 1 / 2
    #   vulnerability = mean(6/30, 12/30) = 0.3
    irr = h.sel(node="IRR")
    assert irr.reliability == pytest.approx(22.0 / 24.0)
    assert irr.resilience == pytest.approx(0.5)
    assert irr.vulnerability == pytest.approx(0.3)
    for name in ("reliability", "resilience", "vulnerability"):
        assert h[name].attrs["units"] == "1"


def test_vulnerability_absolute(ds):
    vul = ind.vulnerability(ds, relative=False)
    assert vul.attrs["units"] == "hm3"
    assert vul.sel(node="MUN") == pytest.approx((2.0 + 1.0 + 5.0) / 3.0)
    assert vul.sel(node="IRR") == pytest.approx((6.0 + 12.0) / 2.0)


def test_failure_tolerance(ds):
    # tol = 0: the 0.05 shortage at t = 15 becomes a failure, recovered at t = 16
    #   reliability 20 / 24, resilience 3 recoveries / 4 failures = 0.75
    assert ind.reliability(ds, tol=0.0).sel(node="MUN") == pytest.approx(20.0 / 24.0)
    assert ind.resilience(ds, tol=0.0).sel(node="MUN") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="tol"):
        ind.reliability(ds, tol=-1.0)


def test_resilience_failure_in_last_month(ds):
    # failures at t = 2, 3, 10, 23: recoveries 3 -> 4 and 10 -> 11; the last failure
    # has no observed recovery but counts: resilience = 2 / 4
    data = with_mun_shortage(ds, {2: 2.0, 3: 1.0, 10: 5.0, 23: 3.0})
    assert ind.resilience(data).sel(node="MUN") == pytest.approx(0.5)


def test_no_failure(ds):
    data = with_mun_shortage(ds, {})
    h = ind.hashimoto(data).sel(node="MUN")
    assert h.reliability == 1.0
    assert h.resilience == 1.0
    assert h.vulnerability == 0.0


def test_hashimoto_groups_sum_demand_and_shortage(ds):
    # country B with environment included: demand = IRR demand + ENV requirement,
    # shortage = IRR shortage + ENV deficit. Failures (shortage > 1 % of demand):
    #   t=6  (Jul 2020): 0 + 5 = 5  of 30 + 100 = 130
    #   t=7  (Aug 2020): 0 + 5 = 5  of 130
    #   t=18 (Jul 2021): 6 + 7 = 13 of 130
    #   t=19 (Aug 2021): 12 + 9 = 21 of 130
    # reliability 20 / 24; recoveries 7 -> 8 and 19 -> 20: resilience 2 / 4
    # vulnerability = (5 + 5 + 13 + 21) / 130 / 4 = 44 / 520 = 0.084615
    h = ind.hashimoto(ds, by="country", node_types=ind.SECTORS).sel(country="B")
    assert h.reliability == pytest.approx(20.0 / 24.0)
    assert h.resilience == pytest.approx(0.5)
    assert h.vulnerability == pytest.approx(44.0 / 520.0)
    by_sector = ind.hashimoto(ds, by="sector")
    assert list(by_sector.sector.values) == ["irrigation", "municipal"]
    assert by_sector.reliability.sel(sector="municipal") == pytest.approx(0.875)


# --------------------------------------------------------------------------- environment


def test_env_compliance(ds):
    env = ind.env_compliance(ds)
    # deficits in 4 of 24 months (July and August of both years): 20 / 24
    assert env.compliance.sel(node="ENV") == pytest.approx(20.0 / 24.0)
    assert env.deficit_volume.sel(node="ENV") == pytest.approx(5.0 + 5.0 + 7.0 + 9.0)
    assert env.compliance.attrs["units"] == "1"
    assert env.deficit_volume.attrs["units"] == "hm3"


def test_terminal_inflow(ds):
    # 2020: RES>ENV 6*80 + 6*60 - 12 loss = 828; MUN return 0.6 * (120 - 8) = 67.2;
    #       IRR return 6 * 10 = 60                     -> 955.2 hm3 = 0.9552 km3
    # 2021: 828 + 0.6 * (120 - 0.05) = 71.97 + IRR return (4*30 + 24 + 18)/3 = 54
    #                                                   -> 953.97 hm3 = 0.95397 km3
    out = ind.terminal_inflow(ds)
    assert out["per_year"].sel(node="ENV").values == pytest.approx([0.9552, 0.95397])
    assert out["mean"].sel(node="ENV") == pytest.approx((0.9552 + 0.95397) / 2.0)
    assert out["mean"].attrs["units"] == "km3/yr"
    # without the node_terminal flag: environment nodes that no link leaves
    fallback = ind.terminal_inflow(ds.drop_vars("node_terminal"))
    assert list(fallback["mean"].node.values) == ["ENV"]


# --------------------------------------------------------------------------- energy


def test_hydropower_generation(ds):
    # 6 summer months * 25 + 6 winter months * 15 = 240 GWh per year
    total = ind.hydropower_generation(ds)
    assert list(total.node.values) == ["RES"]
    assert total.sel(node="RES") == pytest.approx(240.0)
    assert total.attrs["units"] == "GWh/yr"
    winter = ind.hydropower_generation(ds, by="country", season="winter")
    assert winter.sel(country="A") == pytest.approx(6 * 15.0)  # 90
    summer = ind.hydropower_generation(ds, season="summer")
    assert summer.sel(node="RES") == pytest.approx(6 * 25.0)  # 150
    with pytest.raises(ValueError, match="season"):
        ind.hydropower_generation(ds, season="spring")
    with pytest.raises(ValueError, match="by="):
        ind.hydropower_generation(ds, by="sector")


def test_thermal_replacement(ds):
    out = ind.thermal_replacement(ds)
    # A: 6 winter months * 5 = 30 GWh/yr; 30 GWh * 1000 MWh/GWh * 60 USD/MWh = 1.8 MUSD/yr
    # B: 6 * 30 + 6 * 25 = 330 GWh/yr; 330 * 1000 * 60 = 19.8 MUSD/yr
    assert out.thermal.sel(country=["A", "B"]).values == pytest.approx([30.0, 330.0])
    assert out.thermal_cost.sel(country=["A", "B"]).values == pytest.approx([1.8, 19.8])
    assert out.thermal_cost.attrs["units"] == "million USD/yr"


# --------------------------------------------------------------------------- food


def test_food_production(ds):
    # wheat: 1 kg/m3 of its crop water, 1/4 of IRR consumption:
    #   2020: 6 * 5 = 30 hm3 -> 30 000 t; 2021: 4 * 5 + 4 + 3 = 27 hm3 -> 27 000 t
    # cotton: 0.5 kg/m3, 3/4 of consumption: 2020 90 hm3 -> 45 000 t; 2021 81 -> 40 500 t
    by_crop = ind.food_production(ds)
    assert by_crop.attrs["units"] == "t/yr"
    assert by_crop.sel(crop="wheat") == pytest.approx((30_000 + 27_000) / 2)  # 28 500
    assert by_crop.sel(crop="cotton") == pytest.approx((45_000 + 40_500) / 2)  # 42 750
    assert ind.food_production(ds, by="node").sel(node="IRR") == pytest.approx(71_250)
    assert ind.food_production(ds, by="country").sel(country="B") == pytest.approx(71_250)


def test_agricultural_income(ds):
    # wheat: revenue 57 000 t * 200 = 11.4 MUSD, cost 2 yr * 10 000 ha * 100 = 2 MUSD
    #   -> (11.4 - 2) / 2 = 4.7 MUSD/yr
    # cotton: 85 500 t * 400 = 34.2 MUSD, cost 2 * 30 000 * 300 = 18 MUSD -> 8.1 MUSD/yr
    income = ind.agricultural_income(ds)
    assert income.attrs["units"] == "million USD/yr"
    assert income.sel(crop=["wheat", "cotton"]).values == pytest.approx([4.7, 8.1])
    assert ind.agricultural_income(ds, by="node").sel(node="IRR") == pytest.approx(12.8)


def test_water_productivity(ds):
    wp = ind.water_productivity(ds)
    # net: wheat 57 000 t = 57e6 kg over 57 hm3 = 57e6 m3 -> 1.0; cotton 85.5e6 / 171e6 = 0.5
    assert wp.net_by_crop.sel(crop=["wheat", "cotton"]).values == pytest.approx([1.0, 0.5])
    # gross: 142 500 t = 142.5e6 kg over 342 hm3 delivered = 342e6 m3 -> 5/12 = 0.41667
    assert wp.gross_by_district.sel(node="IRR") == pytest.approx(142.5 / 342.0)
    assert wp.net_by_crop.attrs["units"] == "kg/m3"


def test_income_per_m3(ds):
    out = ind.income_per_m3(ds)
    # irrigation: (4.7 + 8.1) MUSD/yr * 2 yr = 25.6e6 USD over 342e6 m3 delivered
    assert out.irrigation == pytest.approx(25.6 / 342.0)  # 0.07485 USD/m3
    # hydropower: 480 GWh * 1000 * 50 USD/MWh = 24e6 USD over the release turbined,
    #   RES>MUN (231.95 + 12) + RES>IRR (342 + 24) + RES>ENV (12*80 + 12*60) = 2289.95 hm3
    assert out.hydropower == pytest.approx(24.0 / 2289.95)  # 0.01048 USD/m3
    assert out.irrigation.attrs["units"] == out.hydropower.attrs["units"] == "USD/m3"
    by_node = ind.income_per_m3(ds, by="node")
    assert by_node.irrigation.sel(node="IRR") == pytest.approx(25.6 / 342.0)
    assert by_node.hydropower.sel(node="RES") == pytest.approx(24.0 / 2289.95)
    assert np.isnan(by_node.hydropower.sel(node="IRR"))
    by_country = ind.income_per_m3(ds, by="country")
    assert by_country.irrigation.sel(country="B") == pytest.approx(25.6 / 342.0)


# --------------------------------------------------------------------------- accounts


# per country, hm3 over 24 months (km3/yr = hm3 / 1000 / 2):
#   A formed 2400; consumed 92.78 (MUN); evaporated 24; losses on links leaving A:
#     RES>MUN 12 + RES>IRR 24 + RES>ENV 24 = 60;
#     passed out = RES>IRR 342 + RES>ENV (1680 - 24 = 1656) + MUN>ENV 139.17 = 2137.17;
#     storage change = 2400 - 24 - (243.95 + 366 + 1680) = 86.05
#     closure: 2400 - 92.78 - 24 - 60 - 2137.17 - 0 - 86.05 = 0
#   B received 2137.17; consumed 228; to terminal ENV = 1656 + 139.17 + 114 = 1909.17
#     closure: 2137.17 - 228 - 1909.17 = 0
ACCOUNTS_HM3 = {
    "formed": (2400.0, 0.0),
    "received": (0.0, 2137.17),
    "withdrawn": (231.95, 342.0),
    "consumed": (92.78, 228.0),
    "returned": (139.17, 114.0),
    "evaporated": (24.0, 0.0),
    "losses": (60.0, 0.0),
    "passed_out": (2137.17, 0.0),
    "to_sinks_and_terminals": (0.0, 1909.17),
    "storage_change": (86.05, 0.0),
    "closure": (0.0, 0.0),
}


@pytest.mark.parametrize("drop_initial", [False, True], ids=["initial_storage", "rebuilt"])
def test_water_accounts_close(ds, drop_initial):
    data = ds.drop_vars("initial_storage") if drop_initial else ds
    acc = ind.water_accounts(data)
    assert list(acc.country.values) == ["A", "B"]
    for name, (a, b) in ACCOUNTS_HM3.items():
        expected = [a / 1000.0 / 2.0, b / 1000.0 / 2.0]
        assert acc[name].sel(country=["A", "B"]).values == pytest.approx(expected, abs=1e-12)
        assert acc[name].attrs["units"] == "km3/yr"


def test_marginal_value_of_water(ds):
    mv = ind.marginal_value_of_water(ds)
    assert mv.attrs["units"] == "USD/m3"
    assert list(mv.season.values) == ["winter", "summer"]
    assert mv.sel(node="RES").values == pytest.approx([0.02, 0.06])
    assert mv.sel(node="IRR").values == pytest.approx([0.0, 0.08])
    annual = ind.marginal_value_of_water(ds, by_season=False)
    assert annual.sel(node="RES") == pytest.approx((0.02 + 0.06) / 2)
    assert annual.sel(node="MUN") == pytest.approx(0.5)


# --------------------------------------------------------------------------- headline


EXPECTED_KEY_RESULTS = {
    "objective_musd": 100.0,
    "net_benefit_musd": 100.0,  # the synthetic run's attribute (no tie-breaker, no penalty)
    "penalties_musd": 0.0,
    "irrigation_delivery_km3_per_yr": 342.0 / 1000 / 2,  # 0.171
    "irrigation_demand_km3_per_yr": 360.0 / 1000 / 2,  # 0.18
    "irrigation_coverage_pct": 95.0,
    "municipal_coverage_pct": 100.0 * 231.95 / 240.0,  # 96.65
    "food_production_kt_per_yr": 71.25,  # 28 500 + 42 750 t
    "agricultural_income_musd_per_yr": 12.8,
    "hydropower_gwh_per_yr": 240.0,
    "hydropower_winter_gwh_per_yr": 90.0,
    "hydropower_summer_gwh_per_yr": 150.0,
    "thermal_gwh_per_yr": 360.0,  # 30 + 330
    "thermal_cost_musd_per_yr": 21.6,  # 1.8 + 19.8
    "terminal_inflow_km3_per_yr": 1909.17 / 1000 / 2,  # 0.954585
    "env_compliance_pct": 100.0 * 20.0 / 24.0,
}


def test_key_results(ds):
    kr = ind.key_results_dict(ds)
    assert list(kr) == list(ind.KEY_RESULTS) == list(EXPECTED_KEY_RESULTS)
    for name, value in EXPECTED_KEY_RESULTS.items():
        assert kr[name] == pytest.approx(value), name
    units = ind.key_results(ds)
    assert units["hydropower_winter_gwh_per_yr"].attrs["units"] == "GWh/yr"


def test_key_results_missing_parts_are_nan(ds):
    data = ds.drop_vars(["thermal", "production"])
    data.attrs = {}
    kr = ind.key_results_dict(data)
    assert np.isnan(kr["objective_musd"])
    assert np.isnan(kr["thermal_gwh_per_yr"])
    assert np.isnan(kr["food_production_kt_per_yr"])
    assert kr["hydropower_gwh_per_yr"] == pytest.approx(240.0)


def test_basin_without_environment_node(ds):
    data = ds.sel(node=["SRC", "RES", "MUN", "IRR"])
    assert ind.env_compliance(data).compliance.sizes["node"] == 0
    kr = ind.key_results_dict(data)
    assert np.isnan(kr["env_compliance_pct"])
    assert np.isnan(kr["terminal_inflow_km3_per_yr"])
    assert kr["irrigation_coverage_pct"] == pytest.approx(95.0)


def test_errors(ds):
    with pytest.raises(ValueError, match="by="):
        ind.supply_coverage(ds, by="basin")
    with pytest.raises(ind.MissingVariableError, match="env_deficit"):
        ind.env_compliance(ds.drop_vars("env_deficit"))
    with pytest.raises(ValueError, match="single run"):
        ind.key_results_dict(make_cube())


# --------------------------------------------------------------------------- cubes


def _calls():
    """(function, kwargs) for every indicator and grouping."""
    groups = {
        "hydropower_generation": ("node", "country"),
        "food_production": ("crop", "node", "country"),
        "agricultural_income": ("crop", "node", "country"),
    }
    for name in ind.__all__:
        func = getattr(ind, name)
        if not inspect.isfunction(func) or name == "key_results_dict":
            continue
        if "by" in inspect.signature(func).parameters:
            for by in groups.get(name, ("node", "country", "sector")):
                yield func, {"by": by}
        else:
            yield func, {}


CALLS = list(_calls())


@pytest.mark.parametrize(
    ("func", "kwargs"), CALLS, ids=[f"{f.__name__}-{k.get('by', '')}" for f, k in CALLS]
)
def test_cube_equals_single_runs(ds, cube, func, kwargs):
    """Each indicator keeps the scenario dim first, and each scenario's slice equals the
    indicator of that run (the 'dry' run is the base run scaled by 0.5)."""
    single = func(ds, **kwargs)
    dry = func(make_results(0.5), **kwargs)
    result = func(cube, **kwargs)
    arrays = result.data_vars.items() if isinstance(result, xr.Dataset) else [(None, result)]
    for name, arr in arrays:
        assert arr.dims[0] == "scenario"
        assert "units" in arr.attrs
        for label, run in (("base", single), ("dry", dry)):
            expected = run if name is None else run[name]
            got = arr.sel(scenario=label, drop=True).transpose(*expected.dims)
            np.testing.assert_allclose(got.values, expected.values, rtol=1e-12, atol=1e-12)


def test_ensemble_of_scenarios(cube):
    """A member dim in front of the scenario dim is kept as well."""
    ensemble = xr.concat(
        [cube, cube], dim="member", coords="minimal", compat="override", join="exact"
    )
    kr = ind.key_results(ensemble)
    assert kr["hydropower_gwh_per_yr"].dims == ("member", "scenario")
    # the dry scenario is the base scaled by 0.5: 240 * 0.5 = 120 GWh/yr
    assert kr["hydropower_gwh_per_yr"].isel(member=1).values == pytest.approx([240.0, 120.0])
    acc = ind.water_accounts(ensemble)
    assert acc.closure.dims == ("member", "scenario", "country")
    assert np.abs(acc.closure.values).max() < 1e-12
