"""``nexusmodel run scenario.yaml [--mode optimize|rolling|simulate|all]``: the command's body."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from nexusmodel.modes import run_modes
from nexusmodel.modes.foresight import format_table, reference_end_values, value_of_foresight
from nexusmodel.modes.result import RunResult
from nexusmodel.scenario import Scenario
from nexusmodel.terminal import markup, text


def run_command(
    console: Console,
    scenario: Path,
    mode: str | None,
    output: Path | None,
    loaded: Scenario | None = None,
) -> None:
    """Run a scenario in its mode (or ``mode``; ``all``: the three), write the results and
    print the summary (for ``all``: the value of foresight, one file per mode). ``loaded``:
    the scenario file already loaded (e.g. with a solver chosen on the command line).

    Default files: ``results/<stem>.nc`` for optimize, ``results/<stem>_<mode>.nc`` otherwise.
    """
    from nexusmodel.results import write_results
    from nexusmodel.results.summary import print_run_summary
    from nexusmodel.run import applied_scenario, modes_to_run

    loaded, basin = applied_scenario(loaded or scenario)
    modes = modes_to_run(loaded, mode)
    shown = f"running {markup(scenario)}"
    if modes != ("optimize",):
        shown += f" ({mode or 'scenario'} mode)"
    with console.status(f"{shown} ..."):
        runs = run_modes(basin, loaded.options, modes, loaded.provenance(basin))
    base = output.with_suffix("") if output is not None else Path("results") / scenario.stem
    if len(runs) == 1:
        ((name, run),) = runs.items()
        default = (
            base.with_suffix(".nc")
            if name == "optimize"
            else base.with_name(f"{base.name}_{name}.nc")
        )
        path = write_results(run.results, output or default)
        print_run_summary(console, run.results)
        _windows_line(console, run)
        console.print(f"Results written to [bold]{markup(path)}[/bold]")
        return
    paths = [
        write_results(run.results, base.with_name(f"{base.name}_{name}.nc"))
        for name, run in runs.items()
    ]
    frame = value_of_foresight(
        {name: run.results for name, run in runs.items()},
        basin,
        reference_end_values(runs["optimize"].results),
        {name: run.seconds for name, run in runs.items()},
    )
    table = Table(title=text(f"Value of foresight: {scenario.stem} (per year unless stated)"))
    table.add_column("indicator")
    for name in frame.columns:
        table.add_column(name, justify="right")
    for row in format_table(frame):
        table.add_row(*row)
    console.print(table)
    console.print(
        "Net benefit: every mode's results priced with the same economic objective of the "
        "whole horizon (storage left at the end valued at the optimize run's mean marginal "
        "value of water)."
    )
    for run in runs.values():
        _windows_line(console, run)
    console.print("Results written to " + ", ".join(f"[bold]{markup(p)}[/bold]" for p in paths))


def _windows_line(console: Console, run: RunResult) -> None:
    """Windows, window models, seconds and water balance of a rolling or simulate run."""
    stats = run.stats
    if stats is None or not stats.seconds:
        return
    highs = sum(stats.highs_seconds)
    console.print(
        f"{run.mode}: {len(stats.seconds)} windows on {stats.models_built} window models, "
        f"{sum(stats.seconds):.1f} s ({highs:.1f} s in HiGHS), "
        f"water balance residual {run.results.attrs['water_balance_max_residual_hm3']:.1e} hm3"
    )
