"""apply_scenario, driver by driver, against series worked out by hand (in the comments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nexusmodel.basin.basin import horizon_series
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import root_scenario, syr_darya


def applied(tmp_path, body: str, years: int = 11):
    """(scenario Basin, baseline series over the same horizon)."""
    basin = syr_darya()
    out = apply_scenario(basin, load_scenario(root_scenario(tmp_path, body, years=years)))
    return out, horizon_series(basin, "2025-01-01", years)


def at(frame: pd.DataFrame, month: str, column: object) -> float:
    return float(frame.loc[pd.Timestamp(month), column])


def domestic_hm3(town: str, month: str) -> float:
    """Population * l/cap/day over the month, hm3 (the municipal table's domestic part)."""
    row = syr_darya().tables.municipal.loc[town]
    return row.population * row.per_capita_l_per_day / 1e9 * pd.Timestamp(month).days_in_month


def industrial_hm3(town: str, month: str) -> float:
    row = syr_darya().tables.municipal.loc[town]
    return row.industrial_hm3_per_year / 365.25 * pd.Timestamp(month).days_in_month


def test_apply_is_pure(tmp_path):
    basin = syr_darya()
    spec, tables = basin.spec, basin.tables
    out, _ = applied(
        tmp_path,
        """
        climate: {inflow_change: {all: {change_pct: -10}}}
        policy: {irrigation_efficiency: {all: {conveyance_efficiency: 0.9}}}
        infrastructure: {change_links: {R_KOK>E_NAS: {loss_fraction: 0.5}}}
        """,
    )
    assert basin.series is None and basin.spec is spec and basin.tables is tables
    assert basin.nodes["D_FER"].conveyance_efficiency == 0.75  # type: ignore[union-attr]
    assert out.nodes["D_FER"].conveyance_efficiency == 0.9  # type: ignore[union-attr]
    assert out.series is not None and len(out.series.months) == 132


def test_baseline_scenario_equals_the_horizon_series(tmp_path):
    out, base = applied(tmp_path, "")
    for name in ("inflow_m3s", "municipal_hm3", "crop_water_mm", "area_max_ha"):
        pd.testing.assert_frame_equal(getattr(out.series, name), getattr(base, name))


# --------------------------------------------------------------------------- demography, economy


def test_population_two_percent_for_ten_years_is_1_2190(tmp_path):
    out, _ = applied(tmp_path, "demography: {population_growth: {UZ: {rate_pct_per_year: 2}}}")
    town = out.series.municipal_hm3
    for month, factor in (("2025-01", 1.0), ("2035-01", 1.02**10), ("2030-07", 1.02**5.5)):
        domestic = at(town, month, "M_FER") - industrial_hm3("M_FER", month)
        assert domestic / domestic_hm3("M_FER", month) == pytest.approx(factor, rel=1e-12)
    assert pytest.approx(1.2190, abs=5e-5) == 1.02**10


def test_node_setting_wins_over_country_and_all(tmp_path):
    out, _ = applied(
        tmp_path,
        """
        demography:
          population_growth:
            all: {rate_pct_per_year: 1}
            M_TAS: {path: {2025: 1.0, 2035: 1.5}}
          per_capita_use:
            UZ: {change_pct: -10, mode: step}
        """,
    )
    town = out.series.municipal_hm3
    # M_TAS follows its own path: 1.25 on 1 January 2030 (half way), times per-capita 0.9
    domestic = at(town, "2030-01", "M_TAS") - industrial_hm3("M_TAS", "2030-01")
    assert domestic / domestic_hm3("M_TAS", "2030-01") == pytest.approx(1.25 * 0.9)
    # M_FER takes 'all': 1.01 ** 10 in 2035, times 0.9
    domestic = at(town, "2035-01", "M_FER") - industrial_hm3("M_FER", "2035-01")
    assert domestic / domestic_hm3("M_FER", "2035-01") == pytest.approx(1.01**10 * 0.9)


def test_industrial_demand_follows_gdp_with_elasticity(tmp_path):
    out, _ = applied(
        tmp_path,
        "economy: {industrial_demand: {M_FER: {gdp_growth_pct_per_year: 5, elasticity: 0.6}}}",
    )
    town = out.series.municipal_hm3
    industrial = at(town, "2035-01", "M_FER") - domestic_hm3("M_FER", "2035-01")
    assert industrial / industrial_hm3("M_FER", "2035-01") == pytest.approx(1.05**6)  # 0.6 x 10 yr


def test_irrigated_area_ramp_is_zero_first_year_and_full_last(tmp_path):
    out, base = applied(tmp_path, "economy: {irrigated_area: {D_KZO: {change_pct: -10}}}")
    ratio = out.series.area_max_ha / base.area_max_ha
    kzo = ratio[("D_KZO", "rice")]
    # ramp over 2025..2035: 1 - 0.1 * (y - 2025) / 10
    assert kzo.loc[2025] == 1.0 and kzo.loc[2035] == pytest.approx(0.9)
    assert kzo.loc[2030] == pytest.approx(0.95)
    assert (ratio[("D_FER", "cotton")] == 1.0).all()


def test_crop_prices_and_costs(tmp_path):
    out, base = applied(
        tmp_path,
        """
        economy:
          crop_prices: {cotton: {change_pct: 10, mode: step}}
          crop_costs: {all: {change_pct: 5, mode: step}}
        """,
    )
    price = out.series.crop_price_usd_per_t / base.crop_price_usd_per_t
    cost = out.series.crop_cost_usd_per_ha / base.crop_cost_usd_per_ha
    assert np.allclose(price["cotton"], 1.1) and np.allclose(price["wheat"], 1.0)
    assert np.allclose(cost.to_numpy(), 1.05)


def test_energy_prices_by_season_and_demand_growth(tmp_path):
    out, base = applied(
        tmp_path,
        """
        economy:
          energy_prices: {all: {winter_change_pct: 20, summer_change_pct: -10, mode: step}}
          energy_demand: {KG: {rate_pct_per_year: 4}}
        """,
    )
    s = out.series
    for name in (
        "thermal_cost_usd_per_mwh",
        "import_price_usd_per_mwh",
        "export_price_usd_per_mwh",
    ):
        ratio = getattr(s, name) / getattr(base, name)
        assert at(ratio, "2026-01", "ES_UZ") == pytest.approx(1.2)  # winter: Oct-Mar
        assert at(ratio, "2026-07", "ES_KG") == pytest.approx(0.9)  # summer: Apr-Sep
    demand = s.energy_demand_gwh / base.energy_demand_gwh
    assert at(demand, "2035-01", "ES_KG") == pytest.approx(1.04**10)
    assert at(demand, "2035-01", "ES_UZ") == 1.0


# --------------------------------------------------------------------------- climate


def test_inflow_ramp_minus_ten_percent(tmp_path):
    out, base = applied(tmp_path, "climate: {inflow_change: {all: {change_pct: -10}}}")
    ratio = out.series.inflow_m3s / base.inflow_m3s
    years = ratio.index.year
    assert np.allclose(ratio[years == 2025], 1.0)  # 0 in the first year
    assert np.allclose(ratio[years == 2035], 0.9)  # -10 % in the last year
    assert np.allclose(ratio[years == 2030], 0.95)  # half way
    assert np.ptp(ratio.loc["2030-01":"2030-12"].to_numpy(), axis=0).max() < 1e-12  # flat in a year


def test_inflow_change_by_month_and_node(tmp_path):
    out, base = applied(
        tmp_path,
        """
        climate:
          inflow_change:
            all: {change_pct: -10, mode: step}
            S_NAR: {by_month_pct: {Jul: -40, Aug: -40}, mode: step}
            KZ: {change_pct: 5, by_month_pct: {Apr: 20}, mode: step}
        """,
    )
    ratio = out.series.inflow_m3s / base.inflow_m3s
    assert at(ratio, "2027-07", "S_NAR") == pytest.approx(0.6)
    assert at(ratio, "2027-06", "S_NAR") == pytest.approx(1.0)  # its own setting: no change in June
    assert at(ratio, "2027-06", "S_KAR") == pytest.approx(0.9)  # 'all'
    assert at(ratio, "2027-04", "S_ARYS") == pytest.approx(1.2)  # KZ: April
    assert at(ratio, "2027-05", "S_ARYS") == pytest.approx(1.05)  # KZ: other months


def test_snowmelt_shift_keeps_the_annual_volume(tmp_path):
    out, base = applied(
        tmp_path,
        """
        climate:
          snowmelt_shift: {fraction_pct: 15, from_months: [7, 8, 9], to_months: [4, 5], mode: step}
        """,
    )
    days = base.inflow_m3s.index.days_in_month.to_numpy()[:, None]
    before = base.inflow_m3s * days  # m3/s x days: proportional to the volume
    after = out.series.inflow_m3s * days
    year = before.loc["2026"]
    shifted = after.loc["2026"]
    assert np.allclose(shifted.sum(), year.sum())  # annual total kept, every source
    assert np.allclose(shifted.loc["2026-07"], 0.85 * year.loc["2026-07"])
    moved = 0.15 * year.loc["2026-07":"2026-09"].sum()
    spring = year.loc["2026-04":"2026-05"]
    expected_apr = year.loc["2026-04"].iloc[0] + moved * spring.iloc[0] / spring.sum()
    assert np.allclose(shifted.loc["2026-04"].iloc[0], expected_apr)
    assert np.allclose(shifted.loc["2026-01"], year.loc["2026-01"])


def test_snowmelt_shift_ramps_and_can_target_nodes(tmp_path):
    out, base = applied(
        tmp_path,
        "climate: {snowmelt_shift: {fraction_pct: 20, from_months: [Jul], to_months: [May], "
        "nodes: [S_NAR]}}",
    )
    ratio = out.series.inflow_m3s / base.inflow_m3s
    assert at(ratio, "2025-07", "S_NAR") == 1.0  # first year: nothing moved
    assert at(ratio, "2030-07", "S_NAR") == pytest.approx(0.9)  # half of 20 %
    assert at(ratio, "2035-07", "S_NAR") == pytest.approx(0.8)
    assert (ratio["S_KAR"] == 1.0).all()


def test_crop_water_and_evaporation_changes(tmp_path):
    out, base = applied(
        tmp_path,
        """
        climate:
          crop_water_demand: {all: {change_pct: 15, mode: step}, rice: {change_pct: 5, mode: step}}
          evaporation: {KG: {change_pct: 10}}
        """,
    )
    cw = out.series.crop_water_mm / base.crop_water_mm
    assert np.allclose(cw["cotton"].dropna(), 1.15) and np.allclose(cw["rice"].dropna(), 1.05)
    ev = out.series.evaporation_mm / base.evaporation_mm
    assert at(ev, "2035-06", "R_TOK") == pytest.approx(1.1)  # KG reservoir, ramp's last year
    assert at(ev, "2025-06", "R_TOK") == pytest.approx(1.0)
    assert at(ev, "2035-06", "R_KAI") == pytest.approx(1.0)  # TJ: unchanged


def test_ramp_needs_two_calendar_years(tmp_path):
    from nexusmodel.errors import InputError

    with pytest.raises(InputError, match=r"climate.evaporation.all: .*a ramp needs at least two"):
        applied(tmp_path, "climate: {evaporation: {all: {change_pct: 5}}}", years=1)


# --------------------------------------------------------------------------- policy


def test_irrigation_efficiency_new_values_and_changes(tmp_path):
    out, _ = applied(
        tmp_path,
        """
        policy:
          irrigation_efficiency:
            all: {conveyance_efficiency: 0.85}
            KZ: {field_change_pct: 10}
            D_KZO: {field_change_pct: 50}
        """,
    )
    fer, tur, kzo = (out.nodes[n] for n in ("D_FER", "D_TUR", "D_KZO"))
    assert fer.conveyance_efficiency == 0.85 and fer.field_efficiency == 0.80  # type: ignore[union-attr]
    # KZ: field 0.83 x 1.1; its conveyance is not set there (the country setting wins whole)
    assert tur.field_efficiency == pytest.approx(0.913)  # type: ignore[union-attr]
    assert tur.conveyance_efficiency == 0.72  # type: ignore[union-attr]
    assert kzo.field_efficiency == 1.0  # type: ignore[union-attr]  # 0.73 x 1.5 capped at 1


def test_ecological_flow_rule(tmp_path):
    out, _ = applied(
        tmp_path,
        """
        policy:
          ecological_flows:
            E_NAS: {annual_target_hm3: 2000, min_flow_m3s: {Apr: 30, Sep: 20}, hard: true}
        """,
    )
    nas = out.nodes["E_NAS"]
    assert nas.annual_target_hm3 == 2000 and nas.hard is True  # type: ignore[union-attr]
    env = out.series.env_min_m3s["E_NAS"]
    assert (
        at(env.to_frame(), "2026-04", "E_NAS") == 30
        and at(env.to_frame(), "2026-09", "E_NAS") == 20
    )
    assert at(env.to_frame(), "2026-06", "E_NAS") == 0


def test_release_rules_become_the_basin_policy(tmp_path):
    out, _ = applied(
        tmp_path,
        """
        policy:
          seasonal_release: {R_TOK: {min_share_pct: 75}}
          agreed_releases: {R_KAI: {minimum: {Jun: 500, Jul: 650}, hard: true}}
          spill_caps: {K_ARN: {max_hm3_per_year: 100, max_m3s: 50}}
        """,
    )
    (share,) = out.policy.season_shares
    assert share.node == "R_TOK" and share.months == (4, 5, 6, 7, 8, 9) and share.min_share == 0.75
    (agreed,) = out.policy.min_releases
    assert agreed.release_m3s[5:7] == (500.0, 650.0) and agreed.release_m3s[0] == 0 and agreed.hard
    (cap,) = out.policy.spill_caps
    assert (cap.max_hm3_per_year, cap.max_m3s, cap.hard) == (100, 50, True)
