"""The ``nexusmodel`` command line: thin wrappers around the library, no logic of its own.

A user mistake (a bad file, an infeasible rule) prints its message and exits with code 2,
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console
from rich.table import Table

from nexusmodel.errors import NexusModelError
from nexusmodel.terminal import markup, text

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from nexusmodel.comparison import Compared
    from nexusmodel.scenario import Scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Integrated water-energy-food river-basin planning.",
)
console = Console()


def _table(title: str, frame: pd.DataFrame, fmt: str = "{:,.1f}") -> Table:
    """A rich table of a pandas DataFrame."""
    table = Table(title=title)
    table.add_column(text(frame.index.name or ""))
    for col in frame.columns:
        table.add_column(text(col), justify="right")
    for idx, row in frame.iterrows():
        table.add_row(
            text(idx), *[text(fmt.format(v) if isinstance(v, int | float) else v) for v in row]
        )
    return table


@app.command()
def validate(
    basin: Annotated[Path, typer.Argument(help="basin folder, e.g. data/syr_darya")],
) -> None:
    """Check a basin's files and print its summary (or every problem found)."""
    from nexusmodel.basin import load_basin
    from nexusmodel.basin.summary import basin_summary

    b = load_basin(basin)
    summary = basin_summary(b)
    console.print(
        f"[bold]{markup(b.name)}[/bold]: {len(b.spec.nodes)} nodes, {len(b.links)} links - valid"
    )
    console.print(_table("Nodes by type and country", summary["nodes"], "{:d}"))
    console.print(_table("By country", summary["by_country"]))
    console.print(f"Natural inflow: {summary['inflow_km3_per_yr']:.2f} km3/yr")
    if b.spec.illustrative:
        console.print(
            "[yellow]This dataset is illustrative and approximate (see SOURCES.md).[/yellow]"
        )


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/baseline.yaml")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="results NetCDF file")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="optimize (whole horizon), rolling (12-month windows), simulate (month by "
            "month with rule curves) or all (the three side by side); default: the scenario's",
        ),
    ] = None,
    solver: Annotated[
        str | None,
        typer.Option(
            "--solver",
            help="another solver by its Pyomo name (cbc, glpk, gurobi, cplex, scip, ...); "
            "default: the built-in highs",
        ),
    ] = None,
) -> None:
    """Run a scenario: build, solve, check the water balance and write the results."""
    from nexusmodel.modes.cli import run_command
    from nexusmodel.scenario import load_scenario

    loaded = load_scenario(scenario)
    if mode is not None:
        _check_mode(loaded, mode)
    if solver is not None:
        loaded = loaded.with_solver(solver)
        if solver != "highs" and (mode or loaded.options.mode) != "optimize":
            raise typer.BadParameter(
                "only the optimize mode can use another solver", param_hint="--solver"
            )
    run_command(console, scenario, mode, output, loaded)


def _check_mode(s: Scenario, mode: str) -> None:
    """A ``--mode`` the scenario can run in: a known mode, and monthly steps for the others."""
    from nexusmodel.errors import InputError, Problem

    modes = ("optimize", "rolling", "simulate", "all")
    if mode not in modes:
        raise typer.BadParameter(f"{mode!r}: use one of {', '.join(modes)}", param_hint="--mode")
    if mode != "optimize" and s.options.step != "month":
        file = s.origin_of("solve.step") or s.path
        raise InputError(
            [
                Problem(
                    f"{file}: solve.step",
                    f"= {s.options.step!r}: --mode {mode} steps month by month",
                    "use step: month, or --mode optimize",
                )
            ],
            title=f"cannot run {s.path} in mode {mode}",
        )


