"""The optimization core on tiny networks whose optimum is worked out by hand.

Every basin is built in memory by ``model_factory`` (no files). Each test draws its network
in the docstring and derives the expected numbers in comments, from the equations in the
components' docstrings, never from the code's output. Units: hm3 per month; values and
marginal values in USD/m3 (= MUSD/hm3); the objective in million USD; no discounting.
2030 is not a leap year: Jan 31 days, Feb 28, Mar 31.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_factory import (
    areas_table,
    crops_table,
    las_table,
    link,
    make_basin,
    monthly_table,
    node,
    run,
    with_months,
)

TOL = 1e-6


def demand_node(id: str, segments: list[tuple[float, float]], **fields: object) -> dict:
    """A demand node; ``segments`` are (share, USD/m3), highest value first."""
    return node(
        id,
        "demand",
        monthly_demand_hm3=[0.0] * 12,  # every test sets its demand per month
        benefit_segments=[{"share": s, "value_usd_per_m3": v} for s, v in segments],
        **fields,
    )


# --- 1. one reservoir, one demand ---------------------------------------------------------------


def one_reservoir(
    capacity: float,
    inflow: list[float],
    demand: list[float],
    end_storage: str = "free",
    terminal_value: float = 0.0,
    step: str = "month",
):
    """S -> R -> D (one segment, 0.05 USD/m3) -> O, with a spill link R -> O.

    ::

        S --> R ----> D --(returns, r = 0)--> O
              |                               ^
              +---------- spill --------------+
    """
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=capacity,
            initial_storage_hm3=0.0,
            end_storage=end_storage,
            terminal_value_usd_per_m3=terminal_value,
        ),
        demand_node("D", [(1.0, 0.05)]),
        node("O", "sink"),
    ]
    links = [link("S", "R"), link("R", "D"), link("R", "O"), link("D", "O")]
    basin = with_months(make_basin(nodes, links), 3, {"S": inflow}, demand_hm3={"D": demand})
    return run(basin, step=step)


def test_reservoir_carries_water_to_a_short_month():
    """Inflow only in January; the one demand is in March and cannot all be met.

    ::

        S (60, 0, 0) --> R (S0 = 0, 1000 hm3) --> D (0, 0, 100 hm3 at 0.05 USD/m3) --> O
    """
    r = one_reservoir(1000.0, inflow=[60.0, 0.0, 0.0], demand=[0.0, 0.0, 100.0])
    # Spilling gains nothing, so the 60 hm3 of January are kept for March:
    # storage 60, 60, 0; March delivery 60 of 100 -> shortage 40.
    np.testing.assert_allclose(r.at("storage", "R"), [60.0, 60.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("delivery", "D"), [0.0, 0.0, 60.0], atol=TOL)
    np.testing.assert_allclose(r.at("shortage", "D"), [0.0, 0.0, 40.0], atol=TOL)
    np.testing.assert_allclose(r.at("sink_inflow", "O"), [0.0, 0.0, 0.0], atol=TOL)
    # objective: 60 hm3 * 0.05 = 3.0 MUSD
    assert r.report.objective_musd == pytest.approx(3.0, abs=TOL)
    # Duals: D is served in part in March, so one more hm3 there is worth 0.05 USD/m3.
    # R -> D carries water in March, so R's March value is D's; storage is carried
    # (S > 0) from January to March, so R is worth 0.05 in every month, and so is S
    # (S -> R always carries water).
    assert r.at("marginal_value", "D")[2] == pytest.approx(0.05, abs=TOL)
    np.testing.assert_allclose(r.at("marginal_value", "R"), [0.05] * 3, atol=TOL)
    np.testing.assert_allclose(r.at("marginal_value", "S"), [0.05] * 3, atol=TOL)
    # water at the sink is worth nothing
    np.testing.assert_allclose(r.at("marginal_value", "O"), [0.0] * 3, atol=TOL)


def test_reservoir_at_capacity_spills_and_water_is_worth_nothing():
    """Plenty of water: 400 hm3 in January, a 250 hm3 reservoir, 100 hm3 wanted every month.

    ::

        S (400, 0, 0) --> R (S0 = 0, 250 hm3, end water worth 0.01) --> D (100/month) --> O
                          R --spill--> O
    """
    r = one_reservoir(
        250.0,
        inflow=[400.0, 0.0, 0.0],
        demand=[100.0, 100.0, 100.0],
        end_storage="value",
        terminal_value=0.01,
    )
    # D takes 100 each month (0.05 > 0.01). Water left at the end is worth 0.01, so nothing
    # is spilled that storage can keep: January ends full (250), spilling 400-100-250 = 50;
    # then 150 and 50 at the end.
    np.testing.assert_allclose(r.at("delivery", "D"), [100.0] * 3, atol=TOL)
    np.testing.assert_allclose(r.at("storage", "R"), [250.0, 150.0, 50.0], atol=TOL)
    np.testing.assert_allclose(r.flow("R", "O"), [50.0, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("sink_inflow", "O"), [50.0, 0.0, 0.0], atol=TOL)
    np.testing.assert_allclose(r.at("shortage", "D"), [0.0] * 3, atol=TOL)
    # objective: 300 * 0.05 + 50 * 0.01 = 15.5 MUSD
    assert r.report.objective_musd == pytest.approx(15.5, abs=TOL)
    # January: R spills, so one more hm3 there goes to the sink: worth 0 at S, R, D and O.
    # February and March: storage is carried to the end, so water is worth the terminal
    # value 0.01. The capacity bound in January is worth the difference, 0.01 - 0.
    for n in ("S", "R", "D"):
        np.testing.assert_allclose(r.at("marginal_value", n), [0.0, 0.01, 0.01], atol=TOL)
    np.testing.assert_allclose(r.at("marginal_value", "O"), [0.0] * 3, atol=TOL)
    np.testing.assert_allclose(r.at("storage_bound_price", "R"), [0.01, 0.0, 0.0], atol=TOL)


# --- 2. two users with linear benefits share a supply ---------------------------------------


@pytest.mark.parametrize(
    ("supply", "to_a", "to_b", "marginal", "objective"),
    [
        # 80 < 100: all to A (0.08); A is the one partly served -> 0.08; 80 * 0.08 = 6.4
        (80.0, 80.0, 0.0, 0.08, 6.4),
        # 150: A gets 100, B the other 50 and is partly served -> 0.03;
        # 100 * 0.08 + 50 * 0.03 = 9.5
        (150.0, 100.0, 50.0, 0.03, 9.5),
        # 250: both served, 50 hm3 spill to O -> 0; 100 * 0.08 + 100 * 0.03 = 11.0
        (250.0, 100.0, 100.0, 0.0, 11.0),
    ],
)
def test_shared_supply_serves_the_higher_value_first(supply, to_a, to_b, marginal, objective):
    """One month; A is worth 0.08 USD/m3, B 0.03, each wants 100 hm3.

    ::

             +--> A (100 hm3, 0.08) --+
        S ---+--> B (100 hm3, 0.03) --+--> O
             +-----------------------------^
    """
    nodes = [
        node("S", "source"),
        demand_node("A", [(1.0, 0.08)]),
        demand_node("B", [(1.0, 0.03)]),
        node("O", "sink"),
    ]
    links = [link("S", "A"), link("S", "B"), link("S", "O"), link("A", "O"), link("B", "O")]
    basin = with_months(
        make_basin(nodes, links), 1, {"S": supply}, demand_hm3={"A": [100.0], "B": [100.0]}
    )
    r = run(basin)
    assert r.at("delivery", "A")[0] == pytest.approx(to_a, abs=TOL)
    assert r.at("delivery", "B")[0] == pytest.approx(to_b, abs=TOL)
    assert r.at("sink_inflow", "O")[0] == pytest.approx(supply - to_a - to_b, abs=TOL)
    assert r.report.objective_musd == pytest.approx(objective, abs=TOL)
    # the value of water at the shared source is the value of the binding (partly served) use
    assert r.at("marginal_value", "S")[0] == pytest.approx(marginal, abs=TOL)


# --- 3. concave demand curves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supply", "to_a", "to_b", "marginal", "objective"),
    [
        # blocks by value: A1 40@0.10, B1 50@0.08, A2 30@0.06, B2 100@0.04, A3 30@0.02, B3 50@0.01
        # 100 = A1 40 + B1 50 + 10 of A2 -> A 50, B 50; A2 partly served -> 0.06;
        # 40*0.10 + 50*0.08 + 10*0.06 = 4 + 4 + 0.6 = 8.6
        (100.0, 50.0, 50.0, 0.06, 8.6),
        # 150 = 40 + 50 + 30 + 30 of B2 -> A 70, B 80; B2 partly served -> 0.04;
        # 4 + 4 + 1.8 + 30*0.04 = 11.0
        (150.0, 70.0, 80.0, 0.04, 11.0),
        # 260 = 40 + 50 + 30 + 100 + 30 + 10 of B3 -> A 100, B 160; -> 0.01;
        # 4 + 4 + 1.8 + 4 + 0.6 + 0.1 = 14.5
        (260.0, 100.0, 160.0, 0.01, 14.5),
    ],
)
def test_concave_demand_curves_equalize_marginal_benefits(supply, to_a, to_b, marginal, objective):
    """Two users with three-segment demand curves share one month's supply.

    ::

             +--> A (100 hm3: 40% at 0.10, 30% at 0.06, 30% at 0.02) --+
        S ---+--> B (200 hm3: 25% at 0.08, 50% at 0.04, 25% at 0.01) --+--> O
             +-----------------------------------------------------------^
    """
    nodes = [
        node("S", "source"),
        demand_node("A", [(0.4, 0.10), (0.3, 0.06), (0.3, 0.02)]),
        demand_node("B", [(0.25, 0.08), (0.5, 0.04), (0.25, 0.01)]),
        node("O", "sink"),
    ]
    links = [link("S", "A"), link("S", "B"), link("S", "O"), link("A", "O"), link("B", "O")]
    basin = with_months(
        make_basin(nodes, links), 1, {"S": supply}, demand_hm3={"A": [100.0], "B": [200.0]}
    )
    r = run(basin)
    assert r.at("delivery", "A")[0] == pytest.approx(to_a, abs=TOL)
    assert r.at("delivery", "B")[0] == pytest.approx(to_b, abs=TOL)
    assert r.report.objective_musd == pytest.approx(objective, abs=TOL)
    # both users get water, so the marginal benefit is the same at A, at B and at the source
    for n in ("S", "A", "B"):
        assert r.at("marginal_value", n)[0] == pytest.approx(marginal, abs=TOL)


# --- 6. FAO-33 yield response -------------------------------------------------------------------

# One district I of 10,000 ha = 10 kha of one crop; net irrigation need (mm) Jun 200, Jul 250,
# Aug 150 -> 600 mm a year = 6 hm3/kha (1 mm on 1 kha = 0.01 hm3). Net need of the whole area:
# Jun 20, Jul 25, Aug 15 -> 60 hm3. Efficiency 0.8 * 0.75 = 0.6, so the gross need is
# 60 / 0.6 = 100 hm3 (Jun 33.33, Jul 41.67, Aug 25). S supplies a fraction f of the gross need
# of each month; what I does not take leaves by S -> O.
NEED_MM = [0, 0, 0, 0, 0, 200, 250, 150, 0, 0, 0, 0]
GROSS_NEED_HM3 = np.array(NEED_MM) * 0.01 * 10.0 / 0.6


def irrigation_basin(crop: tuple[float, float, float, float], fraction: float):
    """::

    S --> I (10 kha of one crop, efficiency 0.6, return fraction 0.5) --return--> O
    S ----------------------------------------------------------------------------> O
    """
    nodes = [
        node("S", "source"),
        node(
            "I",
            "irrigation",
            conveyance_efficiency=0.8,
            field_efficiency=0.75,
            return_fraction=0.5,
        ),
        node("O", "sink"),
    ]
    links = [link("S", "I"), link("S", "O"), link("I", "O", kind="return")]
    basin = make_basin(
        nodes,
        links,
        crops=crops_table({"crop": crop}),
        crop_water_requirements=monthly_table({"crop": NEED_MM}),
        irrigated_areas=areas_table({("I", "crop"): 10_000.0}),
    )
    return with_months(basin, 12, {"S": fraction * GROSS_NEED_HM3})


# cotton-like, Ky = 0.85 < 1: Ym 4 t/ha, 500 USD/t, 200 USD/ha. An extra ha with no extra water
# yields Ym (1 - Ky) = 0.6 t = 300 USD > 200 USD, so the whole 10 kha is always sown and the
# water is spread over it. P (kt) = Ym (1 - Ky) A + Ky Ym W / NIR = 4*0.15*10 + 0.85*4*W/6
#   f = 1:   W = 60 -> 6 + 34 = 40 kt (= Ym A)
#   f = 0.5: W = 30 -> 6 + 17 = 23 kt
#   f = 0:   W = 0  -> 6 kt (the linear form's yield without irrigation)
COTTON = (0.85, 4.0, 500.0, 200.0)


@pytest.mark.parametrize(
    ("fraction", "area_ha", "water_hm3", "production_t"),
    [
        (1.0, 10_000.0, 60.0, 40_000.0),
        (0.5, 10_000.0, 30.0, 23_000.0),
        (0.0, 10_000.0, 0.0, 6_000.0),
    ],
)
def test_yield_response_ky_below_one(fraction, area_ha, water_hm3, production_t):
    r = run(irrigation_basin(COTTON, fraction))
    ds = r.ds
    assert float(ds["crop_area"].sel(node="I", crop="crop", year=2030)) == pytest.approx(
        area_ha, abs=1e-3
    )
    assert float(ds["crop_water"].sel(node="I", crop="crop").sum()) == pytest.approx(
        water_hm3, abs=TOL
    )
    assert float(ds["production"].sel(node="I", crop="crop", year=2030)) == pytest.approx(
        production_t, abs=1e-3
    )
    # gross delivery = net / 0.6; revenue = 500 USD/t * production
    assert r.at("delivery", "I").sum() == pytest.approx(water_hm3 / 0.6, abs=TOL)
    assert float(ds["crop_revenue"].sel(node="I", crop="crop", year=2030)) == pytest.approx(
        500.0 * production_t, rel=1e-9
    )


# maize-like, Ky = 1.25 > 1: Ym 8 t/ha, 200 USD/t, 300 USD/ha. P = -2 A + 10 W / 6 (kt) falls
# with area at fixed water, so the district fully irrigates only the area its water covers
# (A = W / NIR) and fallows the rest: P = Ym * A; with no water, P >= 0 leaves no area.
#   f = 1:   A = 10 kha, W = 60 -> -20 + 100 = 80 kt
#   f = 0.5: A = 30 / 6 = 5 kha -> -10 + 50 = 40 kt (10 kha would give -20 + 50 = 30 kt)
#   f = 0:   A = 0 -> 0 kt
MAIZE = (1.25, 8.0, 200.0, 300.0)


@pytest.mark.parametrize(
    ("fraction", "area_ha", "water_hm3", "production_t"),
    [(1.0, 10_000.0, 60.0, 80_000.0), (0.5, 5_000.0, 30.0, 40_000.0), (0.0, 0.0, 0.0, 0.0)],
)
def test_yield_response_ky_above_one(fraction, area_ha, water_hm3, production_t):
    ds = run(irrigation_basin(MAIZE, fraction)).ds
    assert float(ds["crop_area"].sel(node="I", crop="crop", year=2030)) == pytest.approx(
        area_ha, abs=1e-3
    )
    assert float(ds["crop_water"].sel(node="I", crop="crop").sum()) == pytest.approx(
        water_hm3, abs=TOL
    )
    production = float(ds["production"].sel(node="I", crop="crop", year=2030))
    assert production == pytest.approx(production_t, abs=1e-3)
    assert production >= 0.0


# --- 7. losses and return flows -------------------------------------------------------------------


def test_link_loss_reduces_what_arrives():
    """A quarter of what enters S -> D is lost on the way; D returns 40 % of its delivery.

    ::

        S (100) --(loss 0.25)--> D (100 hm3 at 0.05, return 0.4) --return--> O
        S ----------------------------------------------------------------> O
    """
    nodes = [
        node("S", "source"),
        demand_node("D", [(1.0, 0.05)], return_fraction=0.4),
        node("O", "sink"),
    ]
    links = [link("S", "D", loss_fraction=0.25), link("S", "O"), link("D", "O", kind="return")]
    basin = with_months(make_basin(nodes, links), 1, {"S": 100.0}, demand_hm3={"D": [100.0]})
    r = run(basin)
    # All 100 go down S -> D: 25 are lost, 75 arrive and are delivered (short 25).
    assert r.flow("S", "D")[0] == pytest.approx(100.0, abs=TOL)
    assert float(r.ds["link_loss"].sel(link="S>D")[0]) == pytest.approx(25.0, abs=TOL)
    assert r.at("delivery", "D")[0] == pytest.approx(75.0, abs=TOL)
    assert r.at("shortage", "D")[0] == pytest.approx(25.0, abs=TOL)
    # D returns 0.4 * 75 = 30 to O and consumes 45
    assert r.flow("D", "O")[0] == pytest.approx(30.0, abs=TOL)
    assert r.at("return_flow", "D")[0] == pytest.approx(30.0, abs=TOL)
    assert r.at("consumption", "D")[0] == pytest.approx(45.0, abs=TOL)
    assert r.at("sink_inflow", "O")[0] == pytest.approx(30.0, abs=TOL)
    # one more hm3 at S delivers 0.75 hm3 worth 0.05: 0.0375 USD/m3; at D itself 0.05
    assert r.at("marginal_value", "S")[0] == pytest.approx(0.0375, abs=TOL)
    assert r.at("marginal_value", "D")[0] == pytest.approx(0.05, abs=TOL)
    assert r.report.objective_musd == pytest.approx(75.0 * 0.05, abs=TOL)


def test_irrigation_return_flow_reaches_the_return_node():
    """The district of the yield tests, fully supplied: its losses return in part to J.

    ::

        S --> I (efficiency 0.6, return fraction 0.5) --return--> J --> O
        S ------------------------------------------------------> J
    """
    nodes = [
        node("S", "source"),
        node(
            "I", "irrigation", conveyance_efficiency=0.8, field_efficiency=0.75, return_fraction=0.5
        ),
        node("J", "junction"),
        node("O", "sink"),
    ]
    links = [link("S", "I"), link("S", "J"), link("I", "J", kind="return"), link("J", "O")]
    basin = make_basin(
        nodes,
        links,
        crops=crops_table({"crop": COTTON}),
        crop_water_requirements=monthly_table({"crop": NEED_MM}),
        irrigated_areas=areas_table({("I", "crop"): 10_000.0}),
    )
    r = run(with_months(basin, 12, {"S": 200.0}))
    # Net need Jun 20, Jul 25, Aug 15; gross = net / 0.6 = 33.33, 41.67, 25;
    # return = 0.5 * (gross - net) = 6.67, 8.33, 5 (20 a year); consumption = gross - return.
    net = np.array(NEED_MM) * 0.01 * 10.0
    gross = net / 0.6
    ret = 0.5 * (gross - net)
    np.testing.assert_allclose(r.at("delivery", "I"), gross, atol=TOL)
    np.testing.assert_allclose(r.flow("I", "J"), ret, atol=TOL)
    np.testing.assert_allclose(r.at("return_flow", "I"), ret, atol=TOL)
    np.testing.assert_allclose(r.at("consumption", "I"), gross - ret, atol=TOL)
    assert r.flow("I", "J").sum() == pytest.approx(20.0, abs=TOL)
    # what reaches O each month: 200 - consumption (e.g. June 200 - 26.67 = 173.33)
    np.testing.assert_allclose(r.at("sink_inflow", "O"), 200.0 - (gross - ret), atol=TOL)


def test_municipal_return_flow():
    """A town of 500,000 at 200 l/day plus 36.525 hm3/yr of industry, returning 60 %.

    ::

        S (100) --> M (return 0.6) --return--> O
        S -----------------------------------> O
    """
    nodes = [node("S", "source"), node("M", "municipal", return_fraction=0.6), node("O", "sink")]
    links = [link("S", "M"), link("S", "O"), link("M", "O", kind="return")]
    municipal = pd.DataFrame(
        {
            "population": [500_000.0],
            "per_capita_l_per_day": [200.0],
            "industrial_hm3_per_year": [36.525],
        },
        index=pd.Index(["M"], name="node"),
    )
    basin = with_months(make_basin(nodes, links, municipal=municipal), 2, {"S": 100.0})
    r = run(basin)
    # per day: 500,000 * 200 l = 0.1 hm3, + 36.525 / 365.25 = 0.1 hm3 -> 0.2 hm3/day:
    # January 31 * 0.2 = 6.2, February 28 * 0.2 = 5.6. Return 0.6 * delivery.
    delivery = np.array([6.2, 5.6])
    np.testing.assert_allclose(r.at("demand", "M"), delivery, atol=TOL)
    np.testing.assert_allclose(r.at("delivery", "M"), delivery, atol=TOL)
    np.testing.assert_allclose(r.flow("M", "O"), 0.6 * delivery, atol=TOL)  # 3.72, 3.36
    np.testing.assert_allclose(r.at("consumption", "M"), 0.4 * delivery, atol=TOL)
    np.testing.assert_allclose(r.at("sink_inflow", "O"), 100.0 - 0.4 * delivery, atol=TOL)


# --- 10. the same case on ten-day and daily steps ---------------------------------------------


def monthly_totals(ds, name: str) -> np.ndarray:
    """Sum of a volume over the steps of each month: (first dim, month)."""
    return ds[name].resample(time="MS").sum(skipna=False).to_numpy()


@pytest.mark.parametrize("step", ["decade", "day"])
@pytest.mark.parametrize(
    "case",
    [
        # the two one-reservoir cases above: their monthly answers are unique
        dict(capacity=1000.0, inflow=[60.0, 0.0, 0.0], demand=[0.0, 0.0, 100.0]),
        dict(
            capacity=250.0,
            inflow=[400.0, 0.0, 0.0],
            demand=[100.0, 100.0, 100.0],
            end_storage="value",
            terminal_value=0.01,
        ),
    ],
)
def test_step_length_does_not_change_monthly_volumes(step, case):
    """Inflows (rates) repeat over the steps of a month, demands (volumes) are shared by days;
    a month's volumes are the same whatever the step (S -> R -> D -> O as above)."""
    monthly = one_reservoir(**case)
    finer = one_reservoir(**case, step=step)
    assert finer.ds.sizes["time"] == {"decade": 9, "day": 31 + 28 + 31}[step]
    for name in ("inflow", "link_flow", "delivery", "demand", "shortage", "sink_inflow"):
        np.testing.assert_allclose(
            monthly_totals(finer.ds, name),
            monthly.ds[name].to_numpy(),
            atol=1e-6,
            err_msg=name,
        )
    # storage at the end of each month = storage at the end of its last step
    month_end = finer.ds["storage"].resample(time="MS").last().sel(node="R").to_numpy()
    np.testing.assert_allclose(month_end, monthly.at("storage", "R"), atol=1e-6)
    assert finer.report.objective_musd == pytest.approx(monthly.report.objective_musd, abs=1e-6)


