"""Why is a run infeasible? An elastic re-solve that names rules, nodes and steps.

Every rule of the model has a named non-negative slack (hard rules keep it at 0). To
diagnose, free every slack, replace the objective by "minimise the sum of slacks", re-solve
and list the slacks that had to be used, largest first, in the planner's words.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.context import BuildContext
from nexusmodel.solve.highs import INF, HighsBackend

MAX_LINES = 12


def _when(ctx: BuildContext, period: str, index: object) -> str:
    if period == "step":
        return (
            f"{ctx.axis.start[int(index)]:%Y-%m-%d}"
            if ctx.axis.kind != "month"
            else f"{ctx.axis.start[int(index)]:%Y-%m}"
        )
    if period == "year":
        return str(index)
    return "the end of the horizon"


def elastic_diagnosis(model: pyo.ConcreteModel, backend: HighsBackend) -> str:
    """Re-solve with every rule relaxed and return a report of what could not be met."""
    ctx: BuildContext = model.context
    costs = backend.costs()
    lower, upper = backend.col_bounds()
    slack_cols = (
        np.concatenate([backend.columns_of(rule.slack) for rule in ctx.rules])
        if ctx.rules
        else np.zeros(0, int)
    )
    slack_cols = slack_cols[slack_cols >= 0]
    all_cols = np.arange(len(costs))
    backend.set_costs(all_cols, np.zeros(len(costs)))
    backend.set_costs(slack_cols, -np.ones(len(slack_cols)))
    backend.set_col_bounds(slack_cols, np.zeros(len(slack_cols)), np.full(len(slack_cols), INF))
    status, _ = backend.run("simplex")
    try:
        if status != "optimal":
            return (
                "the problem is infeasible even with every rule relaxed: look at link capacities "
                "(water that cannot leave a node) and at negative inflows"
            )
        sol = backend.solution()
        findings = []
        for rule in ctx.rules:
            component = rule.slack
            values = sol.array(component, (len(component),))  # type: ignore[arg-type]
            for index, value in zip(component.keys(), values, strict=True):  # type: ignore[attr-defined]
                if value > 1e-6:
                    key, period_index = (
                        (index[:-1], index[-1]) if isinstance(index, tuple) else ((index,), None)
                    )
                    when = _when(ctx, rule.period, period_index)
                    name = ctx.basin.nodes[key[0]].name if key and key[0] in ctx.basin.nodes else ""
                    label = f"{key[0]} ({name})" if name else "/".join(map(str, key))
                    findings.append(
                        (
                            value,
                            rule.describe.format(key=label, when=when, value=value, name=rule.name),
                        )
                    )
        findings.sort(key=lambda f: -f[0])
        total = sum(v for v, _ in findings)
        lines = [f"the rules cannot all be met; the smallest total breach is {total:,.1f} hm3:"]
        lines += [f"  - {text}" for _, text in findings[:MAX_LINES]]
        if len(findings) > MAX_LINES:
            lines.append(f"  ... and {len(findings) - MAX_LINES} more breaches of the same rules")
        lines.append(
            "Relax these rules (hard: false), or change the data that makes them impossible."
        )
        return "\n".join(lines)
    finally:
        backend.set_costs(all_cols, costs)
        backend.set_col_bounds(all_cols, lower, upper)
