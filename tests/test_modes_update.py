"""Changing a built model's data in place (``nexusmodel.solve.update``): the LP after an
update equals the LP built for the new data, and re-solving it gives the same answers.

Basins are built in memory with ``model_factory``; ``rich_basin`` has every component type.
Units: hm3 per month, USD/m3 (= MUSD/hm3), objective in million USD, no discounting.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_factory import (
    areas_table,
    crops_table,
    energy_table,
    las_table,
    link,
    make_basin,
    monthly_table,
    node,
    run,
    with_months,
)
from nexusmodel.basin.basin import MONTHS, MinRelease, Policy, SeasonShare, SpillCap
from nexusmodel.model import ModelOptions, build_model
from nexusmodel.modes.window import slice_series
from nexusmodel.results import extract_results
from nexusmodel.solve import solve
from nexusmodel.solve.highs import HighsBackend
from nexusmodel.solve.lpdata import StructureError
from nexusmodel.solve.update import (
    current_inflow_hm3,
    resolve,
    set_end_storage_target,
    set_end_storage_value,
    update_inflows,
    update_initial_storage,
    update_series,
)

TOL = 1e-6
INFLOW = [20, 20, 25, 40, 90, 150, 160, 120, 60, 35, 25, 20]  # hm3 per month at S


def demand_node(id: str, segments: list[tuple[float, float]], **fields: object) -> dict:
    """A demand node; ``segments`` are (share, USD/m3), highest value first."""
    fields.setdefault("monthly_demand_hm3", [0.0] * 12)
    return node(
        id,
        "demand",
        benefit_segments=[{"share": s, "value_usd_per_m3": v} for s, v in segments],
        **fields,
    )


def town_table(*ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population": [200_000.0] * len(ids),
            "per_capita_l_per_day": [250.0] * len(ids),
            "industrial_hm3_per_year": [5.0] * len(ids),
        },
        index=pd.Index(list(ids), name="node"),
    )


def rich_basin(
    n_months: int = 24,
    start: str = "2030-01",
    end_storage: str = "initial",
    monthly_links: bool = False,
    power: bool = True,
):
    """Every component type on one small network (illustrative numbers)::

    S --> R (reservoir: plant, evaporation, rule curves) --> H (run of river) --> J
    J --> I (irrigation: cotton Ky 0.85, wheat Ky 1.05) --return--> O
    J --> M (town) --return--> O
    J --(<= 30 m3/s, 0.001 USD/m3)--> D (two-segment demand curve, by month) --> O
    J --(min 1 m3/s)--> E (terminal lake: monthly minimum, 150 hm3/yr target)
    J --> O (sink, 0.001 USD/m3 penalty)
    R and H deliver to K (energy system: thermal, imports, exports)
    power: K has a CHP (winter must-run) and a solar park (monthly capacity factor); a line
    (5 % loss, 1 USD/MWh wheeling) joins K to K2 (country UZ, a gas plant)
    """
    plant = {
        "installed_mw": 40.0,
        "efficiency": 0.9,
        "max_turbine_flow_m3s": 60.0,
        "tailwater_level_m": 90.0,
    }
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=500.0,
            dead_storage_hm3=50.0,
            initial_storage_hm3=300.0,
            end_storage=end_storage,
            hydropower=plant,
        ),
        node("H", "hydropower", installed_mw=20.0, max_turbine_flow_m3s=80.0, head_m=15.0),
        node("J", "junction"),
        node(
            "I", "irrigation", conveyance_efficiency=0.8, field_efficiency=0.7, return_fraction=0.5
        ),
        node("M", "municipal", return_fraction=0.6),
        # the first segment's value changes with the month (pushed in place like the others)
        demand_node(
            "D", [(0.6, [0.08] * 6 + [0.12] * 6), (0.4, 0.02)], monthly_demand_hm3=[20.0] * 12
        ),
        node(
            "E",
            "environment",
            min_flow_m3s=[1.0] * 3 + [0.0] * 6 + [1.0] * 3,
            annual_target_hm3=150.0,
            terminal=True,
        ),
        node("O", "sink", penalty_usd_per_m3=0.001),
        node(
            "K",
            "energy_system",
            thermal_capacity_mw=100.0,
            import_capacity_mw=50.0,
            export_capacity_mw=50.0,
        ),
    ]
    links = [
        link("S", "R"),
        link("R", "H"),
        link("H", "J"),
        link("J", "I"),
        link("J", "M"),
        link("J", "D", capacity_m3s=30.0, cost_usd_per_m3=0.001),
        link("J", "E", min_flow_m3s=1.0),
        link("J", "O"),
        link("I", "O", kind="return"),
        link("M", "O", kind="return"),
        link("D", "O"),
    ]
    if monthly_links:  # monthly profiles of capacity, minimum, loss and cost (issue 13)
        ramp = [0.01 * (k + 1) for k in range(12)]
        links[2] = link("H", "J", loss_fraction=ramp)
        links[5] = link(
            "J",
            "D",
            capacity_hm3_per_step=[80.0 - 5.0 * k for k in range(12)],
            cost_usd_per_m3=[0.001 * (k % 3) for k in range(12)],
        )
        links[6] = link("J", "E", min_flow_m3s=[1.0 + 0.5 * k for k in range(12)])
        links[7] = link("J", "O", capacity_m3s=[200.0] * 3 + [50.0] * 9)
        links[0] = link(  # flow-dependent loss: segment widths follow the month's length
            "S",
            "R",
            loss_segments=[{"up_to_m3s": 5.0, "loss_fraction": 0.02}, {"loss_fraction": 0.1}],
        )
    rules = pd.DataFrame(
        [[100.0] * 12, [500.0] * 6 + [450.0] * 6],
        index=pd.MultiIndex.from_tuples([("R", "min"), ("R", "max")], names=["node", "bound"]),
        columns=list(MONTHS),
    )
    basin = make_basin(
        nodes,
        links,
        level_area_storage={
            "R": las_table([80, 100, 110, 118, 124], [5, 10, 14, 17, 19], [0, 125, 250, 375, 500])
        },
        evaporation=monthly_table({"R": [0, 0, 10, 40, 80, 120, 150, 140, 90, 40, 10, 0]}),
        rule_curves=rules,
        crops=crops_table(
            {"cotton": (0.85, 3.4, 600.0, 800.0), "wheat": (1.05, 5.5, 220.0, 600.0)}
        ),
        crop_water_requirements=monthly_table(
            {
                "cotton": [0, 0, 0, 20, 60, 120, 170, 150, 80, 0, 0, 0],
                "wheat": [0, 0, 30, 70, 110, 60, 0, 0, 0, 40, 20, 0],
            }
        ),
        irrigated_areas=areas_table({("I", "cotton"): 10_000.0, ("I", "wheat"): 8_000.0}),
        municipal=town_table("M"),
        energy=energy_table(
            "K",
            [60.0] * 3 + [30.0] * 6 + [60.0] * 3,
            [70.0] * 3 + [50.0] * 6 + [70.0] * 3,
            80.0,
            20.0,
        ),
    )
    if power:
        basin = with_power(basin)
    months = [INFLOW[i % 12] for i in range(n_months)]
    return with_months(basin, n_months, {"S": months}, start=start)


def with_power(basin):
    """The rich basin with generators, a second energy system and a line (see rich_basin)."""
    raw = basin.spec.model_dump(by_alias=True)
    raw["countries"] = sorted({*raw["countries"], "UZ"})
    raw["nodes"].append(node("K2", "energy_system", country="UZ"))
    raw["generators"] = [
        {
            "id": "CHP",
            "name": "chp",
            "energy_system": "K",
            "kind": "chp",
            "capacity_mw": 30.0,
            "efficiency": 0.4,
            "fuel_cost_usd_per_mwh_fuel": 12.0,
            "co2_t_per_mwh_fuel": 0.34,
            "availability": 0.8,
            "must_run_fraction": [0.5] * 3 + [0.0] * 6 + [0.3] * 3,
        },
        {
            "id": "PV",
            "name": "solar",
            "energy_system": "K",
            "kind": "solar",
            "capacity_mw": 20.0,
            "availability": [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1],
        },
        {
            "id": "GAS2",
            "name": "gas",
            "energy_system": "K2",
            "kind": "gas",
            "capacity_mw": 80.0,
            "efficiency": 0.5,
            "fuel_cost_usd_per_mwh_fuel": 15.0,
            "variable_om_usd_per_mwh": 3.0,
        },
    ]
    raw["interconnectors"] = [
        {
            "id": "L",
            "from": "K",
            "to": "K2",
            "capacity_mw": 25.0,
            "loss_fraction": 0.05,
            "wheeling_cost_usd_per_mwh": 1.0,
        }
    ]
    energy = pd.concat(
        [
            basin.tables.energy,
            energy_table("K2", [40.0] * 3 + [25.0] * 9, 0.0, 90.0, 10.0),
        ]
    )
    new = basin.with_spec(type(basin.spec).model_validate(raw))
    return dataclasses.replace(new, tables=dataclasses.replace(new.tables, energy=energy))


# --------------------------------------------------------------------------- comparing LPs


def _lp(model: pyo.ConcreteModel, backend: HighsBackend) -> tuple[dict, dict, dict]:
    """The LP by Pyomo names, year labels replaced by their position among the model's."""
    from nexusmodel.solve.live import layout

    years = layout(model, backend).build_years

    def norm(name: str) -> str:
        return re.sub(
            r"(?<=[,\[])((?:19|20)\d\d)(?=[,\]])",
            lambda m: f"Y{years.index(int(m.group(1)))}",
            name,
        )

    lp = backend.highs.getLp()
    a = sp.csc_matrix(
        (
            np.asarray(lp.a_matrix_.value_),
            np.asarray(lp.a_matrix_.index_),
            np.asarray(lp.a_matrix_.start_),
        ),
        shape=(lp.num_row_, lp.num_col_),
    ).tocoo()
    col_name = {
        backend.column[id(v)]: norm(v.name)
        for v in model.component_data_objects(pyo.Var)
        if id(v) in backend.column
    }
    row_name = {
        backend.row[id(c)]: norm(c.name)
        for c in model.component_data_objects(pyo.Constraint)
        if id(c) in backend.row
    }
    cols = {col_name[j]: (lp.col_cost_[j], lp.col_lower_[j], lp.col_upper_[j]) for j in col_name}
    rows = {row_name[i]: (lp.row_lower_[i], lp.row_upper_[i]) for i in row_name}
    matrix = {
        (row_name[i], col_name[j]): v
        for i, j, v in zip(a.row, a.col, a.data, strict=True)
        if v != 0
    }
    return cols, rows, matrix


