"""The power system on hand-solved cases: two countries joined by a line, a CHP that must run,
a solar park's capacity factor; and bad power-system input with clear errors.

Units: GWh per month; a month of P MW is P * hours / 1000 GWh (January 2030: 744 h, February
672 h); 1 GWh at c USD/MWh is c / 1000 MUSD. Every run here sets ``discount_rate = 0``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from basin_factory import energy_rows, tiny_basin_parts, write_basin
from model_factory import energy_table, las_table, link, make_basin, node, run, with_months
from nexusmodel.basin.basin import Basin
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.load import load_basin
from nexusmodel.errors import InputError

TOL = 1e-6
K = 0.002725  # GWh per hm3 per m of head at efficiency 1


def with_power(basin: Basin, generators: list[dict], interconnectors: list[dict]) -> Basin:
    """The basin with these generators and lines (validated as basin.yaml would be)."""
    raw = basin.spec.model_dump(by_alias=True)
    raw.update(generators=generators, interconnectors=interconnectors)
    new = basin.with_spec(type(basin.spec).model_validate(raw))
    problems = check_basin(new)
    assert not problems, "\n".join(map(str, problems))
    return new


# --------------------------------------------------------------------------- two countries


def two_countries(line_mw: float) -> Any:
    """Two months (January, February 2030), discount rate 0, heads fixed::

        S --> R (reservoir + plant, country A) --> O
                 :
                 : energy                      line L, loss 10 %
                 v                             A ------------> B
        EA: 20 GWh a month                     EB: 60 GWh a month, gas 100 MW at 50 USD/MWh

    The reservoir holds 500 hm3 of 1000 at the start and must end there (``end_storage:
    initial``); its level runs linearly from 100 m (empty) to 200 m (full), so at 500 hm3 the
    level is 150 m and the head above the 50 m tailwater is 100 m: with efficiency 1, 1 hm3
    gives 0.002725 * 100 = 0.2725 GWh. 200 hm3 flow in in January, none in February: over the
    two months the plant turbines 200 hm3 = 54.5 GWh, stored between months as needed.

    Hand solution, line not binding (``line_mw = 100``: 74.4 and 67.2 GWh a month):
    A needs 40 GWh, so 14.5 GWh go over the line and 0.9 * 14.5 = 13.05 GWh arrive in B; gas
    makes 120 - 13.05 = 106.95 GWh (below its 74.4 + 67.2). Prices (duals): B's is gas, 50
    USD/MWh, in both months; one more GWh of demand in A is one GWh less sent, 0.9 GWh less
    arriving, replaced by gas: A's price is 0.9 * 50 = 45 USD/MWh in both months (the
    reservoir moves water freely between them). Objective: - 106.95 * 0.05 = -5.3475 MUSD.

    Line binding (``line_mw = 5``: 3.72 and 3.36 GWh a month, 7.08 GWh together): the line
    is full both months; A uses 40 GWh, sends 7.08, and 54.5 - 47.08 = 7.42 GWh are surplus
    (spilled or unused): one more GWh of demand in A costs nothing, A's price is 0. Gas makes
    120 - 0.9 * 7.08 = 113.628 GWh, B's price stays 50.
    """
    nodes = [
        node("S", "source", country="A"),
        node(
            "R",
            "reservoir",
            country="A",
            capacity_hm3=1000.0,
            initial_storage_hm3=500.0,
            end_storage="initial",
            hydropower={
                "installed_mw": 1000.0,
                "efficiency": 1.0,
                "max_turbine_flow_m3s": 5000.0,
                "tailwater_level_m": 50.0,
            },
        ),
        node("O", "sink", country="A"),
        node("EA", "energy_system", country="A"),
        node("EB", "energy_system", country="B"),
    ]
    energy = pd.concat([energy_table("EA", 20.0, 0.0), energy_table("EB", 60.0, 0.0)])
    basin = make_basin(
        nodes,
        [link("S", "R"), link("R", "O")],
        energy=energy,
        level_area_storage={"R": las_table([100.0, 200.0], [10.0, 20.0], [0.0, 1000.0])},
    )
    gas = {
        "id": "GAS",
        "name": "gas plant",
        "energy_system": "EB",
        "kind": "gas",
        "capacity_mw": 100.0,
        "efficiency": 0.5,
        "fuel_cost_usd_per_mwh_fuel": 20.0,  # 20 / 0.5 + 10 = 50 USD/MWh
        "variable_om_usd_per_mwh": 10.0,
        "co2_t_per_mwh_fuel": 0.2,  # 0.4 t per MWh of electricity
    }
    line = {"id": "L", "from": "EA", "to": "EB", "capacity_mw": line_mw, "loss_fraction": 0.1}
    basin = with_power(basin, [gas], [line])
    return run(with_months(basin, 2, {"S": [200.0, 0.0]}), head="fixed")


def test_two_countries_line_not_binding() -> None:
    r = two_countries(100.0)
    ds = r.ds
    assert float(ds["hydropower"].sel(country="A").sum()) == pytest.approx(54.5, abs=TOL)
    sent = ds["interconnector_flow"].sel(interconnector="L").to_numpy()
    assert (sent >= -TOL).all()
    assert sent.sum() == pytest.approx(14.5, abs=TOL)
    assert float(ds["interconnector_loss"].sum()) == pytest.approx(1.45, abs=TOL)
    assert float(ds["generation"].sel(generator="GAS").sum()) == pytest.approx(106.95, abs=TOL)
    assert float(ds["thermal"].sel(country="B").sum()) == pytest.approx(106.95, abs=TOL)
    assert float(ds["co2_emissions"].sel(country="B").sum()) == pytest.approx(0.4 * 106.95, abs=TOL)
    np.testing.assert_allclose(ds["energy_price"].sel(country="B"), [50.0, 50.0], atol=1e-6)
    np.testing.assert_allclose(ds["energy_price"].sel(country="A"), [45.0, 45.0], atol=1e-6)
    assert float(ds["unserved_energy"].sum()) == pytest.approx(0.0, abs=TOL)
    # the one net benefit is the gas bill (the LP objective adds a turbine tie-breaker)
    assert ds.attrs["net_benefit_musd"] == pytest.approx(-5.3475, abs=TOL)
    assert ds.attrs["net_benefit_energy_musd"] == pytest.approx(-5.3475, abs=TOL)


def test_two_countries_line_binding() -> None:
    r = two_countries(5.0)
    ds = r.ds
    np.testing.assert_allclose(
        ds["interconnector_flow"].sel(interconnector="L"), [3.72, 3.36], atol=TOL
    )
    assert float(ds["generation"].sel(generator="GAS").sum()) == pytest.approx(113.628, abs=TOL)
    np.testing.assert_allclose(ds["energy_price"].sel(country="A"), [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ds["energy_price"].sel(country="B"), [50.0, 50.0], atol=1e-6)
    # A's balance: hydro - sent - surplus = demand
    hydro = float(ds["hydropower"].sel(country="A").sum())
    surplus = float(ds["energy_surplus"].sel(country="A").sum())
    assert hydro - 7.08 - surplus == pytest.approx(40.0, abs=TOL)


# --------------------------------------------------------------------------- one system


def one_system(generators: list[dict], demand_gwh: float, months: int = 1) -> Any:
    """One energy system E with no plant on the river (a source flows to a sink)."""
    nodes = [node("S", "source"), node("O", "sink"), node("E", "energy_system")]
    basin = make_basin(nodes, [link("S", "O")], energy=energy_table("E", demand_gwh, 0.0))
    return run(with_months(with_power(basin, generators, []), months))


GAS = {
    "id": "GAS",
    "name": "gas",
    "energy_system": "E",
    "kind": "gas",
    "capacity_mw": 100.0,
    "variable_om_usd_per_mwh": 30.0,
}


def test_chp_must_run() -> None:
    """January (744 h): CHP 100 MW at 40 USD/MWh must run at half its capacity, 37.2 GWh;
    gas 100 MW at 30 USD/MWh. Demand 50 GWh: the CHP makes its 37.2, gas the other 12.8,
    and gas sets the price, 30 USD/MWh. Demand 30 GWh: the CHP still makes 37.2, 7.2 are
    surplus, gas makes nothing, and one more GWh of demand costs nothing: price 0."""
    chp = {
        "id": "CHP",
        "name": "chp",
        "energy_system": "E",
        "kind": "chp",
        "capacity_mw": 100.0,
        "variable_om_usd_per_mwh": 40.0,
        "must_run_fraction": [0.5] * 3 + [0.0] * 9,
    }
    ds = one_system([chp, GAS], 50.0).ds
    assert float(ds["generation"].sel(generator="CHP")[0]) == pytest.approx(37.2, abs=TOL)
    assert float(ds["generation"].sel(generator="GAS")[0]) == pytest.approx(12.8, abs=TOL)
    assert float(ds["energy_price"][0, 0]) == pytest.approx(30.0, abs=1e-6)
    assert float(ds["thermal_cost"].sum()) == pytest.approx((37.2 * 40 + 12.8 * 30) * 1000.0)
    ds = one_system([chp, GAS], 30.0).ds
    assert float(ds["generation"].sel(generator="CHP")[0]) == pytest.approx(37.2, abs=TOL)
    assert float(ds["generation"].sel(generator="GAS")[0]) == pytest.approx(0.0, abs=TOL)
    assert float(ds["energy_surplus"][0, 0]) == pytest.approx(7.2, abs=TOL)
    assert float(ds["energy_price"][0, 0]) == pytest.approx(0.0, abs=1e-6)


def test_solar_capacity_factor() -> None:
    """Solar 100 MW (no cost) with capacity factor 0.2 in January and 0.4 in February:
    at most 0.2 * 100 * 744 / 1000 = 14.88 and 0.4 * 100 * 672 / 1000 = 26.88 GWh; it runs
    to that limit against 50 GWh of demand, gas (30 USD/MWh) makes 35.12 and 23.12 GWh."""
    solar = {
        "id": "PV",
        "name": "solar",
        "energy_system": "E",
        "kind": "solar",
        "capacity_mw": 100.0,
        "availability": [0.2, 0.4] + [0.3] * 10,
    }
    ds = one_system([solar, GAS], 50.0, months=2).ds
    np.testing.assert_allclose(ds["generation"].sel(generator="PV"), [14.88, 26.88], atol=TOL)
    np.testing.assert_allclose(ds["generation"].sel(generator="GAS"), [35.12, 23.12], atol=TOL)
    np.testing.assert_allclose(ds["other_generation"][0], [14.88, 26.88], atol=TOL)
    np.testing.assert_allclose(ds["thermal"][0], [35.12, 23.12], atol=TOL)
    assert float(ds["co2_emissions"].sum()) == 0.0


# --------------------------------------------------------------------------- bad input


def broken(tmp_path: Path, **extra: Any) -> tuple[Path, InputError]:
    """The tiny basin with a second system ES_BB (country BB) and ``extra`` top-level keys."""
    parts = tiny_basin_parts()
    parts["nodes"].append(
        {
            "id": "ES_BB",
            "type": "energy_system",
            "name": "B power",
            "country": "BB",
            **extra.pop("bb", {}),
        }
    )
    parts["energy"] = pd.concat([energy_rows("ES_AA"), energy_rows("ES_BB")])
    energy_override = extra.pop("energy", None)
    if energy_override is not None:
        parts["energy"] = energy_override
    nodes_extra = extra.pop("nodes_extra", [])
    parts["nodes"] += nodes_extra
    folder = write_basin(tmp_path, extra=extra, **parts)
    with pytest.raises(InputError) as info:
        load_basin(folder)
    return folder, info.value


def problem(error: InputError, *fragments: str) -> str:
    found = [str(p) for p in error.problems if all(f in str(p) for f in fragments)]
    assert found, f"no problem with {fragments} in:\n{error}"
    return found[0]


LINE = {"id": "L1", "from": "ES_AA", "to": "ES_BB", "capacity_mw": 100.0, "loss_fraction": 0.03}
GEN = {"id": "G1", "name": "gas", "energy_system": "ES_BB", "kind": "gas", "capacity_mw": 100.0}


def test_interconnector_to_a_missing_system(tmp_path: Path) -> None:
    line = {**LINE, "to": "ES_CC"}
    folder, err = broken(tmp_path, interconnectors=[line])
    problem(
        err,
        str(folder / "basin.yaml"),
        "interconnectors[L1].to",
        "'ES_CC'",
        "no such energy system",
        "ES_BB",
    )


def test_interconnector_from_a_system_to_itself(tmp_path: Path) -> None:
    folder, err = broken(tmp_path, interconnectors=[{**LINE, "to": "ES_AA"}])
    problem(err, "interconnectors[L1].to", "joins ES_AA to itself")


def test_generator_of_a_missing_system(tmp_path: Path) -> None:
    folder, err = broken(tmp_path, generators=[{**GEN, "energy_system": "ES_XX"}])
    problem(err, str(folder / "basin.yaml"), "generators[G1].energy_system", "'ES_XX'")


@pytest.mark.parametrize(
    ("field", "value"),
    [("availability", -0.1), ("availability", 1.5), ("must_run_fraction", 2.0)],
)
def test_absurd_capacity_factors(tmp_path: Path, field: str, value: float) -> None:
    folder, err = broken(tmp_path, generators=[{**GEN, field: value}])
    problem(err, str(folder / "basin.yaml"), "generators", field, str(value))


def test_must_run_above_availability(tmp_path: Path) -> None:
    gen = {**GEN, "availability": 0.5, "must_run_fraction": 0.6}
    _folder, err = broken(tmp_path, generators=[gen])
    problem(err, "generators", "must_run_fraction 0.6 is above availability 0.5 in month 1")


def test_negative_capacity(tmp_path: Path) -> None:
    _folder, err = broken(tmp_path, generators=[{**GEN, "capacity_mw": -5.0}])
    problem(err, "generators", "capacity_mw", "-5")


def test_two_energy_systems_in_one_country(tmp_path: Path) -> None:
    second = {"id": "ES_AA2", "type": "energy_system", "name": "again", "country": "AA"}
    energy = pd.concat([energy_rows("ES_AA"), energy_rows("ES_BB"), energy_rows("ES_AA2")])
    folder, err = broken(tmp_path, nodes_extra=[second], energy=energy)
    problem(
        err,
        str(folder / "basin.yaml"),
        "nodes[ES_AA2].country",
        "already has the energy system ES_AA",
    )


def test_export_price_above_the_unserved_penalty(tmp_path: Path) -> None:
    """An export price above the unserved-energy penalty would pay the LP to leave demand
    unserved and export it; over a line, a linked system's lower penalty counts."""
    energy = pd.concat([energy_rows("ES_AA", imports=900.0, exports=600.0), energy_rows("ES_BB")])
    folder, err = broken(tmp_path, energy=energy)
    energy_file = str(folder / "energy.csv")
    problem(
        err,
        energy_file,
        "node ES_AA, month 1, export_price_usd_per_mwh",
        "= 600",
        "unserved-energy penalty (500 USD/MWh)",
    )
    # ES_BB's own penalty is high, but a line joins it to ES_AA (500)
    energy = pd.concat([energy_rows("ES_AA"), energy_rows("ES_BB", imports=900.0, exports=600.0)])
    high = {"unserved_penalty_usd_per_mwh": 5000.0}
    _folder, err = broken(tmp_path / "b", energy=energy, interconnectors=[LINE], bb=high)
    problem(err, "node ES_BB, month 1, export_price_usd_per_mwh", "(500 USD/MWh)")
    # without the line, ES_BB's exports at 600 are below its own 5000: no such problem
    _folder, err = broken(
        tmp_path / "c", energy=energy, bb=high, generators=[{**GEN, "capacity_mw": -1.0}]
    )
    assert not [p for p in err.problems if "unserved-energy penalty" in str(p)]


