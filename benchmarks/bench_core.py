"""Benchmark of the optimization core against HiGHS alone.

    .venv/bin/python benchmarks/bench_core.py [--quick] [--repeats 3] [--budget 120]
                                               [--cases base,30x120,...] [--results FILE]

For the Syr Darya baseline and synthetic basins (``benchmarks/synthetic.py``: N nodes x T
months), time every phase of a run (median of ``--repeats`` runs, each in the same process
after one untimed warm-up of the imports):

- build: ``build_model`` (Pyomo model from the basin arrays);
- translate: Pyomo's ``LinearStandardFormCompiler`` + one ``highspy.passModel``;
- solve: ``solve()`` minus translate: the first HiGHS solve and the SLP head re-solves;
- extract: ``extract_results`` (xarray Dataset, water-balance check).

The LP of each case is written once (HiGHS ``writeModel``, MPS, temp dir) and solved by HiGHS
alone: a fresh ``highspy.Highs``, ``readModel``, ``run`` (one thread, as the pipeline), with
the simplex and with the interior point method. Every phase is printed as a ratio to the
HiGHS-alone solve time with the algorithm the pipeline's ``auto`` picks for that LP ("ref"),
so the numbers travel between machines. Cases are run in increasing size, and a case whose
run is predicted to take longer than ``--budget`` seconds (from the smaller ones, as
(nodes x months) ** 1.5) is skipped, except the baseline and 100x480 (the issue's targets). ``--results`` writes the table as
Markdown (default: benchmarks/RESULTS.md for a full run, nothing for ``--quick``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

FULL_CASES = ["base"] + [f"{n}x{t}" for t in (120, 480, 960) for n in (10, 30, 100, 300)]
QUICK_CASES = ["base", "10x120", "30x120", "100x120"]
#: The cases the issue's targets name: run whatever the budget predicts.
TARGET_CASES = {"base", "30x480", "100x480", "100x960", "300x480", "300x960"}
#: Above this many node-months a case runs ``--big-repeats`` times (minutes a run).
BIG = 100 * 480


@dataclass
class CaseResult:
    case: str
    size: str = ""
    phases: dict[str, list[float]] = field(default_factory=dict)
    alone: dict[str, list[float]] = field(default_factory=dict)
    slp: list[int] = field(default_factory=list)
    error: list[float] = field(default_factory=list)
    ref: str = "simplex"
    run_seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)  # whole run, per run
    alone_peak_mb: dict[str, list[float]] = field(default_factory=dict)

    def whole(self) -> float:
        """Median seconds of a whole run (build + translate + solve + extract)."""
        runs = zip(
            *(self.phases[k] for k in ("build", "translate", "solve", "extract")),
            strict=True,
        )
        return statistics.median(sum(r) for r in runs)

    def best(self) -> tuple[str, float]:
        """HiGHS alone's faster algorithm on this LP, and its median seconds."""
        times = {
            a: statistics.median(v)
            for a, v in self.alone.items()
            if v and all(x == x and x != float("inf") for x in v)
        }
        algorithm = min(times, key=times.__getitem__)
        return algorithm, times[algorithm]

    def median(self, name: str) -> float:
        values = self.phases.get(name) or self.alone.get(name) or [float("nan")]
        return statistics.median(values)


def load_case(case: str):  # -> (basin, options, label)
    from nexusmodel.model import ModelOptions

    if case == "base":
        from nexusmodel.basin import load_basin
        from nexusmodel.scenario import apply_scenario, load_scenario

        scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
        basin = apply_scenario(load_basin(scenario.basin_path), scenario)
        return basin, scenario.options, "Syr Darya baseline (33 nodes x 360 months)"
    from synthetic import synthetic_basin

    n, months = (int(x) for x in case.split("x"))
    return (
        synthetic_basin(n, months),
        ModelOptions(),
        f"synthetic {n} nodes x {months} months",
    )


def quiet():
    """Swallow HiGHS's banner and any solver chatter on stdout."""
    return contextlib.redirect_stdout(io.StringIO())