def assert_same_lp(a: tuple, b: tuple, skip: str = "hydropower.energy_def") -> None:
    """Equal costs, bounds and coefficients, except the rows of ``skip`` (the head
    linearization, which the solve's head iteration sets). ``a`` may keep the rows (and
    slacks) of environmental minimum flows that are zero in ``b``'s months."""

    def same(x: float, y: float) -> bool:
        return (np.isinf(x) and np.isinf(y) and np.sign(x) == np.sign(y)) or abs(
            x - y
        ) <= 1e-9 * max(1.0, abs(y))

    cols_a, rows_a, mat_a = a
    cols_b, rows_b, mat_b = b
    extra = ("environment.deficit", "environment.min_flow")
    assert set(cols_b) <= set(cols_a)
    assert all(n.startswith(extra) for n in set(cols_a) - set(cols_b))
    for n in set(rows_a) - set(rows_b):
        assert n.startswith(extra) and rows_a[n][0] == 0.0  # a zero minimum
    mat_a = {k: v for k, v in mat_a.items() if k[0] in rows_b and k[1] in cols_b}
    bad = [(n, cols_a[n], cols_b[n]) for n in cols_b if not all(map(same, cols_a[n], cols_b[n]))]
    bad += [
        (n, rows_a[n], rows_b[n])
        for n in rows_b
        if not n.startswith(skip) and not all(map(same, rows_a[n], rows_b[n]))
    ]
    for key in set(mat_a) | set(mat_b):
        if not key[0].startswith(skip) and not same(mat_a.get(key, 0.0), mat_b.get(key, 0.0)):
            bad.append((key, mat_a.get(key), mat_b.get(key)))
    assert not bad, bad[:10]


