"""Hard rules that cannot be met are diagnosed by name, node, period and shortfall; the same
rules made soft are paid for at their penalty. Shortfalls are worked out by hand (hm3).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from model_factory import las_table, link, make_basin, monthly_table, node, run, with_months
from nexusmodel.errors import InfeasibleError, NexusModelError

TOL = 1e-6


def lake_basin(hard: bool, demand_value: float = 0.3, loss: float = 0.1):
    """A terminal lake A with an annual inflow target of 1000 hm3, and a user D upstream.

    ::

        S --(loss 0.1)--> A  "Aral Sea" (terminal; target 1000 hm3/yr, penalty 0.5 USD/m3)
        |
        +--> D (20 hm3/month at ``demand_value``) --> O
    """
    nodes = [
        node("S", "source"),
        node(
            "A",
            "environment",
            name="Aral Sea",
            terminal=True,
            annual_target_hm3=1000.0,
            hard=hard,
            penalty_usd_per_m3=0.5,
        ),
        node(
            "D",
            "demand",
            monthly_demand_hm3=[20.0] * 12,
            benefit_segments=[{"share": 1.0, "value_usd_per_m3": demand_value}],
        ),
        node("O", "sink"),
    ]
    links = [link("S", "A", loss_fraction=loss), link("S", "D"), link("D", "O")]
    return make_basin(nodes, links)


def test_hard_annual_target_larger_than_the_inflow_is_named():
    # 50 hm3 a month = 600 hm3 in 2030; 10 % is lost on the way: at most 540 reach A, even
    # with D given nothing. The target of 1000 hm3 is short by 1000 - 540 = 460 hm3.
    basin = with_months(lake_basin(hard=True), 12, {"S": 50.0})
    with pytest.raises(InfeasibleError) as caught:
        run(basin)
    message = str(caught.value)
    assert "environmental annual target" in message  # the rule, by name
    assert "A (Aral Sea)" in message  # the node, by id and name
    assert "in 2030" in message  # the year
    assert "short by 460.0 hm3" in message  # the shortfall
    assert "smallest total breach is 460.0 hm3" in message
    # only that rule is breached (D's demand is not a rule)
    assert len(re.findall(r"^  - ", message, flags=re.MULTILINE)) == 1
    assert isinstance(caught.value, NexusModelError)


def test_each_year_short_is_listed_largest_first():
    # 2030: 50 a month -> 540 arrive, short 460; 2031: 80 a month -> 960 * 0.9 = 864 arrive,
    # short 136. Total breach 596.
    inflow = [50.0] * 12 + [80.0] * 12
    basin = with_months(lake_basin(hard=True), 24, {"S": inflow})
    with pytest.raises(InfeasibleError) as caught:
        run(basin)
    lines = [line for line in str(caught.value).splitlines() if line.startswith("  - ")]
    assert len(lines) == 2
    assert "in 2030" in lines[0] and "short by 460.0 hm3" in lines[0]
    assert "in 2031" in lines[1] and "short by 136.0 hm3" in lines[1]
    assert "smallest total breach is 596.0 hm3" in str(caught.value)


def test_hard_minimum_flow_names_the_month():
    """::

    S --> E "Delta" (hard minimum 30 m3/s) --> O
    """
    nodes = [
        node("S", "source"),
        node("E", "environment", name="Delta", min_flow_m3s=30.0, hard=True),
        node("O", "sink"),
    ]
    basin = with_months(
        make_basin(nodes, [link("S", "E"), link("E", "O")]), 3, {"S": [100.0, 100.0, 30.0]}
    )
    # 30 m3/s is 80.352 hm3 in January and March (31 days), 72.576 in February (28 days):
    # only March (30 hm3) is short, by 80.352 - 30 = 50.352 hm3.
    with pytest.raises(InfeasibleError) as caught:
        run(basin)
    message = str(caught.value)
    assert "environmental minimum flow at E (Delta) in 2030-03: short by 50.4 hm3" in message
    assert "2030-01" not in message and "2030-02" not in message


def test_hard_minimum_flow_on_ten_day_steps_names_each_step():
    """The delta of the previous test on ten-day steps: March's shortfall by decade."""
    nodes = [
        node("S", "source"),
        node("E", "environment", name="Delta", min_flow_m3s=30.0, hard=True),
        node("O", "sink"),
    ]
    basin = with_months(
        make_basin(nodes, [link("S", "E"), link("E", "O")]), 3, {"S": [100.0, 100.0, 30.0]}
    )
    with pytest.raises(InfeasibleError) as caught:
        run(basin, step="decade")
    message = str(caught.value)
    # March inflow 30 hm3 is a rate of 30 / 31 hm3 a day. Need 30 m3/s = 2.592 hm3 a day.
    # 1-10 and 11-20 March: 25.92 - 9.677 = 16.243; 21-31 March (11 days): 28.512 - 10.645
    # = 17.867; together 50.352 as by months.
    assert "environmental minimum flow at E (Delta) in 2030-03-21: short by 17.9 hm3" in message
    assert "in 2030-03-01: short by 16.2 hm3" in message
    assert "in 2030-03-11: short by 16.2 hm3" in message
    assert "smallest total breach is 50.4 hm3" in message