# --- more hand cases: evaporation, link capacity, town shortage, discounting -------------------


def test_reservoir_evaporation_from_the_area_of_the_mean_storage():
    """A 100 hm3 reservoir with 100 mm of net evaporation in January and nothing else.

    ::

        S (0) --> R (S0 = 100 hm3, area = 10 + 0.1 S km2, end water worth 0.01) --> O
    """
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=200.0,
            initial_storage_hm3=100.0,
            end_storage="value",
            terminal_value_usd_per_m3=0.01,
        ),
        node("O", "sink"),
    ]
    basin = make_basin(
        nodes,
        [link("S", "R"), link("R", "O")],
        # a straight area-storage line, so the least-squares fit is exact: A = 10 + 0.1 S
        level_area_storage={"R": las_table([50, 60, 70], [10, 20, 30], [0, 100, 200])},
        evaporation=monthly_table({"R": [100] + [0] * 11}),
    )
    r = run(with_months(basin, 2, {"S": 0.0}))
    # Nothing is released (water kept is worth 0.01). January:
    #   S1 = 100 - 0.1 m * (10 + 0.1 * (100 + S1) / 2) km2 = 98.5 - 0.005 S1
    #   -> S1 = 98.5 / 1.005 = 98.00995 hm3; evaporation 1.99005 hm3. February: none.
    np.testing.assert_allclose(r.at("storage", "R"), [98.5 / 1.005] * 2, atol=TOL)
    np.testing.assert_allclose(r.at("evaporation", "R"), [100 - 98.5 / 1.005, 0.0], atol=TOL)
    # one more hm3 in January raises S1 by only 1 / 1.005 (part of it evaporates):
    # 0.01 / 1.005 = 0.00995 USD/m3; in February 0.01
    np.testing.assert_allclose(r.at("marginal_value", "R"), [0.01 / 1.005, 0.01], atol=TOL)


