"""``nexusmodel indicators`` and ``nexusmodel report`` as a user runs them (subprocesses).

Small synthetic results (``synthetic_results.make_results``) are written to NetCDF, and one
short real run (one year of the Syr Darya baseline) goes through ``run`` then ``report``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nexusmodel import indicators as ind
from nexusmodel.report import indicator_tables
from nexusmodel.results.io import read_results, write_results
from synthetic_results import make_results

ROOT = Path(__file__).resolve().parents[1]


def nexusmodel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nexusmodel", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "MPLBACKEND": "Agg"},
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    out = {}
    for name, scale in (("base", 1.0), ("dry", 0.5)):
        ds = make_results(scale)
        ds.attrs["scenario"] = name
        out[name] = write_results(ds, folder / f"{name}.nc")
    return out


def test_indicators_prints_tables_and_writes_csv(results, tmp_path):
    proc = nexusmodel("indicators", str(results["base"]), "--csv", "tables", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for title in ("Key results", "Water supply by node", "Water accounts by country"):
        assert title in proc.stdout
    assert "irrigation_coverage_pct" in proc.stdout and "95.00" in proc.stdout
    folder = tmp_path / "tables"
    names = sorted(p.name for p in folder.iterdir())
    assert "key_results.csv" in names and "supply_by_node.csv" in names
    assert not [n for n in names if not n.endswith(".csv")]  # no temporary file left
    key = pd.read_csv(folder / "key_results.csv", index_col="indicator")
    expected = ind.key_results_dict(make_results())
    for name, value in expected.items():
        assert key.loc[name, "value"] == pytest.approx(value, nan_ok=True)
    supply = pd.read_csv(folder / "supply_by_node.csv", index_col="node")
    # MUN: 231.95 of 240 hm3 over 2 years; reliability 21 of 24 months
    assert supply.loc["MUN", "coverage_pct"] == pytest.approx(100 * 231.95 / 240)
    assert supply.loc["MUN", "reliability_pct"] == pytest.approx(87.5)


def test_report_of_two_runs(results, tmp_path):
    out = tmp_path / "out" / "report.html"
    proc = nexusmodel(
        "report", str(results["base"]), str(results["dry"]), "-o", str(out), cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "Report written to" in proc.stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert '<table id="headline"' in text
    assert 'data-scenario="base"' in text and 'data-scenario="dry"' in text
    assert text.count("data:image/png;base64,") >= 5
    assert "http://" not in text and "https://" not in text


def test_user_mistakes_exit_2_without_a_traceback(results, tmp_path, monkeypatch, capsys):
    from nexusmodel import cli

    monkeypatch.chdir(tmp_path)
    for args in (
        ("report", "missing.nc", "-o", "r.html"),
        ("indicators", "missing.nc"),
        ("report", str(results["base"]), "--basin", "no/such/basin", "-o", "r.html"),
    ):
        monkeypatch.setattr(sys, "argv", ["nexusmodel", *args])
        with pytest.raises(SystemExit) as exit_info:
            cli.main()
        assert exit_info.value.code == 2, args
        out = capsys.readouterr().out
        assert "error" in out and "Traceback" not in out
    assert not (tmp_path / "r.html").exists()
    # the same through the installed command
    proc = nexusmodel("indicators", "missing.nc", cwd=tmp_path)
    assert proc.returncode == 2 and "no such file" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_real_run_then_report(tmp_path):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        f"extends: {ROOT / 'scenarios' / 'baseline.yaml'}\nhorizon:\n  years: 1\n",
        encoding="utf-8",
    )
    run = nexusmodel("run", str(scenario), "-o", "short.nc", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    tables = {t.name: t.frame for t in indicator_tables(read_results(tmp_path / "short.nc"))}
    assert "Toktogul reservoir and HPP" in set(tables["marginal_value"]["name"])
    assert set(tables["energy_by_country"].index) == {"KG", "UZ", "TJ", "KZ"}
    rep = nexusmodel("report", "short.nc", "-o", "short.html", cwd=tmp_path)
    assert rep.returncode == 0, rep.stderr
    text = (tmp_path / "short.html").read_text(encoding="utf-8")
    assert 'id="fig-network"' in text and 'id="fig-storage"' in text
    assert "Syr Darya" in text and "SOURCES.md" in text
