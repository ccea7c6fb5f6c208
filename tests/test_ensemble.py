"""Ensembles on Dask: seeded members, equality with one-by-one runs, failures, reruns, clusters.

The basin is the tiny basin of ``basin_factory`` with a terminal lake added below the dam::

    S1 -> R1 (dam + plant) -> D1 (farms) -> K1 (sink)
                           -> M1 (town)  -> K1
                           -> E1 (terminal lake, annual target 120 hm3, soft)

over 2 years of stochastic inflows (annual total lognormal, 0.75 km3 exceeded in 5 % of
years, 0.3 km3 in 90 %). Options: ``main`` (as is), ``eco`` (lake target 250 hm3, dearer
penalty) and ``hard`` (lake target 330 hm3 as a hard rule: dry members are infeasible).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from basin_factory import tiny_basin_parts, write_basin
from nexusmodel.cli import app
from nexusmodel.ensemble import make_plan, member_path, robustness, run_ensemble
from nexusmodel.errors import InputError
from nexusmodel.indicators import key_results_dict
from nexusmodel.run import run_scenario
from nexusmodel.scenario import apply_scenario

MEMBERS = 20


def write_scenarios(root: Path) -> Path:
    parts = tiny_basin_parts()
    parts["nodes"].insert(
        -1,
        {
            "id": "E1",
            "type": "environment",
            "name": "Delta lake",
            "country": "BB",
            "terminal": True,
            "annual_target_hm3": 120.0,
            "hard": False,
            "penalty_usd_per_m3": 0.2,
        },
    )
    parts["links"] = [
        link if (link["from"], link["to"]) != ("R1", "K1") else {"from": "R1", "to": "E1"}
        for link in parts["links"]
    ]
    basin = write_basin(root / "tiny", **parts)
    main = {
        "basin": str(basin),
        "horizon": {"start": "2025-01", "years": 2},
        "hydrology": {
            "kind": "stochastic",
            "seed": 7,
            "annual_p5_km3": 0.75,
            "annual_p90_km3": 0.3,
        },
    }
    (root / "main.yaml").write_text(yaml.safe_dump(main))
    eco = {"E1": {"annual_target_hm3": 250.0, "penalty_usd_per_m3": 1.0}}
    hard = {"E1": {"annual_target_hm3": 330.0, "hard": True}}
    for name, flows in (("eco", eco), ("hard", hard)):
        spec = {"extends": "main.yaml", "policy": {"ecological_flows": flows}}
        (root / f"{name}.yaml").write_text(yaml.safe_dump(spec))
    return root


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenarios(tmp_path_factory.mktemp("ensemble"))


@pytest.fixture(scope="module")
def ensemble(scenarios: Path) -> tuple[object, xr.Dataset]:
    """20 members x 3 options on a LocalCluster of 2 worker processes."""
    result = run_ensemble(
        scenarios / "main.yaml",
        MEMBERS,
        [scenarios / "eco.yaml", scenarios / "hard.yaml"],
        output=scenarios / "out" / "ensemble.nc",
        workers=2,
        show_progress=False,
    )
    with xr.open_dataset(result.path, engine="h5netcdf") as ds:
        return result, ds.load()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A Dask scheduler and one worker started as processes on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("dask")
    address_file = folder / "scheduler.json"
    bin_dir = Path(sys.executable).parent
    started = [
        subprocess.Popen(
            [
                str(bin_dir / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(address_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = yaml.safe_load(address_file.read_text())["address"]
        started.append(
            subprocess.Popen(
                [
                    str(bin_dir / "dask"),
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--host",
                    "127.0.0.1",
                    "--no-dashboard",
                    "--local-directory",
                    str(folder),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def test_member_is_reproducible_from_its_seed(scenarios: Path) -> None:
    plan = make_plan(scenarios / "main.yaml", [scenarios / "eco.yaml"])
    first = plan.member_inflow("main", 3)
    assert plan.seed(3) == 10
    assert first.equals(plan.member_inflow("main", 3))
    assert not first.equals(plan.member_inflow("main", 4))
    # member 3 is the scenario with hydrology.seed = 7 + 3, for every option
    scenario = plan.member_scenario("eco", 3)
    assert scenario.spec.hydrology.seed == 10
    assert apply_scenario(plan.options["eco"].raw_basin, scenario).series.inflow_m3s.equals(first)


def test_ensemble_equals_members_run_one_by_one(scenarios: Path, ensemble: tuple) -> None:
    result, ds = ensemble
    assert result.computed == 3 * MEMBERS and result.skipped == 0
    assert list(ds["option"].values) == ["main", "eco", "hard"]
    assert ds.sizes["member"] == MEMBERS
    np.testing.assert_array_equal(ds["seed"].sel(option="main").values, 7 + np.arange(MEMBERS))
    plan = make_plan(scenarios / "main.yaml", [scenarios / "eco.yaml", scenarios / "hard.yaml"])
    same_storage = 0
    for option in ("main", "eco"):
        for k in range(MEMBERS):
            alone = run_scenario(plan.member_scenario(option, k)).results  # fresh build, cold
            member = ds.sel(option=option, member=k)
            assert str(member["status"].values) == "optimal"
            expected = key_results_dict(alone)
            assert float(member["objective_musd"]) == pytest.approx(
                expected["objective_musd"], rel=1e-7
            )
            # A warm start may land on another optimum of a degenerate LP (same objective);
            # the head iteration then converges along another path, to its tolerance (1e-3).
            for name in ("hydropower_gwh_per_yr", "terminal_inflow_km3_per_yr"):
                assert float(member[name]) == pytest.approx(expected[name], rel=2e-3, abs=1e-9)
            same_storage += np.allclose(
                member["storage"].sel(reservoir="R1").values,
                alone["storage"].sel(node="R1").values,
                atol=1e-6,
            )
    assert same_storage >= 0.9 * 2 * MEMBERS  # most members: the very same solution
    # the robustness summary is in the file
    assert ds["objective_musd_quantile"].dims == ("quantile", "option")
    main = ds["objective_musd"].sel(option="main").values
    np.testing.assert_allclose(
        ds["objective_musd_quantile"].sel(option="main", quantile=0.5), np.median(main)
    )


def test_member_results_do_not_depend_on_the_order_members_are_solved(scenarios: Path) -> None:
    """Issue 17: a member warm-starts from the option's stored basis, never from the member
    solved before it on its worker, so any order gives the very same flows and storages."""
    from nexusmodel.ensemble.members import MONTHLY, MemberModel

    plan = make_plan(scenarios / "main.yaml", [scenarios / "eco.yaml"])
    order = [0, 5, 1, 4, 2, 3]
    runs = {}
    for sequence in (order, order[::-1]):
        member = MemberModel(plan.options["eco"])
        runs[tuple(sequence)] = {k: member.run(plan, k) for k in sequence}
    forward, backward = runs.values()
    for k in order:
        assert str(forward[k]["status"].values) == "optimal"
        for name in (*MONTHLY, "terminal_inflow"):
            np.testing.assert_array_equal(forward[k][name].values, backward[k][name].values)
        # the member's key results (objective, energy, ...) too, solver figures aside
        key = [
            q for q in forward[k]["quantity"].values if q not in ("member_seconds", "solve_seconds")
        ]
        np.testing.assert_array_equal(
            forward[k]["values"].sel(quantity=key).values,
            backward[k]["values"].sel(quantity=key).values,
        )


def test_failed_members_are_recorded_and_the_rest_finish(ensemble: tuple) -> None:
    result, ds = ensemble
    status = ds["status"].sel(option="hard").values.astype(str)
    failed = status == "infeasible"
    assert 0 < failed.sum() < MEMBERS
    assert (status[~failed] == "optimal").all()
    assert (ds["status"].sel(option=["main", "eco"]).values.astype(str) == "optimal").all()
    errors = ds["error"].sel(option="hard").values.astype(str)
    assert all(e.startswith("the rules cannot all be met") for e in errors[failed])
    assert any("E1 (Delta lake)" in e for e in errors[failed])
    assert np.isnan(ds["objective_musd"].sel(option="hard").values[failed]).all()
    assert int(ds["failed"].sel(option="hard")) == failed.sum() == result.failed
    assert float(ds["p_failed"].sel(option="hard")) == pytest.approx(failed.mean())
    # the hard rule is met wherever the member solved
    inflow = ds["terminal_inflow"].sel(option="hard", terminal="E1").values[~failed]
    assert (inflow >= 330.0 - 1e-3).all()


def test_rerun_skips_done_members(scenarios: Path, ensemble: tuple, scheduler: str) -> None:
    _, full = ensemble
    folder = scenarios / "rerun"
    shutil.copytree(scenarios / "out" / "ensemble.members", folder / "ens.members")
    for k in (4, 11):
        member_path(folder / "ens.members", "eco", k).unlink()
    kept = member_path(folder / "ens.members", "main", 0)
    before = kept.stat().st_mtime_ns
    result = run_ensemble(
        scenarios / "main.yaml",
        MEMBERS,
        [scenarios / "eco.yaml", scenarios / "hard.yaml"],
        output=folder / "ens.nc",
        scheduler=scheduler,
        show_progress=False,
    )
    assert (result.computed, result.skipped) == (2, 3 * MEMBERS - 2)
    assert kept.stat().st_mtime_ns == before
    with xr.open_dataset(result.path, engine="h5netcdf") as ds:
        np.testing.assert_allclose(ds["objective_musd"], full["objective_musd"], rtol=1e-9)
    # members of another hydrology, or of a changed option, are never mixed into the folder
    other = scenarios / "other"
    other.mkdir()
    (other / "main.yaml").write_text(
        yaml.safe_dump({"extends": str(scenarios / "main.yaml"), "hydrology": {"seed": 8}})
    )
    with pytest.raises(InputError, match="another hydrology"):
        run_ensemble(other / "main.yaml", 2, output=folder / "ens.nc", scheduler=scheduler)
    (other / "eco.yaml").write_text(
        yaml.safe_dump(
            {
                "extends": str(scenarios / "main.yaml"),
                "policy": {"ecological_flows": {"E1": {"annual_target_hm3": 260.0}}},
            }
        )
    )
    with pytest.raises(InputError, match="another version of option 'eco'"):
        run_ensemble(
            scenarios / "main.yaml",
            2,
            [other / "eco.yaml"],
            output=folder / "ens.nc",
            scheduler=scheduler,
        )


def test_cli_runs_on_a_scheduler_address(scenarios: Path, ensemble: tuple, scheduler: str) -> None:
    _, full = ensemble
    output = scenarios / "cli" / "ens.nc"
    result = CliRunner().invoke(
        app,
        [
            "ensemble",
            str(scenarios / "main.yaml"),
            "--members",
            "3",
            "--options",
            str(scenarios / "eco.yaml"),
            str(scenarios / "hard.yaml"),
            "--scheduler",
            scheduler,
            "-o",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Robustness across members" in result.output
    with xr.open_dataset(output, engine="h5netcdf") as ds:
        assert list(ds["option"].values) == ["main", "eco", "hard"]
        expected = full["objective_musd"].isel(member=slice(0, 3))
        np.testing.assert_allclose(ds["objective_musd"], expected, rtol=1e-6)


def test_ensemble_needs_stochastic_hydrology_and_matching_options(tmp_path: Path) -> None:
    root = write_scenarios(tmp_path)
    (root / "clim.yaml").write_text(
        yaml.safe_dump({"extends": "main.yaml", "hydrology": {"kind": "climatology"}})
    )
    (root / "long.yaml").write_text(
        yaml.safe_dump({"extends": "main.yaml", "horizon": {"years": 3}})
    )
    with pytest.raises(InputError, match="stochastic"):
        make_plan(root / "clim.yaml")
    with pytest.raises(InputError, match="horizon"):
        make_plan(root / "main.yaml", [root / "long.yaml"])


def test_robustness_by_hand() -> None:
    """Two options, four members, numbers small enough to check by hand."""
    objective = np.array([[10.0, 20.0, 30.0, 40.0], [12.0, 18.0, np.nan, 41.0]])
    status = np.array([["optimal"] * 4, ["optimal", "optimal", "infeasible", "optimal"]])
    years = [2025, 2026]
    cube = xr.Dataset(
        {
            "objective_musd": (("option", "member"), objective, {"units": "million USD"}),
            "status": (("option", "member"), status.astype(object)),
            # lake: target 100 in both years; a's member 0 misses 2025
            "terminal_inflow": (
                ("option", "member", "terminal", "year"),
                np.full((2, 4, 1, 2), 150.0),
            ),
            "terminal_target": (
                ("option", "member", "terminal", "year"),
                np.full((2, 4, 1, 2), 100.0),
            ),
            "municipal_shortage": (("option", "member", "year"), np.zeros((2, 4, 2))),
            "municipal_demand": (("option", "member", "year"), np.full((2, 4, 2), 50.0)),
            "winter_hydropower": (("option", "member", "year"), np.full((2, 4, 2), 1000.0)),
        },
        coords={"option": ["a", "b"], "member": range(4), "year": years, "terminal": ["L"]},
    )
    cube["terminal_inflow"][0, 0, 0, 0] = 90.0
    cube["municipal_shortage"][1, 3, 1] = 1.0  # 2 % of the demand: a shortfall
    cube["winter_hydropower"][1, 1, :] = 800.0  # below the 900 GWh threshold
    s = robustness(cube, winter_energy_gwh=900.0)
    # regret: best of the member minus the option; b fails in member 2
    np.testing.assert_allclose(s["regret"].sel(option="a"), [2.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(s["regret"].sel(option="b"), [0.0, 2.0, np.nan, 0.0])
    assert float(s["regret_mean"].sel(option="a")) == pytest.approx(0.75)
    assert float(s["regret_max"].sel(option="b")) == pytest.approx(2.0)
    assert float(s["best_share"].sel(option="a")) == pytest.approx(0.5)
    assert float(s["best_share"].sel(option="b")) == pytest.approx(2 / 3)
    assert int(s["failed"].sel(option="b")) == 1 and float(s["p_failed"].sel(option="b")) == 0.25
    assert float(s["p_terminal"].sel(option="a")) == pytest.approx(1 / 8)  # member-years
    assert float(s["p_terminal_any"].sel(option="a")) == pytest.approx(1 / 4)
    assert float(s["p_municipal"].sel(option="b")) == pytest.approx(1 / 6)  # 3 members solved
    assert float(s["p_winter_energy_any"].sel(option="b")) == pytest.approx(1 / 3)
    assert float(s["p_winter_energy"].sel(option="a")) == 0.0
    q = s["objective_musd_quantile"].sel(option="a")
    np.testing.assert_allclose(q.sel(quantile=0.5), 25.0)
