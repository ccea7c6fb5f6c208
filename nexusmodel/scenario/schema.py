"""The structure of a scenario file (``scenarios/*.yaml``): unknown keys are errors.

Units are in the key names (``_pct`` = percent, ``_m3s``, ``_hm3``, ``_km3``, ``_usd_per_m3``):
write plain numbers. A change in percent is relative to the basin files (``-10`` = -10 %).

Settings keyed by place accept, from most to least specific (the most specific one wins for
each node; they do not multiply): a node id, a country code, or ``all``. Settings keyed by
crop accept a crop name or ``all``. Which node types each key may name is checked against the
basin (after the scenario's infrastructure changes) by :func:`nexusmodel.scenario.apply.check_references`.

``mode`` of a change over the horizon: ``step`` applies the whole change from the first month;
``ramp`` grows it linearly by calendar year, none in the first year and all of it in the last.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from nexusmodel.basin.schema import (
    Flag,
    GeneratorSpec,
    InterconnectorSpec,
    InvestmentOptions,
    InvestmentSpec,
    LinkSpec,
    Node,
    Number,
    Whole,
)
from nexusmodel.model.options import DEFAULT_PRIORITIES, ModelOptions
from nexusmodel.solve.solvers import BUILT_IN, KNOWN_SOLVERS

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
SUMMER = (4, 5, 6, 7, 8, 9)


def _month(value: Any) -> Any:
    """A calendar month as 1..12; names such as 'Jul' or 'July' are accepted."""
    if isinstance(value, str) and value.strip()[:3].lower() in MONTH_NAMES:
        return MONTH_NAMES.index(value.strip()[:3].lower()) + 1
    return value


Month = Annotated[int, BeforeValidator(_month), Strict(), Field(ge=1, le=12)]
Pct = Annotated[Number, Field(ge=-100)]  # a change in percent; -100 removes everything
Mode = Literal["ramp", "step"]
NonNeg = Annotated[Number, Field(ge=0)]
#: An annual inflow statistic (km3/yr): all the world's rivers carry some 40,000 km3/yr.
AnnualKm3 = Annotated[Number, Field(gt=0, le=100_000)]
#: The years a horizon may span: the calendar of the results (nanosecond datetimes) ends in 2262.
FIRST_YEAR, LAST_YEAR = 1800, 2260


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- horizon, hydrology


class Horizon(Spec):
    """Planning horizon: first month and number of years."""

    start: str = Field("2025-01", pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    years: Whole = Field(30, ge=1, le=200)

    @model_validator(mode="after")
    def _calendar(self) -> Horizon:
        first = int(self.start[:4])
        if first < FIRST_YEAR or first + self.years - 1 > LAST_YEAR:
            raise ValueError(
                f"start {self.start!r} and {self.years} years: the horizon must lie within "
                f"{FIRST_YEAR}-{LAST_YEAR} (the calendar of the results)"
            )
        return self


class Hydrology(Spec):
    """Where inflows come from: the basin's mean year, its historical series, or a generator.

    ``stochastic``: an annual-total lognormal AR(1) model times a noisy climatology
    (:func:`nexusmodel.scenario.hydrology.fit_to_annual_statistics`), fitted to the basin's
    climatology and the published annual statistics of the natural inflow (sum of all
    sources): mean (default: the climatology's own total), exceeded in 5 % and 90 % of years.
    """

    kind: Literal["climatology", "historical", "stochastic"] = "climatology"
    seed: Whole = Field(0, ge=0, le=2**32 - 1)
    annual_mean_km3: AnnualKm3 | None = None
    annual_p5_km3: AnnualKm3 | None = None  # annual total exceeded in 5 % of years
    annual_p90_km3: AnnualKm3 | None = None  # annual total exceeded in 90 % of years
    lag1_annual: Number = Field(0.3, ge=-0.95, le=0.95)
    noise_cv: Number = Field(0.1, ge=0, le=1)  # month-to-month noise within a year

    @model_validator(mode="after")
    def _stochastic_needs_statistics(self) -> Hydrology:
        if self.kind == "stochastic" and (
            self.annual_p5_km3 is None or self.annual_p90_km3 is None
        ):
            raise ValueError(
                "kind 'stochastic' needs annual_p5_km3 and annual_p90_km3 (the annual inflow "
                "exceeded in 5 % and 90 % of years; Syr Darya: 58.9 and 24.0 km3)"
            )
        return self


# --------------------------------------------------------------------------- building blocks


class Change(Spec):
    """A relative change over the horizon: ``change_pct`` reached by ``mode``."""

    change_pct: Pct
    mode: Mode = "ramp"


class MonthlyChange(Spec):
    """A change for every month (``change_pct``) and/or by month (``by_month_pct``, which wins)."""

    change_pct: Pct | None = None
    by_month_pct: dict[Month, Pct] | None = None
    mode: Mode = "ramp"

    @model_validator(mode="after")
    def _something(self) -> MonthlyChange:
        if self.change_pct is None and not self.by_month_pct:
            raise ValueError("give change_pct (every month) or by_month_pct ({month: pct})")
        return self

    def table(self) -> list[float]:
        """Final change of each calendar month as a fraction (12 values)."""
        base = (self.change_pct or 0.0) / 100.0
        out = [base] * 12
        for month, pct in (self.by_month_pct or {}).items():
            out[month - 1] = pct / 100.0
        return out


class Growth(Spec):
    """Compound growth (``rate_pct_per_year``) or a yearly path of factors ({year: factor})."""

    rate_pct_per_year: Number | None = Field(None, gt=-100)
    path: dict[Whole, Annotated[Number, Field(ge=0)]] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Growth:
        if (self.rate_pct_per_year is None) == (self.path is None):
            raise ValueError(
                "give exactly one of rate_pct_per_year (e.g. 2.0) or path (e.g. {2025: 1.0, 2050: 1.4})"
            )
        if self.path is not None and not self.path:
            raise ValueError("path is empty: give {year: factor}, e.g. {2025: 1.0, 2050: 1.4}")
        return self


class GdpDemand(Spec):
    """Industrial demand driven by GDP: factor (1 + g) ** (elasticity * years)."""

    gdp_growth_pct_per_year: Number = Field(gt=-100)
    elasticity: Number = Field(1.0, ge=-5, le=5)


class SeasonalPriceChange(Spec):
    """Energy prices (thermal cost, import and export prices alike) by season."""

    winter_change_pct: Pct = 0.0  # October-March
    summer_change_pct: Pct = 0.0  # April-September
    mode: Mode = "ramp"


class SnowmeltShift(Spec):
    """Move ``fraction_pct`` of the volume of ``from_months`` into ``to_months`` every year.

    The annual volume is kept; the to-months share the moved volume in proportion to their
    own. With ``ramp`` the fraction grows from 0 in the first year to ``fraction_pct``.
    """

    fraction_pct: Number = Field(ge=0, le=100)
    from_months: list[Month] = Field(default_factory=lambda: [7, 8], min_length=1)
    to_months: list[Month] = Field(default_factory=lambda: [4, 5], min_length=1)
    nodes: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    mode: Mode = "ramp"

    @model_validator(mode="after")
    def _disjoint(self) -> SnowmeltShift:
        for months in (self.from_months, self.to_months):
            repeated = sorted({m for m in months if months.count(m) > 1})
            if repeated:
                raise ValueError(f"months {repeated} are listed more than once: list each once")
        both = sorted(set(self.from_months) & set(self.to_months))
        if both:
            raise ValueError(f"month(s) {both} are in both from_months and to_months")
        return self


# --------------------------------------------------------------------------- driver groups


class Demography(Spec):
    """Population growth and per-capita use of the municipal nodes."""

    population_growth: dict[str, Growth] = Field(default_factory=dict)
    per_capita_use: dict[str, Change] = Field(default_factory=dict)


class Economy(Spec):
    """Prices, costs, GDP-driven industrial demand, electricity demand and irrigated areas."""

    crop_prices: dict[str, Change] = Field(default_factory=dict)  # crop or all
    crop_costs: dict[str, Change] = Field(default_factory=dict)  # crop or all
    energy_prices: dict[str, SeasonalPriceChange] = Field(default_factory=dict)
    energy_demand: dict[str, Growth] = Field(default_factory=dict)
    industrial_demand: dict[str, GdpDemand] = Field(default_factory=dict)
    irrigated_area: dict[str, Change] = Field(default_factory=dict)
    # a carbon price on every generator's CO2 (USD/t), the whole horizon
    co2_price_usd_per_t: Number | None = Field(None, ge=0)


class Climate(Spec):
    """Inflow change, snowmelt timing, crop water demand and reservoir evaporation."""

    inflow_change: dict[str, MonthlyChange] = Field(default_factory=dict)
    snowmelt_shift: SnowmeltShift | None = None
    crop_water_demand: dict[str, Change] = Field(default_factory=dict)  # crop or all
    evaporation: dict[str, Change] = Field(default_factory=dict)


class Efficiency(Spec):
    """New irrigation efficiencies (0-1) or relative changes of the basin's (percent)."""

    conveyance_efficiency: Number | None = Field(None, gt=0, le=1)
    field_efficiency: Number | None = Field(None, gt=0, le=1)
    conveyance_change_pct: Number | None = Field(None, gt=-100)
    field_change_pct: Number | None = Field(None, gt=-100)

    @model_validator(mode="after")
    def _consistent(self) -> Efficiency:
        for part in ("conveyance", "field"):
            if (
                getattr(self, f"{part}_efficiency") is not None
                and getattr(self, f"{part}_change_pct") is not None
            ):
                raise ValueError(
                    f"give {part}_efficiency (a new value) or {part}_change_pct, not both"
                )
        if all(v is None for v in self.model_dump().values()):
            raise ValueError(
                "give conveyance_efficiency / field_efficiency (0-1) or "
                "conveyance_change_pct / field_change_pct"
            )
        return self


class EcologicalFlow(Spec):
    """An ecological flow rule at an environment node (replaces the basin file's values)."""

    annual_target_hm3: NonNeg | None = None
    min_flow_m3s: NonNeg | dict[Month, NonNeg] | None = None
    hard: Flag | None = None
    penalty_usd_per_m3: NonNeg | None = None


class SeasonalRelease(Spec):
    """Share of a reservoir's annual release in ``months`` (default April-September)."""

    months: list[Month] = Field(default_factory=lambda: list(SUMMER), min_length=1, max_length=11)
    min_share_pct: Number | None = Field(None, ge=0, le=100)
    max_share_pct: Number | None = Field(None, ge=0, le=100)
    hard: Flag = True
    penalty_usd_per_m3: NonNeg = 1.0

    @model_validator(mode="after")
    def _bounds(self) -> SeasonalRelease:
        repeated = sorted({m for m in self.months if self.months.count(m) > 1})
        if repeated:
            raise ValueError(f"months {repeated} are listed more than once: list each once")
        if self.min_share_pct is None and self.max_share_pct is None:
            raise ValueError("give min_share_pct and/or max_share_pct")
        if (
            self.min_share_pct is not None
            and self.max_share_pct is not None
            and self.min_share_pct > self.max_share_pct
        ):
            raise ValueError(
                f"min_share_pct {self.min_share_pct} > max_share_pct {self.max_share_pct}"
            )
        return self


class AgreedRelease(Spec):
    """Minimum releases by calendar month, e.g. {Jun: 500, Jul: 650} in ``unit``."""

    minimum: dict[Month, NonNeg] = Field(min_length=1)
    unit: Literal["m3/s", "hm3/month"] = "m3/s"
    hard: Flag = False
    penalty_usd_per_m3: NonNeg = 1.0


class SpillCapSpec(Spec):
    """Cap on water sent to a sink by spillways and rivers (return channels excluded)."""

    max_hm3_per_year: NonNeg | None = None
    max_m3s: NonNeg | None = None
    hard: Flag = True
    penalty_usd_per_m3: NonNeg = 1.0

    @model_validator(mode="after")
    def _some(self) -> SpillCapSpec:
        if self.max_hm3_per_year is None and self.max_m3s is None:
            raise ValueError("give max_hm3_per_year and/or max_m3s")
        return self


class WithdrawalLimitSpec(Spec):
    """A country's agreed withdrawal limit (the states agree them each season): at most
    ``max_km3`` a year taken by its irrigation, municipal and demand nodes in ``months``
    (default: the whole year). Hard, or priced at ``penalty_usd_per_m3`` beyond the limit."""

    max_km3: NonNeg
    months: list[Month] = Field(default_factory=lambda: list(range(1, 13)), min_length=1)
    hard: Flag = True
    penalty_usd_per_m3: NonNeg = 1.0

    @model_validator(mode="after")
    def _months_once(self) -> WithdrawalLimitSpec:
        repeated = sorted({m for m in self.months if self.months.count(m) > 1})
        if repeated:
            raise ValueError(f"months {repeated} are listed more than once: list each once")
        return self


WINTER = (10, 11, 12, 1, 2, 3)


class WaterEnergyExchange(Spec):
    """Summer water for winter energy, as the 1998 Syr Darya agreement wrote it.

    The upstream reservoir's release in ``summer_months`` above what the upstream country
    needs for itself (``own_summer_release_hm3`` a year, or ``own_summer_share_pct`` of its
    annual release: the summer share of a reference rule such as the energy mode) is paid
    for by the downstream countries (``shares_pct``, summing to 100) at ``gwh_per_hm3`` GWh
    per hm3: in electricity delivered in ``winter_months`` of the same calendar year, or in
    fuel worth ``price_usd_per_mwh`` per MWh-equivalent. ``hard``: the compensation must be
    paid; soft: each unpaid MWh costs ``price_usd_per_mwh`` (the agreement's price).
    ``max_delivery_mw`` caps each downstream country's deliveries (none: no cap);
    ``from_own_plants``: deliveries come from the payer's own thermal plants (at most its
    thermal generation of the step), not from imports passed on.
    """

    upstream_reservoir: str
    summer_months: list[Month] = Field(default_factory=lambda: list(SUMMER), min_length=1)
    winter_months: list[Month] = Field(default_factory=lambda: list(WINTER), min_length=1)
    own_summer_release_hm3: NonNeg | None = None
    own_summer_share_pct: Number | None = Field(None, ge=0, le=100)
    gwh_per_hm3: NonNeg
    compensation: Literal["electricity", "fuel"] = "electricity"
    price_usd_per_mwh: NonNeg = 0.0
    shares_pct: dict[str, NonNeg] = Field(min_length=1)  # downstream country -> share
    hard: Flag = True
    max_delivery_mw: NonNeg | None = None
    from_own_plants: Flag = True  # deliveries at most the payer's own thermal generation

    @model_validator(mode="after")
    def _consistent(self) -> WaterEnergyExchange:
        if (self.own_summer_release_hm3 is None) == (self.own_summer_share_pct is None):
            raise ValueError(
                "give exactly one of own_summer_release_hm3 (a volume a year) or "
                "own_summer_share_pct (the summer share of a reference rule)"
            )
        for name in ("summer_months", "winter_months"):
            months = getattr(self, name)
            repeated = sorted({m for m in months if months.count(m) > 1})
            if repeated:
                raise ValueError(f"{name}: months {repeated} are listed more than once")
        both = sorted(set(self.summer_months) & set(self.winter_months))
        if both:
            raise ValueError(f"month(s) {both} are in both summer_months and winter_months")
        total = sum(self.shares_pct.values())
        if abs(total - 100.0) > 1e-6:
            raise ValueError(f"shares_pct {dict(self.shares_pct)} sum to {total:g}, not 100")
        if self.compensation == "fuel" and self.price_usd_per_mwh <= 0:
            raise ValueError("compensation 'fuel' needs price_usd_per_mwh > 0 (its value)")
        if not self.hard and self.price_usd_per_mwh <= 0:
            raise ValueError("a soft exchange (hard: false) needs price_usd_per_mwh > 0")
        return self


class Policy(Spec):
    """Efficiencies, ecological flows, release rules, agreements, spill caps, municipal
    priority, interstate withdrawal limits (by country)."""

    irrigation_efficiency: dict[str, Efficiency] = Field(default_factory=dict)
    ecological_flows: dict[str, EcologicalFlow] = Field(default_factory=dict)
    seasonal_release: dict[str, SeasonalRelease] = Field(default_factory=dict)
    agreed_releases: dict[str, AgreedRelease] = Field(default_factory=dict)
    spill_caps: dict[str, SpillCapSpec] = Field(default_factory=dict)
    withdrawal_limits: dict[str, WithdrawalLimitSpec] = Field(default_factory=dict)  # by country
    municipal_priority: Literal["hard", "soft"] | None = None  # None: the solve options decide
    water_energy_exchange: WaterEnergyExchange | None = None  # summer water for winter energy


# --------------------------------------------------------------------------- infrastructure


class LevelAreaStorageRow(Spec):
    level_m: Number
    area_km2: NonNeg
    storage_hm3: NonNeg


class MunicipalRow(Spec):
    population: NonNeg
    per_capita_l_per_day: NonNeg
    industrial_hm3_per_year: NonNeg = 0.0


Monthly = Annotated[list[NonNeg], Field(min_length=12, max_length=12)]


class EnergyRows(Spec):
    demand_gwh: Monthly
    thermal_cost_usd_per_mwh: Monthly
    import_price_usd_per_mwh: Monthly
    export_price_usd_per_mwh: Monthly


class NewTables(Spec):
    """Table rows for new (or changed) nodes, in the basin tables' units."""

    inflows_m3s: dict[str, Monthly] = Field(default_factory=dict)  # new source: 12 months
    evaporation_mm: dict[str, Monthly] = Field(default_factory=dict)  # reservoir: 12 months
    level_area_storage: dict[str, list[LevelAreaStorageRow]] = Field(default_factory=dict)
    irrigated_areas_ha: dict[str, dict[str, NonNeg]] = Field(
        default_factory=dict
    )  # district: {crop: ha}
    municipal: dict[str, MunicipalRow] = Field(default_factory=dict)
    energy: dict[str, EnergyRows] = Field(default_factory=dict)


class Infrastructure(Spec):
    """Network changes, applied in this order: remove, change, add (then re-validated)."""

    remove_nodes: list[str] = Field(default_factory=list)  # their links go too
    remove_links: list[str] = Field(default_factory=list)  # "FROM>TO"
    change_nodes: dict[str, dict[str, Any]] = Field(default_factory=dict)  # id: {field: value}
    change_links: dict[str, dict[str, Any]] = Field(default_factory=dict)  # "FROM>TO": {...}
    add_nodes: list[Node] = Field(default_factory=list)  # as in basin.yaml
    add_links: list[LinkSpec] = Field(default_factory=list)  # as in basin.yaml
    # the power system: generators and interconnectors by id, as in basin.yaml
    change_generators: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add_generators: list[GeneratorSpec] = Field(default_factory=list)
    change_interconnectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add_interconnectors: list[InterconnectorSpec] = Field(default_factory=list)
    tables: NewTables = NewTables()

    def is_empty(self) -> bool:
        return self == Infrastructure()


# --------------------------------------------------------------------------- solve options


def _numeric(annotation: Any) -> bool:
    """Whether a field's type is (optionally) a float or an int."""
    args = typing.get_args(annotation) or (annotation,)
    return any(a in (float, int) for a in args)


class ScenarioSolve(ModelOptions):
    """``solve:`` of a scenario file: the solve options, as a file may set them.

    A file may name only the built-in solver (``highs``): another solver is the user's choice,
    on the command line (``--solver``) or in Python, never a file's (a path would be run).
    Numbers must be finite and not ``true``/``false``; priority ranks are by node type; a
    rolling window keeps at most its own length; the rolling and simulate modes step by month.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_flags_for_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(str(key))
                if field is not None and isinstance(value, bool) and _numeric(field.annotation):
                    raise ValueError(f"{key} = {value}: use a number (true/false is not one)")
        return data

    @field_validator("priorities")
    @classmethod
    def _priority_types(cls, value: dict[str, int]) -> dict[str, int]:
        known = (*DEFAULT_PRIORITIES, "reservoir")
        unknown = sorted(k for k in value if k not in known)
        if unknown:
            raise ValueError(f"unknown node type(s) {unknown}; rank any of " + ", ".join(known))
        flags = sorted(k for k, v in value.items() if isinstance(v, bool))
        if flags:
            raise ValueError(f"ranks of {flags} must be whole numbers, not true/false")
        bad = sorted(k for k, v in value.items() if not 1 <= v <= 9)
        if bad:
            raise ValueError(f"ranks of {bad} must be whole numbers from 1 to 9")
        return value

    @model_validator(mode="after")
    def _mode_settings(self) -> ScenarioSolve:
        if self.mode in ("rolling", "all") and self.keep_months > self.window_months:
            raise ValueError(
                f"keep_months {self.keep_months} > window_months {self.window_months}: "
                "a rolling window keeps at most the months it solves"
            )
        if self.mode != "optimize" and self.step != "month":
            raise ValueError(
                f"mode {self.mode!r} steps month by month: use step: month, or mode: optimize "
                f"for step: {self.step}"
            )
        return self

    @field_validator("solver")
    @classmethod
    def _built_in_solver(cls, value: str) -> str:
        if value == BUILT_IN:
            return value
        if value in KNOWN_SOLVERS:
            raise ValueError(
                f"= {value!r}: a scenario file may only use the built-in solver 'highs'; "
                f"ask for {value} on the command line (nexusmodel run --solver {value})"
            )
        raise ValueError(
            f"= {value!r}: not a solver name; a scenario file may only use 'highs' "
            "(never a path or a program)"
        )


# --------------------------------------------------------------------------- the file


class ScenarioFile(Spec):
    """A whole scenario file after inheritance is resolved."""

    description: str = ""
    basin: str  # path to the basin folder, relative to the file that sets it
    horizon: Horizon = Horizon()
    hydrology: Hydrology = Hydrology()
    demography: Demography = Demography()
    economy: Economy = Economy()
    climate: Climate = Climate()
    policy: Policy = Policy()
    infrastructure: Infrastructure = Infrastructure()
    #: candidate projects; a project with the id of one of the basin's replaces it
    investments: list[InvestmentSpec] = Field(default_factory=list)
    investment_options: InvestmentOptions = InvestmentOptions()
    solve: ScenarioSolve = ScenarioSolve()


#: Unit of a key, from its suffix (longest first), for messages about values given with units.
KEY_UNITS: tuple[tuple[str, str], ...] = (
    ("_pct_per_year", "% per year"),
    ("_usd_per_m3", "USD/m3"),
    ("_usd_per_mwh", "USD/MWh"),
    ("_hm3_per_year", "hm3/yr"),
    ("_l_per_day", "l/cap/day"),
    ("_pct", "%"),
    ("_m3s", "m3/s"),
    ("_hm3", "hm3"),
    ("_km3", "km3"),
    ("_mw", "MW"),
    ("_gwh", "GWh"),
    ("_mm", "mm/month"),
    ("_ha", "ha"),
    ("_m", "m"),
    ("_km2", "km2"),
)


def unit_of(key: str) -> str | None:
    """The unit a key's name declares, e.g. 'change_pct' -> '%'."""
    for suffix, unit in KEY_UNITS:
        if key.endswith(suffix):
            return unit
    return None