def built(basin, options: ModelOptions | None = None) -> tuple[pyo.ConcreteModel, HighsBackend]:
    model = build_model(basin, options or ModelOptions())
    return model, HighsBackend.from_model(model)


@pytest.fixture(scope="module")
def horizon():
    """Five years of the rich basin from 2030 (2032 is a leap year), with demands, prices
    and crop prices that change from year to year."""
    basin = rich_basin(60)
    s = basin.series
    years = np.asarray(s.municipal_hm3.index.year) - 2030
    growth = pd.DataFrame(1.03 ** years[:, None], index=s.municipal_hm3.index)
    series = type(s)(
        **{
            **s.__dict__,
            "municipal_hm3": s.municipal_hm3 * growth.to_numpy(),
            "energy_demand_gwh": s.energy_demand_gwh * 1.05 ** years[:, None],
            "crop_price_usd_per_t": s.crop_price_usd_per_t
            * np.linspace(1.0, 1.4, len(s.crop_price_usd_per_t))[:, None],
        }
    )
    return basin.with_series(series)


@pytest.mark.parametrize(
    ("start_a", "start_b", "length"),
    [
        (0, 24, 12),  # January 2030 -> January 2032 (a leap year): same calendar, new data
        (2, 38, 12),  # March windows cut two calendar years the same way
        (0, 5, 1),  # a one-month model moved from January (no crop need) to June
        (1, 25, 1),  # February 2030 -> February 2032 (29 days)
        (0, 36, 24),  # two whole years
    ],
)
def test_pushing_new_series_gives_the_lp_built_for_them(horizon, start_a, start_b, length):
    """A model built for months A, given months B's series in place, is the model built for B."""
    series = horizon.series
    model, backend = built(horizon.with_series(slice_series(series, start_a, start_a + length)))
    target, target_backend = built(
        horizon.with_series(slice_series(series, start_b, start_b + length))
    )
    update_series(model, backend, slice_series(series, start_b, start_b + length))
    assert_same_lp(_lp(model, backend), _lp(target, target_backend))
    assert model.context.axis.start[0] == target.context.axis.start[0]