def run_pipeline(basin, options) -> tuple[dict[str, float], int, float, object]:
    from nexusmodel.model import build_model
    from nexusmodel.results import extract_results
    from nexusmodel.solve import solve

    times: dict[str, float] = {}
    start = time.perf_counter()
    model = build_model(basin, options)
    times["build"] = time.perf_counter() - start
    start = time.perf_counter()
    with quiet():
        report = solve(model)
    wall = time.perf_counter() - start
    times["translate"] = report.timings["translate"]
    times["solve"] = wall - report.timings["translate"]
    start = time.perf_counter()
    ds = extract_results(model, report)
    times["extract"] = time.perf_counter() - start
    residual = float(ds.attrs["water_balance_max_residual_hm3"])
    if residual > 1e-6:
        raise RuntimeError(f"water balance residual {residual:.3g} hm3")
    return times, report.slp_iterations, report.energy_linearization_error, model


def write_lp(basin, options, path: Path) -> tuple[int, int, int]:
    from nexusmodel.model import build_model
    from nexusmodel.solve.highs import HighsBackend

    backend = HighsBackend.from_model(build_model(basin, options))
    with quiet():
        backend.highs.writeModel(str(path))
    h = backend.highs
    return h.getNumCol(), h.getNumRow(), h.getNumNz()


def highs_alone(path: Path, algorithm: str, time_limit: float | None = None) -> float:
    """Seconds HiGHS alone takes; nan if it fails, inf if it hits ``time_limit``."""
    import highspy

    with quiet():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.readModel(str(path))
        h.setOptionValue("solver", algorithm)
        if algorithm == "ipm":
            h.setOptionValue("run_crossover", "on")
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        start = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - start
    if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
        return float("inf")
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return float("nan")  # e.g. IPX's "Solve error": shown as "fails" in the table
    return seconds


def _peak_mb() -> float:
    """Peak resident memory of this process so far (MB): Linux's VmHWM, which starts afresh
    at ``exec`` (``getrusage``'s maxrss would keep the parent's peak from before the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pipeline_child(case: str) -> tuple[dict[str, float], int, float, float]:
    """One whole run in a fresh process: (phase seconds, re-solves, error, peak MB)."""
    with quiet():  # untimed warm-up: imports (scipy, pyomo plugins), HiGHS banner
        run_pipeline(*load_case("10x120")[:2])
    basin, options, _label = load_case(case)
    times, slp, error, _model = run_pipeline(basin, options)
    return times, slp, error, _peak_mb()


def _alone_child(path: str, algorithm: str, time_limit: float | None) -> tuple[float, float]:
    return highs_alone(Path(path), algorithm, time_limit), _peak_mb()


def isolated(function, *args):
    """Call ``function(*args)`` in a fresh (spawned) process, so that its peak resident
    memory is its own."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def alone_run(result: CaseResult, mps: Path, algorithm: str, i: int, limit: float | None) -> float:
    """One HiGHS-alone solve in a fresh process, recorded in ``result``; its seconds (nan: it
    failed, inf: it hit ``limit``)."""
    seconds, peak = isolated(_alone_child, str(mps), algorithm, limit)
    result.alone.setdefault(algorithm, []).append(seconds)
    if seconds == seconds and seconds != float("inf"):
        result.alone_peak_mb.setdefault(algorithm, []).append(peak)
    print(
        f"  HiGHS alone {algorithm} run {i + 1}: {seconds:.2f} s, peak {peak:.0f} MB",
        flush=True,
    )
    return seconds


