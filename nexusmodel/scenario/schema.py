"""The structure of a scenario file (``scenarios/*.yaml``): unknown keys are errors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nexusmodel.model.options import ModelOptions


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(Spec):
    """Planning horizon: first month and number of years."""

    start: str = Field("2025-01", pattern=r"^\d{4}-\d{2}$")
    years: int = Field(30, ge=1, le=200)


class Hydrology(Spec):
    """Where inflows come from: the basin's mean year, its historical series, or a generator."""

    kind: Literal["climatology", "historical", "stochastic"] = "climatology"
    seed: int = 0
    annual_mean_km3: float | None = Field(None, gt=0)  # stochastic: published annual statistics
    annual_p5_km3: float | None = Field(None, gt=0)  # flow exceeded 5 % of years
    annual_p90_km3: float | None = Field(None, gt=0)  # flow exceeded 90 % of years
    lag1_annual: float = Field(0.3, ge=-0.95, le=0.95)


class ScenarioFile(Spec):
    """A whole scenario file after inheritance is resolved."""

    description: str = ""
    basin: str  # path to the basin folder, relative to the file that sets it
    horizon: Horizon = Horizon()
    hydrology: Hydrology = Hydrology()
    solve: ModelOptions = ModelOptions()
