"""The faster head iteration (warm re-solves priced with Devex; cold after an interior-point solve)
lands where the plain one does: every re-solve cold from scratch, the path-independent
reference. Energy and objective agree to the iteration's own tolerance (``slp_tolerance``,
1e-3 relative), and both leave the LP energy within 0.1 % of the exact energy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nexusmodel.model import ModelOptions, build_model
from nexusmodel.results import extract_results
from nexusmodel.scenario import apply_scenario, load_scenario
from nexusmodel.solve import solve
from nexusmodel.solve.highs import HighsBackend
from scenario_helpers import root_scenario, syr_darya

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import synthetic_basin  # noqa: E402

TOL = 1e-3


def _run(basin, options):
    model = build_model(basin, options)
    report = solve(model)
    ds = extract_results(model, report)
    return report, float(ds["energy"].sum())


def _cold_reference(monkeypatch, basin, options):
    """The same run with every solve started cold (no basis, exact pricing)."""
    run = HighsBackend.run

    def cold(self, algorithm="auto", time_limit_s=None, *, warm=True, devex=False):
        return run(self, "auto", time_limit_s, warm=False, devex=False)

    with monkeypatch.context() as patch:
        patch.setattr(HighsBackend, "run", cold)
        return _run(basin, options)


def _syr_darya(tmp_path):
    scenario = load_scenario(root_scenario(tmp_path, "hydrology: {kind: climatology}\n", years=3))
    return apply_scenario(syr_darya(), scenario), scenario.options


@pytest.mark.slow
@pytest.mark.parametrize(
    "case", ["syr_darya", "synthetic_10x120", "synthetic_30x120", "synthetic_10x120_ipm"]
)
def test_fast_head_iteration_matches_cold_re_solves(case, tmp_path, monkeypatch):
    if case == "syr_darya":
        basin, options = _syr_darya(tmp_path)
    else:
        n, months = (int(x) for x in case.split("_")[1].split("x"))
        basin = synthetic_basin(n, months)
        # "ipm": the first solve by the interior point method, re-solves from its crossover basis
        options = ModelOptions(algorithm="ipm" if case.endswith("ipm") else "auto")
    fast, fast_energy = _run(basin, options)
    cold, cold_energy = _cold_reference(monkeypatch, basin, options)
    assert fast.slp_iterations >= 1 and cold.slp_iterations >= 1
    assert fast.energy_linearization_error < TOL
    assert cold.energy_linearization_error < TOL
    assert fast_energy == pytest.approx(cold_energy, rel=2 * TOL)
    assert fast.objective_musd == pytest.approx(cold.objective_musd, rel=TOL)
