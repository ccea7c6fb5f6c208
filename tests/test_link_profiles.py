"""Time-varying links (issue 13): capacity, minimum flow, loss and cost as monthly profiles
(twelve values, January to December), and a capacity as a volume per step. Losses and
capacities apply to the flow entering a link.

Two months, January and February 2030: 1 m3/s = 2.6784 hm3 in January (31 days) and
2.4192 hm3 in February (28 days). S brings 100 hm3 a month; D is worth 0.1 USD/m3 and asks
``demand`` hm3 a month; water D does not take leaves by S --> O.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from model_factory import link, make_basin, node, run, with_months
from nexusmodel.basin.schema import LinkSpec
from test_model_hand import demand_node

JAN, FEB = 2.6784, 2.4192
TOL = 1e-6


def two_months(
    to_d: dict, demand: float = 100.0, extra: list[dict] | None = None, inflow: float = 100.0
):
    """S --(the link under test)--> D --> O, and S --> O."""
    nodes = [
        node("S", "source"),
        demand_node("D", [(1.0, 0.1)]),
        node("O", "sink"),
    ]
    links = [link("S", "D", **to_d), link("S", "O"), link("D", "O"), *(extra or [])]
    basin = with_months(
        make_basin(nodes, links), 2, {"S": inflow}, demand_hm3={"D": [demand, demand]}
    )
    return run(basin)


def profile(jan: float, feb: float, rest: float = 0.0) -> list[float]:
    return [jan, feb] + [rest] * 10


def test_monthly_capacity_in_m3s():
    """10 m3/s in January, 20 in February: 26.784 and 48.384 hm3 reach D."""
    r = two_months({"capacity_m3s": profile(10.0, 20.0)})
    assert r.flow("S", "D") == pytest.approx([10 * JAN, 20 * FEB], abs=TOL)


def test_capacity_as_a_volume_per_step():
    """30 hm3 in January's step, 45 hm3 in February's: whatever the month's length."""
    r = two_months({"capacity_hm3_per_step": profile(30.0, 45.0)})
    assert r.flow("S", "D") == pytest.approx([30.0, 45.0], abs=TOL)
    scalar = two_months({"capacity_hm3_per_step": 40.0})
    assert scalar.flow("S", "D") == pytest.approx([40.0, 40.0], abs=TOL)


def test_monthly_minimum_flow():
    """S --> O must carry 10 m3/s in January and 20 in February (penalty 1 USD/m3 > D's 0.1):
    D gets 100 - 26.784 = 73.216 and 100 - 48.384 = 51.616 hm3."""
    nodes = [node("S", "source"), demand_node("D", [(1.0, 0.1)]), node("O", "sink")]
    links = [
        link("S", "D"),
        link("S", "O", min_flow_m3s=profile(10.0, 20.0), min_flow_penalty_usd_per_m3=1.0),
        link("D", "O"),
    ]
    basin = with_months(make_basin(nodes, links), 2, {"S": 100.0}, demand_hm3={"D": [100.0] * 2})
    r = run(basin)
    assert r.flow("S", "O") == pytest.approx([10 * JAN, 20 * FEB], abs=TOL)
    assert r.at("delivery", "D") == pytest.approx([100 - 10 * JAN, 100 - 20 * FEB], abs=TOL)
    assert r.ds["link_min_flow_deficit"].sum() == pytest.approx(0.0, abs=TOL)


def test_monthly_loss_applies_to_the_flow_entering_the_link():
    """Loss 10 % in January, 30 % in February; D asks 50 hm3: 50 / 0.9 = 55.556 and
    50 / 0.7 = 71.429 hm3 enter the link; 5.556 and 21.429 are lost."""
    r = two_months({"loss_fraction": profile(0.1, 0.3)}, demand=50.0)
    entering = [50.0 / 0.9, 50.0 / 0.7]
    assert r.flow("S", "D") == pytest.approx(entering, abs=TOL)
    assert r.at("delivery", "D") == pytest.approx([50.0, 50.0], abs=TOL)
    lost = r.ds["link_loss"].sel(link="S>D").to_numpy()
    assert lost == pytest.approx([0.1 * entering[0], 0.3 * entering[1]], abs=TOL)


def test_monthly_cost():
    """Carrying costs 0.05 USD/m3 in January (< D's 0.1: D served) and 0.2 in February (more
    than the water is worth: nothing sent). Net benefit 100 x (0.1 - 0.05) = 5 MUSD."""
    r = two_months({"cost_usd_per_m3": profile(0.05, 0.2)})
    assert r.flow("S", "D") == pytest.approx([100.0, 0.0], abs=TOL)
    assert r.ds.attrs["net_benefit_musd"] == pytest.approx(5.0, abs=TOL)


def test_a_link_takes_one_capacity_and_twelve_values():
    with pytest.raises(ValidationError, match="not both"):
        LinkSpec.model_validate(
            {"from": "A", "to": "B", "capacity_m3s": 1.0, "capacity_hm3_per_step": 2.0}
        )
    with pytest.raises(ValidationError):
        LinkSpec.model_validate({"from": "A", "to": "B", "capacity_m3s": [1.0] * 11})
    with pytest.raises(ValidationError):
        LinkSpec.model_validate({"from": "A", "to": "B", "loss_fraction": [1.5] * 12})


def test_flow_dependent_loss_fills_the_low_loss_segment_first():
    """10 % lost of the first 10 m3/s entering (26.784 hm3 in January), 30 % beyond. S brings
    60 hm3, all of it worth sending to D (asks 100): the first segment delivers
    0.9 x 26.784 = 24.1056, the other 33.216 hm3 deliver 0.7 x 33.216 = 23.2512; D gets
    47.3568 hm3, the concave outflow(inflow) at 60 hm3; 12.6432 are lost."""
    segments = [{"up_to_m3s": 10.0, "loss_fraction": 0.1}, {"loss_fraction": 0.3}]
    r = two_months({"loss_segments": segments}, demand=100.0, inflow=60.0)
    assert r.flow("S", "D")[0] == pytest.approx(60.0, abs=TOL)
    assert r.at("delivery", "D")[0] == pytest.approx(
        0.9 * 10 * JAN + 0.7 * (60 - 10 * JAN), abs=TOL
    )
    lost = r.ds["link_loss"].sel(link="S>D").to_numpy()[0]
    assert lost == pytest.approx(0.1 * 10 * JAN + 0.3 * (60 - 10 * JAN), abs=TOL)
    # February (28 days): the first segment is 10 x 2.4192 = 24.192 hm3 wide
    assert r.at("delivery", "D")[1] == pytest.approx(
        0.9 * 10 * FEB + 0.7 * (60 - 10 * FEB), abs=TOL
    )


def test_loss_segments_must_be_concave():
    with pytest.raises(ValidationError, match="must not fall"):
        LinkSpec.model_validate(
            {
                "from": "A",
                "to": "B",
                "loss_segments": [
                    {"up_to_m3s": 10.0, "loss_fraction": 0.3},
                    {"loss_fraction": 0.1},
                ],
            }
        )
    with pytest.raises(ValidationError, match="not both"):
        LinkSpec.model_validate(
            {
                "from": "A",
                "to": "B",
                "loss_fraction": 0.1,
                "loss_segments": [{"loss_fraction": 0.2}],
            }
        )
