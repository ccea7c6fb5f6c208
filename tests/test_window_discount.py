"""A window's discount factors are the package's one discounting, bit for bit.

``WindowModels.discount`` works on whole days counted once for the horizon instead of
date arithmetic per window; the factors must stay exactly those of
``discount_factors`` for every window of a 30-year monthly horizon (rolling has 349
windows, simulate 360)."""

from __future__ import annotations

import numpy as np

from nexusmodel.model import ModelOptions
from nexusmodel.model.context import discount_factors
from nexusmodel.modes.window import WindowModels
from nexusmodel.scenario import apply_scenario, load_scenario
from scenario_helpers import root_scenario, syr_darya


def test_window_discount_is_discount_factors_bit_for_bit(tmp_path):
    scenario = load_scenario(root_scenario(tmp_path, years=30))
    basin = apply_scenario(syr_darya(), scenario)
    models = WindowModels(basin, ModelOptions(discount_rate=0.05))
    starts = models.axis.start
    n = len(starts)
    assert n >= 120
    for start in range(n):
        for stop in {min(start + 1, n), min(start + 12, n), n}:
            expected = discount_factors(0.05, starts[start:stop])
            assert np.array_equal(models.discount(start, stop), expected), (start, stop)
    # and the hand value: a year after the window's start, 1 / 1.05 to within the 365.25-day year
    assert models.discount(0, 13)[12] == discount_factors(0.05, starts[:13])[12]
    assert abs(models.discount(0, 13)[12] - 1 / 1.05) < 1e-4
