"""A split's residual minimum changes with the month's days: the in-place updates push it
like every other number (the LP pushed equals, entry by entry, the LP built; issue 15)."""

from __future__ import annotations

import pytest

from model_factory import link, make_basin, node, with_months
from nexusmodel.model import ModelOptions
from nexusmodel.modes.window import slice_series
from nexusmodel.solve.update import update_series
from test_modes_update import _lp, assert_same_lp, built


def split_basin():
    """S -> J (split O 3 : D 1 above a residual of 10 m3/s in winter, 4 in summer) -> O, D."""
    nodes = [
        node("S", "source"),
        node(
            "J",
            "junction",
            split={"O": 3.0, "D": 1.0},
            residual_to="O",
            residual_min_m3s=[10.0] * 4 + [4.0] * 5 + [10.0] * 3,
            residual_penalty_usd_per_m3=2.0,
        ),
        node(
            "D",
            "demand",
            monthly_demand_hm3=[50.0] * 12,
            benefit_segments=[{"share": 1.0, "value_usd_per_m3": [0.5] * 6 + [0.8] * 6}],
        ),
        node("O", "sink"),
    ]
    links = [link("S", "J"), link("J", "O"), link("J", "D")]
    return with_months(make_basin(nodes, links), 36, {"S": 80.0})


@pytest.mark.parametrize(
    ("start_a", "start_b", "length", "rate"),
    [(0, 5, 2, 0.0), (1, 25, 1, 0.05), (2, 16, 6, 0.12)],
)
def test_a_split_pushed_in_place_is_the_split_built(start_a, start_b, length, rate):
    basin = split_basin()
    series = basin.series
    options = ModelOptions(discount_rate=rate)
    model, backend = built(
        basin.with_series(slice_series(series, start_a, start_a + length)), options
    )
    target, target_backend = built(
        basin.with_series(slice_series(series, start_b, start_b + length)), options
    )
    update_series(model, backend, slice_series(series, start_b, start_b + length))
    assert_same_lp(_lp(model, backend), _lp(target, target_backend))