@pytest.mark.parametrize(("start_a", "start_b", "length"), [(2, 38, 12), (0, 5, 1), (0, 36, 24)])
def test_pushing_monthly_link_profiles_gives_the_lp_built_for_them(start_a, start_b, length):
    """Monthly link capacities (m3/s and hm3 per step), minimum flows, losses and costs, and
    flow-dependent loss segments (widths in m3/s), move with the window: a model built for
    months A, given months B in place, is B's model."""
    basin = rich_basin(60, monthly_links=True)
    series = basin.series
    model, backend = built(basin.with_series(slice_series(series, start_a, start_a + length)))
    target, target_backend = built(
        basin.with_series(slice_series(series, start_b, start_b + length))
    )
    update_series(model, backend, slice_series(series, start_b, start_b + length))
    assert_same_lp(_lp(model, backend), _lp(target, target_backend))


@st.composite
def update_cases(draw: st.DrawFn) -> dict:
    """A model configuration (objective, discount rate, time step, head treatment, scenario
    rules) and two windows of the same calendar months (A built, B pushed), B's series
    scaled by drawn factors."""
    step = draw(st.sampled_from(["month", "decade", "day"]))
    length = draw(st.integers(1, {"month": 14, "decade": 3, "day": 1}[step]))
    start_a = draw(st.integers(0, 59 - length - 12))
    if step == "day" and start_a % 12 == 1:
        start_a += 1  # February's days differ between years: another structure
    start_b = start_a + 12 * draw(st.integers(1, (60 - length - start_a) // 12))
    hard = st.booleans()
    penalty = st.sampled_from([0.05, 0.3, 2.0])
    rules: dict = {}
    if draw(st.booleans()):
        months = tuple(sorted(draw(st.sets(st.integers(1, 12), min_size=2, max_size=8))))
        low = draw(st.sampled_from([None, 0.3, 0.5]))
        high = draw(st.sampled_from([None, 0.8, 0.95])) if low is not None else 0.9
        rules["season_shares"] = (SeasonShare("R", months, low, high, draw(hard), draw(penalty)),)
    if draw(st.booleans()):
        agreed = tuple(draw(st.lists(st.sampled_from([1.0, 4.0, 10.0]), min_size=12, max_size=12)))
        rules["min_releases"] = (MinRelease("R", agreed, draw(hard), draw(penalty)),)
    if draw(st.booleans()):
        rules["spill_caps"] = (
            SpillCap(
                "O",
                draw(st.sampled_from([None, 150.0, 400.0])),
                draw(st.sampled_from([None, 20.0, 60.0])),
                draw(hard),
                draw(penalty),
            ),
        )
    return {
        "options": ModelOptions(
            step=step,
            objective=draw(st.sampled_from(["economic", "priority"])),
            discount_rate=draw(st.sampled_from([0.0, 0.05, 0.12])),
            head=draw(st.sampled_from(["slp", "fixed"])),
            evaporation_area=draw(st.sampled_from(["mean", "start"])),
            head_storage=draw(st.sampled_from(["mean", "start"])),
            municipal_hard=draw(st.booleans()),
        ),
        "windows": (start_a, start_b, length),
        "policy": Policy(**rules),
        "scale": {
            name: draw(st.sampled_from([0.5, 1.0, 1.7]))
            for name in ("inflow_m3s", "municipal_hm3", "energy_demand_gwh", "crop_price_usd_per_t")
        },
    }


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=update_cases())
def test_every_configuration_pushed_in_place_is_the_lp_built_for_it(horizon, case):
    """Issue 15: for every objective kind, discount rate, time step (month, ten days, day),
    head treatment, evaporating area (issue 13), seasonal release share, agreed release and
    spill cap, a model built for window A and given window B's (scaled) series in place
    equals, entry by entry, the model built for B."""
    start_a, start_b, length = case["windows"]
    basin = horizon.with_policy(case["policy"])
    series = basin.series
    target_series = slice_series(series, start_b, start_b + length)
    target_series = type(target_series)(
        **{
            **target_series.__dict__,
            **{k: getattr(target_series, k) * f for k, f in case["scale"].items()},
        }
    )
    model, backend = built(
        basin.with_series(slice_series(series, start_a, start_a + length)), case["options"]
    )
    target, target_backend = built(basin.with_series(target_series), case["options"])
    update_series(model, backend, target_series)
    assert_same_lp(_lp(model, backend), _lp(target, target_backend))


def test_pushing_series_that_cut_years_differently_is_refused(horizon):
    series = horizon.series
    model, backend = built(horizon.with_series(slice_series(series, 0, 12)))
    with pytest.raises(StructureError, match="calendar years"):
        update_series(model, backend, slice_series(series, 2, 14))
    # the model is left as it was
    assert model.context.axis.start[0] == pd.Timestamp("2030-01-01")


def test_pushing_series_that_need_missing_rows_is_refused(horizon):
    """A one-month model built in May has no row for E's minimum flow (zero in May)."""
    series = horizon.series
    model, backend = built(horizon.with_series(slice_series(series, 4, 5)))
    assert "E" not in set(model.environment.with_min)
    with pytest.raises(StructureError, match="env_req"):
        update_series(model, backend, slice_series(series, 0, 1))


# --------------------------------------------------------------------------- inflows, storage


def test_new_inflows_resolve_to_the_model_built_with_them():
    """Another member's inflows (a dry year) give the same results as a model built with them."""
    options = {"head": "fixed"}
    wet = rich_basin(12)
    dry_inflow = [0.6 * v for v in INFLOW]
    dry = with_months(rich_basin(12), 12, {"S": dry_inflow})
    r = run(wet, **options)
    backend = r.report.backend
    inflow = current_inflow_hm3(r.model)
    inflow[r.model.context.water_nodes.index("S")] = dry_inflow
    update_inflows(r.model, backend, inflow)
    report = resolve(r.model, backend)
    expected = run(dry, **options)
    assert report.objective_musd == pytest.approx(
        expected.report.objective_musd, rel=1e-9, abs=1e-7
    )
    ds = extract_results(r.model, report)
    np.testing.assert_allclose(ds["inflow"].sel(node="S").values, dry_inflow, atol=1e-9)
    np.testing.assert_allclose(ds["storage"].values, expected.ds["storage"].values, atol=1e-5)
    np.testing.assert_allclose(ds["link_flow"].values, expected.ds["link_flow"].values, atol=1e-5)
    assert ds.attrs["water_balance_max_residual_hm3"] < 1e-6


def test_inflows_must_fit_the_model():
    r = run(rich_basin(12), head="fixed")
    inflow = current_inflow_hm3(r.model)
    with pytest.raises(ValueError, match="shape"):
        update_inflows(r.model, r.report.backend, inflow[:, :5])
    inflow[r.model.context.water_nodes.index("J")] = 1.0
    with pytest.raises(ValueError, match="J, which is not a source"):
        update_inflows(r.model, r.report.backend, inflow)


@pytest.mark.parametrize("head", ["fixed", "slp"])
def test_new_initial_storage_resolves_to_the_model_built_with_it(head):
    """Starting from 420 instead of 300 hm3: balance row, end rule S[T] >= S0, plant head."""
    basin = rich_basin(12)
    r = run(basin, head=head)
    update_initial_storage(r.model, r.report.backend, {"R": 420.0})
    report = resolve(r.model, r.report.backend)
    spec = basin.spec.model_copy(
        update={
            "nodes": [
                n.model_copy(update={"initial_storage_hm3": 420.0}) if n.id == "R" else n
                for n in basin.spec.nodes
            ]
        }
    )
    expected = run(basin.with_spec(spec), head=head)
    # from the build's heads, the head iteration follows the fresh build's path
    assert report.objective_musd == pytest.approx(expected.report.objective_musd, rel=1e-7)
    ds = extract_results(r.model, report)
    assert ds.attrs["water_balance_max_residual_hm3"] < 1e-6
    assert ds["storage"].sel(node="R").values[-1] >= 420.0 - 1e-6


# --------------------------------------------------------------------------- end of the run


def one_month(end_storage: str = "initial", terminal_value: float = 0.0):
    """S (no inflow) -> R (S0 = 100 hm3) -> D (100 hm3 in January at 0.05 USD/m3) -> O."""
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=200.0,
            initial_storage_hm3=100.0,
            end_storage=end_storage,
            terminal_value_usd_per_m3=terminal_value,
        ),
        demand_node("D", [(1.0, 0.05)]),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "D"), link("R", "O"), link("D", "O")]
    return with_months(make_basin(nodes, links), 1, {"S": 0.0}, demand_hm3={"D": [100.0]})