@app.command()
def indicators(
    results: Annotated[Path, typer.Argument(help="results NetCDF file of a run")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="also write one CSV file per table to this folder")
    ] = None,
) -> None:
    """Print the indicator tables of a run (and write them as CSV files on request)."""
    from nexusmodel.report import indicator_tables, rich_table, write_tables
    from nexusmodel.report.runs import load_results_file

    tables = indicator_tables(load_results_file(results))
    for table in tables:
        console.print(rich_table(table))
    if csv is not None:
        paths = write_tables(tables, csv)
        console.print(f"{len(paths)} CSV files written to [bold]{markup(csv)}[/bold]")


@app.command()
def report(
    results: Annotated[
        list[Path], typer.Argument(help="results NetCDF files; the first is the baseline")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write")] = Path(
        "report.html"
    ),
    basin: Annotated[
        Path | None, typer.Option("--basin", help="basin folder (default: found from the results)")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="report title")] = None,
) -> None:
    """Write one self-contained HTML report of one or more runs (opens without a network)."""
    from nexusmodel.report.html import write_report

    with console.status("writing the report ..."):
        path = write_report(results, output, basin=basin, title=title)
    console.print(f"Report written to [bold]{markup(path)}[/bold]")


# --------------------------------------------------------------------------- scenarios


