"""Hydropower heads and their linearisation, as plain numpy (no Pyomo, no HiGHS).

A reservoir plant's energy over a step is k * H(Sbar) * q (GWh): k = 0.002725 * eta (GWh
per hm3 and m), q the turbine flow (hm3), H the head (m) at the storage the scenario names
(``solve: head_storage``, :attr:`ModelOptions.head_storage`): ``mean`` (default) the step's
mean storage Sbar = (S[t-1] + S[t]) / 2, ``start`` its storage at the start S[t-1] (hm3; the
initial storage on the first step). Both are Sh = w_end S[t] + w_start S[t-1]
(:func:`head_weights`). This module holds everything about that product that is numbers
only:

- :func:`plants` (every plant of the basin), :func:`head_at` / :func:`head_from_storage`
  (H from the level-area-storage table), :func:`head_slope` (dH/dS), :func:`max_head`;
- :class:`Taylor` and :func:`taylor_expansion`: the coefficients of the energy row
  ``E - k H0 q - c_end S[t] - c_start S[t-1] = rhs`` expanded around a point (Sh0, q0);
  :func:`initial_expansion` (the build's point) and :func:`fixed_expansion` (a fixed head,
  no storage terms);
- :func:`exact_energy` and :func:`linearization_error`: the nonlinear energy at a point and
  the relative error of an LP's energy against it.

The rows live in :mod:`nexusmodel.model.components.hydropower`; writing expansions into a
live LP and iterating on them is :mod:`nexusmodel.solve.slp`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nexusmodel.basin.schema import HydropowerNode, ReservoirNode
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext


class Plant(NamedTuple):
    node: str
    reservoir: bool
    installed_mw: float
    efficiency: float
    max_turbine_flow_m3s: float
    head_m: float  # fixed head, or nan for reservoir plants
    tailwater_level_m: float  # nan for run-of-river plants
    energy_system: str


def plants(ctx: BuildContext) -> list[Plant]:
    """Every plant in the basin, in node order."""
    out = []
    for node in ctx.basin.spec.nodes:
        if isinstance(node, ReservoirNode) and node.hydropower is not None:
            hp = node.hydropower
            out.append(
                Plant(
                    node.id,
                    True,
                    hp.installed_mw,
                    hp.efficiency,
                    hp.max_turbine_flow_m3s,
                    np.nan,
                    hp.tailwater_level_m,
                    ctx.basin.energy_system_of(node),
                )
            )
        elif isinstance(node, HydropowerNode):
            out.append(
                Plant(
                    node.id,
                    False,
                    node.installed_mw,
                    node.efficiency,
                    node.max_turbine_flow_m3s,
                    node.head_m,
                    np.nan,
                    ctx.basin.energy_system_of(node),
                )
            )
    return out


def energy_per_hm3_m(plant: Plant) -> float:
    """k = 0.002725 * efficiency (GWh per hm3 turbined and m of head)."""
    return GWH_PER_HM3_M * plant.efficiency


def _reservoir(ctx: BuildContext, plant: Plant) -> ReservoirNode:
    node = ctx.basin.nodes[plant.node]
    if not isinstance(node, ReservoirNode):
        raise TypeError(f"plant {plant.node} is not on a reservoir")
    return node


def initial_storage_hm3(ctx: BuildContext, plant: Plant) -> float:
    """The storage (hm3) a reservoir plant's run starts from."""
    return float(_reservoir(ctx, plant).initial_storage_hm3)


def active_storage_hm3(ctx: BuildContext, plant: Plant) -> float:
    """Capacity minus dead storage (hm3) of a reservoir plant's reservoir."""
    node = _reservoir(ctx, plant)
    return float(node.capacity_hm3 - node.dead_storage_hm3)


