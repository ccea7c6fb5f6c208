"""``nexusmodel validate`` as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from basin_factory import tiny_basin, tiny_basin_parts, write_basin

ROOT = Path(__file__).resolve().parents[1]


def validate(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nexusmodel", "validate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:nexusmodel"},
    )


def squash(text: str) -> str:
    """Text without any whitespace: rich wraps long lines (even inside a path) at 80 columns."""
    return "".join(text.split())


def shows(out: str, *fragments: str) -> bool:
    """Whether the output shows every fragment, wherever rich wrapped the lines."""
    return all(squash(f) in squash(out) for f in fragments)


def table_rows(out: str) -> dict[str, list[str]]:
    """The rows of rich tables in the output, by first cell (cells without the borders)."""
    rows = {}
    for line in out.splitlines():
        cells = [c for c in line.split() if c != "│"]
        if line.startswith("│") and cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_valid_basin_prints_its_summary_and_exits_0(tmp_path: Path) -> None:
    result = validate(str(tiny_basin(tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Tiny basin: 6 nodes, 6 links - valid" in out
    assert "Nodes by type and country" in out
    for node_type in ("source", "reservoir", "irrigation", "municipal", "sink", "energy_system"):
        assert node_type in out
    for header in ("inflow km3/yr", "storage km3", "hydropower MW", "irrigated kha"):
        assert header in out  # every figure with its unit, readable at 80 columns
    assert "Natural inflow: 0.48 km3/yr" in out
    assert "illustrative and approximate" in out
    assert "Traceback" not in out + result.stderr
    rows = table_rows(out)
    assert rows["AA"] == ["0.5", "0.1", "20.0", "0.0"]  # inflow, storage, MW, irrigated area
    assert rows["BB"] == ["0.0", "0.0", "0.0", "5.0"]
    assert rows["total"] == ["0.5", "0.1", "20.0", "5.0"]
    assert rows["reservoir"] == ["1", "0"]  # nodes by type: AA, BB
    assert rows["irrigation"] == ["0", "1"]


def test_broken_basin_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    parts: dict[str, Any] = tiny_basin_parts()
    parts["nodes"][1]["dead_storage_hm3"] = 150.0
    parts["inflows"] = {"S1": -1.0}
    folder = write_basin(tmp_path, **parts)
    result = validate(str(folder))
    assert result.returncode == 2
    assert shows(
        result.stdout,
        f"error: invalid basin {folder}: 3 problem(s)",
        f"{folder / 'basin.yaml'}: nodes[R1].dead_storage_hm3: = 150.0: above capacity_hm3 = 100.0",
        "(dead storage must be <= capacity)",
        f"{folder / 'basin.yaml'}: nodes[R1].initial_storage_hm3: = 50.0: outside [150.0, 100.0]",
        f"{folder / 'inflows.csv'}: month 1, column S1: = -1 m3/s: negative inflow",
        "(inflows must be >= 0)",
    )
    assert result.stdout.count("\n  - ") == 3  # one item per problem
    assert "Traceback" not in result.stdout + result.stderr


def test_misspelt_type_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    parts: dict[str, Any] = tiny_basin_parts()
    parts["nodes"][1]["type"] = "reservior"
    result = validate(str(write_basin(tmp_path, **parts)))
    assert result.returncode == 2
    assert shows(result.stdout, "nodes[R1].type: = 'reservior': not a node type")
    assert shows(result.stdout, "(did you mean 'reservoir'?)")
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_folder_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = validate(str(tmp_path / "no_such_basin"))
    assert result.returncode == 2
    assert shows(result.stdout, f"{tmp_path / 'no_such_basin' / 'basin.yaml'}: file not found")
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_csv_exits_2_without_a_traceback(tmp_path: Path) -> None:
    folder = tiny_basin(tmp_path, crops="crop,ky\ncotton,0.85,extra,fields\n")
    result = validate(str(folder))
    assert result.returncode == 2
    assert "crops.csv" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_argument_is_a_usage_error() -> None:
    result = validate()
    assert result.returncode == 2
    assert "Missing argument" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_lowercase_node_ids_survive_in_the_error_output(tmp_path: Path) -> None:
    parts: dict[str, Any] = tiny_basin_parts()
    parts["nodes"][4]["id"] = "out"
    parts["nodes"][4]["penalty_usd_per_m3"] = -1.0
    parts["links"] = [
        {**link, "to": "out"} if link["to"] == "K1" else link for link in parts["links"]
    ]
    result = validate(str(write_basin(tmp_path, **parts)))
    assert result.returncode == 2
    assert shows(result.stdout, "nodes[out].penalty_usd_per_m3: = -1.0")


# ------------------------------------------------------------------ the README's commands


def test_readme_command_validates_the_syr_darya_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "nexusmodel validate data/syr_darya" in readme
    result = validate("data/syr_darya", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Syr Darya: 35 nodes, 45 links - valid" in out
    assert "Natural inflow: 37.17 km3/yr" in out
    total = next(line for line in out.splitlines() if "total" in line).split()
    assert total[1:10:2] == ["total", "37.2", "35.6", "4,058.0", "3,130.0"]
    assert "Traceback" not in out + result.stderr


def test_installed_console_script_validates_the_example() -> None:
    script = Path(sys.executable).with_name("nexusmodel")
    if not script.exists():
        pytest.skip("no nexusmodel console script next to this Python")
    result = subprocess.run(
        [str(script), "validate", "data/syr_darya"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Syr Darya: 35 nodes, 45 links - valid" in result.stdout
