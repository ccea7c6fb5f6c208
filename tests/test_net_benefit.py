"""One net benefit: the economic terms of the objective, without the turbine tie-breaker,
the Taylor cut and lift or penalties (shown apart), the same in ``nexusmodel run``,
``--mode all`` and the report (issue 11).

Hand basin, one month (January 2030, 1 m3/s = 2.6784 hm3)::

    S (30 hm3) --> H (run-of-river: 50 m, eta 0.9, 20 m3/s, 100 MW) --> O  (min flow 25 hm3,
                    \\--> D (20 hm3: 10 at 0.9 USD/m3, 10 at 0.02)      penalty 0.5 USD/m3)
    E: 100 GWh demand, thermal at 60 USD/MWh

All 30 hm3 pass the turbines (both outflows are river links): 30 x 0.002725 x 0.9 x 50 =
3.67875 GWh; thermal 96.32125 GWh at 0.06 MUSD/GWh = 5.779275 MUSD. D's first 10 hm3 are
worth 0.9 > the 0.5 penalty: D takes 10 (9.0 MUSD), O gets 20, 5 hm3 short of its minimum
(2.5 MUSD of penalty). Net benefit = 9.0 - 5.779275 = 3.220725 MUSD; penalties 2.5;
objective = 3.220725 - 2.5 + 1e-4 x 30 (tie-breaker) = 0.723725.
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from model_factory import energy_table, link, make_basin, node, run, with_months
from test_model_hand import demand_node

HM3_PER_M3S = 2.6784


def hand_run():
    nodes = [
        node("S", "source"),
        node(
            "H",
            "hydropower",
            installed_mw=100.0,
            efficiency=0.9,
            max_turbine_flow_m3s=20.0,
            head_m=50.0,
        ),
        demand_node("D", [(0.5, 0.9), (0.5, 0.02)]),
        node("O", "sink"),
        node("E", "energy_system", thermal_capacity_mw=1000.0),
    ]
    links = [
        link("S", "H"),
        link("H", "O", min_flow_m3s=25.0 / HM3_PER_M3S, min_flow_penalty_usd_per_m3=0.5),
        link("H", "D"),
        link("D", "O"),
    ]
    basin = make_basin(nodes, links, energy=energy_table("E", 100.0, 60.0))
    return run(with_months(basin, 1, {"S": 30.0}, demand_hm3={"D": [20.0]}))


def test_net_benefit_is_the_hand_sum_and_penalties_stand_apart():
    r = hand_run()
    attrs = r.ds.attrs
    assert r.at("delivery", "D")[0] == pytest.approx(10.0, abs=1e-6)
    assert attrs["net_benefit_musd"] == pytest.approx(9.0 - 5.779275, abs=1e-6)
    assert attrs["net_benefit_demand_benefit_musd"] == pytest.approx(9.0, abs=1e-6)
    assert attrs["net_benefit_energy_musd"] == pytest.approx(-5.779275, abs=1e-6)
    assert attrs["penalties_musd"] == pytest.approx(2.5, abs=1e-6)
    assert attrs["penalty_min_flow_deficit_musd"] == pytest.approx(2.5, abs=1e-6)
    # the LP objective differs by the penalties and the tie-breaker only
    assert attrs["objective_musd"] == pytest.approx(0.723725, abs=1e-6)
    assert attrs["discount_rate"] == 0.0


NUMBER = r"(-?[\d,]+(?:\.\d+)?)"


def test_run_and_mode_all_print_the_same_net_benefit(tmp_path, monkeypatch):
    """``nexusmodel run`` and ``--mode all`` on the tiny file basin: the one-run line and the
    optimize column of the foresight table give the same net benefit, and it is the
    results' attribute (not the objective)."""
    import xarray as xr

    from basin_factory import tiny_basin
    from nexusmodel.cli import app

    folder = tiny_basin(tmp_path / "basin")
    scenario = tmp_path / "one_year.yaml"
    scenario.write_text(f"basin: {folder}\nhorizon:\n  start: '2030-01'\n  years: 1\n")
    monkeypatch.chdir(tmp_path)
    env = {"COLUMNS": "250"}
    one = CliRunner().invoke(app, ["run", str(scenario)], env=env)
    assert one.exit_code == 0, one.output
    printed = re.search(r"net benefit " + NUMBER + r" million USD", one.output)
    assert printed, one.output
    assert "discounted at" in one.output and "penalties" in one.output
    ds = xr.open_dataset(tmp_path / "results" / "one_year.nc")
    net = float(ds.attrs["net_benefit_musd"])
    assert float(printed.group(1).replace(",", "")) == pytest.approx(net, abs=0.5)
    tie = 1e-4 * float(ds["turbine_flow"].sum())
    assert net - float(ds.attrs["penalties_musd"]) == pytest.approx(
        float(ds.attrs["objective_musd"]) - tie, abs=1e-6
    )
    every = CliRunner().invoke(app, ["run", str(scenario), "--mode", "all"], env=env)
    assert every.exit_code == 0, every.output
    line = next(x for x in every.output.splitlines() if "net benefit (MUSD" in x)
    optimize_value = re.findall(NUMBER, line.split(")", 1)[1])[0]
    assert float(optimize_value.replace(",", "")) == pytest.approx(net, abs=0.05)