def _shown_path(path: Path | None, beside: Path | None = None) -> str:
    """A file as its name if it is beside ``beside``, else relative to the working folder."""
    if path is None:
        return "(default)"
    if beside is not None and path.parent == beside.parent:
        return path.name
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _run_with_progress(items: list, years: int | None):  # noqa: ANN202 - Compared
    """Run (or read) scenarios in order behind a progress bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from nexusmodel.comparison import compare_scenarios

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("scenarios", total=len(items))

        def start(i: int, n: int, name: str) -> None:
            progress.update(task, description=f"running {name}", total=n)

        def done(i: int, n: int, name: str) -> None:
            progress.advance(task)

        compared = compare_scenarios(items, years, start, done)
        progress.update(task, description="done")
    return compared


def _key_results_tables(title: str, compared: Compared) -> list[Table]:
    """Key results side by side with each scenario's difference from the first (in brackets).

    As many scenarios per table as the console is wide; the first is repeated in every table.
    """
    from nexusmodel.comparison import differences, format_value

    frame = compared.table()
    diff = differences(frame)
    names = list(compared.names)
    per_table = max(1, (console.width - 50) // 22)
    others = names[1:]
    tables = []
    for start in range(0, max(len(others), 1), per_table):  # one table even for one scenario
        chunk = others[start : start + per_table]
        table = Table(title=title if start == 0 else None)
        table.add_column("key result", overflow="fold")
        table.add_column("unit")
        table.add_column(text(names[0]), justify="right", overflow="fold")
        for name in chunk:
            table.add_column(text(f"{name} (\u0394)"), justify="right", overflow="fold")
        for key, row in frame.iterrows():
            cells = [str(key), str(row["unit"]), format_value(row[names[0]])]
            cells += [
                f"{format_value(row[n])} ({format_value(diff.loc[key, n], signed=True)})"
                for n in chunk
            ]
            table.add_row(*map(text, cells))
        tables.append(table)
    return tables


@app.command()
def show(
    scenario: Annotated[
        Path, typer.Argument(help="scenario file, e.g. scenarios/climate_2050_dry.yaml")
    ],
) -> None:
    """Print a scenario's chain and every setting's effective value with the file it came from."""
    from nexusmodel.scenario import validate_scenario
    from nexusmodel.scenario.diff import format_setting

    s, _ = validate_scenario(scenario)
    console.print(f"[bold]{markup(s.name)}[/bold]: {markup(s.spec.description)}")
    chain = " <- ".join(_shown_path(p, s.path) for p in s.chain)
    console.print(f"chain: {markup(chain)} (valid)", soft_wrap=True)
    rows = [
        (key, format_setting(value), _shown_path(origin, s.path))
        for key, value, origin in s.effective_settings()
        if key != "description" and not (origin is None and value in ({}, []))
    ]
    rows = [(k, _shown_path(Path(v)) if k == "basin" else v, o) for k, v, o in rows]
    width = max(len(k) for k, _, _ in rows)
    value_width = min(40, max(len(v) for _, v, _ in rows))
    console.print("settings (empty groups not shown; '(default)': not set by any file):")
    for key, value, origin in rows:
        console.print(
            text(f"  {key:<{width}}  {value:<{value_width}}  {origin}"),
            style="dim" if origin == "(default)" else None,
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@app.command()
def compare(
    items: Annotated[
        list[Path], typer.Argument(help="scenario files (run) or results files (.nc, read)")
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write all results as one NetCDF cube")
    ] = None,
    years: Annotated[
        int | None, typer.Option("--years", min=1, help="shorten the horizon of every run")
    ] = None,
) -> None:
    """Run several scenarios and print their key results side by side (differences vs the first)."""
    from nexusmodel.results import write_results

    compared = _run_with_progress(list(items), years)
    for table in _key_results_tables("Key results (per year of the horizon)", compared):
        console.print(table)
    ledgers = compared.ledgers()  # issue 12: who gains and who pays, by country
    ledgers.index = ledgers.index.map(" ".join).rename("country, item")
    console.print(_table("Ledgers by country (a year; money over the horizon)", ledgers, "{:,.2f}"))
    if output is not None:
        path = write_results(compared.cube(), output)
        console.print(
            f"Results cube ({len(compared.names)} scenarios) written to [bold]{path}[/bold]"
        )


@app.command()
def diff(
    scenario: Annotated[Path, typer.Argument(help="a scenario that extends another")],
    years: Annotated[
        int | None, typer.Option("--years", min=1, help="shorten the horizon of both runs")
    ] = None,
) -> None:
    """What a scenario changes relative to its parent, and what that does to the key results."""
    from nexusmodel.errors import InputError, Problem
    from nexusmodel.scenario import load_scenario
    from nexusmodel.scenario.diff import format_setting, input_changes

    child = load_scenario(scenario)
    if child.parent is None:
        raise InputError(
            [Problem(str(scenario), "has no 'extends': there is no parent to compare with")],
            title="nothing to diff",
        )
    parent = load_scenario(child.parent)
    table = Table(title=text(f"Inputs {child.name} changes relative to {parent.name}"))
    for col in ("setting", parent.name, child.name, "set in"):
        table.add_column(text(col), overflow="fold")
    for change in input_changes(child, parent):
        table.add_row(
            text(change.key),
            text(format_setting(change.parent)),
            text(format_setting(change.child)),
            text(_shown_path(change.file, child.path)),
        )
    console.print(table)
    compared = _run_with_progress([parent, child], years)
    for table in _key_results_tables("What it does to the key results (per year)", compared):
        console.print(table)


@app.command()
def ensemble(
    scenario: Annotated[Path, typer.Argument(help="scenario with a stochastic hydrology")],
    more: Annotated[
        list[Path] | None,
        typer.Argument(help="more policy options (scenario files)", show_default=False),
    ] = None,
    members: Annotated[
        int, typer.Option("--members", "-n", min=1, help="member k draws with seed + k")
    ] = 100,
    options: Annotated[
        list[Path] | None,
        typer.Option("--options", help="policy options: other scenario files on the same basin"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="local worker processes")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="a running Dask scheduler, tls://host:8786")
    ] = None,
    security: Annotated[
        Path | None,
        typer.Option(
            "--security",
            help="YAML file with tls_ca_file, tls_client_cert, tls_client_key for --scheduler",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="the ensemble NetCDF cube")] = Path(
        "results/ensemble.nc"
    ),
    years: Annotated[
        int | None, typer.Option("--years", min=1, help="shorten the horizon of every run")
    ] = None,
    winter_energy_gwh: Annotated[
        float | None,
        typer.Option("--winter-energy-gwh", help="winter hydropower target per year (GWh)"),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="run the failed members again")
    ] = False,
) -> None:
    """Run hydrology members x policy options on Dask; print how robust each option is."""
    from nexusmodel.ensemble import print_robustness, run_ensemble
    from nexusmodel.ensemble.runner import scheduler_security

    if security is not None and scheduler is None:
        raise typer.BadParameter("goes with --scheduler", param_hint="--security")
    result = run_ensemble(
        scenario,
        members,
        [*(options or []), *(more or [])],
        output=output,
        workers=workers,
        scheduler=scheduler,
        security=scheduler_security(security),
        retry_failed=retry_failed,
        winter_energy_gwh=winter_energy_gwh,
        horizon_years=years,
        console=console,
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/yellow] {markup(note)}", highlight=False)
    print_robustness(console, result.summary)
    console.print(
        f"{result.computed} members run now, {result.skipped} already on disk, "
        f"{result.failed} failed (see the variables status and error) in {result.seconds:.0f} s"
    )
    for lost in result.lost:
        console.print(f"[red]lost[/red] {markup(lost)} (a rerun tries them again)", highlight=False)
    console.print(
        f"Ensemble written to [bold]{markup(result.path)}[/bold] "
        f"(members in {markup(result.folder)})"
    )


@app.command()
def frontier(
    scenario: Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/baseline.yaml")],
    objectives: Annotated[
        str,
        typer.Option(
            "--objectives",
            help="two or three of irrigation, hydropower, ecosystem; the first is maximized",
        ),
    ] = "irrigation,hydropower",
    points: Annotated[
        int, typer.Option("--points", min=2, help="levels of each held objective")
    ] = 15,
    hydropower_units: Annotated[
        str, typer.Option("--hydropower-units", help="musd (thermal-replacement value) or gwh")
    ] = "musd",
    output: Annotated[
        Path, typer.Option("--output", "-o", help="frontier NetCDF (the plot: same name, .png)")
    ] = Path("results/frontier.nc"),
    years: Annotated[int | None, typer.Option("--years", min=1, help="shorten the horizon")] = None,
) -> None:
    """Trade-off frontier between sectors (epsilon-constraint on one persistent model)."""
    from nexusmodel.frontier import plot_frontier, trade_off_frontier
    from nexusmodel.results import write_results

    with console.status(f"sweeping the frontier of {markup(scenario)} ..."):
        ds = trade_off_frontier(
            scenario, objectives.split(","), points, hydropower_units, horizon_years=years
        )
    chosen = [s.strip() for s in str(ds.attrs["objectives"]).split(",")]
    table = Table(title=f"Trade-off frontier ({ds.attrs['objectives']}; per year)")
    for col in ["point", *[f"{s} ({ds[s].attrs['units']})" for s in chosen], "efficient"]:
        table.add_column(col, justify="right")
    table.add_row("baseline", *[f"{float(ds[f'baseline_{s}']):,.2f}" for s in chosen], "")
    for i in ds["point"].values:
        row = ds.sel(point=i)
        if str(row["status"].values) != "optimal":
            table.add_row(str(i), *["infeasible" for _ in chosen], "")
            continue
        table.add_row(
            str(i),
            *[f"{float(row[s]):,.2f}" for s in chosen],
            "yes" if int(row["efficient"]) else "no",
        )
    console.print(table)
    path = write_results(ds, output)
    ax = plot_frontier(ds)
    picture = output.with_suffix(".png")
    figure = cast("Figure", ax.figure)
    figure.savefig(picture, dpi=120, bbox_inches="tight")
    console.print(
        f"Frontier written to [bold]{markup(path)}[/bold], plot to [bold]{markup(picture)}[/bold]"
    )


def main() -> None:
    """Entry point: run the app, turning user mistakes into a message and exit code 2."""
    try:
        app(standalone_mode=False)
    except NexusModelError as exc:
        console.print("[red]error:[/red] " + markup(exc), highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        # usage errors (typer's own copy of click's exceptions) show themselves and carry a code
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
