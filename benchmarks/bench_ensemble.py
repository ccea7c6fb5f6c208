"""Benchmark of ``nexusmodel ensemble``: throughput, overhead over HiGHS, memory as members grow.

    .venv/bin/python benchmarks/bench_ensemble.py [--members 12] [--serial 6] [--memory 50 500]

1. HiGHS alone, in this process, on the Syr Darya stochastic scenario (30 years): for each
   member, the same LP changes a worker makes (the member's inflows into the water-balance
   bounds, then the head iteration's re-expansions) solved warm from the option's stored base
   basis (as a worker does: the same answer in any order) and cold (the solver state cleared
   before every solve). Also the whole member in this process
   (inflows, warm solve, extraction, the member's small Dataset): its overhead over HiGHS.
2. The ensemble on a LocalCluster of 1 and 2 worker processes: members per minute, and per
   member (from the member file) its wall time on the worker against its HiGHS time.
3. Peak memory (RSS, sampled every 50 ms) of the client and of each worker for 50 and 500
   members, each in a fresh process, on a 3-year horizon (500 members of 30 years take too
   long for a benchmark).

Prints Markdown; benchmarks/RESULTS_ENSEMBLE.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "stochastic_inflows.yaml"


def highs_alone(n: int, years: int | None) -> dict[str, float]:
    """Median seconds per member: HiGHS warm, HiGHS cold, the whole member in-process."""
    from nexusmodel.ensemble.members import MemberModel, unpack
    from nexusmodel.ensemble.persistent import PersistentModel
    from nexusmodel.ensemble.plan import make_plan

    plan = make_plan(SCENARIO, horizon_years=years)
    setup = plan.options[plan.option_names[0]]
    inflows = [plan.member_inflow(setup.name, k) for k in range(n + 1)]
    warm, lps = [], []
    pm = PersistentModel(setup.basin, setup.options)
    pm.fix_warm_start()  # every member from the base basis, as MemberModel does
    for k, inflow in enumerate(inflows):
        pm.set_inflow(inflow)
        report = pm.solve()
        if k:  # as before: member 0 left out of the medians
            warm.append(report.timings["solve"])
            lps.append(1 + report.slp_iterations)
    cold = []
    pm = PersistentModel(setup.basin, setup.options)
    run = pm.backend.run

    def cold_run(*args: object, **kwargs: object) -> tuple[str, float]:
        pm.backend.highs.clearSolver()  # no basis: every solve of the member starts cold
        return run(*args, **kwargs)  # type: ignore[arg-type]

    pm.backend.run = cold_run  # type: ignore[method-assign]
    for inflow in inflows[1:]:
        pm.set_inflow(inflow)
        cold.append(pm.solve().timings["solve"])
    whole, ratio = [], []
    member = MemberModel(setup)
    for k in range(n + 1):
        start = time.perf_counter()
        ds = unpack(member.run(plan, k))
        if k:
            whole.append(time.perf_counter() - start)
            ratio.append(whole[-1] / float(ds["solve_seconds"]))
    return {
        "warm": statistics.median(warm),
        "cold": statistics.median(cold),
        "member": statistics.median(whole),
        "ratio": statistics.median(ratio),
        "lps": statistics.median(lps),
        "build": pm.build_seconds,
    }


def ensemble(members: int, workers: int, years: int | None) -> dict[str, float]:
    import numpy as np
    import xarray as xr
    from rich.console import Console

    from nexusmodel.ensemble import run_ensemble

    with tempfile.TemporaryDirectory() as tmp:
        result = run_ensemble(
            SCENARIO,
            members,
            output=Path(tmp) / "ens.nc",
            workers=workers,
            horizon_years=years,
            show_progress=False,
            console=Console(quiet=True),
        )
        with xr.open_dataset(result.path, engine="h5netcdf") as ds:
            wall = ds["member_seconds"].values.ravel()
            solve = ds["solve_seconds"].values.ravel()
    steady = slice(workers, None)  # each worker's first member also builds the model
    return {
        "per_minute": 60.0 * members / result.timings["members"],
        "per_minute_total": 60.0 * members / result.seconds,
        "cluster": result.timings["cluster"],
        "combine": result.timings["combine"],
        "member_median": float(np.median(wall[steady])),
        "ratio_median": float(np.median(wall[steady] / solve[steady])),
        "failed": result.failed,
    }


class PeakSampler:
    """This process's peak RSS, sampled every 50 ms by a thread (``ru_maxrss`` would carry a
    parent's peak over fork and exec)."""

    def __init__(self) -> None:
        import threading

        import psutil

        self.mb = 0.0
        process = psutil.Process()

        def sample() -> None:
            while True:
                self.mb = max(self.mb, process.memory_info().rss / 1e6)
                time.sleep(0.05)

        threading.Thread(target=sample, daemon=True).start()


