"""Options of a model build and solve: one validated object passed down, never global."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: Default priority ranks (1 = served first) for the priority objective, by node type.
DEFAULT_PRIORITIES: dict[str, int] = {
    "municipal": 1,
    "environment": 2,
    "demand": 3,
    "irrigation": 3,
    "hydropower": 4,
}


class ModelOptions(BaseModel):
    """How to build and solve: time step, objective, rule hardness, solver, head iteration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: Literal["month", "decade", "day"] = "month"
    objective: Literal["economic", "priority"] = "economic"
    discount_rate: float = Field(0.0, ge=0, le=0.5)  # per year
    priorities: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    env_hard: bool | None = None  # None: each node's own `hard` setting
    municipal_hard: bool = False
    spill_penalty_usd_per_m3: float = Field(1e-4, ge=0)  # a tie-breaker against needless spill
    head: Literal["slp", "fixed"] = "slp"  # reservoir head: iterate on it, or fix it at the start
    # the reservoir area that evaporates over a step: at its mean storage or at its start
    evaporation_area: Literal["mean", "start"] = "mean"
    # the storage whose head a reservoir plant uses over a step: its mean storage or its start
    head_storage: Literal["mean", "start"] = "mean"
    slp_tolerance: float = Field(1e-3, gt=0)  # relative change of total energy to stop
    slp_max_iterations: int = Field(12, ge=1)
    solver: str = "highs"
    algorithm: Literal["auto", "simplex", "ipm"] = "auto"
    time_limit_s: float | None = Field(None, gt=0)
    balance_tolerance_hm3: float = Field(1e-4, gt=0)
    diagnose_infeasible: bool = True
    # solve mode (nexusmodel.modes): whole horizon, rolling windows, or monthly simulation
    mode: Literal["optimize", "rolling", "simulate", "all"] = "optimize"
    window_months: int = Field(12, ge=1)  # rolling: months solved per window
    keep_months: int = Field(1, ge=1)  # rolling: months kept before the window moves on