@pytest.mark.parametrize(
    ("penalty", "delivered", "objective"),
    [
        # a m3 below 60 hm3 costs 0.02 < 0.05: D takes all 100; 100 * 0.05 - 60 * 0.02 = 3.8
        (0.02, 100.0, 3.8),
        # 0.08 > 0.05: R keeps 60, D takes 40; 40 * 0.05 = 2.0
        (0.08, 40.0, 2.0),
        # hard: the same as a high penalty
        (None, 40.0, 2.0),
    ],
)
def test_end_storage_target_with_a_penalty(penalty, delivered, objective):
    r = run(one_month())
    assert r.report.objective_musd == pytest.approx(0.0, abs=TOL)  # S[T] >= S0 keeps all
    set_end_storage_target(r.model, r.report.backend, {"R": 60.0}, penalty)
    report = resolve(r.model, r.report.backend)
    assert report.objective_musd == pytest.approx(objective, abs=TOL)
    ds = extract_results(r.model, report)
    assert ds["delivery"].sel(node="D").values[0] == pytest.approx(delivered, abs=TOL)


def test_end_storage_value_replaces_the_end_rule():
    """Valued at 0.03 < 0.05 the water goes to D (5.0); at 0.07 it stays (100 * 0.07 = 7.0),
    as in models built with those terminal values."""
    r = run(one_month())
    for value, objective in ((0.03, 5.0), (0.07, 7.0)):
        set_end_storage_value(r.model, r.report.backend, value)
        report = resolve(r.model, r.report.backend)
        assert report.objective_musd == pytest.approx(objective, abs=TOL)
        expected = run(one_month("value", value))
        assert expected.report.objective_musd == pytest.approx(objective, abs=TOL)
    with pytest.raises(ValueError, match="not reservoirs"):
        set_end_storage_value(r.model, r.report.backend, {"X": 1.0})


