"""Interstate withdrawal limits (issue 11): what a country's users may take in a year or a
season, binding or priced. Hand-worked on twelve months of 2030.

    S (200 hm3 a month) --> J --> A (KZ: 60 hm3 a month at 0.1 USD/m3) --> O
                            J --> B (UZ: 60 hm3 a month at 0.05 USD/m3) --> O
                            J --> O

Without a limit both are served in full: 720 hm3 each (72 + 36 = 108 MUSD).
"""

from __future__ import annotations

import pytest

from model_factory import link, make_basin, node, run, with_months
from nexusmodel.basin.basin import Policy, WithdrawalLimit
from test_model_hand import demand_node

TOL = 1e-6
SUMMER = (4, 5, 6, 7, 8, 9)


def two_countries(*limits: WithdrawalLimit):
    nodes = [
        node("S", "source", country="KZ"),
        node("J", "junction", country="KZ"),
        demand_node("A", [(1.0, 0.1)], country="KZ"),
        demand_node("B", [(1.0, 0.05)], country="UZ"),
        node("O", "sink", country="KZ"),
    ]
    links = [link("S", "J"), link("J", "A"), link("J", "B"), link("J", "O")]
    links += [link("A", "O"), link("B", "O")]
    basin = with_months(
        make_basin(nodes, links), 12, {"S": 200.0}, demand_hm3={"A": [60.0] * 12, "B": [60.0] * 12}
    )
    return run(basin.with_policy(Policy(withdrawal_limits=limits)))


def total(r, name: str) -> float:
    return float(r.at("delivery", name).sum())


def test_without_a_limit_everyone_is_served():
    r = two_countries()
    assert total(r, "A") == pytest.approx(720.0, abs=TOL)
    assert r.ds.attrs["net_benefit_musd"] == pytest.approx(108.0, abs=TOL)


def test_a_hard_annual_limit_binds():
    """Kazakhstan may take 0.5 km3 a year: A gets 500 hm3 (50 MUSD), B its 720 (36 MUSD)."""
    r = two_countries(WithdrawalLimit("KZ", tuple(range(1, 13)), 500.0, True, 1.0))
    assert total(r, "A") == pytest.approx(500.0, abs=TOL)
    assert total(r, "B") == pytest.approx(720.0, abs=TOL)
    assert r.ds.attrs["net_benefit_musd"] == pytest.approx(86.0, abs=TOL)


def test_a_priced_limit_is_exceeded_when_water_is_worth_more_than_the_price():
    """At 0.03 USD/m3 beyond the limit A (0.1) still takes its 720: 220 hm3 over, 6.6 MUSD."""
    r = two_countries(WithdrawalLimit("KZ", tuple(range(1, 13)), 500.0, False, 0.03))
    assert total(r, "A") == pytest.approx(720.0, abs=TOL)
    assert r.report.objective_musd == pytest.approx(108.0 - 6.6, abs=TOL)
    # and at 0.2 USD/m3 (more than A's 0.1) it keeps to the limit
    r = two_countries(WithdrawalLimit("KZ", tuple(range(1, 13)), 500.0, False, 0.2))
    assert total(r, "A") == pytest.approx(500.0, abs=TOL)


def test_a_seasonal_limit_binds_in_its_months_only():
    """At most 0.2 km3 in April-September: A takes 200 there and 360 in the other months."""
    r = two_countries(WithdrawalLimit("KZ", SUMMER, 200.0, True, 1.0))
    a = r.at("delivery", "A")
    assert a[3:9].sum() == pytest.approx(200.0, abs=TOL)
    assert a[[0, 1, 2, 9, 10, 11]].sum() == pytest.approx(360.0, abs=TOL)


def test_the_scenario_sets_limits_by_country(tmp_path):
    from basin_factory import tiny_basin
    from nexusmodel.errors import InputError
    from nexusmodel.run import applied_scenario

    folder = tiny_basin(tmp_path / "basin")
    good = tmp_path / "good.yaml"
    country = __import__("yaml").safe_load((folder / "basin.yaml").read_text())["countries"][0]
    good.write_text(
        f"basin: {folder}\nhorizon: {{start: '2030-01', years: 1}}\npolicy:\n"
        f"  withdrawal_limits:\n    {country}: {{max_km3: 0.25, months: [Apr, May], hard: false}}\n"
    )
    _scenario, basin = applied_scenario(good)
    (rule,) = basin.policy.withdrawal_limits
    assert rule == WithdrawalLimit(country, (4, 5), 250.0, False, 1.0)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace(f"    {country}:", "    XX:"))
    with pytest.raises(InputError, match="withdrawal_limits"):
        applied_scenario(bad)
