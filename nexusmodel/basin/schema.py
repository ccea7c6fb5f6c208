"""The structure of ``basin.yaml``: pydantic models that reject unknown keys.

Every quantity carries its unit in its key (``capacity_hm3``, ``installed_mw``). Meaning
(ids exist, the graph drains, tables are monotonic) is checked afterwards in
:mod:`nexusmodel.basin.checks`; this module checks only shape and ranges.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import numpy as np
from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, model_validator

#: The largest magnitude of any number in an input file: far above any real basin's
#: quantity (hm3, MW, ha, USD/m3, persons), far below where arithmetic overflows.
MAX_MAGNITUDE = 1e12

#: A finite number of an input file. ``true``, ``.inf``, ``.nan``, ``1e400`` and text are
#: errors (pydantic would otherwise read ``true`` as 1.0 and keep infinities).
Number = Annotated[float, Strict(), AllowInfNan(False), Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
#: A whole number of an input file (``true`` and ``2.5`` are errors).
Whole = Annotated[int, Strict(), Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
#: ``true`` or ``false`` only (not 1, 0 or "yes").
Flag = Annotated[bool, Strict()]

NonNeg = Annotated[Number, Field(ge=0)]
Positive = Annotated[Number, Field(gt=0)]
Fraction = Annotated[Number, Field(ge=0, le=1)]
PositiveFraction = Annotated[Number, Field(gt=0, le=1)]
Monthly = Annotated[list[Number], Field(min_length=12, max_length=12)]
#: twelve values, January to December, each >= 0 (or each a fraction)
MonthlyNonNeg = Annotated[list[NonNeg], Field(min_length=12, max_length=12)]
MonthlyFraction = Annotated[list[Fraction], Field(min_length=12, max_length=12)]

NODE_TYPES = (
    "source",
    "reservoir",
    "hydropower",
    "irrigation",
    "municipal",
    "demand",
    "environment",
    "junction",
    "sink",
    "energy_system",
)


class Spec(BaseModel):
    """Base of every file model: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NodeBase(Spec):
    """What every node has."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    country: str
    description: str = ""
    position: tuple[Number, Number] | None = None  # schematic-map position (x, y), any units


class PlantSpec(Spec):
    """A hydropower plant on a reservoir outlet; head comes from the reservoir level."""

    installed_mw: Positive
    efficiency: PositiveFraction = 0.88
    max_turbine_flow_m3s: Positive
    tailwater_level_m: Number
    energy_system: str | None = None  # defaults to the energy system of the node's country


class SourceNode(NodeBase):
    """Headwater or lateral inflow; its series is the column ``id`` of the inflow table."""

    type: Literal["source"]


class ReservoirNode(NodeBase):
    """Storage with net evaporation, optional rule curves and an optional plant."""

    type: Literal["reservoir"]
    capacity_hm3: Positive
    dead_storage_hm3: NonNeg = 0.0
    initial_storage_hm3: NonNeg
    end_storage: Literal["initial", "free", "value"] = "initial"
    terminal_value_usd_per_m3: NonNeg = 0.0  # used when end_storage == "value"
    hydropower: PlantSpec | None = None


class HydropowerNode(NodeBase):
    """A run-of-river plant with a fixed head; water passes through (turbines or spill)."""

    type: Literal["hydropower"]
    installed_mw: Positive
    efficiency: PositiveFraction = 0.88
    max_turbine_flow_m3s: Positive
    head_m: Positive
    energy_system: str | None = None


class ResourceLimit(Spec):
    """A district's yearly limit of a resource the crops share (labour days, budget USD):
    ``limit`` units a year, ``per_ha`` units used per ha of each crop (crops not listed: 0)."""

    limit: NonNeg
    per_ha: dict[str, NonNeg] = Field(default_factory=dict)


class IrrigationNode(NodeBase):
    """An irrigation district; areas by crop come from the irrigated-area table.

    ``land_ha``: the crops' areas in a year add up to at most this. ``resources``: name ->
    :class:`ResourceLimit`, sum over crops of per_ha * area <= limit each year (labour,
    budget). ``water_right_hm3``: the district's gross diversions (intake flows) over a
    calendar year are at most this (optimize mode only).
    """

    type: Literal["irrigation"]
    conveyance_efficiency: PositiveFraction
    field_efficiency: PositiveFraction
    return_fraction: Fraction  # share of the losses (gross - net) that returns downstream
    # shared land: the crops' areas in a year add up to at most this (crop choice)
    land_ha: NonNeg | None = None
    # perennial crop -> cost of replanting (USD/ha): its area may shrink only at that cost
    perennial_crops: dict[str, NonNeg] = Field(default_factory=dict)
    # resource name -> yearly limit and use per ha of each crop (labour days, budget USD)
    resources: dict[str, ResourceLimit] = Field(default_factory=dict)
    # the most the district may divert (gross, at its intakes) in a calendar year (hm3)
    water_right_hm3: NonNeg | None = None


class MunicipalNode(NodeBase):
    """Towns and industry; population and per-capita use come from the municipal table."""

    type: Literal["municipal"]
    return_fraction: Fraction = 0.6
    shortage_penalty_usd_per_m3: NonNeg = 10.0


class BenefitSegment(Spec):
    """One segment of a concave benefit curve: a share of the demand and its value.

    The value is one number, or twelve (January..December) where the curve changes with
    the month (CALVIN's monthly economic penalty functions).
    """

    share: PositiveFraction
    value_usd_per_m3: NonNeg | Annotated[list[NonNeg], Field(min_length=12, max_length=12)]

    def monthly_values(self) -> list[float]:
        """The segment's value in each calendar month, January first (USD/m3)."""
        v = self.value_usd_per_m3
        return [float(x) for x in v] if isinstance(v, list) else [float(v)] * 12


class QuadraticBenefit(Spec):
    """A benefit ``B(x) = a x - b x^2 / 2`` of each step's delivery x (hm3; B in MUSD), so
    the marginal value falls linearly from ``a`` at x = 0 by ``b`` per hm3 delivered."""

    value_usd_per_m3: NonNeg  # a: marginal value of the first m3
    decline_usd_per_m3_per_hm3: Positive  # b: fall of the marginal value per hm3 delivered


class DemandNode(NodeBase):
    """Any user with an economic demand curve: a CALVIN-style piecewise-linear benefit
    (``benefit_segments``) or a quadratic one (``quadratic_benefit``), not both."""

    type: Literal["demand"]
    monthly_demand_hm3: Monthly
    benefit_segments: list[BenefitSegment] = Field(default_factory=list)
    quadratic_benefit: QuadraticBenefit | None = None
    return_fraction: Fraction = 0.0

    @model_validator(mode="after")
    def _one_curve(self) -> DemandNode:
        if bool(self.benefit_segments) == (self.quadratic_benefit is not None):
            raise ValueError(
                "give benefit_segments (a piecewise-linear curve) or quadratic_benefit, "
                "exactly one of them"
            )
        return self


class EnvironmentNode(NodeBase):
    """An ecological flow on a reach, or a terminal lake or sea (water leaves at a sink)."""

    type: Literal["environment"]
    min_flow_m3s: Monthly | NonNeg = 0.0
    annual_target_hm3: NonNeg = 0.0
    hard: Flag = False
    penalty_usd_per_m3: NonNeg = 0.5
    terminal: Flag = False  # a lake or sea: water that reaches it stays there


class JunctionNode(NodeBase):
    """A confluence or a diversion point.

    ``split`` fixes the ratios among its outflows: downstream node id -> weight (``{A: 1,
    B: 3}`` sends a quarter to A and three quarters to B, every step, in every mode). With
    ``residual_to`` and ``residual_min_m3s``, the split applies only to the flow above a
    minimum residual flow that goes to ``residual_to`` first (proportional abstraction
    above a hands-off flow); a residual flow short of its minimum is a named slack.
    """

    type: Literal["junction"]
    split: dict[str, Positive] | None = None
    # proportional abstraction (Pywr's RiverSplitWithGauge): the first residual_min_m3s of
    # the flow goes to residual_to, the split applies to the flow above it
    residual_to: str | None = None
    residual_min_m3s: Monthly | NonNeg = 0.0
    residual_penalty_usd_per_m3: NonNeg = 10.0  # per m3 of the residual minimum not met


class SinkNode(NodeBase):
    """An outlet or spill depression; water that reaches it leaves the basin."""

    type: Literal["sink"]
    penalty_usd_per_m3: NonNeg = 0.0  # e.g. unwanted spill to the Arnasay depression


class EnergySystemNode(NodeBase):
    """One country's electricity balance; monthly demand and outside-trade prices are in the
    energy table. ``thermal_capacity_mw`` is an optional aggregate thermal plant at the energy
    table's ``thermal_cost_usd_per_mwh`` (basins that list ``generators`` set it to 0); imports
    and exports are trade with systems outside the model (e.g. Russia, Turkmenistan)."""

    type: Literal["energy_system"]
    thermal_capacity_mw: NonNeg = 0.0
    import_capacity_mw: NonNeg = 0.0
    export_capacity_mw: NonNeg = 0.0
    unserved_penalty_usd_per_mwh: NonNeg = 500.0


#: Kinds of generators; the fossil ones make up the ``thermal`` result.
GeneratorKind = Literal["gas", "coal", "chp", "oil", "hydro_other", "solar", "wind"]
GENERATOR_KINDS: tuple[str, ...] = get_args(GeneratorKind)
FOSSIL_KINDS = ("gas", "coal", "chp", "oil")


class GeneratorSpec(Spec):
    """A power plant (or a fleet of one kind) of an energy system, not on the river.

    Output over a step (GWh) is at most ``capacity_mw * availability[month] * hours / 1000``
    (the capacity factor of solar and wind, the monthly energy of ``hydro_other``, the
    availability of a thermal fleet) and at least ``capacity_mw * must_run_fraction[month] *
    hours / 1000`` (a CHP's heat-driven winter minimum). CO2 (t/MWh of electricity) =
    ``co2_t_per_mwh_fuel / efficiency``; variable cost (USD/MWh of electricity) =
    ``fuel_cost_usd_per_mwh_fuel / efficiency + variable_om_usd_per_mwh + co2_price_usd_per_t *
    CO2``.
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    energy_system: str
    kind: GeneratorKind
    capacity_mw: NonNeg
    efficiency: PositiveFraction = 1.0  # electricity out per fuel energy in
    fuel_cost_usd_per_mwh_fuel: NonNeg = 0.0
    variable_om_usd_per_mwh: NonNeg = 0.0
    co2_t_per_mwh_fuel: NonNeg = 0.0
    availability: Fraction | MonthlyFraction = 1.0  # share of capacity, each month
    must_run_fraction: Fraction | MonthlyFraction = 0.0  # share of capacity that must run
    co2_price_usd_per_t: NonNeg = 0.0  # a carbon price (a scenario's economy sets it for all)
    description: str = ""

    def monthly(self, field: str) -> np.ndarray:
        """A one-or-twelve field as twelve values, January first."""
        value = getattr(self, field)
        return np.asarray(value if isinstance(value, list) else [value] * 12, dtype=float)

    @property
    def cost_usd_per_mwh(self) -> float:
        """Variable cost of a MWh of electricity: fuel / efficiency + variable O&M + the CO2
        price times the CO2 per MWh."""
        return (
            self.fuel_cost_usd_per_mwh_fuel / self.efficiency
            + self.variable_om_usd_per_mwh
            + self.co2_price_usd_per_t * self.co2_t_per_mwh
        )

    @property
    def co2_t_per_mwh(self) -> float:
        """t CO2 per MWh of electricity."""
        return self.co2_t_per_mwh_fuel / self.efficiency

    @model_validator(mode="after")
    def _must_run_below_availability(self) -> GeneratorSpec:
        low, high = self.monthly("must_run_fraction"), self.monthly("availability")
        bad = np.flatnonzero(low > high + 1e-12)
        if bad.size:
            month = int(bad[0]) + 1
            raise ValueError(
                f"must_run_fraction {low[bad[0]]:g} is above availability {high[bad[0]]:g} "
                f"in month {month}: the plant cannot run more than it is available"
            )
        return self


class InterconnectorSpec(Spec):
    """A line between two energy systems: up to ``capacity_mw`` each way; the receiving end
    gets ``(1 - loss_fraction)`` of what is sent; ``wheeling_cost_usd_per_mwh`` per MWh sent."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str = ""
    from_: str = Field(alias="from")
    to: str
    capacity_mw: NonNeg
    loss_fraction: Annotated[Number, Field(ge=0, lt=1)] = 0.0
    wheeling_cost_usd_per_mwh: NonNeg = 0.0
    description: str = ""


Node = Annotated[
    SourceNode
    | ReservoirNode
    | HydropowerNode
    | IrrigationNode
    | MunicipalNode
    | DemandNode
    | EnvironmentNode
    | JunctionNode
    | SinkNode
    | EnergySystemNode,
    Field(discriminator="type"),
]


class LossSegment(Spec):
    """One piece of a flow-dependent loss: ``loss_fraction`` of the flow entering the link
    between the previous segment's ``up_to_m3s`` (or 0) and this one's (none: no bound)."""

    up_to_m3s: NonNeg | None = None
    loss_fraction: Fraction


class LinkSpec(Spec):
    """A river reach, canal or return channel carrying flow from one node to another.

    The flow of a link is the water **entering** it at its upstream end: the capacity, the
    minimum flow and the cost apply to it, and ``loss_fraction`` of it never reaches the
    downstream node. Capacity, minimum flow, loss and cost are each one number or twelve
    (January to December: a monthly profile, e.g. a winter ice limit). A capacity is a mean
    rate (``capacity_m3s``) or, where a problem states it so, a volume per time step
    (``capacity_hm3_per_step``: hm3 per month on monthly steps), not both.
    """

    from_: str = Field(alias="from")
    to: str
    name: str = ""
    kind: Literal["river", "canal", "return", "spill"] = "river"
    capacity_m3s: NonNeg | MonthlyNonNeg | None = None
    capacity_hm3_per_step: NonNeg | MonthlyNonNeg | None = None
    loss_fraction: Fraction | MonthlyFraction = 0.0
    min_flow_m3s: NonNeg | MonthlyNonNeg = 0.0  # soft: shortfall is a named slack with a penalty
    min_flow_penalty_usd_per_m3: NonNeg = 0.1
    cost_usd_per_m3: Number | Monthly = 0.0
    # flow-dependent loss: a concave piecewise-linear outflow(inflow), losses rising with flow
    loss_segments: list[LossSegment] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _loss_segments(self) -> LinkSpec:
        segs = self.loss_segments
        if not segs:
            return self
        if self.loss_fraction != 0.0:
            raise ValueError("give loss_fraction or loss_segments, not both")
        bounds = [s.up_to_m3s for s in segs]
        if any(b is None for b in bounds[:-1]):
            raise ValueError("only the last loss segment may have no up_to_m3s")
        finite = [b for b in bounds if b is not None]
        if any(b <= a for a, b in zip(finite, finite[1:], strict=False)):
            raise ValueError(f"loss segments' up_to_m3s {finite} must increase")
        losses = [s.loss_fraction for s in segs]
        if any(b < a for a, b in zip(losses, losses[1:], strict=False)):
            raise ValueError(
                f"loss segments' loss_fraction {losses} must not fall as the flow rises "
                "(a concave outflow(inflow), exact in a linear program)"
            )
        return self

    @model_validator(mode="after")
    def _one_capacity(self) -> LinkSpec:
        if self.capacity_m3s is not None and self.capacity_hm3_per_step is not None:
            raise ValueError(
                "give capacity_m3s or capacity_hm3_per_step, not both "
                f"({self.capacity_m3s} m3/s and {self.capacity_hm3_per_step} hm3 per step)"
            )
        return self

    @property
    def id(self) -> str:
        return f"{self.from_}>{self.to}"

    @property
    def has_min_flow(self) -> bool:
        """Whether the link has a minimum flow in any month."""
        return bool(np.any(np.asarray(self.min_flow_m3s, dtype=float) > 0))

    @property
    def has_capacity(self) -> bool:
        return self.capacity_m3s is not None or self.capacity_hm3_per_step is not None

    @property
    def monthly_loss(self) -> bool:
        """Whether the loss is a monthly profile or flow-dependent (not one fraction)."""
        return isinstance(self.loss_fraction, list) or bool(self.loss_segments)


class TableRef(Spec):
    """A CSV table beside basin.yaml and the unit its values are in."""

    path: str
    unit: str


#: Tables a basin may have, the unit each must declare, and whether it is required.
TABLE_UNITS: dict[str, tuple[tuple[str, ...], bool]] = {
    "inflows": (("m3/s", "hm3/month"), True),
    "inflows_historical": (("m3/s", "hm3/month"), False),
    "evaporation": (("mm/month",), False),
    "level_area_storage": (("m, km2, hm3",), False),
    "rule_curves": (("hm3",), False),
    "crops": (("t/ha, USD/t, USD/ha",), False),
    "crop_water_requirements": (("mm/month",), False),
    "irrigated_areas": (("ha",), False),
    "municipal": (("persons, l/cap/day, hm3/year",), False),
    "energy": (("GWh/month, USD/MWh",), False),
}

DEFAULT_TABLES: dict[str, TableRef] = {
    "inflows": TableRef(path="inflows.csv", unit="m3/s"),
    "evaporation": TableRef(path="evaporation.csv", unit="mm/month"),
    "level_area_storage": TableRef(path="level_area_storage.csv", unit="m, km2, hm3"),
    "rule_curves": TableRef(path="rule_curves.csv", unit="hm3"),
    "crops": TableRef(path="crops.csv", unit="t/ha, USD/t, USD/ha"),
    "crop_water_requirements": TableRef(path="crop_water_requirements.csv", unit="mm/month"),
    "irrigated_areas": TableRef(path="irrigated_areas.csv", unit="ha"),
    "municipal": TableRef(path="municipal.csv", unit="persons, l/cap/day, hm3/year"),
    "energy": TableRef(path="energy.csv", unit="GWh/month, USD/MWh"),
}


# --------------------------------------------------------------------------- investments
# The ``investments`` section of a basin or a scenario file: candidate projects as data.
# A project says what it builds (``build``: an infrastructure change, exactly as a scenario's
# ``infrastructure`` block writes it, applied when the project is in the package) and, when its
# size is a decision, which field it sizes (``size``). Its costs are in real USD of
# ``cost_year``; ``payers`` split them between countries (shares summing to 1). Units are in
# the key names: ``_musd`` million USD, ``_usd_per_unit`` USD per unit of the sized field (per
# hm3 of storage, per MW, per m3/s of capacity, ...), ``_years`` years.
#: What a project is, for tables and for the report (not used by the model's rows).
InvestmentKind = Literal[
    "reservoir",  # a new or enlarged reservoir (with or without a plant)
    "hydropower",  # a new or enlarged plant
    "canal_lining",  # conveyance efficiency of a district's canals
    "on_farm_efficiency",  # field efficiency: drip, sprinkler, laser levelling
    "pumping",  # a pumping station (a link with a cost per m3)
    "solar",  # solar capacity in a country's power system
    "wind",  # wind capacity in a country's power system
    "interconnector",  # a new or upgraded line between two power systems
    "municipal_saving",  # water saving in towns
    "other",
]
INVESTMENT_KINDS: tuple[str, ...] = get_args(InvestmentKind)


class SizeDecision(Spec):
    """A continuous size decided by the optimisation: ``field`` of ``target`` (a node id, a
    link ``FROM>TO``, or a generator / interconnector id) may grow by up to ``max`` above what
    the basin has (``min`` is the smallest size worth building when built, 0 = none)."""

    target: str
    field: str  # e.g. capacity_hm3, installed_mw, capacity_m3s, capacity_mw
    max: Positive
    min: NonNeg = 0.0
    capital_cost_usd_per_unit: NonNeg = 0.0  # USD per unit of the field (hm3, MW, m3/s, ...)

    @model_validator(mode="after")
    def _min_below_max(self) -> SizeDecision:
        if self.min > self.max:
            raise ValueError(f"size.min ({self.min:g}) is above size.max ({self.max:g})")
        return self


class InvestmentSpec(Spec):
    """One candidate project."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    kind: InvestmentKind
    description: str = ""
    #: What the project builds or changes when it is in the package: a scenario
    #: ``infrastructure`` block (add_nodes, add_links, change_nodes, change_links, ...), or a
    #: ``policy`` change such as irrigation efficiency; kept as plain mappings here and checked
    #: against the scenario schema when the project is applied.
    build: dict[str, object] = Field(default_factory=dict)
    size: SizeDecision | None = None
    capital_cost_musd: NonNeg = 0.0  # fixed part of the capital cost (MUSD, real cost_year USD)
    fixed_om_musd_per_year: NonNeg = 0.0
    variable_om_usd_per_unit: NonNeg = 0.0  # per MWh generated or per m3 conveyed, by kind
    lifetime_years: Positive
    construction_years: Annotated[int, Field(ge=0, le=30)] = 0
    earliest_start: Annotated[int, Field(ge=1800, le=2260)] | None = None  # calendar year
    payers: dict[str, Annotated[Number, Field(ge=0, le=1)]] = Field(min_length=1)
    cost_year: Annotated[int, Field(ge=1900, le=2100)] = 2023
    exclusive_group: str | None = None  # at most one project of a group is chosen
    sources: str = ""  # where the figures come from, or "ASSUMPTION: ..."

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> InvestmentSpec:
        total = sum(self.payers.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"payers' shares sum to {total:g}, not 1")
        return self


class InvestmentOptions(Spec):
    """How candidate projects are chosen: a budget (MUSD of capital, undiscounted, over the
    horizon), whether yes/no choices are integer (a MIP) or relaxed, and the risk measure of
    the two-stage choice under uncertainty."""

    budget_musd: NonNeg | None = None
    integer: Flag = True
    risk: Literal["expected", "cvar"] = "expected"
    cvar_alpha: Annotated[Number, Field(gt=0, lt=1)] = 0.9  # the worst (1 - alpha) of members
    cvar_weight: Annotated[Number, Field(ge=0, le=1)] = 0.0  # 0: expected value only
    mip_gap: Annotated[Number, Field(ge=0, le=1)] = 0.001


class BasinFile(Spec):
    """The whole of ``basin.yaml``."""

    name: str
    description: str
    countries: list[str] = Field(min_length=1)
    reference_period: str
    illustrative: Flag = True
    units: dict[str, str] = Field(default_factory=dict)  # the convention, for readers
    tables: dict[str, TableRef] = Field(default_factory=dict)
    nodes: list[Node] = Field(min_length=1)
    links: list[LinkSpec] = Field(min_length=1)
    investments: list[InvestmentSpec] = Field(default_factory=list)  # candidate projects
    generators: list[GeneratorSpec] = Field(default_factory=list)  # power plants off the river
    interconnectors: list[InterconnectorSpec] = Field(default_factory=list)  # lines between systems
