"""Properties that hold for every solution: the water balance closes, results survive a
NetCDF round trip, more water never lowers the optimum (random small networks, hypothesis),
and the Syr Darya baseline keeps its identities (slow).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
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
from nexusmodel.results import read_results, write_results
from nexusmodel.results.variables import VARIABLES

ROOT = Path(__file__).resolve().parents[1]


# --- 9. the balance closes everywhere; results survive the disk ----------------------------------


def every_component_basin():
    """One of every component over a year (2030), all rules soft.

    ::

        S1 --> R (reservoir + plant, evaporation) --> H (run-of-river) --(loss 0.05)--> J
        S2 -------------------------------------------------------------------------> J
        J --(<= 20 m3/s)--> I (irrigation) --return--+
        J --> M (municipal) ------------return-------+--> V (reach, min 10 m3/s) --(loss 0.1)--> A
        J --> D (demand curve) ---------return-------+                              (terminal lake,
        J -----------------------------------------------> V                         target 900)
        J --> X (spill depression, 0.01 USD/m3)
        R, H --> energy system E
    """
    plant = {
        "installed_mw": 120.0,
        "efficiency": 0.9,
        "max_turbine_flow_m3s": 150.0,
        "tailwater_level_m": 300.0,
    }
    nodes = [
        node("S1", "source"),
        node("S2", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=800.0,
            dead_storage_hm3=100.0,
            initial_storage_hm3=400.0,
            hydropower=plant,
        ),
        node("H", "hydropower", installed_mw=40.0, max_turbine_flow_m3s=120.0, head_m=25.0),
        node("J", "junction"),
        node(
            "I", "irrigation", conveyance_efficiency=0.7, field_efficiency=0.8, return_fraction=0.4
        ),
        node("M", "municipal", return_fraction=0.6),
        node(
            "D",
            "demand",
            monthly_demand_hm3=[30.0] * 12,
            benefit_segments=[
                {"share": 0.5, "value_usd_per_m3": 0.2},
                {"share": 0.5, "value_usd_per_m3": 0.02},
            ],
            return_fraction=0.3,
        ),
        node("V", "environment", min_flow_m3s=10.0),
        node("A", "environment", terminal=True, annual_target_hm3=900.0),
        node("X", "sink", penalty_usd_per_m3=0.01),
        node("E", "energy_system", thermal_capacity_mw=500.0, export_capacity_mw=50.0),
    ]
    links = [
        link("S1", "R"),
        link("R", "H"),
        link("H", "J", loss_fraction=0.05),
        link("S2", "J"),
        link("J", "I", capacity_m3s=20.0),
        link("J", "M"),
        link("J", "D"),
        link("J", "V"),
        link("J", "X", kind="spill"),
        link("I", "V", kind="return"),
        link("M", "V", kind="return"),
        link("D", "V", kind="return"),
        link("V", "A", loss_fraction=0.1),
    ]
    need = [0, 0, 10, 60, 110, 160, 200, 170, 90, 20, 0, 0]
    basin = make_basin(
        nodes,
        links,
        level_area_storage={
            "R": las_table([320, 340, 360, 380], [5.0, 12.0, 20.0, 30.0], [0, 150, 450, 900])
        },
        evaporation=monthly_table({"R": [0, 10, 30, 60, 100, 140, 160, 150, 100, 50, 10, 0]}),
        crops=crops_table(
            {"cotton": (0.85, 3.5, 450.0, 900.0), "wheat": (1.15, 5.0, 220.0, 500.0)}
        ),
        crop_water_requirements=monthly_table(
            {"cotton": need, "wheat": [0, 0, 40, 90, 120, 60, 0, 0, 0, 20, 10, 0]}
        ),
        irrigated_areas=areas_table({("I", "cotton"): 40_000.0, ("I", "wheat"): 25_000.0}),
        municipal=pd.DataFrame(
            {
                "population": [800_000.0],
                "per_capita_l_per_day": [180.0],
                "industrial_hm3_per_year": [20.0],
            },
            index=pd.Index(["M"], name="node"),
        ),
        energy=energy_table(
            "E", [420, 380, 360, 300, 260, 250, 270, 280, 290, 330, 380, 420], 55.0, 90.0, 30.0
        ),
    )
    inflow_s1 = [40, 40, 60, 120, 250, 380, 420, 300, 150, 80, 60, 50]
    return with_months(basin, 12, {"S1": inflow_s1, "S2": 35.0})


@pytest.fixture(scope="module")
def full_run():
    return run(every_component_basin())


def test_water_balance_closes_at_every_node_and_month(full_run):
    ds = full_run.ds
    residual = ds["water_balance_residual"].to_numpy()
    assert residual.shape == (ds.sizes["node"], 12)
    assert np.all(np.isfinite(residual))
    assert np.abs(residual).max() < 1e-6
    assert ds.attrs["water_balance_max_residual_hm3"] < 1e-6
    assert ds.attrs["water_balance_max_residual_hm3"] == pytest.approx(np.abs(residual).max())


def test_whole_basin_mass_balance(full_run):
    """Summed over the basin and the year, independently of the node-by-node check:
    natural inflow = consumption + evaporation + conveyance losses + water leaving at the
    outlets + storage gain."""
    ds = full_run.ds
    inflow = ds["inflow"].sum().item()
    consumed = ds["consumption"].sum().item()
    evaporated = ds["evaporation"].sum().item()
    lost = ds["link_loss"].sum().item()
    left = ds["sink_inflow"].sum().item()
    gain = ds["storage"].sel(node="R").to_numpy()[-1] - 400.0
    assert inflow == pytest.approx(consumed + evaporated + lost + left + gain, abs=1e-6)
    # evaporation really is there (a summer loss of the reservoir), and the end storage rule holds
    assert evaporated > 0.0
    assert gain >= -1e-6


def test_every_variable_has_units_and_a_long_name(full_run):
    ds = full_run.ds
    for name, da in ds.data_vars.items():
        assert da.attrs.get("units") == VARIABLES[name].units, name
        assert da.attrs.get("long_name") == VARIABLES[name].long_name, name
        assert da.dims == VARIABLES[name].dims, name


def test_netcdf_round_trip_keeps_variables_units_and_attrs(full_run, tmp_path):
    ds = full_run.ds
    path = write_results(ds, tmp_path / "out" / "run.nc")
    assert path.is_file()
    assert sorted(os.listdir(path.parent)) == ["run.nc"]  # no temporary file left behind
    back = read_results(path)
    assert set(back.data_vars) == set(ds.data_vars)
    for name in ds.data_vars:
        np.testing.assert_allclose(back[name].to_numpy(), ds[name].to_numpy(), err_msg=name)
        assert back[name].dims == ds[name].dims
        assert back[name].attrs["units"] == ds[name].attrs["units"]
        assert back[name].attrs["long_name"] == ds[name].attrs["long_name"]
    for name in ds.coords:
        # (times may come back at another resolution, ns for us: same instants)
        np.testing.assert_array_equal(back[name].to_numpy(), ds[name].to_numpy(), err_msg=name)
    assert set(back.attrs) == set(ds.attrs)
    for key, value in ds.attrs.items():
        if isinstance(value, float | np.floating):
            assert back.attrs[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert back.attrs[key] == value, key


def test_a_failed_write_leaves_no_partial_file(full_run, tmp_path, monkeypatch):
    ds = full_run.ds
    target = tmp_path / "run.nc"
    target.write_bytes(b"previous results")

    def fail_half_way(self, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89HDF half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", fail_half_way)
    with pytest.raises(OSError, match="disk full"):
        write_results(ds, target)
    # the earlier file is untouched and no temporary file is left
    assert target.read_bytes() == b"previous results"
    assert sorted(os.listdir(tmp_path)) == ["run.nc"]
    with pytest.raises(OSError, match="disk full"):
        write_results(ds, tmp_path / "new.nc")
    assert sorted(os.listdir(tmp_path)) == ["run.nc"]


def test_writing_below_a_file_fails_cleanly(full_run, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(OSError):
        write_results(full_run.ds, blocker / "run.nc")
    assert sorted(os.listdir(tmp_path)) == ["not_a_folder"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_writing_into_a_read_only_folder_fails_cleanly(full_run, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            write_results(full_run.ds, folder / "run.nc")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


# --- 11. random small networks ---------------------------------------------------------------------


@st.composite
def networks(draw):
    """A random tree of river nodes draining to the sink O, with users hung on it.

    River node i (a source, junction, reservoir or run-of-river plant; the first is always a
    source) drains to an earlier river node or to O, with a random loss. A user (demand or
    town) takes water from a river node and returns a share below it. Capacities sit only on
    the users' intakes, so water can always leave: every network is feasible.
    """
    n_months = draw(st.integers(1, 3))
    n_river = draw(st.integers(1, 5))
    n_users = draw(st.integers(0, min(3, 7 - n_river)))
    amounts = st.floats(0.0, 200.0).map(lambda x: round(x, 1))
    nodes = [node("O", "sink")]
    links = []
    parent: dict[str, str] = {}
    inflow: dict[str, list[float]] = {}
    has_plant = False
    for i in range(n_river):
        nid = f"N{i}"
        kind = (
            "source"
            if i == 0
            else draw(st.sampled_from(["source", "junction", "reservoir", "hydropower"]))
        )
        if kind == "reservoir":
            capacity = draw(st.floats(10.0, 500.0).map(lambda x: round(x, 1)))
            extra = {
                "capacity_hm3": capacity,
                "initial_storage_hm3": round(capacity * draw(st.floats(0.0, 1.0)), 1),
                "end_storage": draw(st.sampled_from(["initial", "free"])),
            }
        elif kind == "hydropower":
            has_plant = True
            extra = {
                "installed_mw": draw(st.floats(1.0, 100.0)),
                "max_turbine_flow_m3s": draw(st.floats(1.0, 100.0)),
                "head_m": draw(st.floats(5.0, 100.0)),
            }
        else:
            extra = {}
        nodes.append(node(nid, kind, **extra))
        if kind == "source":
            inflow[nid] = [draw(amounts) for _ in range(n_months)]
        parent[nid] = draw(st.sampled_from(["O", *[f"N{j}" for j in range(i)]]))
        links.append(link(nid, parent[nid], loss_fraction=draw(st.sampled_from([0.0, 0.1, 0.3]))))
    demand_hm3: dict[str, list[float]] = {}
    municipal_hm3: dict[str, list[float]] = {}
    towns = []
    for u in range(n_users):
        uid = f"U{u}"
        at = f"N{draw(st.integers(0, n_river - 1))}"
        returns = draw(st.sampled_from([0.0, 0.3, 0.6]))
        if draw(st.booleans()):
            values = sorted(
                draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3)), reverse=True
            )
            share = 1.0 / len(values)
            segments = [{"share": share, "value_usd_per_m3": v} for v in values]
            segments[-1]["share"] = 1.0 - share * (len(values) - 1)
            nodes.append(
                node(
                    uid,
                    "demand",
                    monthly_demand_hm3=[0.0] * 12,
                    benefit_segments=segments,
                    return_fraction=returns,
                )
            )
            demand_hm3[uid] = [draw(amounts) for _ in range(n_months)]
        else:
            nodes.append(node(uid, "municipal", return_fraction=returns))
            municipal_hm3[uid] = [draw(amounts) for _ in range(n_months)]
            towns.append(uid)
        capacity = draw(st.one_of(st.none(), st.floats(1.0, 100.0)))
        links.append(link(at, uid, capacity_m3s=capacity))
        links.append(link(uid, parent[at], kind="return"))
    tables = {}
    if has_plant:
        nodes.append(node("E", "energy_system", thermal_capacity_mw=100.0))
        tables["energy"] = energy_table("E", draw(st.floats(0.0, 50.0)), 60.0)
    if towns:
        tables["municipal"] = pd.DataFrame(
            {"population": 0.0, "per_capita_l_per_day": 0.0, "industrial_hm3_per_year": 0.0},
            index=pd.Index(towns, name="node"),
        )
    basin = make_basin(nodes, links, **tables)
    return basin, n_months, inflow, demand_hm3, municipal_hm3


def _scaled(inflow: dict[str, list[float]], factor: float) -> dict[str, list[float]]:
    return {k: [factor * v for v in values] for k, values in inflow.items()}


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(networks())
def test_random_networks_balance_and_more_water_never_hurts(case):
    basin, n_months, inflow, demand_hm3, municipal_hm3 = case

    def solve_with(flows):
        return run(
            with_months(basin, n_months, flows, demand_hm3=demand_hm3, municipal_hm3=municipal_hm3)
        )

    before = solve_with(inflow)
    after = solve_with(_scaled(inflow, 1.1))
    for r in (before, after):
        assert np.abs(r.ds["water_balance_residual"].to_numpy()).max() < 1e-6
        assert r.ds.attrs["water_balance_max_residual_hm3"] < 1e-6
    assert after.report.objective_musd >= before.report.objective_musd - 1e-6


# --- 12. the Syr Darya baseline -------------------------------------------------------------------


@pytest.fixture(scope="module")
def baseline():
    from nexusmodel.run import run_scenario

    return run_scenario(ROOT / "scenarios" / "baseline.yaml").results


@pytest.mark.slow
def test_baseline_balance_closes(baseline):
    assert np.abs(baseline["water_balance_residual"].to_numpy()).max() < 1e-4
    assert baseline.attrs["water_balance_max_residual_hm3"] < 1e-4


@pytest.mark.slow
def test_baseline_variables_are_documented(baseline):
    for name, da in baseline.data_vars.items():
        assert da.attrs.get("units"), name
        assert da.attrs.get("long_name"), name


@pytest.mark.slow
def test_baseline_carries_its_provenance(baseline):
    attrs = baseline.attrs
    for key in (
        "basin",
        "scenario",
        "input_hash",
        "solver",
        "status",
        "objective_musd",
        "package_version",
    ):
        assert key in attrs, key
    assert attrs["basin"] == "Syr Darya"
    assert attrs["scenario"] == "baseline"
    assert attrs["status"] == "optimal"
    assert attrs["solver"] == "highs"
    assert len(attrs["input_hash"]) == 16
    timings = {k: v for k, v in attrs.items() if k.startswith("time_") and k.endswith("_s")}
    assert {"time_build_s", "time_solve_s", "time_extract_s"} <= set(timings)
    assert all(v >= 0 for v in timings.values())


@pytest.mark.slow
def test_baseline_plants_stay_within_installed_capacity(baseline):
    from nexusmodel.basin import load_basin

    basin = load_basin(ROOT / "data" / "syr_darya")
    hours = baseline["step_days"].to_numpy() * 24.0
    checked = 0
    for n in basin.spec.nodes:
        mw = getattr(n, "installed_mw", None)
        if n.type == "reservoir" and n.hydropower is not None:
            mw = n.hydropower.installed_mw
        if mw is None:
            continue
        energy = baseline["energy"].sel(node=n.id).to_numpy()
        assert (energy <= mw * hours / 1000.0 + 1e-6).all(), n.id
        assert (energy >= -1e-9).all(), n.id
        checked += 1
    assert checked > 0


@pytest.mark.slow
def test_baseline_delivers_no_more_than_demanded(baseline):
    delivery = baseline["delivery"].to_numpy()
    demand = baseline["demand"].to_numpy()
    both = np.isfinite(delivery) & np.isfinite(demand)
    assert both.any()
    assert (delivery[both] <= demand[both] + 1e-6).all()
    assert (delivery[both] >= -1e-9).all()
