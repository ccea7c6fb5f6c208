"""Trade-off frontiers between sectors: epsilon-constraint sweeps on ONE persistent model.

``trade_off_frontier(scenario, ["irrigation", "hydropower"], points=15)``:

Sector benefits (per year of the horizon, discounted as the scenario's objective is):

- ``irrigation``: net crop income, crop revenue minus cultivation cost (million USD/yr);
- ``hydropower``: energy valued at the thermal generation it replaces (million USD/yr;
  ``hydropower_units="gwh"``: the energy itself, GWh/yr);
- ``ecosystem``: inflow to the terminal lakes (km3/yr), or, in a basin without one, minus
  the environmental deficits (km3/yr).

The model is built once with one extra row per sector, ``benefit_s(x) >= floor_s``, and
compiled into HiGHS once; every point only changes costs and those rows' bounds in place and
re-solves warm:

1. the baseline: the scenario as it is (its objective, head iteration) gives the operating
   point; the head linearization is then kept (each point reports its remaining energy
   error), every rule's slack is held at most at its baseline value (towns stay served;
   environmental rules are free when ``ecosystem`` is an objective) and every sector that
   is not an objective is held at least at its baseline benefit;
2. the payoff table: each objective maximized alone, then the others maximized with it held
   (lexicographic), gives each objective's range;
3. the sweep: the first objective is maximized while the others are held at ``points``
   levels across their ranges (a grid for three objectives); then, with the first held at
   that best, the others are maximized (lexicographic), so that no point is even weakly
   dominated. A level that cannot be reached is recorded as infeasible.

The result is a Dataset on a ``point`` dim (NetCDF), plotted by :func:`plot_frontier`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pyomo.environ as pyo
import xarray as xr
from pyomo.core.expr.numeric_expr import LinearExpression

from nexusmodel.basin import load_basin
from nexusmodel.errors import InfeasibleError, InputError, Problem, SolverError
from nexusmodel.model.components import energy_system, hydropower, irrigation
from nexusmodel.model.components.environment import fixed_loss, reaches
from nexusmodel.model.context import BuildContext
from nexusmodel.model.expr import linear
from nexusmodel.scenario import Scenario, apply_scenario, load_scenario
from nexusmodel.solve.highs import INF, HighsBackend, Solution

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from nexusmodel.ensemble.persistent import PersistentModel

SECTORS = ("irrigation", "hydropower", "ecosystem")
LEVEL_TOLERANCE = 1e-7  # relative slack on a held level (lexicographic stages)


def _years(ctx: BuildContext) -> float:
    """Years of the horizon: months / 12 as the indicators count them (else days / 365.25)."""
    if ctx.axis.kind == "month":
        return len(ctx.axis) / 12.0
    return float(ctx.axis.days.sum() / 365.25)


def sector_benefits(
    m: pyo.ConcreteModel, ctx: BuildContext, hydropower_units: str = "musd"
) -> dict[str, tuple[LinearExpression, str, str]]:
    """{sector: (linear expression per year, units, meaning)} on a built model."""
    per_year = 1.0 / _years(ctx)
    economic = dataclasses.replace(
        ctx, options=ctx.options.model_copy(update={"objective": "economic"})
    )
    income = cast(LinearExpression, irrigation.objective(m, economic))
    out: dict[str, tuple[LinearExpression, str, str]] = {
        "irrigation": (
            linear([c * per_year for c in income.linear_coefs], income.linear_vars),
            "million USD/yr",
            "net crop income (revenue minus cultivation cost)",
        )
    }
    coefs: list[float] = []
    variables: list[object] = []
    for p in hydropower.plants(ctx):
        if hydropower_units == "gwh":
            price = np.ones(len(ctx.axis))
        else:
            price = (
                energy_system.prices(ctx, p.energy_system)["thermal"]
                * energy_system.MUSD_PER_GWH_PER_USD_MWH
                * ctx.discount
                if p.energy_system
                else np.zeros(len(ctx.axis))
            )
        coefs += list(price * per_year)
        variables += [m.hydropower.energy[p.node, t] for t in ctx.steps]
    out["hydropower"] = (
        linear(coefs, variables),
        "GWh/yr" if hydropower_units == "gwh" else "million USD/yr",
        "hydropower energy"
        if hydropower_units == "gwh"
        else "hydropower valued at the thermal generation it replaces",
    )
    terminal = [n.id for n in reaches(ctx) if n.terminal]
    coefs, variables = [], []
    km3 = 1e-3 * per_year
    if terminal:
        for link in ctx.basin.links:
            if link.to in terminal:
                coefs += [(1.0 - fixed_loss(link)) * km3] * len(ctx.axis)
                variables += [m.link.flow[link.id, t] for t in ctx.steps]
        meaning = "inflow to the terminal lakes"
    else:
        b = m.environment
        for n in b.with_min:
            coefs += [-km3] * len(ctx.axis)
            variables += [b.deficit[n, t] for t in ctx.steps]
        for n in b.with_target:
            coefs += [-km3] * len(ctx.years)
            variables += [b.annual_deficit[n, y] for y in ctx.years]
        meaning = "minus the environmental deficits"
    out["ecosystem"] = (linear(coefs, variables), "km3/yr", meaning)
    return out


def _check_objectives(objectives: Sequence[str]) -> list[str]:
    chosen = [o.strip() for o in objectives if o.strip()]
    bad = [o for o in chosen if o not in SECTORS]
    if bad or not 2 <= len(chosen) <= 3 or len(set(chosen)) != len(chosen):
        raise InputError(
            [
                Problem(
                    "--objectives",
                    f"= {','.join(objectives)}: give two or three different sectors",
                    f"choose from {', '.join(SECTORS)}",
                )
            ]
        )
    return chosen


def trade_off_frontier(
    scenario: Scenario | str | Path,
    objectives: Sequence[str] = ("irrigation", "hydropower"),
    points: int = 15,
    hydropower_units: str = "musd",
    horizon_years: int | None = None,
) -> xr.Dataset:
    """The trade-off frontier of a scenario between two or three sectors (module docstring)."""
    from nexusmodel.ensemble.persistent import PersistentModel

    chosen = _check_objectives(objectives)
    if points < 2:
        raise InputError([Problem("--points", f"= {points}: need at least 2")])
    if hydropower_units not in ("musd", "gwh"):
        raise InputError([Problem("hydropower_units", f"= {hydropower_units!r}: 'musd' or 'gwh'")])
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if horizon_years is not None:
        scenario = scenario.with_horizon(years=horizon_years)
    raw = load_basin(scenario.basin_path)
    basin = apply_scenario(raw, scenario)
    benefits: dict[str, tuple[LinearExpression, str, str]] = {}

    def floors(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
        """benefit_s(x) >= floor_s, one row per sector (bounds set in HiGHS, not here)."""
        benefits.update(sector_benefits(m, ctx, hydropower_units))
        active = [s for s in SECTORS if benefits[s][0].linear_vars]
        m.frontier_sectors = pyo.Set(initialize=active, ordered=True)
        m.frontier_floor = pyo.Constraint(
            m.frontier_sectors, rule=lambda _m, s: benefits[s][0] >= -1e12
        )

    pm = PersistentModel(basin, scenario.options, extra_constraints=floors)
    backend, ctx = pm.backend, pm.context
    floor_rows = backend.rows_of(pm.model.frontier_floor)
    n_rows = dict(zip(pm.model.frontier_floor.keys(), floor_rows.tolist(), strict=True))
    missing = [s for s in chosen if s not in n_rows]
    if missing:
        raise InputError(
            [Problem(str(scenario.path), f"the basin has nothing for {', '.join(missing)}")]
        )
    backend.set_row_bounds(
        floor_rows, np.full(len(floor_rows), -INF), np.full(len(floor_rows), INF)
    )
    coef = {s: pm.coefficients(benefits[s][0]) for s in SECTORS}

    # 1. the baseline operating point
    base = pm.solve()
    x0 = base.solution.x  # type: ignore[union-attr]
    baseline = {s: float(coef[s] @ x0) for s in SECTORS}
    original_costs = backend.costs()
    offset = base.objective_musd - float(original_costs @ x0)
    lower, upper = backend.col_bounds()
    for rule in ctx.rules:
        if "ecosystem" in chosen and rule.slack.parent_block() is pm.model.environment:  # type: ignore[attr-defined]
            continue
        cols = backend.columns_of(rule.slack)  # type: ignore[arg-type]
        cols = cols[cols >= 0]
        held = np.minimum(upper[cols], x0[cols] + 1e-9)
        backend.set_col_bounds(cols, lower[cols], held)
    for s in n_rows:
        if s not in chosen:
            _hold(backend, n_rows[s], baseline[s] - LEVEL_TOLERANCE * max(abs(baseline[s]), 1.0))

    def solve_for(costs: np.ndarray) -> Solution | None:
        """The solution maximizing ``costs @ x``, or None where the held levels are infeasible."""
        backend.set_costs(np.arange(len(costs)), costs)
        for attempt in range(2):
            try:
                return pm.solve(slp=False, diagnose=False).solution  # type: ignore[return-value]
            except InfeasibleError:
                return None
            except SolverError:  # HiGHS unsure from the warm basis: once more, cold
                if attempt:
                    return None
                backend.highs.clearSolver()
        return None

    def lexicographic(first: str) -> Solution | None:
        """Maximize ``first``; then, with it held at its best, the others (normalized)."""
        x = solve_for(unit[first])
        if x is None:
            return None
        best = float(coef[first] @ x.x)
        _hold(backend, n_rows[first], best - LEVEL_TOLERANCE * max(abs(best), 1.0))
        rest = [o for o in chosen if o != first]
        y = solve_for(sum(unit[o] / max(span.get(o, 1.0), 1e-12) for o in rest))  # type: ignore[arg-type]
        _release(backend, n_rows[first])
        return y if y is not None else x

    unit = {s: coef[s] / max(np.abs(coef[s]).max(), 1e-300) for s in chosen}  # well scaled
    # 2. payoff table: each objective at its best, the others as good as they can be then
    span: dict[str, float] = {}
    payoff: dict[str, dict[str, float]] = {}
    for s in chosen:
        x = lexicographic(s)
        if x is None:
            raise SolverError(f"maximizing {s} alone is infeasible, yet the baseline was not")
        payoff[s] = {o: float(coef[o] @ x.x) for o in chosen}
    high = {s: payoff[s][s] for s in chosen}
    low = {s: min(payoff[o][s] for o in chosen) for s in chosen}
    span.update({s: max(high[s] - low[s], 1e-9 * max(abs(high[s]), 1.0)) for s in chosen})

    # 3. the sweep: maximize the first, hold the others at levels across their ranges
    primary, held = chosen[0], chosen[1:]
    grids = [np.linspace(low[s], high[s], points) for s in held]
    rows = []
    for levels in itertools.product(*grids):
        for s, level in zip(held, levels, strict=True):
            _hold(backend, n_rows[s], level)
        sol = lexicographic(primary)
        values = {s: np.nan for s in SECTORS}
        error = np.nan
        net = np.nan
        if sol is not None:
            values = {s: float(coef[s] @ sol.x) for s in SECTORS}
            net = float(original_costs @ sol.x) + offset
            error = _energy_error(pm, sol)
        rows.append((levels, values, net, error, "optimal" if sol is not None else "infeasible"))
    backend.set_costs(np.arange(len(original_costs)), original_costs)
    return _dataset(rows, chosen, benefits, baseline, base.objective_musd, low, high, scenario)


def _energy_error(pm: PersistentModel, sol: Solution) -> float:
    """|LP energy - exact energy| / exact energy of the reservoir plants at a solution."""
    return pm.lin.error(sol)


def _hold(backend: HighsBackend, row: int, level: float) -> None:
    backend.set_row_bounds(np.array([row]), np.array([level]), np.array([INF]))


def _release(backend: HighsBackend, row: int) -> None:
    backend.set_row_bounds(np.array([row]), np.array([-INF]), np.array([INF]))


def non_dominated(values: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
    """Rows of ``values`` (points x objectives, larger is better) that no other row dominates.

    q dominates p when q >= p - tol in every objective and q > p + tol in one; tol is
    ``tolerance`` times each objective's range. NaN rows (infeasible) are not non-dominated.
    """
    ok = ~np.isnan(values).any(axis=1)
    span = np.nanmax(values, axis=0) - np.nanmin(values, axis=0) if ok.any() else 1.0
    tol = tolerance * np.maximum(span, 1e-12)
    keep = ok.copy()
    for i in np.flatnonzero(ok):
        others = values[ok]
        at_least = (others >= values[i] - tol).all(axis=1)
        better = (others > values[i] + tol).any(axis=1)
        keep[i] = not (at_least & better).any()
    return keep


def _dataset(
    rows: list[tuple[tuple[float, ...], dict[str, float], float, float, str]],
    chosen: list[str],
    benefits: dict[str, tuple[LinearExpression, str, str]],
    baseline: dict[str, float],
    baseline_net: float,
    low: dict[str, float],
    high: dict[str, float],
    scenario: Scenario,
) -> xr.Dataset:
    n = len(rows)
    data: dict[str, xr.DataArray] = {}
    for s in SECTORS:
        _, units, meaning = benefits[s]
        data[s] = xr.DataArray(
            [r[1][s] for r in rows],
            dims="point",
            attrs={"units": units, "long_name": f"{s}: {meaning}"},
        )
        data[f"baseline_{s}"] = xr.DataArray(
            baseline[s], attrs={"units": units, "long_name": f"{s} at the baseline operation"}
        )
    for i, s in enumerate(chosen[1:]):
        data[f"{s}_level"] = xr.DataArray(
            [r[0][i] for r in rows],
            dims="point",
            attrs={"units": benefits[s][1], "long_name": f"level {s} is held at (at least)"},
        )
    data["net_benefit"] = xr.DataArray(
        [r[2] for r in rows],
        dims="point",
        attrs={"units": "million USD", "long_name": "the scenario's objective at the point"},
    )
    data["baseline_net_benefit"] = xr.DataArray(baseline_net, attrs={"units": "million USD"})
    data["energy_linearization_error"] = xr.DataArray(
        [r[3] for r in rows],
        dims="point",
        attrs={
            "units": "1",
            "long_name": "relative error of the LP energy (heads of the baseline)",
        },
    )
    data["status"] = xr.DataArray(np.array([r[4] for r in rows], dtype=object), dims="point")
    values = np.array([[r[1][s] for s in chosen] for r in rows]).reshape(n, len(chosen))
    data["efficient"] = xr.DataArray(
        non_dominated(values).astype(np.int8),
        dims="point",
        attrs={"units": "1", "long_name": "1 where no other point is better in every objective"},
    )
    ds = xr.Dataset(data, coords={"point": np.arange(n)})
    ds.attrs.update(
        objectives=", ".join(chosen),
        primary=chosen[0],
        held_at_baseline=", ".join(s for s in SECTORS if s not in chosen),
        scenario=scenario.name,
        scenario_file=str(scenario.path),
        **{f"range_{s}": f"{low[s]:.6g} .. {high[s]:.6g}" for s in chosen},
    )
    return ds


def plot_frontier(ds: xr.Dataset, *, ax: Axes | None = None) -> Axes:
    """The frontier of the first two objectives, the dominated region shaded, the baseline marked.

    With a third objective, one line per level it is held at (darker = higher level).
    Returns the matplotlib Axes.
    """
    from matplotlib.figure import Figure

    if ax is None:
        ax = Figure(figsize=(7, 5)).add_subplot()
    chosen = [s.strip() for s in str(ds.attrs["objectives"]).split(",")]
    x_name, y_name = chosen[0], chosen[1]
    ok = (ds["status"] == "optimal").values
    groups: list[tuple[str, np.ndarray]] = [("", ok)]
    if len(chosen) == 3:
        level = ds[f"{chosen[2]}_level"].values
        groups = [(f"{chosen[2]} >= {v:,.3g}", ok & np.isclose(level, v)) for v in np.unique(level)]
    colors = [str(0.75 - 0.75 * i / max(len(groups) - 1, 1)) for i in range(len(groups))]
    for (label, mask), color in zip(groups, colors, strict=True):
        x = ds[x_name].values[mask]
        y = ds[y_name].values[mask]
        order = np.argsort(x)
        x, y = x[order], y[order]
        if not len(x):
            continue
        keep = non_dominated(np.column_stack([x, y]))
        x, y = x[keep], y[keep]
        if label == groups[0][0] and len(x):  # the region every plan under the frontier is in
            x0 = min(x.min(), float(ds[f"baseline_{x_name}"]))
            y0 = min(y.min(), float(ds[f"baseline_{y_name}"]))
            pad_x = 0.05 * (x.max() - x0 or 1.0)
            pad_y = 0.05 * (y.max() - y0 or 1.0)
            poly_x = np.concatenate([[x0 - pad_x], x, [x[-1], x0 - pad_x]])
            poly_y = np.concatenate([[y[0]], y, [y0 - pad_y, y0 - pad_y]])
            ax.fill(
                poly_x,
                poly_y,
                color="0.9",
                zorder=0,
                label="dominated: another plan does better in both",
            )
        ax.plot(
            x,
            y,
            "-o",
            color="C0" if len(groups) == 1 else color,
            ms=4,
            label=label or "frontier (efficient plans)",
        )
    ax.plot(
        float(ds[f"baseline_{x_name}"]),
        float(ds[f"baseline_{y_name}"]),
        marker="*",
        color="C3",
        ms=14,
        ls="none",
        label="baseline operation",
    )
    ax.set_xlabel(f"{x_name} ({ds[x_name].attrs.get('units', '')})")
    ax.set_ylabel(f"{y_name} ({ds[y_name].attrs.get('units', '')})")
    held = ds.attrs.get("held_at_baseline", "")
    ax.set_title(
        f"Trade-off frontier, {ds.attrs.get('scenario', '')}"
        + (f" ({held} held at baseline)" if held else "")
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return ax
