"""Solving a horizon window by window, on window models built once and updated in place.

A *window* solves steps ``start .. stop - 1`` and keeps the first ``keep`` of them; the
storage at the end of the kept steps starts the next window. Windows run on models of the
same components built on a slice of the horizon (``build_model`` on a Basin whose series
are cut to the window). A model is built once per *structure* and reused:

- the structure of a window is how its steps fall into calendar years (a 12-month window
  starting in March has 10 steps of one year and 2 of the next: its crop areas and annual
  targets are indexed over two years) and which rows its data need (a month without an
  environmental minimum flow has no row for it). Models are kept by length and year
  pattern; a window takes the first that fits and a new one is built when none does. So a
  12-month rolling horizon uses 12 models, one per starting month, each reused every year,
  and month-by-month simulation one (or two, if some months need rows others lack);
- everything else that changes from one window to the next is data, pushed into the live
  HiGHS LP before the warm re-solve (:mod:`nexusmodel.solve.lpdata` and
  :mod:`nexusmodel.solve.update`): inflows, demands, prices, evaporation coefficients and
  crop needs of the window's calendar months, days per step, initial storage, end-of-window
  storage value or target, crop-area bounds, the remainder of annual targets, heads.

Reusing the model of the same calendar window a year earlier also gives HiGHS its best warm
start: the problem differs little from the one its basis solved.

Yearly quantities in windows that cut calendar years:

- *crop areas*: the area of year y is decided by the window that keeps the first step of
  y's irrigation season (the first month any crop needs water), and fixed afterwards; a
  window before that plans with a free, tentative area. If the deciding window does not
  reach the season's last month (month-by-month simulation), it cannot weigh the season's
  water against the area, and the area available is planted (as WEAP and Pywr take demand
  areas as given); the FAO-33 floor ``P >= 0`` of that year is then not imposed (a crop
  short of water yields nothing, production is clipped at 0 in the results). Production
  uses the whole calendar year's crop need, and the water already given in the kept steps
  of the year counts in the floor (should a decided year's floor be out of reach, the
  window drops it and production is clipped instead: ``WindowStats.relaxed_windows``);
- *annual targets and caps* (environmental inflow targets, annual spill caps): what the kept
  steps of the year already delivered is deducted, and the remainder is spread over the
  year's remaining days: a window asks for the share of its own days;
- *scenario seasonal release shares* (a share of the calendar year's release in some months)
  are imposed by a rolling window once it reaches the year's end, counting the releases
  kept earlier in the year (:mod:`nexusmodel.modes.seasons`); the stitched results report
  the breaches of whole years.

The kept steps of every window are stitched into one full-horizon solution of a model of
the whole horizon (:mod:`nexusmodel.modes.stitch`), so ``extract_results`` gives the same
Dataset as the optimize mode and checks the water balance over the stitched run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np
import pyomo.environ as pyo

from nexusmodel.basin.basin import Basin, BasinSeries
from nexusmodel.model import build_model
from nexusmodel.model.context import BuildContext
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve.highs import HighsBackend, Solution
from nexusmodel.solve.live import LiveModel
from nexusmodel.solve.lpdata import SeriesData, StructureError, series_data
from nexusmodel.timeaxis import TimeAxis

YEARLY_FRAMES = ("area_max_ha", "crop_price_usd_per_t", "crop_cost_usd_per_ha")


class ArrayTable(NamedTuple):
    """A level-area-storage table as numpy arrays (the same numbers as the DataFrame):
    the head iteration of a window interpolates in it thousands of times."""

    level_m: np.ndarray
    area_km2: np.ndarray
    storage_hm3: np.ndarray


def with_array_tables(basin: Basin) -> Basin:
    """The basin with its level-area-storage tables read into numpy arrays."""
    tables = {
        node: ArrayTable(
            table["level_m"].to_numpy(dtype=float),
            table["area_km2"].to_numpy(dtype=float),
            table["storage_hm3"].to_numpy(dtype=float),
        )
        for node, table in basin.tables.level_area_storage.items()
    }
    return replace(basin, tables=replace(basin.tables, level_area_storage=tables))


@dataclass(frozen=True)
class Window:
    """Steps ``start .. stop - 1`` solved, the first ``keep`` of them kept."""

    start: int
    stop: int
    keep: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def plan_windows(n_steps: int, window: int, keep: int) -> list[Window]:
    """Windows of ``window`` steps moving on by ``keep``; the last one, which reaches the
    end of the horizon, keeps all its steps (it may be shorter)."""
    if window < 1 or keep < 1 or keep > window:
        raise ValueError(f"need 1 <= keep ({keep}) <= window ({window})")
    out: list[Window] = []
    start = 0
    while start < n_steps:
        stop = min(start + window, n_steps)
        if stop == n_steps:
            out.append(Window(start, stop, stop - start))
            break
        out.append(Window(start, stop, keep))
        start += keep
    return out


def slice_series(series: BasinSeries, start: int, stop: int) -> BasinSeries:
    """The series of months ``start .. stop - 1`` (yearly tables: the years they touch)."""
    months = series.months[start:stop]
    years = sorted(set(months.year))
    parts = {}
    for f in fields(BasinSeries):
        frame = getattr(series, f.name)
        parts[f.name] = frame.loc[years] if f.name in YEARLY_FRAMES else frame.iloc[start:stop]
    return BasinSeries(**parts)


class BatchedBackend(HighsBackend):
    """A :class:`HighsBackend` whose bound and cost changes wait until the next solve.

    A window changes a few hundred bounds and costs through a dozen small calls; buffered,
    they reach HiGHS in one call per kind (the last change of an entry wins). Anything
    that reads the LP or solves flushes first; it shares the compiled backend's HiGHS
    object and maps.
    """

    def __init__(self, backend: HighsBackend) -> None:
        super().__init__(
            model=backend.model,
            highs=backend.highs,
            column=backend.column,
            row=backend.row,
            row_sign=backend.row_sign,
            compile_seconds=backend.compile_seconds,
            _cols_cache=backend._cols_cache,
            _rows_cache=backend._rows_cache,
        )
        self.cpu_seconds = 0.0  # processor time inside HiGHS runs
        self._pending: dict[str, list[tuple[np.ndarray, ...]]] = {"row": [], "col": [], "cost": []}

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self._pending["row"].append(
            (np.asarray(rows), np.asarray(lower, float), np.asarray(upper, float))
        )

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self._pending["col"].append(
            (np.asarray(cols), np.asarray(lower, float), np.asarray(upper, float))
        )

    def set_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        self._pending["cost"].append((np.asarray(cols), np.asarray(costs, float)))

    def flush(self) -> None:
        for kind, apply in (
            ("row", super().set_row_bounds),
            ("col", super().set_col_bounds),
            ("cost", super().set_costs),
        ):
            parts = self._pending[kind]
            if not parts:
                continue
            self._pending[kind] = []
            joined = [np.concatenate([np.ravel(p[i]) for p in parts]) for i in range(len(parts[0]))]
            ids = joined[0]
            # keep the last change of every entry
            _, first_from_end = np.unique(ids[::-1], return_index=True)
            pick = ids.size - 1 - first_from_end
            apply(*(a[pick] for a in joined))

    def run(
        self,
        algorithm: str = "auto",
        time_limit_s: float | None = None,
        *,
        warm: bool = True,
        devex: bool = False,
    ) -> tuple[str, float]:
        self.flush()
        start = time.process_time()
        out = super().run(algorithm, time_limit_s, warm=warm, devex=devex)
        self.cpu_seconds += time.process_time() - start
        return out

    def solution(self) -> Solution:
        self.flush()
        return super().solution()

    def costs(self) -> np.ndarray:
        self.flush()
        return super().costs()

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        self.flush()
        return super().col_bounds()

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        self.flush()
        return super().row_bounds()


@dataclass
class WindowModel:
    """One built window model, live in HiGHS."""

    live: LiveModel
    backend: BatchedBackend
    length: int
    uses: int = 0

    @property
    def model(self) -> pyo.ConcreteModel:
        return self.live.model


@dataclass
class WindowStats:
    """Time spent per window (s): total, inside HiGHS; and the models built."""

    seconds: list[float] = field(default_factory=list)
    highs_seconds: list[float] = field(default_factory=list)
    iterations: int = 0
    slp_iterations: int = 0
    models_built: int = 0
    build_seconds: float = 0.0  # building and compiling window models
    translate_seconds: float = 0.0  # of which compiling them for HiGHS
    relaxed_windows: int = 0
    prepare_seconds: float = 0.0  # pushing data, storage, end rules, bounds, heads (no builds)
    slp_python_seconds: float = 0.0  # the head iteration outside HiGHS
    keep_seconds: float = 0.0  # recording kept steps, carrying state
    cpu_seconds: float = 0.0  # processor time of the window loop
    highs_cpu_seconds: float = 0.0  # of which inside HiGHS runs


class WindowModels:
    """The window models of one basin and options, built on demand, one per structure.

    ``extra_constraints`` is passed to :func:`~nexusmodel.model.build_model` (simulation
    adds its rule-curve block with it). Every reservoir of a window model is built with an
    end row (``end_storage: initial``), so that any end rule can be set in place.
    """

    def __init__(
        self,
        basin: Basin,
        options: ModelOptions,
        extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
    ) -> None:
        if basin.series is None:
            raise ValueError("the basin has no horizon series: apply a scenario first")
        if options.step != "month":
            raise ValueError(
                f"rolling and simulate run on monthly steps (solve.step = {options.step!r})"
            )
        self.basin = basin
        self.options = options
        self.extra = extra_constraints
        self.full_ctx = BuildContext.from_basin(basin, options)
        self.data: SeriesData = series_data(self.full_ctx)
        axis = self.full_ctx.axis
        self.axis = axis
        # whole days from the horizon's first step to each step's start (exact integers, so a
        # window's days from its own start are exact too: the discount as discount_factors)
        self._days = np.asarray((axis.start - axis.start[0]).days, dtype=np.int64)
        self.models: dict[tuple[int, tuple[int, ...]], list[WindowModel]] = {}
        self.stats = WindowStats()
        nodes = [
            n.model_copy(update={"end_storage": "initial", "terminal_value_usd_per_m3": 0.0})
            if n.type == "reservoir"
            else n
            for n in basin.spec.nodes
        ]
        self._window_spec = basin.spec.model_copy(update={"nodes": nodes})
        self._fast_basin = with_array_tables(basin)

    def window_axis(self, start: int, stop: int) -> TimeAxis:
        """The horizon's time axis cut to the window; its steps point into the full series."""
        a = self.axis
        return TimeAxis(
            a.start[start:stop],
            a.days[start:stop],
            a.month_pos[start:stop],
            a.month_share[start:stop],
            a.kind,
        )

    def discount(self, start: int, stop: int) -> np.ndarray:
        """Discount factors of the window's steps, from the window's start: those of
        :func:`~nexusmodel.model.context.discount_factors`, without its date arithmetic."""
        years = (self._days[start:stop] - self._days[start]).astype(float) / 365.25
        return (1.0 + self.options.discount_rate) ** -years

    def model_for(self, win: Window) -> WindowModel:
        """A window model with the window's series data pushed in (built if none fits)."""
        years = self.data.step_year[win.start : win.stop]
        key = (win.length, tuple(np.bincount(years - years[0]).tolist()))
        disc = self.discount(win.start, win.stop)
        for wm in self.models.get(key, []):
            ctx: BuildContext = wm.model.context
            old_axis = ctx.axis
            wm.live.use_data(axis=self.window_axis(win.start, win.stop))
            try:
                wm.live.push_series(self.data, disc, win.start)
            except StructureError:
                wm.live.use_data(axis=old_axis)
                continue
            wm.uses += 1
            return wm
        wm = self._build(win)
        wm.live.use_data(axis=self.window_axis(win.start, win.stop))
        wm.live.push_series(self.data, disc, win.start)
        self.models.setdefault(key, []).append(wm)
        wm.uses += 1
        return wm

    def _build(self, win: Window) -> WindowModel:
        start = time.perf_counter()
        series = slice_series(self.basin.series, win.start, win.stop)  # type: ignore[arg-type]
        window_basin = self._fast_basin.with_spec(self._window_spec).with_series(series)
        model = build_model(window_basin, self.options, self.extra)
        backend = BatchedBackend(HighsBackend.from_model(model))
        live = LiveModel(model, backend)
        live.layout  # noqa: B018  records the build's calendar years
        # from here on the context reads the horizon's series through the window's axis
        live.use_data(series=self.basin.series)
        self.stats.models_built += 1
        self.stats.build_seconds += time.perf_counter() - start
        self.stats.translate_seconds += backend.compile_seconds
        return WindowModel(live, backend, win.length)
