"""`nexusmodel show / compare / diff` from the command line, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nexusmodel.results.io import read_results, write_results
from nexusmodel.run import run_scenario
from nexusmodel.scenario import load_scenario
from scenario_helpers import ROOT, SCENARIOS, write


def nexusmodel(*args: str, cwd=ROOT) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess, as a user runs it."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "nexusmodel", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def in_process(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """The command line's ``main`` in this process (fast): (exit code, output)."""
    from nexusmodel.cli import main

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", ["nexusmodel", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_show_prints_the_chain_and_where_each_setting_came_from(capsys, monkeypatch):
    code, text = in_process(capsys, monkeypatch, "show", SCENARIOS / "dry_2050_efficiency.yaml")
    assert code == 0, text
    assert "chain: dry_2050_efficiency.yaml <- climate_2050_dry.yaml <- baseline.yaml" in text
    lines = {
        line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("  ")
    }
    assert lines["climate.inflow_change.all.change_pct"] == ["-10.0", "climate_2050_dry.yaml"]
    assert lines["policy.irrigation_efficiency.all.conveyance_efficiency"] == [
        "0.85",
        "dry_2050_efficiency.yaml",
    ]
    assert lines["horizon.years"] == ["30", "baseline.yaml"]
    assert lines["solve.objective"] == ["economic", "(default)"]


def test_show_reports_a_bad_file_without_a_traceback(tmp_path, capsys, monkeypatch):
    parent = SCENARIOS / "baseline.yaml"
    bad = write(tmp_path, "bad.yaml", f"extends: {parent}\nclimate: {{evaporaton: {{}}}}\n")
    code, text = in_process(capsys, monkeypatch, "show", bad)
    assert code == 2
    text = " ".join(text.split())
    assert "Traceback" not in text
    assert "climate.evaporaton: unknown key" in text and "did you mean 'evaporation'?" in text


@pytest.mark.slow
def test_compare_runs_reads_and_writes_a_cube(tmp_path, capsys, monkeypatch):
    on_disk = tmp_path / "baseline_short.nc"
    write_results(
        run_scenario(load_scenario(SCENARIOS / "baseline.yaml").with_horizon(2)).results, on_disk
    )
    cube_path = tmp_path / "cube.nc"
    out = nexusmodel(
        "compare",
        on_disk,
        SCENARIOS / "toktogul_irrigation_mode.yaml",
        SCENARIOS / "kambarata1_built.yaml",
        "--years",
        "2",
        "-o",
        cube_path,
    )
    assert out.returncode == 0, out.stderr + out.stdout
    text = out.stdout
    assert "Key results" in text and "baseline_short" in text
    assert "toktogul_irrigation_mode (Δ)" in text and "kambarata1_built (Δ)" in text
    assert "hydropower_winter_gwh_per_yr" in text and "terminal_inflow_km3_per_yr" in text
    assert "3/3" in text  # the progress bar
    cube = read_results(cube_path)
    assert list(cube["scenario"].values) == [
        "baseline_short",
        "toktogul_irrigation_mode",
        "kambarata1_built",
    ]
    assert "R_KAM" in cube["node"].values  # nodes are unioned
    assert cube["node_type"].sel(node="R_KAM").item() == "reservoir"
    kam_storage = cube["storage"].sel(node="R_KAM")
    assert kam_storage.sel(scenario="baseline_short").isnull().all()
    assert kam_storage.sel(scenario="kambarata1_built").notnull().all()
    assert cube["objective_musd"].dims == ("scenario",)
    from nexusmodel.indicators import key_results

    winter = key_results(cube)["hydropower_winter_gwh_per_yr"]
    assert winter.sel(scenario="kambarata1_built") > winter.sel(scenario="baseline_short")

    # the cube itself can be compared again (no solve)
    code, again = in_process(capsys, monkeypatch, "compare", cube_path)
    assert code == 0, again
    assert "3/3" in again and "kambarata1_built" in again


@pytest.mark.slow
def test_diff_lists_the_changed_inputs_and_their_effect():
    out = nexusmodel("diff", SCENARIOS / "toktogul_irrigation_mode.yaml", "--years", "2")
    assert out.returncode == 0, out.stderr + out.stdout
    text = out.stdout
    assert "Inputs toktogul_irrigation_mode changes relative to baseline" in text
    assert "policy.seasonal_release.R_TOK.min_share_pct" in text
    assert "policy.agreed_releases.R_KAI.minimum" in text
    assert "horizon" not in text.split("What it does")[0]  # unchanged settings are not listed
    assert "What it does to the key results" in text
    assert "toktogul_irrigation_mode (Δ)" in text


def test_diff_of_a_root_scenario_is_explained(capsys, monkeypatch):
    code, text = in_process(capsys, monkeypatch, "diff", SCENARIOS / "baseline.yaml")
    assert code == 2
    assert "has no 'extends'" in text