def test_link_capacity_has_a_shadow_price():
    """The two users of test 2 with 150 hm3, but A's canal carries at most 20 m3/s.

    ::

        S (150) --(<= 20 m3/s)--> A (100 hm3 at 0.08) --> O
        S ----------------------> B (100 hm3 at 0.03) --> O
        S ---------------------------------------------> O
    """
    nodes = [
        node("S", "source"),
        demand_node("A", [(1.0, 0.08)]),
        demand_node("B", [(1.0, 0.03)]),
        node("O", "sink"),
    ]
    links = [
        link("S", "A", capacity_m3s=20.0),
        link("S", "B"),
        link("S", "O"),
        link("A", "O"),
        link("B", "O"),
    ]
    basin = with_months(
        make_basin(nodes, links), 1, {"S": 150.0}, demand_hm3={"A": [100.0], "B": [100.0]}
    )
    r = run(basin)
    # 20 m3/s in January = 53.568 hm3 to A; B gets the other 96.432 (partly served: 0.03)
    assert r.at("delivery", "A")[0] == pytest.approx(53.568, abs=TOL)
    assert r.at("delivery", "B")[0] == pytest.approx(96.432, abs=TOL)
    assert r.at("marginal_value", "S")[0] == pytest.approx(0.03, abs=TOL)
    assert r.at("marginal_value", "A")[0] == pytest.approx(0.08, abs=TOL)
    # one more hm3 of canal capacity moves 1 hm3 from B to A: 0.08 - 0.03 = 0.05 USD/m3
    price = r.ds["link_capacity_price"].sel(link="S>A").item()
    assert price == pytest.approx(0.05, abs=TOL)
    assert r.ds["link_capacity_price"].sel(link="S>B").item() == pytest.approx(0.0, abs=TOL)