def bench_case(case: str, repeats: int, budget: float, tmp: Path) -> CaseResult:
    from nexusmodel.solve.highs import IPM_COLUMNS

    basin, options, label = load_case(case)
    result = CaseResult(case)
    mps = tmp / f"{case}.mps"
    cols, rows, nnz = write_lp(basin, options, mps)
    result.size = f"{label}; LP {cols:,} cols, {rows:,} rows, {nnz:,} nonzeros"
    result.ref = "ipm" if cols > IPM_COLUMNS else "simplex"
    print(f"\n{case}: {result.size}", flush=True)
    other = "ipm" if result.ref == "simplex" else "simplex"
    # each pipeline run is followed by a run of HiGHS alone with the reference algorithm,
    # so that the load of a shared machine weighs on both alike
    for i in range(repeats):
        times, slp, error, peak = isolated(_pipeline_child, case)
        result.peak_mb.append(peak)
        for name, value in times.items():
            result.phases.setdefault(name, []).append(value)
        result.slp.append(slp)
        result.error.append(error)
        print(
            f"  run {i + 1}: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
            + f"; SLP re-solves {slp}, energy error {error:.2e}, peak {peak:.0f} MB",
            flush=True,
        )
        result.run_seconds.append(sum(times.values()))
        seconds = alone_run(result, mps, result.ref, i, None)
        if seconds != seconds:  # HiGHS failed (the pipeline falls back to the simplex)
            result.ref, other = other, result.ref
    for i in range(repeats):
        # the other algorithm is for information: capped at the budget, one slow run enough
        seconds = alone_run(result, mps, other, i, budget)
        if seconds != seconds or seconds > budget / 4:  # also inf
            break
    mps.unlink(missing_ok=True)
    return result