def test_annual_target_of_a_part_year_is_prorated():
    # Three months of 2030 (31 + 28 + 31 = 90 days): target 1000 * 90 / 365 = 246.575 hm3;
    # 3 * 50 * 0.9 = 135 arrive: short by 111.575 hm3.
    basin = with_months(lake_basin(hard=True), 3, {"S": 50.0})
    with pytest.raises(InfeasibleError, match=r"A \(Aral Sea\) in 2030: .* short by 111\.6 hm3"):
        run(basin)


def test_end_storage_that_evaporation_makes_impossible():
    """::

    S (0) --> R (S0 = 100 hm3, must end at 100; area 10 + 0.1 S km2; 100 mm in January) --> O
    """
    nodes = [
        node("S", "source"),
        node("R", "reservoir", name="Lake R", capacity_hm3=200.0, initial_storage_hm3=100.0),
        node("O", "sink"),
    ]
    basin = make_basin(
        nodes,
        [link("S", "R"), link("R", "O")],
        level_area_storage={"R": las_table([50, 60, 70], [10, 20, 30], [0, 100, 200])},
        evaporation=monthly_table({"R": [100] + [0] * 11}),
    )
    # January evaporates 100 - 98.5 / 1.005 = 1.990 hm3 (see test_model_hand) and nothing
    # flows in: the end storage is short by 1.99 hm3.
    with pytest.raises(InfeasibleError) as caught:
        run(with_months(basin, 2, {"S": 0.0}))
    assert "final storage of R (Lake R) below its initial storage by 2.0 hm3" in str(caught.value)


def test_hard_town_supply():
    """::

    S (4 hm3) --> M (6.2 hm3 in January, hard) --return--> O
    """
    nodes = [node("S", "source"), node("M", "municipal", name="Town"), node("O", "sink")]
    municipal = pd.DataFrame(
        {
            "population": [500_000.0],
            "per_capita_l_per_day": [200.0],
            "industrial_hm3_per_year": [36.525],
        },
        index=pd.Index(["M"], name="node"),
    )
    links = [link("S", "M"), link("S", "O"), link("M", "O", kind="return")]
    basin = with_months(make_basin(nodes, links, municipal=municipal), 1, {"S": 4.0})
    # 0.2 hm3 a day * 31 = 6.2 hm3 wanted, 4 available: short by 2.2
    with pytest.raises(InfeasibleError) as caught:
        run(basin, municipal_hard=True)
    assert "municipal supply of M (Town) short in 2030-01 by 2.2 hm3" in str(caught.value)


def test_env_hard_option_overrides_the_node():
    basin = with_months(lake_basin(hard=False), 12, {"S": 50.0})
    with pytest.raises(InfeasibleError, match="environmental annual target"):
        run(basin, env_hard=True)
    # and the other way round: a hard node made soft solves
    soft = run(with_months(lake_basin(hard=True), 12, {"S": 50.0}), env_hard=False)
    assert soft.ds["env_deficit"].sel(node="A").sum().item() == pytest.approx(460.0, abs=TOL)


def test_without_diagnosis_the_message_is_short():
    basin = with_months(lake_basin(hard=True), 12, {"S": 50.0})
    with pytest.raises(InfeasibleError, match="^the problem is infeasible$"):
        run(basin, diagnose_infeasible=False)


@pytest.mark.parametrize(
    ("demand_value", "to_d", "deficit", "objective", "marginal"),
    [
        # D (0.3) is worth less than the lake's penalty (0.5): all 600 hm3 go to A, 540 arrive,
        # deficit 460; objective -0.5 * 460 = -230. One more hm3 at S: 0.9 hm3 less deficit,
        # worth 0.45 USD/m3.
        (0.3, 0.0, 460.0, -230.0, 0.45),
        # D (0.8) is worth more than 0.9 * 0.5 = 0.45: D takes its 240, A gets 360 * 0.9 = 324,
        # deficit 676; objective 240 * 0.8 - 676 * 0.5 = 192 - 338 = -146. The marginal hm3
        # still goes to A (D is full): 0.45.
        (0.8, 240.0, 676.0, -146.0, 0.45),
    ],
)
def test_soft_annual_target_is_paid_at_its_penalty(
    demand_value, to_d, deficit, objective, marginal
):
    r = run(with_months(lake_basin(hard=False, demand_value=demand_value), 12, {"S": 50.0}))
    ds = r.ds
    assert r.at("delivery", "D").sum() == pytest.approx(to_d, abs=TOL)
    assert r.at("env_flow", "A").sum() == pytest.approx(0.9 * (600.0 - to_d), abs=TOL)
    # an annual shortfall is shown in the year's last month
    env_deficit = r.at("env_deficit", "A")
    assert env_deficit[-1] == pytest.approx(deficit, abs=TOL)
    np.testing.assert_allclose(env_deficit[:-1], 0.0, atol=TOL)
    assert r.report.objective_musd == pytest.approx(objective, abs=TOL)
    # the rule's price is its penalty in every month of the year; water at S is worth 0.9 of it
    np.testing.assert_allclose(r.at("env_rule_price", "A"), 0.5, atol=TOL)
    np.testing.assert_allclose(r.at("marginal_value", "S"), marginal, atol=TOL)
    assert ds.attrs["water_balance_max_residual_hm3"] < 1e-6
