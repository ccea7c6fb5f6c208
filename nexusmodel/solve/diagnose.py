"""Why is a run infeasible? An elastic re-solve that names rules, nodes, steps and sources.

Every rule of the model has a named non-negative slack: a hard rule's is fixed at 0, a soft
rule's is free and paid for at its penalty. Only hard rules can make a run infeasible, so the
diagnosis frees the hard rules' slacks and minimises their sum (soft slacks keep their
bounds, at a token cost), re-solves, and lists the hard rules that had to give, largest
first, each with the file and key that set it where known; soft rules breached in that
solution come after, as context. When water cannot leave a node because the links out of it
run full (a near-zero ``capacity_m3s``), that is said first: it, not the storage rule it
overflows, is the cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.context import BuildContext, Rule
from nexusmodel.solve.highs import INF, HighsBackend

MAX_LINES = 12
SOFT_LINES = 4
SOFT_COST = 1e-3  # per hm3 of soft breach, against 1 per hm3 of hard breach
FULL = 1e-6  # hm3: a link whose flow is within this of its capacity runs full

#: Where a rule is set: scenario keys (``{node}`` and ``{country}`` filled in, first found
#: wins) and the basin file's field (``{node}``) that sets it when no scenario key does.
RULE_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "environmental minimum flow": (
        (
            "policy.ecological_flows.{node}",
            "policy.ecological_flows.{country}",
            "policy.ecological_flows.all",
            "solve.env_hard",
        ),
        "nodes[{node}].min_flow_m3s",
    ),
    "environmental annual target": (
        (
            "policy.ecological_flows.{node}",
            "policy.ecological_flows.{country}",
            "policy.ecological_flows.all",
            "solve.env_hard",
        ),
        "nodes[{node}].annual_target_hm3",
    ),
    "minimum seasonal release share": (("policy.seasonal_release.{node}",), ""),
    "maximum seasonal release share": (("policy.seasonal_release.{node}",), ""),
    "agreed minimum release": (("policy.agreed_releases.{node}",), ""),
    "annual spill cap": (("policy.spill_caps.{node}",), ""),
    "spill rate cap": (("policy.spill_caps.{node}",), ""),
    "municipal supply": (("policy.municipal_priority", "solve.municipal_hard"), ""),
    "minimum storage": ((), "nodes[{node}].dead_storage_hm3 or rule_curves.csv"),
    "maximum storage": ((), "nodes[{node}].capacity_hm3 or rule_curves.csv"),
    "end storage": ((), "nodes[{node}].end_storage"),
    "minimum flow": ((), "links[{node}].min_flow_m3s"),
}


def _when(ctx: BuildContext, period: str, index: Any) -> str:
    if period == "step":
        start = ctx.axis.start[int(index)]
        return f"{start:%Y-%m-%d}" if ctx.axis.kind != "month" else f"{start:%Y-%m}"
    if period == "year":
        return str(index)
    return "the end of the horizon"


def rule_source(ctx: BuildContext, rule: str, key: str) -> str:
    """``set by <file>: <key>`` for a rule at a node (or link), or '' when not known."""
    scenario_keys, basin_field = RULE_SOURCES.get(rule, ((), ""))
    node = ctx.basin.nodes.get(key)
    country = node.country if node is not None else ""
    origin: Mapping[str, Path] = getattr(ctx.basin, "settings_origin", {}) or {}
    for template in scenario_keys:
        dotted = template.format(node=key, country=country)
        files = [p for k, p in origin.items() if k == dotted or k.startswith(dotted + ".")]
        if files:
            return f"set by {files[0]}: {dotted}"
    if basin_field:
        return f"set by {Path(ctx.basin.path) / 'basin.yaml'}: {basin_field.format(node=key)}"
    return ""


def _breaches(ctx: BuildContext, rule: Rule, values: np.ndarray) -> list[tuple[float, str, str]]:
    """(value, description, node or link id) of every used slack of one rule."""
    out = []
    component = rule.slack
    for index, value in zip(component.keys(), values, strict=True):  # type: ignore[attr-defined]
        if value <= 1e-6:
            continue
        key, period_index = (
            (index[:-1], index[-1]) if isinstance(index, tuple) else ((index,), None)
        )
        when = _when(ctx, rule.period, period_index)
        name = ctx.basin.nodes[key[0]].name if key and key[0] in ctx.basin.nodes else ""
        label = f"{key[0]} ({name})" if name else "/".join(map(str, key))
        text = rule.describe.format(key=label, when=when, value=value, name=rule.name)
        out.append((float(value), text, str(key[0]) if key else ""))
    return out


def _capacity_text(capacity_m3s: float | list[float] | None) -> str:
    """A link capacity for a message: one number, or a monthly profile as its range."""
    if isinstance(capacity_m3s, list):
        low, high = min(capacity_m3s), max(capacity_m3s)
        return f"{low:g}" if low == high else f"{low:g}-{high:g} by month"
    return f"{capacity_m3s:g}" if capacity_m3s is not None else "no limit"


def _capacity_source(ctx: BuildContext, link_id: str) -> str:
    """``set by <file>: <key>`` of a link's capacity: the scenario's change, or the basin file."""
    origin: Mapping[str, Path] = getattr(ctx.basin, "settings_origin", {}) or {}
    for dotted in (
        f"infrastructure.change_links.{link_id}.capacity_m3s",
        "infrastructure.add_links",
    ):
        if dotted in origin:
            return f"set by {origin[dotted]}: {dotted}"
    return f"set by {Path(ctx.basin.path) / 'basin.yaml'}: links[{link_id}].capacity_m3s"


def _full_links(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    x: np.ndarray,
    upper: np.ndarray,
    nodes: set[str],
) -> list[str]:
    """Lines for nodes whose every outgoing link with a capacity runs full when a rule breaks."""
    ctx: BuildContext = model.context
    if not hasattr(model, "link"):
        return []
    n_t = len(ctx.axis)
    cols = backend.columns_of(model.link.flow).reshape(len(ctx.link_ids), n_t)
    lines = []
    for node in sorted(nodes):
        out = [(i, link) for i, link in enumerate(ctx.basin.links) if link.from_ == node]
        if not out or any(link.capacity_m3s is None for _, link in out):
            continue
        full = []
        for i, link in out:
            c = cols[i]
            c = c[c >= 0]
            if len(c) and np.any(np.isfinite(upper[c]) & (x[c] >= upper[c] - FULL)):
                full.append(
                    f"{link.id} ({_capacity_text(link.capacity_m3s)} m3/s, "
                    f"{_capacity_source(ctx, link.id)})"
                )
        if len(full) == len(out):
            lines.append(
                f"water cannot leave {node}: every link out of it runs at its capacity: "
                + "; ".join(full)
            )
    return lines


def elastic_diagnosis(model: pyo.ConcreteModel, backend: HighsBackend) -> str:
    """Re-solve with the hard rules relaxed and return a report of what could not be met."""
    ctx: BuildContext = model.context
    costs = backend.costs()
    lower, upper = backend.col_bounds()
    cols_of = [backend.columns_of(rule.slack) for rule in ctx.rules]
    slack_cols = (
        np.concatenate([cols[cols >= 0] for cols in cols_of]) if cols_of else np.zeros(0, np.int64)
    )
    hard = slack_cols[upper[slack_cols] <= 0.0]
    soft = slack_cols[upper[slack_cols] > 0.0]
    all_cols = np.arange(len(costs))
    backend.set_costs(all_cols, np.zeros(len(costs)))
    backend.set_costs(hard, -np.ones(len(hard)))  # the objective sense is maximise
    backend.set_costs(soft, np.full(len(soft), -SOFT_COST))
    backend.set_col_bounds(hard, np.zeros(len(hard)), np.full(len(hard), INF))
    status, _ = backend.run("simplex")
    try:
        if status != "optimal":
            return (
                "the problem is infeasible even with every rule relaxed: look at link capacities "
                "(water that cannot leave a node) and at negative inflows"
            )
        sol = backend.solution()
        hard_set = set(hard.tolist())
        found_hard: list[tuple[float, str, str]] = []
        found_soft: list[tuple[float, str, str]] = []
        for rule, cols in zip(ctx.rules, cols_of, strict=True):
            values = sol.array(rule.slack, (len(cols),))  # type: ignore[arg-type]
            is_hard = np.array([c in hard_set for c in cols], dtype=bool)
            for mask, found in ((is_hard, found_hard), (~is_hard, found_soft)):
                for value, text, key in _breaches(ctx, rule, np.where(mask, values, 0.0)):
                    source = rule_source(ctx, rule.name, key)
                    found.append((value, f"{text} [{source}]" if source else text, key))
        found_hard.sort(key=lambda f: -f[0])
        found_soft.sort(key=lambda f: -f[0])
        total = sum(v for v, _, _ in found_hard)
        lines = [f"the rules cannot all be met; the smallest total breach is {total:,.1f} hm3:"]
        lines += _full_links(model, backend, sol.x, upper, {k for _, _, k in found_hard})
        lines += [f"  - {text}" for _, text, _ in found_hard[:MAX_LINES]]
        if len(found_hard) > MAX_LINES:
            lines.append(f"  ... and {len(found_hard) - MAX_LINES} more breaches of the same rules")
        lines.append(
            "Relax these rules (hard: false), or change the data that makes them impossible."
        )
        if found_soft:
            lines.append("Soft rules also breached in that solution (paid at their penalty):")
            lines += [f"    {text}" for _, text, _ in found_soft[:SOFT_LINES]]
        return "\n".join(lines)
    finally:
        backend.set_costs(all_cols, costs)
        backend.set_col_bounds(all_cols, lower, upper)
