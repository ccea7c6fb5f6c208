"""Perennial crops are not fallowed for a year at no cost (issue 13), by hand.

Two years; July inflow 30 hm3 in 2030 (wet), 8 hm3 in 2031 (dry); a district of 10 kha
land with crops X (annual: 1 hm3/kha, 0.8 MUSD net per kha, 1.0 MUSD gross per hm3) and
Y (2 hm3/kha, 1.4 MUSD net per kha, 0.75 MUSD gross per hm3), each available on 20 kha
(numbers of tests/textbook/test_textbook_land.py). Units: kha, hm3, MUSD; no discounting.
"""

from __future__ import annotations

import numpy as np
import pytest

from model_factory import (
    areas_table,
    crops_table,
    link,
    make_basin,
    monthly_table,
    node,
    run,
    with_months,
)

JULY = [0.0] * 6 + [1.0] + [0.0] * 5


def two_years(perennial: dict[str, float]):
    nodes = [
        node("S", "source"),
        node(
            "I",
            "irrigation",
            conveyance_efficiency=1.0,
            field_efficiency=1.0,
            return_fraction=0.0,
            land_ha=10_000.0,
            perennial_crops=perennial,
        ),
        node("O", "sink"),
    ]
    links = [link("S", "I"), link("S", "O"), link("I", "O")]
    basin = make_basin(
        nodes,
        links,
        crops=crops_table({"X": (1.0, 10.0, 100.0, 200.0), "Y": (1.0, 10.0, 150.0, 100.0)}),
        crop_water_requirements=monthly_table(
            {"X": [100.0 * v for v in JULY], "Y": [200.0 * v for v in JULY]}
        ),
        irrigated_areas=areas_table({("I", "X"): 20_000.0, ("I", "Y"): 20_000.0}),
    )
    inflow = [30.0 * v for v in JULY] + [8.0 * v for v in JULY]
    return run(with_months(basin, 24, {"S": inflow}))


def areas(r) -> np.ndarray:
    """kha of (X, Y) in 2030 and 2031."""
    a = r.ds["crop_area"].sel(node="I")
    return np.array(
        [[float(a.sel(crop=c, year=y)) / 1000 for c in ("X", "Y")] for y in (2030, 2031)]
    )


def test_an_annual_crop_choice_follows_each_year_s_water():
    """Y is annual: 2030 10 kha of Y (land binds, 14 MUSD); 2031 8 kha of X (water binds,
    6.4 MUSD): 20.4 MUSD."""
    r = two_years({})
    np.testing.assert_allclose(areas(r), [[0.0, 10.0], [8.0, 0.0]], atol=1e-6)
    assert r.report.objective_musd == pytest.approx(20.4, abs=1e-6)


def test_a_perennial_crop_keeps_its_area_through_a_dry_year():
    """Y is perennial, replanting 5000 USD/ha (5 MUSD/kha). 2031: keeping the 10 kha of Y
    and giving it the 8 hm3 earns 0.75 * 8 - 0.1 * 10 = 5.0 MUSD; every kha of Y given up
    for X would cost 5 to replant and gain at most 0.8 + 0.1 - 0.75: so Y stays. Total
    14 + 5 = 19.0 MUSD; water in July 2031 is worth Y's 0.75 per m3."""
    r = two_years({"Y": 5000.0})
    np.testing.assert_allclose(areas(r), [[0.0, 10.0], [0.0, 10.0]], atol=1e-6)
    assert r.report.objective_musd == pytest.approx(19.0, abs=1e-6)
    assert r.at("marginal_value", "I")[18] == pytest.approx(0.75, abs=1e-6)


def test_land_rows_pushed_in_place_are_the_rows_built():
    """The replanting cost (a year's discount) is pushed like every cost (issue 15)."""
    from nexusmodel.model import ModelOptions
    from nexusmodel.modes.window import slice_series
    from nexusmodel.solve.update import update_series
    from test_modes_update import _lp, assert_same_lp, built

    nodes = [
        node("S", "source"),
        node(
            "I",
            "irrigation",
            conveyance_efficiency=0.8,
            field_efficiency=0.9,
            return_fraction=0.5,
            land_ha=10_000.0,
            perennial_crops={"Y": 5000.0},
        ),
        node("O", "sink"),
    ]
    basin = make_basin(
        nodes,
        [link("S", "I"), link("S", "O"), link("I", "O")],
        crops=crops_table({"X": (1.0, 10.0, 100.0, 200.0), "Y": (1.2, 10.0, 150.0, 100.0)}),
        crop_water_requirements=monthly_table(
            {"X": [100.0 * v for v in JULY], "Y": [200.0 * v for v in JULY]}
        ),
        irrigated_areas=areas_table({("I", "X"): 20_000.0, ("I", "Y"): 20_000.0}),
    )
    basin = with_months(basin, 48, {"S": 20.0})
    options = ModelOptions(discount_rate=0.07)
    series = basin.series
    model, backend = built(basin.with_series(slice_series(series, 0, 24)), options)
    target, target_backend = built(basin.with_series(slice_series(series, 24, 48)), options)
    update_series(model, backend, slice_series(series, 24, 48))
    assert_same_lp(_lp(model, backend), _lp(target, target_backend))
