"""The README's "Writing a basin from scratch" example, run from exactly its files
(``tests/textbook/from_scratch/``: basin.yaml, inflows.csv, scenario.yaml), worked by hand.

S (80 hm3 a month January..June, 20 July..December) -> R (100 hm3, S0 = 50, ends as it
started) -> J (split 1:1) -> D (40 a month: 20 at 0.20 USD/m3, 20 at 0.05) and O (sea).

By hand: D's first 20 hm3 need 40 released (the split halves it). Wet months release
more than that; dry months only 20 (D gets 10). The reservoir fills to 100 by the end of
June and must end at 50: 50 hm3 more for the six dry months, 50/6 each, D gets
(20 + 50/6) / 2 = 14.17 hm3 (still in its first segment). Objective: dry 6 * 14.17 * 0.20
= 17.0; wet: the release is the inflow less the 50 stored, 80 * 5 + 80 * FEB - 50 (the
inflow table holds a mean month's volume; February 2030 gets FEB = 28/28.25 of it), half to
D, 120 of it at 0.20 and the rest at 0.05. Marginal values at R (which can move water
between the months of a season, so they are not ties): half of D's segment values, 0.10 in
the dry months and 0.025 in the wet ones; R's capacity is worth 0.10 - 0.025 =
0.075 per m3 (one more hm3 stored moves water from wet to dry) in the wet month it binds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textbook_files import FEB, at, flow, run

FOLDER = Path(__file__).parent / "from_scratch"
TOL = 1e-6
WET, DRY = slice(0, 6), slice(6, 12)


def test_the_readme_example_runs_as_worked_by_hand():
    result = run(FOLDER / "scenario.yaml")
    dry_delivery = (20 + 50 / 6) / 2
    wet_to_d = (80 * 5 + 80 * FEB - 50) / 2
    expected = 6 * dry_delivery * 0.20 + 120 * 0.20 + (wet_to_d - 120) * 0.05
    assert result.report.objective_musd == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(flow(result, "J", "D"), flow(result, "J", "O"), atol=TOL)
    # the dry months share 85 hm3 at D (which month gets more is a tie: all at 0.20)
    assert flow(result, "J", "D")[DRY].sum() == pytest.approx(6 * dry_delivery, abs=TOL)
    storage = at(result, "storage", "R")
    assert storage[5] == pytest.approx(100.0, abs=TOL)
    assert storage[11] == pytest.approx(50.0, abs=TOL)
    mv_r = at(result, "marginal_value", "R")
    np.testing.assert_allclose(mv_r[DRY], 0.10, atol=TOL)
    np.testing.assert_allclose(mv_r[WET], 0.025, atol=TOL)
    capacity = at(result, "storage_max_price", "R")
    assert capacity[WET].sum() == pytest.approx(0.075, abs=TOL)
    assert result.results.attrs["water_balance_max_residual_hm3"] < 1e-6


def test_the_readme_shows_exactly_these_files():
    """The README's "Writing a basin from scratch" blocks are the files this test runs."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing a basin from scratch", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1] for b in section.split("```")[1::2]]
    folder = Path(__file__).parent / "from_scratch"
    for name, block in zip(("basin.yaml", "inflows.csv", "scenario.yaml"), blocks, strict=False):
        assert block == (folder / name).read_text(encoding="utf-8"), name
    assert len(blocks) == 3
