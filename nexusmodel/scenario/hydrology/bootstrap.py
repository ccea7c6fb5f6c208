"""Block bootstrap of whole years: stochastic sequences made only of years that happened.

:class:`BlockBootstrapModel` (:func:`fit_block_bootstrap`) draws blocks of ``block_years``
consecutive calendar years, at random starts with replacement, from a monthly record (for
example the basin's historical inflows) and joins them until the horizon is filled. Every
year of a generated sequence is a real year of the record, with all sites and months of that
year together: the monthly shape, the cross-site correlation and the within-block
year-to-year persistence are those observed. Persistence across block joins is lost, and no
year is wetter or drier than the record's extremes. A block never spans a gap in the record
(missing years): blocks are drawn within runs of consecutive years only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nexusmodel.scenario.hydrology.common import (
    FLOW_UNITS,
    _check_flow_values,
    _choice,
    _output_index,
    _rng,
)


@dataclass(frozen=True, eq=False)
class BlockBootstrapModel:
    """Complete calendar years of a monthly record and the block length to draw them in."""

    record: pd.DataFrame  # monthly, complete calendar years only, one column per site
    unit: str
    block_years: int
    block_starts: tuple[int, ...]  # first years of every allowed block

    @property
    def columns(self) -> pd.Index:
        return self.record.columns

    def draw_years(self, n_years: int, seed: int) -> list[int]:
        """The record years making up ``n_years`` generated years, in order."""
        rng = _rng(seed)
        years: list[int] = []
        while len(years) < n_years:
            first = self.block_starts[int(rng.integers(len(self.block_starts)))]
            years.extend(range(first, first + self.block_years))
        return years[:n_years]

    def generate(self, start: str | pd.Timestamp, years: int, seed: int) -> pd.DataFrame:
        """``years`` years of monthly flows from ``start`` (a month start), same units/columns.

        The sequence is built by calendar year; a ``start`` after January takes the months
        of the first drawn year from that month on.
        """
        index = _output_index(start, years)
        n_years = index[-1].year - index[0].year + 1
        drawn = self.draw_years(n_years, seed)
        by_year = self.record.groupby(self.record.index.year)
        values = np.vstack([by_year.get_group(y).to_numpy(dtype=float) for y in drawn])
        offset = index[0].month - 1
        return pd.DataFrame(
            values[offset : offset + len(index)], index=index, columns=self.columns.copy()
        )


def fit_block_bootstrap(
    record: pd.DataFrame, block_years: int = 3, unit: str = "m3/s"
) -> BlockBootstrapModel:
    """A :class:`BlockBootstrapModel` of the complete calendar years of ``record``.

    ``record``: monthly flows (DatetimeIndex of month starts, one column per site, >= 0); gaps
    of whole years are allowed, incomplete years are dropped. ``block_years`` >= 1 must fit in
    at least one run of consecutive complete years.
    """
    unit = _choice(unit, "unit", FLOW_UNITS)
    if isinstance(block_years, bool) or not isinstance(block_years, int) or block_years < 1:
        raise ValueError(f"block_years = {block_years!r}: must be a whole number >= 1")
    if not isinstance(record, pd.DataFrame) or not isinstance(record.index, pd.DatetimeIndex):
        raise ValueError("record: expected a DataFrame with a monthly DatetimeIndex")
    if record.shape[1] == 0:
        raise ValueError("record: has no columns; expected one column per site")
    record = record.sort_index()
    if not (record.index.day == 1).all() or record.index.has_duplicates:
        raise ValueError("record: index must be distinct month starts (day 1)")
    complete = record.dropna().groupby(record.dropna().index.year).size() == 12
    years = sorted(int(y) for y in complete[complete].index)
    kept = record[record.index.year.isin(years)]
    _check_flow_values(kept, "record", [f"{t:%Y-%m}" for t in kept.index])
    present = set(years)
    starts = tuple(y for y in years if all(y + k in present for k in range(block_years)))
    if not starts:
        raise ValueError(
            f"block_years = {block_years}: longer than every run of consecutive complete years "
            f"in the record ({len(years)} complete year(s))"
        )
    return BlockBootstrapModel(kept.astype(float), unit, block_years, starts)