def head_at(ctx: BuildContext, plant: Plant, storage: np.ndarray | float) -> np.ndarray:
    """Head (m) at a storage (hm3): level from the level-area-storage table minus tailwater."""
    from nexusmodel.model.components.reservoir import level_of

    return np.maximum(
        level_of(ctx, plant.node, np.asarray(storage, float)) - plant.tailwater_level_m, 0.0
    )


def head_weights(ctx: BuildContext) -> tuple[float, float]:
    """(w_end, w_start): the storage whose head a step uses is w_end S[t] + w_start S[t-1];
    (1/2, 1/2) for ``head_storage: mean``, (0, 1) for ``start``."""
    return (0.5, 0.5) if ctx.options.head_storage == "mean" else (0.0, 1.0)


def head_storage(
    ctx: BuildContext, storage_start: np.ndarray, storage_end: np.ndarray
) -> np.ndarray:
    """The storage (hm3) whose head a step uses: its mean storage or its start storage."""
    w_end, w_start = head_weights(ctx)
    return w_end * np.asarray(storage_end, float) + w_start * np.asarray(storage_start, float)


def head_from_storage(
    ctx: BuildContext, plant: Plant, storage_start: np.ndarray, storage_end: np.ndarray
) -> np.ndarray:
    """Head (m) over a step: level at the step's mean (or start) storage minus tailwater."""
    return head_at(ctx, plant, head_storage(ctx, storage_start, storage_end))


def head_slope(ctx: BuildContext, plant: Plant, storage: np.ndarray) -> np.ndarray:
    """dH/dS (m per hm3) at a storage: central difference over 0.1 % of the active storage."""
    node = _reservoir(ctx, plant)
    delta = 1e-3 * max(node.capacity_hm3 - node.dead_storage_hm3, 1.0)
    storage = np.asarray(storage, float)
    return (head_at(ctx, plant, storage + delta) - head_at(ctx, plant, storage - delta)) / (
        2.0 * delta
    )


def max_head(ctx: BuildContext, plant: Plant) -> float:
    """Head (m) at full storage: no step of the plant can use a higher one."""
    return float(head_at(ctx, plant, _reservoir(ctx, plant).capacity_hm3))


class Taylor(NamedTuple):
    """The energy row of a reservoir plant expanded around (Sh0, q0), on every step."""

    head: np.ndarray  # H0 = H(Sh0) (m): coefficient k * H0 of the turbine flow
    coef_end: np.ndarray  # w_end k q0 dH/dS(Sh0) (GWh/hm3): coefficient of S[t]
    coef_start: np.ndarray  # w_start k q0 dH/dS(Sh0) (GWh/hm3): coefficient of S[t-1]
    rhs: np.ndarray  # right-hand side (GWh): - k q0 dH/dS Sh0 (+ the S[-1] term at t = 0)


def taylor_expansion(
    ctx: BuildContext,
    plant: Plant,
    storage_start: np.ndarray,
    storage_end: np.ndarray,
    turbine: np.ndarray,
) -> Taylor:
    """Coefficients of ``E - k H0 q - c_end S[t] - c_start S[t-1] = rhs`` around a point.

    That row is E = k * (H0 * q + q0 * dH/dS * (Sh - Sh0)), Sh = w_end S[t] + w_start S[t-1]
    (:func:`head_weights`). S[-1] is the initial storage, a constant: its term sits in the
    right-hand side of the first step. A turbine flow under 0.1 % of the turbine capacity
    counts as none (and a storage coefficient under 1e-8 GWh/hm3 as 0): such specks only
    make the LP harder to solve.
    """
    w_end, w_start = head_weights(ctx)
    sh0 = head_storage(ctx, storage_start, storage_end)
    k = energy_per_hm3_m(plant)
    head = head_at(ctx, plant, sh0)
    q0 = np.asarray(turbine, float)
    q0 = np.where(q0 < 1e-3 * ctx.m3s_to_hm3(plant.max_turbine_flow_m3s), 0.0, q0)
    slope = k * q0 * head_slope(ctx, plant, sh0)  # GWh per hm3 of Sh
    slope = np.where(np.abs(max(w_end, w_start) * slope) < 1e-8, 0.0, slope)
    coef_end = w_end * slope
    coef_start = w_start * slope
    rhs = -slope * sh0
    rhs[0] += coef_start[0] * initial_storage_hm3(ctx, plant)
    return Taylor(head, coef_end, coef_start, rhs)