def test_town_short_of_water_values_it_at_its_penalty():
    """The town of the return-flow test (6.2 hm3 in January) with only 4 hm3 upstream.

    ::

        S (4) --> M (penalty 10 USD/m3, return 0.6) --return--> O
        S --------------------------------------------------> O
    """
    nodes = [node("S", "source"), node("M", "municipal", return_fraction=0.6), node("O", "sink")]
    links = [link("S", "M"), link("S", "O"), link("M", "O", kind="return")]
    municipal = pd.DataFrame(
        {
            "population": [500_000.0],
            "per_capita_l_per_day": [200.0],
            "industrial_hm3_per_year": [36.525],
        },
        index=pd.Index(["M"], name="node"),
    )
    r = run(with_months(make_basin(nodes, links, municipal=municipal), 1, {"S": 4.0}))
    # all 4 hm3 delivered, 2.2 short; 2.4 returned to O; objective -10 * 2.2 = -22 MUSD
    assert r.at("delivery", "M")[0] == pytest.approx(4.0, abs=TOL)
    assert r.at("shortage", "M")[0] == pytest.approx(2.2, abs=TOL)
    assert r.at("return_flow", "M")[0] == pytest.approx(2.4, abs=TOL)
    assert r.report.objective_musd == pytest.approx(-22.0, abs=TOL)
    assert r.at("marginal_value", "S")[0] == pytest.approx(10.0, abs=TOL)


