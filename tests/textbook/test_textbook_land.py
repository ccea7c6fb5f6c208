"""Crop choice within a district's land: the crop worth most per m3 when water is scarce,
the crop worth most per ha when land is (Loucks & van Beek 2017, "Water Resource Systems
Planning and Management", ch. 4, the linear crop-allocation examples: land and water as
shared resources of an irrigation area). Worked by hand; FAO-33 yield response with Ky = 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_files import at, flow, node, run, write_problem

TOL = 1e-6
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
JULY = 6


def crop_tables() -> dict[str, tuple[str, str]]:
    """X: 100 mm in July (1 hm3 per kha), 10 t/ha at 100 USD/t, 200 USD/ha: 1.0 MUSD gross
    per hm3, 0.8 MUSD net per kha (= per hm3). Y: 200 mm (2 hm3 per kha), 10 t/ha at 150
    USD/t, 100 USD/ha: 0.75 MUSD gross per hm3, 1.4 MUSD net per kha (0.7 per hm3)."""
    need = {"X": 100, "Y": 200}
    water = (
        "crop,"
        + ",".join(MONTHS)
        + "\n"
        + "".join(
            f"{c}," + ",".join(str(need[c] if m == JULY else 0) for m in range(12)) + "\n"
            for c in need
        )
    )
    return {
        "crops": (
            "t/ha, USD/t, USD/ha",
            "crop,ky,max_yield_t_per_ha,price_usd_per_t,cost_usd_per_ha\n"
            "X,1.0,10,100,200\nY,1.0,10,150,100\n",
        ),
        "crop_water_requirements": ("mm/month", water),
        "irrigated_areas": ("ha", "node,crop,area_ha\nI,X,20000\nI,Y,20000\n"),
    }


def land_problem(folder, july_hm3: float):
    """S (``july_hm3`` in July, nothing else) -> I (10,000 ha of land shared by X and Y,
    each available on up to 20,000 ha: the land binds first; efficiencies 1) -> O; spare
    water S -> O."""
    return write_problem(
        folder,
        [
            node("S", "source"),
            node(
                "I",
                "irrigation",
                conveyance_efficiency=1.0,
                field_efficiency=1.0,
                return_fraction=0.0,
                land_ha=10_000.0,
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "I"}, {"from": "S", "to": "O"}, {"from": "I", "to": "O"}],
        {"S": [july_hm3 if m == JULY else 0.0 for m in range(12)]},
        tables=crop_tables(),
    )


@pytest.mark.parametrize(
    ("july", "area_x", "area_y", "objective", "water_value", "land_price"),
    [
        # water binds (x + 2y <= 8) before land (x + y <= 10): 8 kha of X, 0.8 per hm3;
        # the land is not all used, its price is 0
        (8.0, 8.0, 0.0, 6.4, 0.8, 0.0),
        # land binds: 10 kha of Y (20 hm3, 10 spilled), 14 MUSD; water is worth 0 and one
        # ha more of land 1.4 MUSD per kha = 1400 USD/ha
        (30.0, 0.0, 10.0, 14.0, 0.0, 1400.0),
    ],
)
def test_crop_choice_follows_the_scarcer_resource(
    tmp_path, july, area_x, area_y, objective, water_value, land_price
):
    result = run(land_problem(tmp_path, july))
    ds = result.results
    area = ds["crop_area"].sel(node="I").isel(year=0)
    np.testing.assert_allclose(
        [float(area.sel(crop="X")), float(area.sel(crop="Y"))],
        [area_x * 1000, area_y * 1000],
        atol=1e-3,
    )
    assert abs(result.report.objective_musd - objective) < 1e-6
    assert at(result, "marginal_value", "I")[JULY] == pytest.approx(water_value, abs=TOL)
    assert float(ds["land_price"].sel(node="I").isel(year=0)) == pytest.approx(land_price, abs=1e-3)
    np.testing.assert_allclose(flow(result, "S", "I")[JULY], area_x + 2 * area_y, atol=TOL)