def test_a_co2_price_reorders_the_plants() -> None:
    """January, demand 50 GWh, two plants of 100 MW (74.4 GWh a month each): coal at 20
    USD/MWh with 1.0 t CO2/MWh (0.4 t/MWh of fuel at efficiency 0.4), gas at 30 USD/MWh with
    0.4 t/MWh. Without a carbon price coal runs (price 20); at 50 USD/t coal costs 20 + 50 =
    70 and gas 30 + 20 = 50: gas runs and sets the price, 50 USD/MWh."""
    coal = {
        "id": "COAL",
        "name": "coal",
        "energy_system": "E",
        "kind": "coal",
        "capacity_mw": 100.0,
        "efficiency": 0.4,
        "variable_om_usd_per_mwh": 20.0,
        "co2_t_per_mwh_fuel": 0.4,
    }
    gas = {**GAS, "efficiency": 0.5, "co2_t_per_mwh_fuel": 0.2}
    ds = one_system([coal, gas], 50.0).ds
    assert float(ds["generation"].sel(generator="COAL")[0]) == pytest.approx(50.0, abs=TOL)
    assert float(ds["energy_price"][0, 0]) == pytest.approx(20.0, abs=1e-6)
    assert float(ds["co2_emissions"][0, 0]) == pytest.approx(50.0, abs=TOL)  # kt
    priced = [{**g, "co2_price_usd_per_t": 50.0} for g in (coal, gas)]
    ds = one_system(priced, 50.0).ds
    assert float(ds["generation"].sel(generator="GAS")[0]) == pytest.approx(50.0, abs=TOL)
    assert float(ds["energy_price"][0, 0]) == pytest.approx(50.0, abs=1e-6)
    assert float(ds["co2_emissions"][0, 0]) == pytest.approx(20.0, abs=TOL)
    assert float(ds["thermal_cost"].sum()) == pytest.approx(50.0 * 50.0 * 1000.0)
