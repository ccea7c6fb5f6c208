"""The client side of an ensemble: Dask, batches, progress, member files, the combined cube.

``run_ensemble(scenario, members, options, output=...)``:

1. :func:`~nexusmodel.ensemble.plan.make_plan` loads and checks every scenario here, once;
   the plan is scattered to the workers (they read no files).
2. Members still to run (no file yet in ``<output stem>.members/``) are cut into batches of
   consecutive members of one option, submitted option after option with a bounded number in
   flight, so each worker builds an option's model once and re-solves it for every member it
   gets (:mod:`nexusmodel.ensemble.members`) while the client holds only a few batches.
3. Each finished member is written at once, atomically, as a small NetCDF file
   ``<option>/member_00042.nc``; a rerun skips the members whose file exists, so an
   interrupted ensemble resumes where it stopped.
4. The member files are streamed, one at a time, into one NetCDF cube with ``option`` and
   ``member`` dims (:mod:`nexusmodel.ensemble.combine`), the robustness summaries
   (:mod:`nexusmodel.ensemble.robustness`) are added, and the cube is renamed to ``output``.

Workers: a :class:`distributed.LocalCluster` of ``workers`` processes with one thread each
(on 127.0.0.1 and random ports, no dashboard), an existing cluster
(``scheduler="tls://host:8786"``, with ``security`` for TLS), or a ``client`` you already have.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dask
import xarray as xr
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nexusmodel.ensemble.combine import combine_members
from nexusmodel.ensemble.members import run_batch
from nexusmodel.ensemble.plan import EnsemblePlan, is_folder_name, make_plan
from nexusmodel.ensemble.robustness import robustness
from nexusmodel.errors import InputError, NexusModelError, Problem
from nexusmodel.results.io import atomic_path
from nexusmodel.scenario import Scenario

MANIFEST = "ensemble.json"
READ_ENGINE = "netcdf4"  # opens a member file several times faster than h5netcdf
MAX_BATCH = 8  # members per task: enough to keep a model warm, few enough for a live progress bar


class EnsembleError(NexusModelError):
    """An ensemble that produced no member at all (the cluster, or every batch, failed)."""


@dataclass
class EnsembleResult:
    """What a run did: where the cube is, its robustness summary, and the counts."""

    path: Path
    folder: Path
    summary: xr.Dataset
    members: int
    options: list[str]
    computed: int = 0  # members run now
    skipped: int = 0  # members whose file already existed
    failed: int = 0  # members whose status is not optimal (run now or before)
    lost: list[str] = field(default_factory=list)  # batches that died (no file: rerun retries)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # plan, cluster, members, combine (s)
    notes: tuple[str, ...] = ()


def member_folder(output: str | Path) -> Path:
    """The folder of member files of an ensemble written to ``output``."""
    output = Path(output)
    return output.parent / f"{output.stem}.members"


def member_path(folder: Path, option: str, member: int) -> Path:
    """``folder/<option>/member_00042.nc``; an option name that is not one plain folder name
    (``..``, a separator) is a ValueError: member files never go outside ``folder``."""
    if not is_folder_name(option):
        raise ValueError(f"option name {option!r} is not a safe folder name")
    return folder / option / f"member_{member:05d}.nc"


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` via a temporary file and a rename: never half a file."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _check_manifest(folder: Path, plan: EnsemblePlan) -> None:
    """A member folder holds one hydrology (seeds, horizon, basin) and one version of each
    option; options can be added to it later."""
    path = folder / MANIFEST
    options = dict(plan.option_hashes)
    if path.is_file():
        theirs = json.loads(path.read_text(encoding="utf-8"))
        problems = []
        if theirs.get("members_token") != plan.members_token:
            problems.append(
                Problem(
                    str(folder),
                    f"holds members of another hydrology, horizon or basin ({theirs.get('scenario')})",
                    "delete the folder or write the ensemble to another output",
                )
            )
        for name, known in theirs.get("options", {}).items():
            if name in options and options[name] != known:
                problems.append(
                    Problem(
                        str(folder / name),
                        f"holds members of another version of option {name!r} (its scenario "
                        "or basin files changed)",
                        f"delete {folder / name} to run them again",
                    )
                )
            options.setdefault(name, known)
        if problems:
            raise InputError(problems, title="cannot resume the ensemble")
    manifest = {
        "members_token": plan.members_token,
        "scenario": str(plan.scenario.path),
        "options": options,
    }
    write_atomic(path, json.dumps(manifest, indent=1).encode())


def _status_of(path: Path) -> str:
    with xr.open_dataset(path, engine=READ_ENGINE) as ds:
        return str(ds["status"].values.ravel()[0])


def _pending(
    folder: Path, plan: EnsemblePlan, members: int, retry_failed: bool
) -> tuple[list[tuple[str, int]], int]:
    """(option, member) pairs without a file (or failed, with ``retry_failed``); and done."""
    todo = []
    done = 0
    for option in plan.option_names:
        for k in range(members):
            path = member_path(folder, option, k)
            if path.is_file() and not (retry_failed and _status_of(path) != "optimal"):
                done += 1
            else:
                todo.append((option, k))
    return todo, done


def _batches(todo: list[tuple[str, int]], size: int) -> list[tuple[str, list[int]]]:
    """Consecutive members of one option, ``size`` at most per batch, option after option."""
    out: list[tuple[str, list[int]]] = []
    for option, k in todo:
        if out and out[-1][0] == option and len(out[-1][1]) < size:
            out[-1][1].append(k)
        else:
            out.append((option, [k]))
    return out


#: HTTP routes of the local scheduler: a health check only (no dashboard, no task or
#: worker pages); the scheduler always starts an HTTP server, on a random local port.
LOCAL_HTTP_ROUTES = ["distributed.http.health"]


def local_security() -> object:
    """TLS with a certificate made for this run: only this process and the workers it starts
    hold its key, so no other local process can join the cluster or send it work."""
    from distributed.security import Security

    return Security.temporary()


def scheduler_security(config: str | Path | None) -> object | None:
    """A :class:`distributed.security.Security` from a YAML file for ``--scheduler``.

    Keys: ``tls_ca_file``, ``tls_client_cert``, ``tls_client_key`` (paths, relative to the
    file) and ``require_encryption`` (default true). None: Dask's own configuration
    (``distributed.comm.tls.*``, e.g. from ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``).
    """
    if config is None:
        return None
    from distributed.security import Security

    from nexusmodel.basin.yaml_file import read_yaml

    path = Path(config)
    raw = read_yaml(path)
    keys = ("tls_ca_file", "tls_client_cert", "tls_client_key")
    problems = []
    if not isinstance(raw, dict):
        raw = {}
        problems.append(Problem(str(path), "must be a mapping", "give " + ", ".join(keys)))
    for key in raw:
        if key not in (*keys, "require_encryption"):
            problems.append(Problem(f"{path}: {key}", "unknown key", "use " + ", ".join(keys)))
    files = {}
    for key in keys:
        value = raw.get(key)
        file = path.parent / str(value) if value is not None else None
        if file is None or not file.is_file():
            problems.append(Problem(f"{path}: {key}", f"= {value!r}: no such file", "give a path"))
        files[key] = str(file)
    encrypt = raw.get("require_encryption", True)
    if not isinstance(encrypt, bool):
        problems.append(Problem(f"{path}: require_encryption", f"= {encrypt!r}", "true or false"))
    if problems:
        raise InputError(problems, title="invalid Dask security file")
    return Security(**files, require_encryption=encrypt)


@contextlib.contextmanager
def dask_client(
    workers: int | None = None,
    scheduler: str | None = None,
    client: object | None = None,
    security: object | None = None,
) -> Iterator[object]:
    """The Dask client an ensemble uses: the caller's ``client``, one connected to
    ``scheduler`` (with ``security``, a :class:`distributed.security.Security`, for TLS), or
    a new LocalCluster of ``workers`` processes (default: CPUs - 1) with one thread each and
    the workers' profiler off; what it creates it closes.

    The local cluster listens on 127.0.0.1 only, on random ports, with no dashboard, and
    speaks TLS with a certificate made for the run (:func:`local_security`).
    """
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler is not None:
        with Client(scheduler, timeout="30s", security=security) as c:
            yield c
        return
    n = workers or max(1, (os.cpu_count() or 2) - 1)
    local = local_security()
    with (
        # the workers' statistical profiler keeps every stack it samples: ~0.2 MB a member
        dask.config.set(
            {
                "distributed.worker.profile.enabled": False,
                "distributed.scheduler.http.routes": LOCAL_HTTP_ROUTES,
            }
        ),
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            protocol="tls://" if local is not None else "tcp://",
            security=local,
            dashboard_address=None,
            worker_dashboard_address=None,
            # dashboard_address=None still starts an HTTP server on port 8787 of every
            # interface: keep it on a random local port, without the dashboard
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, security=local) as c,
    ):
        yield c


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("members, [red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _execute(
    c: object,
    plan: EnsemblePlan,
    todo: list[tuple[str, int]],
    folder: Path,
    batch_size: int | None,
    console: Console,
    show_progress: bool,
) -> tuple[int, int, list[str]]:
    """Run the members on the cluster; write each file as it arrives. (run, failed, lost)."""
    from distributed import as_completed

    n_threads = max(1, sum(c.nthreads().values()))  # type: ignore[attr-defined]
    size = batch_size or max(1, min(MAX_BATCH, math.ceil(len(todo) / (4 * n_threads))))
    batches = _batches(todo, size)
    plan_future = c.scatter(plan, broadcast=True, hash=False)  # type: ignore[attr-defined]
    window = 2 * n_threads  # batches in flight: every worker has its next one queued
    queue = iter(batches)

    def submit(batch: tuple[str, list[int]]) -> object:
        option, ks = batch
        return c.submit(  # type: ignore[attr-defined]
            run_batch,
            plan_future,
            option,
            ks,
            pure=False,
            key=f"nexusmodel-members-{plan.token}-{option}-{ks[0]}-{ks[-1]}",
        )

    futures = {}
    for batch in [b for _, b in zip(range(window), queue, strict=False)]:
        futures[submit(batch)] = batch
    run = failed = 0
    lost: list[str] = []
    progress = _progress(console)
    with progress if show_progress else contextlib.nullcontext():
        task = progress.add_task("ensemble", total=len(todo), failed=0)
        pending = as_completed(list(futures))
        for future in pending:
            option, ks = futures.pop(future)
            try:
                results = future.result()  # type: ignore[attr-defined]
            except Exception as exc:  # a worker died or the task broke: no files, rerun retries
                lost.append(f"{option} members {ks[0]}-{ks[-1]}: {type(exc).__name__}: {exc}")
                failed += len(ks)
                results = []
            for k, status, data in results:
                write_atomic(member_path(folder, option, k), data)
                run += 1
                failed += status != "optimal"
            future.release()  # type: ignore[attr-defined]
            progress.update(task, advance=len(ks), failed=failed)
            following = next(queue, None)
            if following is not None:
                new = submit(following)
                futures[new] = following
                pending.add(new)
    return run, failed, lost


def run_ensemble(
    scenario: Scenario | str | Path,
    members: int,
    options: list[Scenario | str | Path] | tuple[Scenario | str | Path, ...] = (),
    *,
    output: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    security: object | None = None,
    client: object | None = None,
    batch_size: int | None = None,
    retry_failed: bool = False,
    winter_energy_gwh: float | None = None,
    horizon_years: int | None = None,
    console: Console | None = None,
    show_progress: bool = True,
) -> EnsembleResult:
    """Run ``members`` hydrologies x (the scenario + ``options``) and write the cube to ``output``.

    See the module docstring. Returns the result with the robustness summary in memory;
    the member cube itself stays on disk (open it with ``xr.open_dataset(result.path)``).
    """
    start = time.perf_counter()
    if members < 1:
        raise InputError([Problem("members", f"= {members}: must be at least 1")])
    console = console or Console()
    plan = make_plan(scenario, list(options), horizon_years=horizon_years)
    output = Path(output)
    folder = member_folder(output)
    folder.mkdir(parents=True, exist_ok=True)
    _check_manifest(folder, plan)
    todo, skipped = _pending(folder, plan, members, retry_failed)
    timings = {"plan": time.perf_counter() - start}
    run, lost = 0, list[str]()
    if todo:
        with dask_client(workers, scheduler, client, security) as c:
            timings["cluster"] = time.perf_counter() - start - sum(timings.values())
            run, _, lost = _execute(c, plan, todo, folder, batch_size, console, show_progress)
            timings["members"] = time.perf_counter() - start - sum(timings.values())
    closing = time.perf_counter()
    paths = {
        option: [
            path if (path := member_path(folder, option, k)).is_file() else None
            for k in range(members)
        ]
        for option in plan.option_names
    }
    if not any(p is not None for files in paths.values() for p in files):
        reasons = "; ".join(lost[:3]) or "no batch returned"
        raise EnsembleError(f"no member of the ensemble finished: {reasons}")
    attrs = {
        "ensemble_members": members,
        "ensemble_options": ", ".join(plan.option_names),
        "ensemble_base_seed": plan.base_seed,
        "ensemble_scenario": str(plan.scenario.path),
        "ensemble_token": plan.token,
        "hydrology": json.dumps(plan.scenario.spec.hydrology.model_dump()),
        "basin": plan.options[plan.option_names[0]].basin.name,
    }
    progress = _progress(console)
    with progress if show_progress else contextlib.nullcontext():
        task = progress.add_task("combining", total=members * len(paths), failed=0)
        summary = combine_members(
            paths,
            output,
            attrs,
            lambda cube: robustness(cube, winter_energy_gwh=winter_energy_gwh),
            lambda n: progress.advance(task, n),
        )
    failed = int(summary["failed"].sum())
    timings["combine"] = time.perf_counter() - closing
    return EnsembleResult(
        path=output,
        folder=folder,
        summary=summary,
        members=members,
        options=plan.option_names,
        computed=run,
        skipped=skipped,
        failed=failed,
        lost=lost,
        seconds=time.perf_counter() - start,
        timings=timings,
        notes=plan.notes,
    )