def initial_expansion(ctx: BuildContext, plant: Plant) -> Taylor:
    """Taylor point of the build: initial storage on every step, half the turbine capacity."""
    s0 = np.full(len(ctx.axis), initial_storage_hm3(ctx, plant))
    return taylor_expansion(ctx, plant, s0, s0, 0.5 * ctx.m3s_to_hm3(plant.max_turbine_flow_m3s))


def fixed_expansion(ctx: BuildContext, plant: Plant) -> Taylor:
    """A fixed head: the head of the initial storage on every step, no storage terms."""
    n_t = len(ctx.axis)
    head = np.full(n_t, float(head_at(ctx, plant, initial_storage_hm3(ctx, plant))))
    return Taylor(head, np.zeros(n_t), np.zeros(n_t), np.zeros(n_t))


def initial_heads(ctx: BuildContext) -> np.ndarray:
    """Heads (plants x steps, m) to start from: fixed heads, or the head at initial storage."""
    ps = plants(ctx)
    heads = np.zeros((len(ps), len(ctx.axis)))
    for i, p in enumerate(ps):
        if p.reservoir:
            s0 = np.full(len(ctx.axis), initial_storage_hm3(ctx, p))
            heads[i] = head_from_storage(ctx, p, s0, s0)
        else:
            heads[i] = p.head_m
    return heads


def exact_energy(
    ctx: BuildContext,
    reservoir_plants: list[Plant],
    storage_start: np.ndarray,
    storage_end: np.ndarray,
    turbine: np.ndarray,
) -> np.ndarray:
    """k * H(Sh) * q (GWh; plants x steps), the nonlinear energy of reservoir plants at a
    point given by their storage at the start and end of each step and turbine flow (hm3)."""
    heads = np.array(
        [
            head_from_storage(ctx, p, storage_start[i], storage_end[i])
            for i, p in enumerate(reservoir_plants)
        ]
    ).reshape(np.shape(turbine))
    k = np.array([energy_per_hm3_m(p) for p in reservoir_plants]).reshape(-1, 1)
    return k * heads * turbine


def linearization_error(lp_energy_gwh: float, exact_energy_gwh: float) -> float:
    """|LP energy - exact energy| / exact energy (1): how far the LP's planes are off."""
    return float(abs(lp_energy_gwh - exact_energy_gwh) / max(exact_energy_gwh, 1e-9))


def energy_error(
    ctx: BuildContext,
    storage: np.ndarray,
    turbine: np.ndarray,
    energy: np.ndarray,
) -> float:
    """:func:`linearization_error` of every reservoir plant over a run, from the model's
    arrays: ``storage`` (reservoirs x steps, hm3, in reservoir order), ``turbine`` and
    ``energy`` (plants x steps, hm3 and GWh, in :func:`plants` order)."""
    from nexusmodel.model.components.reservoir import reservoirs

    ps = plants(ctx)
    index = [i for i, p in enumerate(ps) if p.reservoir]
    if not index:
        return 0.0
    res_ids = [r.id for r in reservoirs(ctx)]
    chosen = [ps[i] for i in index]
    end = storage[[res_ids.index(p.node) for p in chosen]]
    initial = np.array([initial_storage_hm3(ctx, p) for p in chosen]).reshape(-1, 1)
    start = np.concatenate([initial, end[:, :-1]], axis=1)
    exact = exact_energy(ctx, chosen, start, end, turbine[index]).sum()
    return linearization_error(float(energy[index].sum()), float(exact))