def test_a_target_needs_an_end_row():
    r = run(one_month("free"))
    with pytest.raises(StructureError, match="no end row"):
        set_end_storage_target(r.model, r.report.backend, {"R": 50.0})


def test_solve_after_build_is_untouched_by_reading_the_data():
    """``current_inflow_hm3`` reads; the model solves as built."""
    basin = rich_basin(12)
    model = build_model(basin, ModelOptions(head="fixed"))
    inflow = current_inflow_hm3(model)
    assert inflow[model.context.water_nodes.index("S")].tolist() == pytest.approx(INFLOW)
    assert solve(model).status == "optimal"


# --------------------------------------------------------------------------- the live model


def test_the_live_model_holds_the_state_not_the_pyomo_model():
    """Issue 15: the layout, the data pushed, the end rules and the heads live in one
    LiveModel per (model, backend), found again by ``live_model``; nothing is attached to
    the Pyomo model, and the push plan reads the same component data as the build."""
    from nexusmodel.solve.live import LiveModel, live_model

    basin = rich_basin(12)
    live = LiveModel.build(basin, ModelOptions())
    assert live_model(live.model, live.backend) is live
    before = set(live.model.__dict__)
    live.push_series(live.current_data()[0], live.context.discount)
    set_end_storage_target(live.model, live.backend, {"R": 280.0}, penalty_usd_per_m3=0.5)
    report = live.solve()
    assert report.status == "optimal"
    assert set(live.model.__dict__) == before
    assert live.end_rules["R"].target_hm3 == 280.0
    assert live.heads.plants[0].node == "R"
    # a fresh pair gets its own live model
    other = HighsBackend.from_model(live.model)
    assert live_model(live.model, other) is not live