def start_worker_sampler(dask_worker: object) -> None:
    dask_worker.nexus_peak = PeakSampler()  # type: ignore[attr-defined]


def worker_peak(dask_worker: object) -> float:
    return dask_worker.nexus_peak.mb  # type: ignore[attr-defined]


def memory_child(members: int, workers: int, years: int) -> None:
    """In a fresh process: run the ensemble, print peak RSS of client and workers (JSON)."""
    from rich.console import Console

    from nexusmodel.ensemble import dask_client, run_ensemble

    client_peak = PeakSampler()
    with tempfile.TemporaryDirectory() as tmp, dask_client(workers) as client:
        client.run(start_worker_sampler)  # type: ignore[attr-defined]
        start = time.perf_counter()
        result = run_ensemble(
            SCENARIO,
            members,
            output=Path(tmp) / "ens.nc",
            client=client,
            horizon_years=years,
            show_progress=False,
            console=Console(quiet=True),
        )
        seconds = time.perf_counter() - start
        worker_mb = client.run(worker_peak)  # type: ignore[attr-defined]
        size = result.path.stat().st_size / 1e6
    print(
        json.dumps(
            {
                "client_mb": client_peak.mb,
                "workers_mb": sorted(worker_mb.values()),
                "seconds": seconds,
                "timings": result.timings,
                "output_mb": size,
            }
        )
    )


def memory(members: int, workers: int, years: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(members), str(workers), str(years)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_alone(args: argparse.Namespace) -> None:
    alone = highs_alone(args.serial, args.years)
    print("\n## HiGHS alone vs a member (median s per member, in one process)\n")
    print("| HiGHS cold | HiGHS warm | LPs per member | whole member | member / its own HiGHS |")
    print("|---|---|---|---|---|")
    print(
        f"| {alone['cold']:.2f} | {alone['warm']:.2f} | {alone['lps']:.0f} | "
        f"{alone['member']:.2f} | {alone['ratio']:.2f} |"
    )
    print(f"\n(one build + compile: {alone['build']:.1f} s)")


def print_cluster(args: argparse.Namespace) -> None:
    print("\n## Ensemble on a LocalCluster\n")
    print(
        "| workers | members | members/min (members phase) | members/min (incl. start, "
        "combine) | cluster start s | combine s | member on worker s | member / its HiGHS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for workers in (1, 2):
        r = ensemble(args.members, workers, args.years)
        print(
            f"| {workers} | {args.members} | {r['per_minute']:.1f} | {r['per_minute_total']:.1f} | "
            f"{r['cluster']:.1f} | {r['combine']:.1f} | {r['member_median']:.2f} | "
            f"{r['ratio_median']:.2f} |"
        )


def print_memory(args: argparse.Namespace) -> None:
    print(f"\n## Peak memory, 2 workers, {args.memory_years}-year horizon\n")
    print("| members | client MB | workers MB | run s | output MB |")
    print("|---|---|---|---|---|")
    for members in args.memory:
        r = memory(members, 2, args.memory_years)
        workers_mb = ", ".join(f"{v:.0f}" for v in r["workers_mb"])
        print(
            f"| {members} | {r['client_mb']:.0f} | {workers_mb} | {r['seconds']:.0f} | "
            f"{r['output_mb']:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=12, help="members per throughput run")
    parser.add_argument("--serial", type=int, default=6, help="members of the HiGHS-alone loop")
    parser.add_argument("--years", type=int, default=None, help="horizon (default: 30 years)")
    parser.add_argument("--memory", type=int, nargs="*", default=[50, 500])
    parser.add_argument("--memory-years", type=int, default=3)
    parser.add_argument(
        "--parts", nargs="*", default=["alone", "cluster", "memory"], help="what to measure"
    )
    parser.add_argument("--child", type=int, nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        memory_child(*args.child)
        return
    print(f"load average at start: {os.getloadavg()}, {os.cpu_count()} CPUs")
    if "alone" in args.parts:
        print_alone(args)
    if "cluster" in args.parts:
        print_cluster(args)
    if "memory" in args.parts:
        print_memory(args)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
