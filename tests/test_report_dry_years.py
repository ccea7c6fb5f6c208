"""The report's dry years: the years of least natural inflow, worked by hand on a made-up
run of four years (2030-2033) with one source S, one district I and one terminal lake E."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nexusmodel.report.dry_years import dry_years, dry_years_section, dry_years_table
from nexusmodel.report.runs import ReportRun

MONTHLY_INFLOW = {2030: 10.0, 2031: 5.0, 2032: 8.0, 2033: 12.0}  # hm3 a month at S


def made_up_run(vary: bool = True) -> xr.Dataset:
    time = pd.date_range("2030-01-01", periods=48, freq="MS")
    year = time.year.to_numpy()
    inflow = np.array([MONTHLY_INFLOW[y] if vary else 10.0 for y in year])
    nan = np.full(48, np.nan)
    demand = np.full(48, 4.0)
    delivery = np.minimum(demand, 0.5 * inflow)  # 4 a month, 2.5 in 2031
    env = inflow - delivery
    energy = np.where(np.isin(time.month, [10, 11, 12, 1, 2, 3]), 100.0, 50.0)
    nodes = ["S", "I", "E"]
    return xr.Dataset(
        {
            "inflow": (("node", "time"), np.stack([inflow, nan, nan])),
            "demand": (("node", "time"), np.stack([nan, demand, nan])),
            "delivery": (("node", "time"), np.stack([nan, delivery, nan])),
            "env_flow": (("node", "time"), np.stack([nan, nan, env])),
            "energy": (("node", "time"), np.stack([energy, nan, nan])),
        },
        coords={
            "node": nodes,
            "time": time,
            "node_type": ("node", ["source", "irrigation", "environment"]),
            "node_terminal": ("node", [False, False, True]),
        },
    )


def test_the_dry_years_are_the_years_of_least_inflow():
    ds = made_up_run()
    assert dry_years(ds) == [2030, 2031, 2032]  # 120, 60, 96 hm3; 2033 (144) is the wettest
    table = dry_years_table(ds)
    # 2031: 60 hm3 in; 2.5 x 12 = 30 delivered of 48 asked; 30 to the lake;
    # hydropower 6 winter months x 100 and 6 summer months x 50 GWh
    assert table[2031] == pytest.approx((0.060, 0.030, 0.018, 0.030, 600.0, 300.0))
    assert table[2030] == pytest.approx((0.120, 0.048, 0.0, 0.072, 600.0, 300.0))


def test_a_run_of_one_repeated_year_has_no_dry_years():
    assert dry_years(made_up_run(vary=False)) == []
    assert dry_years_section([ReportRun("climatology", made_up_run(vary=False))]) == ""


def test_the_section_shows_one_table_per_run():
    html = dry_years_section([ReportRun("historical", made_up_run())])
    assert 'data-scenario="historical"' in html
    assert '<th scope="row">2031</th>' in html and "0.06" in html
