"""Other shared resources of an irrigation district: a labour limit and a water right.

Loucks & van Beek 2017, "Water Resource Systems Planning and Management", ch. 4, the
linear crop-allocation examples: crop areas are decisions within the district's limited
resources (land, water, labour, money); each binding resource has a shadow price, the
gain per unit more. Worked by hand on the crops of :mod:`test_textbook_land` (FAO-33 with
Ky = 1, efficiencies 1): X nets 800 USD/ha and needs 1 hm3 per kha in July, Y nets 1400
USD/ha and needs 2 hm3 per kha; each is available on up to 20,000 ha; no land limit.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_textbook_land import JULY, crop_tables
from textbook_files import flow, node, run, write_problem

from nexusmodel.errors import InputError
from nexusmodel.run import run_scenario

TOL = 1e-6


def district_problem(folder, july_hm3: float, **fields):
    """S (``july_hm3`` in July) -> I (the district, with ``fields``) -> O; spare water S -> O."""
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
                **fields,
            ),
            node("O", "sink"),
        ],
        [{"from": "S", "to": "I"}, {"from": "S", "to": "O"}, {"from": "I", "to": "O"}],
        {"S": [july_hm3 if m == JULY else 0.0 for m in range(12)]},
        tables=crop_tables(),
    )


@pytest.mark.parametrize("mode", ["optimize", "rolling"])
def test_labour_limit_plants_by_labour_productivity(tmp_path, mode):
    """Labour 300,000 days; X takes 10 days/ha (80 USD net per day), Y 40 (35 USD per day).
    Water (100 hm3) is plenty. X first, to its 20,000 ha (200,000 days), then Y on the
    100,000 days left: 2,500 ha. Objective 20 * 0.8 + 2.5 * 1.4 = 19.5 MUSD; a day more of
    labour grows 1/40 ha more Y: 1400 / 40 = 35 USD/day. The budget (1e9 USD, 200 USD/ha of
    X, Y not listed: 0) does not bind: price 0."""
    resources = {
        "labour_days": {"limit": 300_000.0, "per_ha": {"X": 10.0, "Y": 40.0}},
        "budget_usd": {"limit": 1.0e9, "per_ha": {"X": 200.0}},
    }
    result = run(district_problem(tmp_path, 100.0, resources=resources), mode)
    ds = result.results
    area = ds["crop_area"].sel(node="I").isel(year=0)
    np.testing.assert_allclose(
        [float(area.sel(crop="X")), float(area.sel(crop="Y"))], [20_000.0, 2_500.0], atol=1e-3
    )
    assert abs(result.report.objective_musd - 19.5) < 1e-6
    price = ds["resource_price"].sel(node="I").isel(year=0)
    assert float(price.sel(resource="labour_days")) == pytest.approx(35.0, abs=1e-6)
    assert float(price.sel(resource="budget_usd")) == pytest.approx(0.0, abs=1e-6)
    assert ds["resource_price"].attrs["units"] == "USD/unit"
    np.testing.assert_allclose(flow(result, "S", "I")[JULY], 20.0 + 2 * 2.5, atol=TOL)


def test_water_right_caps_the_diversion(tmp_path):
    """Right 8 hm3 a year, 30 hm3 in the river: the right binds, not the water. 8 kha of X
    (0.8 MUSD per hm3 beats Y's 0.7): 6.4 MUSD; the river's water is worth 0 (spilled) and
    one m3 more of right 0.8 USD."""
    result = run(district_problem(tmp_path, 30.0, water_right_hm3=8.0))
    ds = result.results
    area = ds["crop_area"].sel(node="I").isel(year=0)
    np.testing.assert_allclose(
        [float(area.sel(crop="X")), float(area.sel(crop="Y"))], [8_000.0, 0.0], atol=1e-3
    )
    assert abs(result.report.objective_musd - 6.4) < 1e-6
    assert flow(result, "S", "I").sum() == pytest.approx(8.0, abs=TOL)
    price = float(ds["water_right_price"].sel(node="I").isel(year=0))
    assert price == pytest.approx(0.8, abs=1e-6)


@pytest.mark.parametrize("mode", ["rolling", "simulate"])
def test_water_right_refused_in_modes_of_windows(tmp_path, mode):
    path = district_problem(tmp_path, 30.0, water_right_hm3=8.0)
    with pytest.raises(InputError, match="water_right_hm3"):
        run_scenario(path, mode)


def test_resource_of_an_unknown_crop_is_named(tmp_path):
    resources = {"labour_days": {"limit": 1.0, "per_ha": {"Z": 10.0}}}
    path = district_problem(tmp_path, 30.0, resources=resources)
    with pytest.raises(InputError, match=r"resources\.labour_days\.per_ha\.Z"):
        run_scenario(path)
