"""The public API: ``import nexusmodel`` finds the pipeline, and ``run_scenario`` honours the
scenario's solve mode and returns one :class:`RunResult` type from every mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nexusmodel
from basin_factory import tiny_basin
from nexusmodel.errors import InputError
from nexusmodel.modes.result import ModeRun, RunResult
from nexusmodel.run import run_scenario

MODES = ("optimize", "rolling", "simulate")


def _scenario(tmp_path: Path, mode: str | None = None) -> Path:
    """The tiny file basin (one reservoir, a farm district, a town), one year from 2030."""
    folder = tmp_path / "basin"
    if not folder.exists():
        tiny_basin(folder)
    text = f"basin: {folder}\nhorizon:\n  start: '2030-01'\n  years: 1\n"
    if mode is not None:
        text += f"solve:\n  mode: {mode}\n"
    path = tmp_path / f"one_year_{mode or 'default'}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", MODES)
def test_run_scenario_honours_the_solve_mode_of_the_file(tmp_path, mode):
    run = run_scenario(_scenario(tmp_path, mode))
    assert isinstance(run, RunResult)
    assert run.mode == mode and run.results.attrs["mode"] == mode
    assert run.results.sizes["time"] == 12
    assert run.report.status == "optimal"
    assert run.timings is run.report.timings
    assert (run.stats is None) == (mode == "optimize")  # windows only for rolling, simulate
    # every mode closes the water balance of every node and month
    assert abs(run.results.attrs["water_balance_max_residual_hm3"]) < 1e-6


def test_the_mode_argument_overrides_the_file_and_all_gives_a_dict_by_mode(tmp_path):
    path = _scenario(tmp_path)  # no solve.mode: optimize
    assert run_scenario(path).mode == "optimize"
    assert run_scenario(path, "simulate").results.attrs["mode"] == "simulate"
    runs = run_scenario(path, "all")
    assert isinstance(runs, dict) and list(runs) == list(MODES)
    for mode, run in runs.items():
        assert isinstance(run, RunResult) and run.results.attrs["mode"] == mode
    # perfect foresight is an upper bound: no mode that sees less does better
    best = runs["optimize"].report.objective_musd
    for mode in ("rolling", "simulate"):
        assert runs[mode].results.attrs["objective_musd"] <= best + 1e-6
    assert ModeRun is RunResult  # the former name of the modes' type still works


def test_a_scenario_file_in_mode_all_gives_a_dict(tmp_path):
    runs = run_scenario(_scenario(tmp_path, "all"))
    assert isinstance(runs, dict) and set(runs) == set(MODES)


def test_an_unknown_mode_is_a_named_input_error(tmp_path):
    path = _scenario(tmp_path)
    with pytest.raises(InputError, match=r"solve\.mode.*'rolled'.*did you mean 'rolling'"):
        run_scenario(path, "rolled")


def test_the_package_exports_the_pipeline(tmp_path):
    """``import nexusmodel`` then the pipeline stage by stage, and ``run_scenario`` in one call."""
    from nexusmodel.solve import solve  # the step; ``nexusmodel.solve`` is the subpackage

    scenario = nexusmodel.load_scenario(_scenario(tmp_path))
    basin = nexusmodel.apply_scenario(nexusmodel.load_basin(scenario.basin_path), scenario)
    model = nexusmodel.build_model(basin, scenario.options)
    report = solve(model)
    results = nexusmodel.extract_results(model, report, scenario.provenance(basin))
    run = nexusmodel.run_scenario(scenario)
    assert isinstance(run, nexusmodel.RunResult)
    assert report.objective_musd == pytest.approx(run.report.objective_musd, rel=1e-9)
    coverage = nexusmodel.supply_coverage(results, by="node")
    assert ((coverage >= 0) & (coverage <= 1 + 1e-9)).all()
    assert callable(nexusmodel.compare) and callable(nexusmodel.write_report)
    assert callable(nexusmodel.run_ensemble) and callable(nexusmodel.trade_off_frontier)
    assert nexusmodel.__version__ == "0.1.0"  # pyproject.toml
    assert set(nexusmodel.__all__) <= set(dir(nexusmodel))
    assert all(getattr(nexusmodel, name) is not None for name in nexusmodel.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        nexusmodel.nothing  # noqa: B018


def test_import_nexusmodel_loads_no_heavy_library():
    """The names load on first use: a bare import pulls in neither Pyomo, xarray nor Dask."""
    code = (
        "import sys, nexusmodel; "
        "print(sorted(m for m in ('pyomo', 'xarray', 'dask', 'matplotlib', 'pandas') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_compare_runs_each_scenario_in_its_mode(tmp_path):
    """A scenario in mode ``all`` gives one column per mode; the others one column."""
    compared = nexusmodel.compare([_scenario(tmp_path), _scenario(tmp_path, "all")])
    assert compared.names == (
        "one_year_default",
        "one_year_all (optimize)",
        "one_year_all (rolling)",
        "one_year_all (simulate)",
    )
    modes = [ds.attrs["mode"] for ds in compared.results]
    assert modes == ["optimize", "optimize", "rolling", "simulate"]
    # the same scenario optimized twice gives the same objective
    table = compared.table()
    assert table.loc["objective_musd", "one_year_default"] == pytest.approx(
        table.loc["objective_musd", "one_year_all (optimize)"], rel=1e-9
    )


def test_the_cli_runs_the_mode_of_the_file(tmp_path, monkeypatch):
    """``nexusmodel run`` of a file in rolling mode runs rolling (default file name by mode)."""
    from typer.testing import CliRunner

    from nexusmodel.cli import app

    path = _scenario(tmp_path, "rolling")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert "rolling:" in result.output and "windows" in result.output
    ds = nexusmodel.read_results(tmp_path / "results" / "one_year_rolling_rolling.nc")
    assert ds.attrs["mode"] == "rolling"
    result = CliRunner().invoke(app, ["run", str(path), "--mode", "optimize"])
    assert result.exit_code == 0, result.output
    assert nexusmodel.read_results(tmp_path / "results" / "one_year_rolling.nc").attrs["mode"] == (
        "optimize"
    )


def test_write_report_takes_a_run_result(tmp_path):
    run = run_scenario(_scenario(tmp_path))
    out = nexusmodel.write_report([run], tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    assert 'id="headline"' in text and "One scenario" in text
