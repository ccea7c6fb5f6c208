"""A Pywr-style per-step LP on a basin's network, with highspy alone (benchmark reference).

Pywr solves one small LP per time step: flows on the links, storage carried from the last
step, demands served in order of priority by penalty weights, everything updated in place
between steps. This module does the same on the network of a synthetic basin
(``benchmarks/synthetic.py``) with nothing but numpy and highspy, so that ``simulate``'s
cost per month can be set beside the cost of the leanest possible month-by-month loop:

- a column per water link (hm3 in the month, up to its capacity), per reservoir (storage
  at the end of the month, dead storage to capacity), per consumer (water consumed, up to
  the month's demand) and per sink (water leaving the basin);
- a row per node: what flows in (plus a source's inflow, a reservoir's last storage)
  equals what flows out (plus storage, consumption or outflow);
- the objective rewards consumption (towns 10, demand nodes 5, districts 2 per hm3) and
  storage kept (0.01 per hm3), and charges 1e-4 per hm3 on every link.

Only the network is the basin's; the demands of districts and the reward weights are made
up (a month's demand of a district: 2 % of the basin's mean monthly inflow, in the summer
months). What is measured is the time per step, not the plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from nexusmodel.basin.basin import Basin

HM3_PER_M3S_MONTH = 2.6298  # 1 m3/s for a mean month (30.44 days), in hm3
WEIGHT = {"municipal": 10.0, "demand": 5.0, "irrigation": 2.0}
SUMMER = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0], dtype=float)  # April-September


@dataclass
class StepTimes:
    """Seconds of a whole per-step run: in HiGHS and in total (updates, solves, reading)."""

    steps: int
    highs_seconds: float
    total_seconds: float

    @property
    def ratio(self) -> float:
        return self.total_seconds / max(self.highs_seconds, 1e-12)


def run_pywr_style(basin: Basin) -> StepTimes:
    """Simulate ``basin``'s network month by month with one persistent HiGHS LP."""
    nodes = [n for n in basin.spec.nodes if n.type != "energy_system"]
    index = {n.id: i for i, n in enumerate(nodes)}
    links = [lk for lk in basin.spec.links if lk.from_ in index and lk.to in index]
    n_links = len(links)
    reservoirs = [n for n in nodes if n.type == "reservoir"]
    consumers = [n for n in nodes if n.type in WEIGHT]
    sinks = [n for n in nodes if n.type == "sink"]
    n_cols = n_links + len(reservoirs) + len(consumers) + len(sinks)
    # columns: links, then storage, consumption, outflow; rows: one balance per node
    cost = np.full(n_cols, -1e-4)
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, highspy.kHighsInf)
    entries: list[tuple[int, int, float]] = []
    for j, lk in enumerate(links):
        if lk.capacity_m3s is not None:
            upper[j] = lk.capacity_m3s * HM3_PER_M3S_MONTH
        entries += [(index[lk.from_], j, 1.0), (index[lk.to], j, -1.0)]  # out - in
    col = n_links
    storage_col = {}
    for r in reservoirs:
        storage_col[r.id] = col
        lower[col], upper[col] = r.dead_storage_hm3, r.capacity_hm3  # type: ignore[attr-defined]
        cost[col] = 0.01
        entries.append((index[r.id], col, 1.0))
        col += 1
    consume_col = {}
    for c in consumers:
        consume_col[c.id] = col
        cost[col] = WEIGHT[c.type]
        entries.append((index[c.id], col, 1.0))
        col += 1
    for s in sinks:
        entries.append((index[s.id], col, 1.0))
        col += 1
    rows, cols, values = (np.array(x) for x in zip(*entries, strict=True))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, len(nodes)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_ = np.zeros(len(nodes))
    lp.row_upper_ = np.zeros(len(nodes))
    order = np.lexsort((rows, cols))
    counts = np.bincount(cols, minlength=n_cols)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lp.a_matrix_.index_ = rows[order].astype(np.int32)
    lp.a_matrix_.value_ = values[order].astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(lp)

    series = basin.series
    inflow = series.inflow_m3s * HM3_PER_M3S_MONTH
    months = len(inflow.index)
    district_demand = 0.02 * float(inflow.to_numpy().sum(axis=1).mean())
    source_rows = np.array([index[s] for s in inflow.columns], dtype=np.int32)
    inflow_values = inflow.to_numpy()
    demand = {c.id: np.zeros(months) for c in consumers}
    for frame in (series.demand_hm3, series.municipal_hm3):
        for name in frame.columns:
            if name in demand:
                demand[name] = frame[name].to_numpy(dtype=float)
    month_of_year = np.arange(months) % 12
    for c in consumers:
        if c.type == "irrigation":
            demand[c.id] = district_demand * SUMMER[month_of_year]
    consumer_cols = np.array([consume_col[c.id] for c in consumers], dtype=np.int32)
    consumer_demand = np.array([demand[c.id] for c in consumers]).reshape(len(consumers), months)
    res_rows = np.array([index[r.id] for r in reservoirs], dtype=np.int32)
    res_cols = np.array([storage_col[r.id] for r in reservoirs], dtype=np.int64)
    storage = np.array([r.initial_storage_hm3 for r in reservoirs], dtype=float)  # type: ignore[attr-defined]

    highs_seconds = 0.0
    start = time.perf_counter()
    for t in range(months):
        # a source's row: out = inflow; a reservoir's: out - in + S = S(t-1)
        h.changeRowsBounds(len(source_rows), source_rows, inflow_values[t], inflow_values[t])  # type: ignore[attr-defined]
        h.changeRowsBounds(len(res_rows), res_rows, storage, storage)  # type: ignore[attr-defined]
        caps = consumer_demand[:, t]
        h.changeColsBounds(len(consumer_cols), consumer_cols, np.zeros(len(caps)), caps)
        run_start = time.perf_counter()
        h.run()
        highs_seconds += time.perf_counter() - run_start
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the per-step LP of month {t} is not optimal")
        storage = np.asarray(h.getSolution().col_value)[res_cols]
    return StepTimes(months, highs_seconds, time.perf_counter() - start)
