"""The window loop shared by the rolling and simulation modes, and what a run returns.

:class:`WindowRun` carries the state from window to window (storage, decided crop areas,
what annual targets have received, the head-iteration guess) and solves a plan of windows
on :class:`~nexusmodel.modes.window.WindowModels`; a :class:`WindowPolicy` says what a mode
adds to each window (end rule, heads, rule curves). :func:`stitched_results` turns the
stitched run into the results Dataset.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import ReservoirNode
from nexusmodel.errors import InfeasibleError, SolverError
from nexusmodel.model import build_model
from nexusmodel.model.components import reservoir
from nexusmodel.model.components.environment import fixed_loss
from nexusmodel.model.context import BuildContext, discount_factors, nodes_of_class
from nexusmodel.model.heads import fixed_expansion, initial_storage_hm3, taylor_expansion
from nexusmodel.model.options import ModelOptions
from nexusmodel.modes.result import ModeRun
from nexusmodel.modes.seasons import SeasonAccounts
from nexusmodel.modes.stitch import (
    Stitcher,
    energy_error,
    objective_value,
    settle_slacks,
)
from nexusmodel.modes.window import (
    Window,
    WindowModel,
    WindowModels,
    WindowStats,
)
from nexusmodel.results import extract_results
from nexusmodel.solve import SolveReport, solve
from nexusmodel.solve.diagnose import elastic_diagnosis
from nexusmodel.solve.highs import INF
from nexusmodel.solve.live import layout
from nexusmodel.solve.slp import HeadLinearization, iterate
from nexusmodel.solve.update import update_initial_storage


@dataclass
class Reference:
    """What a rolling or simulation run borrows from an optimize run (all by reservoir and
    step of the horizon): marginal value of water (USD/m3) and storage (hm3)."""

    marginal_value: dict[str, np.ndarray]
    storage: dict[str, np.ndarray]
    model: pyo.ConcreteModel | None = None

    @classmethod
    def from_run(cls, run: ModeRun) -> Reference:
        return cls.from_results(run.results, run.model)

    @classmethod
    def optimize(cls, basin: Basin, options: ModelOptions) -> Reference:
        """The reference of a perfect-foresight solve of the whole horizon (what
        ``run_optimize`` solves; made here so that the modes need not import each other)."""
        model = build_model(basin, options)
        return cls.from_results(extract_results(model, solve(model)), model)

    @classmethod
    def from_results(cls, ds: xr.Dataset, model: pyo.ConcreteModel | None) -> Reference:
        ids = [
            n for n, t in zip(ds.node.values, ds.node_type.values, strict=True) if t == "reservoir"
        ]
        return cls(
            {r: ds["marginal_value"].sel(node=r).values.astype(float) for r in ids},
            {r: ds["storage"].sel(node=r).values.astype(float) for r in ids},
            model,
        )


# --------------------------------------------------------------------------- the window loop


class WindowPolicy:
    """What a mode sets in each window beyond the data: end rule, heads, extra rules."""

    heads: str = "slp"  # "slp": head iteration; "start": head of the window's initial storage
    season_rules: bool = True  # impose scenario seasonal release shares (modes.seasons)

    def end_rule(self, run: WindowRun, wm: WindowModel, win: Window) -> None:
        raise NotImplementedError

    def setup(self, run: WindowRun, wm: WindowModel, win: Window) -> None:
        """Anything else before the solve (simulation: zones and rule curves)."""


class WindowRun:
    """The state carried from window to window, and the loop."""

    def __init__(
        self,
        basin: Basin,
        options: ModelOptions,
        policy: WindowPolicy,
        extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
    ) -> None:
        self.basin = basin
        self.options = options
        self.policy = policy
        self.models = WindowModels(basin, options, extra_constraints)
        ctx = self.models.full_ctx
        self.ctx = ctx
        self.n_steps = len(ctx.axis)
        data = self.models.data
        self.data = data
        self.reservoirs = [r.id for r in reservoir.reservoirs(ctx)]
        by_id = nodes_of_class(basin, ReservoirNode)
        self.storage = np.array([by_id[r].initial_storage_hm3 for r in self.reservoirs])
        n_y = len(data.years)
        # irrigation: decided areas (kha), years planted at the maximum without foresight
        need_any = data.step["need"].max(axis=0, initial=0.0) > 0
        self.n_pairs = data.step["need"].shape[0]
        self.decided = np.full((self.n_pairs, n_y), np.nan)
        self.blind = np.zeros(n_y, dtype=bool)
        self.season_first = np.zeros(n_y, dtype=np.int64)
        self.season_last = np.zeros(n_y, dtype=np.int64)
        for y in range(n_y):
            steps = np.flatnonzero(data.step_year == y)
            season = steps[need_any[steps]]
            self.season_first[y] = season[0] if season.size else steps[0]
            self.season_last[y] = season[-1] if season.size else steps[-1]
        self.past_production = np.zeros((self.n_pairs, n_y))  # sum of c[t] w[t] kept so far
        # annual accounts: environmental inflow delivered, spill sent (hm3 per year)
        links = list(basin.links)
        env_ids = [n.id for n in basin.nodes_of_type("environment")]
        self.env_matrix = np.array(
            [[(1.0 - fixed_loss(lk)) if lk.to == n else 0.0 for lk in links] for n in env_ids]
        ).reshape(len(env_ids), len(links))
        self.delivered = np.zeros((len(env_ids), n_y))
        policy_caps = getattr(getattr(basin, "policy", None), "spill_caps", ())
        self.spill_matrix = np.array(
            [
                [1.0 if lk.to == c.node and lk.kind != "return" else 0.0 for lk in links]
                for c in policy_caps
            ]
        ).reshape(len(policy_caps), len(links))
        self.spilled = np.zeros((len(policy_caps), n_y))
        self.guess: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.stats = self.models.stats
        self.seasons = SeasonAccounts(ctx, data.step_year, n_y) if policy.season_rules else None
        ranks = options.priorities
        self.top_weight = (
            float(10.0 ** max(ranks.values())) if options.objective == "priority" else None
        )
        self.full_discount = discount_factors(options.discount_rate, self.models.axis.start)

    # ----- per window
    def solve(self, plan: list[Window], stitcher: Stitcher) -> None:
        stats = self.stats
        cpu = time.process_time()
        for win in plan:
            start = time.perf_counter()
            built = stats.build_seconds
            wm = self.models.model_for(win)
            update_initial_storage(wm.model, wm.backend, self.storage, heads=False)
            self.policy.end_rule(self, wm, win)
            active_floor = self._irrigation(wm, win)
            self._annual_rows(wm, win)
            self.policy.setup(self, wm, win)
            if self.seasons:
                disc = self.models.discount(win.start, win.stop)
                years = self.data.step_year[win.start : win.stop]
                first = np.searchsorted(years, np.arange(years[0], years[-1] + 1))
                self.seasons.push(
                    wm.model, wm.backend, win.start, win.stop, disc[first], self.top_weight
                )
            lin = self._heads(wm, win)
            ready = time.perf_counter()
            stats.prepare_seconds += ready - start - (stats.build_seconds - built)
            sol, highs_seconds = self._run(wm, win, lin, active_floor)
            solved = time.perf_counter()
            self._keep(wm, win, sol, lin, stitcher)
            stats.keep_seconds += time.perf_counter() - solved
            stats.highs_seconds.append(highs_seconds)
            stats.seconds.append(time.perf_counter() - start)
        stats.cpu_seconds += time.process_time() - cpu
        stats.highs_cpu_seconds = sum(
            wm.backend.cpu_seconds for models in self.models.models.values() for wm in models
        )

    def _where(self, win: Window) -> str:
        a = self.models.axis.start
        return f"window {a[win.start]:%Y-%m} to {a[win.stop - 1]:%Y-%m}"

    def _run(
        self, wm: WindowModel, win: Window, lin: HeadLinearization, floor_active: bool
    ) -> tuple[object, float]:
        backend = wm.backend
        opts = self.options
        status, seconds = backend.run(opts.algorithm, opts.time_limit_s)
        self.stats.iterations += backend.iterations
        if status == "infeasible" and floor_active:
            # the FAO-33 floor of a decided year may be out of reach after earlier windows:
            # production is then clipped at 0 instead (counted in the statistics)
            rows = layout(wm.model, backend).rows["positive"]
            backend.set_row_bounds(rows, np.full(rows.size, -INF), np.full(rows.size, INF))
            self.stats.relaxed_windows += 1
            status, more = backend.run("simplex", opts.time_limit_s)
            seconds += more
        if status == "infeasible":
            message = (
                elastic_diagnosis(wm.model, backend)
                if opts.diagnose_infeasible
                else "the problem is infeasible"
            )
            raise InfeasibleError(f"{self._where(win)}: {message}")
        if status != "optimal":
            raise SolverError(f"{self._where(win)}: HiGHS stopped with status '{status}'")
        sol = backend.solution()
        if lin.plants and self.policy.heads == "slp" and opts.head == "slp":
            start = time.perf_counter()
            sol, n, its, secs = iterate(lin, sol, opts)
            self.stats.slp_python_seconds += time.perf_counter() - start - secs
            self.stats.slp_iterations += n
            self.stats.iterations += its
            seconds += secs
        return sol, seconds

    # ----- heads
    def _heads(self, wm: WindowModel, win: Window) -> HeadLinearization:
        # the window's heads are read from lin.expansions (record_heads): no copy into Pyomo
        lin = HeadLinearization(wm.model, wm.backend, sync=False)
        if not lin.plants:
            return lin
        ctx: BuildContext = wm.model.context
        n_t = win.length
        expansions = []
        for p in lin.plants:
            if self.policy.heads == "start" or self.options.head != "slp":
                expansions.append(fixed_expansion(ctx, p))
                continue
            s0 = initial_storage_hm3(ctx, p)
            # no guess yet: the build's point (initial storage, half the turbine capacity)
            half = 0.5 * ctx.m3s_to_hm3(p.max_turbine_flow_m3s) * np.ones(n_t)
            storage_guess, turbine_guess = self.guess.get(p.node, (np.zeros(0), np.zeros(0)))
            storage = self._shift(storage_guess, np.full(n_t, s0))
            turbine = self._shift(turbine_guess, half)
            start = np.concatenate([[s0], storage[:-1]])
            expansions.append(taylor_expansion(ctx, p, start, storage, turbine))
        lin.apply(expansions)
        return lin

    @staticmethod
    def _shift(values: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """The last window's plan for the steps it did not keep, padded to the window with
        its last value (or ``fallback`` where there is no plan)."""
        n_t = fallback.size
        if values.size == 0:
            return fallback.copy()
        if values.size >= n_t:
            return values[:n_t].copy()
        return np.concatenate([values, np.full(n_t - values.size, values[-1])])

    # ----- irrigation areas and the FAO-33 floor
    def _irrigation(self, wm: WindowModel, win: Window) -> bool:
        """Crop-area bounds and the floor rows of the window; True if a floor row is on."""
        if not self.n_pairs:
            return False
        lay = layout(wm.model, wm.backend)
        data = self.data
        first = int(data.step_year[win.start])
        n_wy = lay.n_years
        area_max = data.year["area_max"][:, first : first + n_wy]
        lower = np.zeros_like(area_max)
        upper = area_max.copy()
        self._deciding = []
        for k in range(n_wy):
            fy = first + k
            if not np.isnan(self.decided[0, fy]):
                lower[:, k] = upper[:, k] = self.decided[:, fy]
            elif win.start <= self.season_first[fy] < win.start + win.keep:
                if win.stop - 1 >= self.season_last[fy]:
                    self._deciding.append(k)
                else:  # no sight of the season's end: the available area is planted
                    self.decided[:, fy] = area_max[:, k]
                    self.blind[fy] = True
                    lower[:, k] = upper[:, k] = area_max[:, k]
        cols = lay.cols["area"]
        keep = cols.ravel() >= 0
        wm.backend.set_col_bounds(cols.ravel()[keep], lower.ravel()[keep], upper.ravel()[keep])
        rows = lay.rows["positive"]
        if not rows.size:
            return False
        row_year = first + lay.positive_year
        floor = np.where(
            self.blind[row_year], -INF, -self.past_production[lay.positive_pair, row_year]
        )
        wm.backend.set_row_bounds(rows, floor, np.full(rows.size, INF))
        return bool((~self.blind[row_year]).any())

    # ----- annual targets and caps: the remainder over the remaining days
    def _share(self, win: Window, fy: int) -> tuple[float, float]:
        """(days of the window in year fy, days of year fy from the window's start on)."""
        days = self.models.axis.days
        in_year = self.data.step_year == fy
        steps = np.flatnonzero(in_year)
        remaining = days[steps[steps >= win.start]].sum()
        window = days[steps[(steps >= win.start) & (steps < win.stop)]].sum()
        return float(window), float(remaining)

    def _annual_rows(self, wm: WindowModel, win: Window) -> None:
        lay = layout(wm.model, wm.backend)
        first = int(self.data.step_year[win.start])
        if lay.env_target:
            rows = lay.rows["env_annual"]
            need = np.zeros(rows.shape)
            for i, e in enumerate(lay.env_target):
                for k in range(rows.shape[1]):
                    fy = first + k
                    total = self.data.year["env_target"][e, fy]
                    window, remaining = self._share(win, fy)
                    left = max(total - self.delivered[e, fy], 0.0)
                    need[i, k] = left * window / remaining if remaining > 0 else 0.0
            wm.backend.set_row_bounds(rows.ravel(), need.ravel(), np.full(rows.size, INF))
        keys = lay.policy_keys.get("spill_year")
        if keys is not None and keys[0].size:
            rows, cap_index, year_pos = keys
            caps = np.empty(rows.size)
            for j, (c, k) in enumerate(zip(cap_index, year_pos, strict=True)):
                fy = first + int(k)
                window, remaining = self._share(win, fy)
                left = max(self.data.year["spill_year_cap"][c, fy] - self.spilled[c, fy], 0.0)
                caps[j] = left * window / remaining if remaining > 0 else 0.0
            wm.backend.set_row_bounds(rows, np.full(rows.size, -INF), caps)

    # ----- keeping a window's first steps
    def _keep(
        self, wm: WindowModel, win: Window, sol: object, lin: HeadLinearization, stitcher: Stitcher
    ) -> None:
        lay = layout(wm.model, wm.backend)
        x = sol.x  # type: ignore[attr-defined]

        def values(cols: np.ndarray) -> np.ndarray:
            return np.where(cols >= 0, x[np.maximum(cols, 0)], 0.0)

        stitcher.record(wm, win, sol, float(self.full_discount[win.start]))
        keep = win.keep
        storage = values(lay.cols["storage"])
        if storage.size:
            self.storage = storage[:, keep - 1].copy()
        first = int(self.data.step_year[win.start])
        kept_year = self.data.step_year[win.start : win.start + keep]
        flows = values(lay.cols["flow"])[:, :keep]
        if self.seasons:
            self.seasons.keep(win.start, flows)
        for matrix, account in (
            (self.env_matrix, self.delivered),
            (self.spill_matrix, self.spilled),
        ):
            if matrix.size:
                _add_by_year(account, kept_year, matrix @ flows)
        if self.n_pairs:
            water = values(lay.cols["water"])[:, :keep]
            coef = self.data.step["prod_water"][:, win.start : win.start + keep]
            _add_by_year(self.past_production, kept_year, coef * water)
            area = values(lay.cols["area"])
            for k in self._deciding:
                self.decided[:, first + k] = area[:, k]
        if lin.plants:
            expansions = lin.expansions
            res_ids = list(wm.model.reservoir.ids)
            turbine = values(lay.cols["turbine"])
            plant_ids = list(wm.model.hydropower.ids)
            for p, e in zip(lin.plants, expansions, strict=False):
                stitcher.record_heads(p.node, win.start, np.asarray(e.head)[:keep])
                self.guess[p.node] = (
                    storage[res_ids.index(p.node), keep:],
                    turbine[plant_ids.index(p.node), keep:],
                )


def _add_by_year(account: np.ndarray, years: np.ndarray, values: np.ndarray) -> None:
    """account[:, y] += the values (keys x kept steps) of the steps in year y."""
    for y in np.unique(years):
        account[:, y] += values[:, years == y].sum(axis=1)


# --------------------------------------------------------------------------- finishing


def full_model_for(
    basin: Basin, options: ModelOptions, reference: Reference | None
) -> pyo.ConcreteModel:
    """A model of the whole horizon to stitch into: the reference's if built alike."""
    if (
        reference is not None
        and reference.model is not None
        and same_build(reference.model.context.options, options)
    ):
        return reference.model
    return build_model(basin, options)


def same_build(a: ModelOptions, b: ModelOptions) -> bool:
    """Options that build the same model (the solve mode and its windows aside)."""
    ignore = {"mode": "optimize", "window_months": 12, "keep_months": 1}
    return a.model_copy(update=ignore) == b.model_copy(update=ignore)


def stitched_results(
    run: WindowRun,
    full: pyo.ConcreteModel,
    stitcher: Stitcher,
    mode: str,
    provenance: dict[str, object] | None,
    timings: dict[str, float],
    attrs: dict[str, object],
) -> tuple[xr.Dataset, SolveReport]:
    """Settle yearly slacks, evaluate the objective, extract, and label the Dataset."""
    solution = stitcher.solution
    settle_slacks(full, solution)
    objective = objective_value(full, solution)
    stats = run.stats
    report = SolveReport(
        status="optimal",
        objective_musd=objective,
        iterations=stats.iterations,
        timings=timings,
        slp_iterations=stats.slp_iterations,
        energy_linearization_error=energy_error(full, solution),
        solution=solution,  # type: ignore[arg-type]
    )
    hp = full.hydropower
    saved = {key: data.value for key, data in hp.head.items()}
    try:
        for p, heads in stitcher.heads.items():
            for t, h in enumerate(heads):
                if np.isfinite(h):
                    hp.head[p, t] = float(h)
        ds = extract_results(full, report, {**(provenance or {}), "mode": mode})
    finally:
        for key, value in saved.items():
            hp.head[key] = value
    ds.attrs.update(mode=mode, windows=len(stats.seconds), window_models_built=stats.models_built)
    ds.attrs.update(attrs)
    return ds, report


def window_timings(stats: WindowStats, loop_seconds: float) -> dict[str, float]:
    """Timings of a windowed run, named like optimize's (s)."""
    return {
        "build": stats.build_seconds - stats.translate_seconds,
        "translate": stats.translate_seconds,
        "solve": float(sum(stats.highs_seconds)),
        "windows": loop_seconds,
    }