def test_discounting_lowers_the_objective_not_the_marginal_values():
    """The two users of test 2 (150 hm3 a month) over 2030-2031 at a 10 % discount rate.

    Each month is worth 100 * 0.08 + 50 * 0.03 = 9.5 MUSD undiscounted, times
    1.1 ** -(days from 2030-01-01 to the month's start / 365.25).
    """
    nodes = [
        node("S", "source"),
        demand_node("A", [(1.0, 0.08)]),
        demand_node("B", [(1.0, 0.03)]),
        node("O", "sink"),
    ]
    links = [link("S", "A"), link("S", "B"), link("S", "O"), link("A", "O"), link("B", "O")]
    basin = with_months(
        make_basin(nodes, links),
        24,
        {"S": 150.0},
        demand_hm3={"A": [100.0] * 24, "B": [100.0] * 24},
    )
    r = run(basin, discount_rate=0.1)
    starts = pd.date_range("2030-01-01", periods=24, freq="MS")
    factors = 1.1 ** -((starts - starts[0]).days.to_numpy() / 365.25)
    assert factors[12] == pytest.approx(1.1 ** (-365 / 365.25))
    assert r.report.objective_musd == pytest.approx(9.5 * factors.sum(), rel=1e-9)
    # the marginal value is shown in undiscounted USD/m3: 0.03 in every month of both years
    np.testing.assert_allclose(r.at("marginal_value", "S"), 0.03, atol=TOL)
    assert r.ds.attrs["discount_rate"] == 0.1
