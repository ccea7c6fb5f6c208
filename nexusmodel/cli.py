"""The ``nexusmodel`` command line: thin wrappers around the library, no logic of its own.

A user mistake (a bad file, an infeasible rule) prints its message and exits with code 2,
never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nexusmodel.errors import NexusModelError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Integrated water-energy-food river-basin planning.",
)
console = Console()


def _table(title: str, frame: object, fmt: str = "{:,.1f}") -> Table:
    """A rich table of a pandas DataFrame."""
    table = Table(title=title)
    table.add_column(frame.index.name or "")  # type: ignore[attr-defined]
    for col in frame.columns:  # type: ignore[attr-defined]
        table.add_column(str(col), justify="right")
    for idx, row in frame.iterrows():  # type: ignore[attr-defined]
        table.add_row(
            str(idx), *[fmt.format(v) if isinstance(v, int | float) else str(v) for v in row]
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
    console.print(f"[bold]{b.name}[/bold]: {len(b.spec.nodes)} nodes, {len(b.links)} links - valid")
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
) -> None:
    """Run a scenario: build, solve, check the water balance and write the results."""
    from nexusmodel.results import write_results
    from nexusmodel.results.summary import print_run_summary
    from nexusmodel.run import run_scenario

    with console.status(f"running {scenario} ..."):
        out = run_scenario(scenario)
    path = write_results(out.results, output or Path("results") / f"{scenario.stem}.nc")
    print_run_summary(console, out.results)
    console.print(f"Results written to [bold]{path}[/bold]")


def main() -> None:
    """Entry point: run the app, turning user mistakes into a message and exit code 2."""
    try:
        app(standalone_mode=False)
    except NexusModelError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