def whole_table(results: list[CaseResult]) -> str:
    """The issue's targets: whole run against HiGHS alone, and peak memory."""
    head = (
        "| case | HiGHS alone ref (s) | whole run / ref | HiGHS best | whole run / best "
        "| head re-solves | energy error | peak MB whole run | peak MB HiGHS alone | memory ratio |\n"
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in results:
        ref = r.median(r.ref)
        best, best_s = r.best()
        alone_peak = statistics.median(r.alone_peak_mb.get(best) or [float("nan")])
        peak = statistics.median(r.peak_mb)
        slp = "/".join(str(s) for s in sorted(set(r.slp)))
        lines.append(
            f"| {r.case} | {ref:.2f} ({r.ref}) | {r.whole() / ref:.2f} | {best} "
            f"| {r.whole() / best_s:.2f} | {slp} | {statistics.median(r.error):.1e} "
            f"| {peak:.0f} | {alone_peak:.0f} | {peak / alone_peak:.2f} |"
        )
    return head + "\n".join(lines) + "\n"


def table(results: list[CaseResult]) -> str:
    head = (
        "| case | HiGHS alone simplex (s) | HiGHS alone ipm (s) | ref | build | translate | solve "
        "| extract | build+extract | SLP re-solves | energy error |\n"
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for r in results:
        ref = r.median(r.ref)
        ratio = {k: r.median(k) / ref for k in ("build", "translate", "solve", "extract")}
        slp = "/".join(str(s) for s in sorted(set(r.slp)))
        lines.append(
            f"| {r.case} | {alone_cell(r, 'simplex')} | {alone_cell(r, 'ipm')} | {r.ref} "
            f"| {ratio['build']:.2f} | {ratio['translate']:.2f} | {ratio['solve']:.2f} "
            f"| {ratio['extract']:.2f} | {ratio['build'] + ratio['extract']:.2f} | {slp} "
            f"| {statistics.median(r.error):.1e} |"
        )
    return head + "\n".join(lines) + "\n"


def alone_cell(r: CaseResult, algorithm: str) -> str:
    runs = r.alone.get(algorithm, [])
    if not runs:
        return "-"
    if any(x != x for x in runs):
        return "fails"
    if any(x == float("inf") for x in runs):
        return "> budget"
    return f"{statistics.median(runs):.2f}{'*' if len(runs) < 3 else ''}"


def seconds_table(results: list[CaseResult]) -> str:
    head = (
        "| case | runs | build (s) | translate (s) | solve (s) | extract (s) "
        "| build+extract, slowest run (s) |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = [
        f"| {r.case} | {len(r.phases['build'])} | {r.median('build'):.2f} "
        f"| {r.median('translate'):.2f} | {r.median('solve'):.2f} | {r.median('extract'):.2f} "
        f"| {max(b + e for b, e in zip(r.phases['build'], r.phases['extract'], strict=True)):.2f} |"
        for r in results
    ]
    return head + "\n".join(lines) + "\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from importlib.metadata import version

    import pyomo

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Pyomo {pyomo.__version__}, highspy {version('highspy')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset, 3 repeats")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big-repeats", type=int, default=1, help="repeats above 100x480")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--cases", default="", help="comma-separated, e.g. base,100x480")
    parser.add_argument("--results", default=None, help="Markdown file to write")
    args = parser.parse_args(argv)
    cases = args.cases.split(",") if args.cases else QUICK_CASES if args.quick else FULL_CASES

    # smallest first (the baseline where it falls), so the budget cut skips only bigger ones
    def size(case: str) -> float:
        if case == "base":
            return 33 * 360
        n, t = (int(x) for x in case.split("x"))
        return n * t

    cases = sorted(cases, key=size)
    results: list[CaseResult] = []
    skipped: list[str] = []
    rate = 0.0  # seconds of a run per (nodes x months) ** 1.5, the largest seen so far
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            predicted = rate * size(case) ** 1.5
            if predicted > args.budget and case not in TARGET_CASES:
                print(
                    f"\n{case}: skipped (a run would take ~{predicted:.0f} s)",
                    flush=True,
                )
                skipped.append(f"{case} (~{predicted:.0f} s a run)")
                continue
            repeats = args.big_repeats if size(case) > BIG else args.repeats
            result = bench_case(case, max(repeats, 1), args.budget, Path(tmp))
            results.append(result)
            rate = max(rate, statistics.median(result.run_seconds) / size(case) ** 1.5)
    text = whole_table(results) + "\n" + table(results)
    print("\nPhase times as a ratio to HiGHS alone on the same LP (ref = the algorithm the")
    print("pipeline's 'auto' picks for a cold solve; medians):\n")
    print(text)
    print(seconds_table(results))
    if skipped:
        print("skipped (predicted over the budget per run):", ", ".join(skipped))
    out = args.results or (None if args.quick or args.cases else str(HERE / "RESULTS.md"))
    if out:
        write_results(Path(out), results, skipped, args)
        print(f"written to {out}")
    return 0


NOTES = "<!-- notes: kept when the benchmark rewrites this file -->"


def write_results(path: Path, results: list[CaseResult], skipped: list[str], args) -> None:
    sizes = "\n".join(f"- **{r.case}**: {r.size}" for r in results)
    old = path.read_text() if path.exists() else ""
    notes = old[old.index(NOTES) :] if NOTES in old else ""
    path.write_text(
        f"""# Core benchmark: build, translate, solve and extraction against HiGHS alone

Run on {dt.date.today():%Y-%m-%d} on {machine()}, with
`.venv/bin/python benchmarks/bench_core.py{" --quick" if args.quick else ""}`
(medians of {args.repeats} runs per case; HiGHS with one thread, as the pipeline runs it).

Each phase is shown as a **ratio to the time HiGHS alone takes to solve the same LP** (read
from an MPS file into a fresh `highspy.Highs`), with the algorithm the pipeline's `auto`
picks for a cold solve (`ref`: simplex up to 80,000 columns, interior point above). "solve"
is everything `solve()` does after translating: the first solve and the SLP head
re-solves, so its ratio is roughly 1 + the number of re-solves times their relative cost.
Every run (and every HiGHS-alone solve) is a fresh spawned process, so that its peak
resident memory (Linux `VmHWM`) is its own; the pipeline's includes its imports
(Pyomo, xarray, pandas: about 200 MB) and a 10 x 120 warm-up run. Cases above 100 x 480
run {args.big_repeats} time(s).

Targets (issue 16): the whole run (build + translate + every solve of the head iteration
+ extract) <= 2 x HiGHS alone on the Syr Darya, 30 x 480 and 100 x 480, energy error
< 0.1 %; from 100 x 960 up <= 1.5 x HiGHS alone with its best algorithm and peak memory
<= 2 x HiGHS alone's.

{whole_table(results)}
Phases (ratios to the `ref` solve):

{table(results)}
Seconds (medians):

{seconds_table(results)}
`*`: fewer than 3 runs of HiGHS alone with the algorithm that is not the reference (one
slow run is enough to show it is slower). "fails": HiGHS stopped with an error (IPX can
fail to build a crossover basis; the pipeline then falls back to the simplex).
{"Skipped (a run predicted to take longer than " + f"{args.budget:.0f} s from the smaller cases, as (nodes x months)^1.5): " + ", ".join(skipped) if skipped else ""}

Cases:

{sizes}

{notes}"""
    )


if __name__ == "__main__":
    raise SystemExit(main())