def test_one_discounting_by_hand():
    """(1 + r) ** -(days since the first step / 365.25), for the build and every window."""
    from nexusmodel.model.context import discount_factors

    starts = pd.DatetimeIndex(["2030-01-01", "2030-02-01", "2031-01-01"])
    np.testing.assert_allclose(
        discount_factors(0.05, starts), [1.0, 1.05 ** (-31 / 365.25), 1.05 ** (-365 / 365.25)]
    )
    np.testing.assert_array_equal(discount_factors(0.0, starts), [1.0, 1.0, 1.0])


def test_the_solve_layers_do_not_import_each_other_in_a_circle():
    """lpdata (names to rows) does not import update, nor live (which uses it); rolling does
    not import the modes package that imports it (at module level or inside a function)."""
    import ast
    from pathlib import Path

    import nexusmodel

    root = Path(nexusmodel.__file__).parent

    def imported(relative: str) -> set[str]:
        tree = ast.parse((root / relative).read_text())
        names = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module:
                names.add(n.module)
            elif isinstance(n, ast.Import):
                names.update(a.name for a in n.names)
        return names

    assert not imported("solve/lpdata.py") & {"nexusmodel.solve.update", "nexusmodel.solve.live"}
    assert "nexusmodel.modes" not in imported("modes/rolling.py")
    assert "nexusmodel.solve.update" not in imported("solve/live.py")
