"""One self-contained HTML report of one or more runs, for a policy audience.

``write_report(["results/baseline.nc", "results/dry.nc"], "report.html")`` writes a single
file that opens anywhere without a network: the figures are embedded PNG images (base64),
the style sheet (``style.css`` next to this module) is inlined, and nothing refers to
another server. The first run is the baseline. The report holds:

1. what was run and why: each scenario's name, description (from the results' attributes or
   the scenario file they name), question, horizon, hydrology, basin and solver status;
2. a headline table of the key results (:func:`nexusmodel.indicators.key_results`) per
   scenario with the difference to the baseline;
3. figures (:mod:`nexusmodel.plots`), each with a one-sentence caption computed from the
   numbers it shows;
4. the data's sources and the model's assumptions (the basin's ``SOURCES.md``);
5. a glossary of units and terms.

The basin (positions for the map, reservoir capacities, the sources file) is found from the
results' attributes: ``basin_path`` if present, else the scenario file named by
``scenario_chain``/``scenario_file``; ``basin=`` overrides both. Files are named relative to
the report (or by their folder's name), never by an absolute path, and no link is a
``file://`` URL: the report can be shared as it is.

This module assembles the page; its parts have their own modules: :mod:`.runs` (the runs
and their basin), :mod:`.description` (1), :mod:`.headline` (2), :mod:`.figures` (3),
:mod:`.sources` (4), :mod:`.glossary` (5), :mod:`.formatting` (numbers and paths).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from nexusmodel.errors import InputError, Problem
from nexusmodel.indicators import MissingVariableError, key_results
from nexusmodel.modes.result import RunResult
from nexusmodel.report._atomic import write_text_atomic
from nexusmodel.report.description import runs_section
from nexusmodel.report.dry_years import dry_years_section
from nexusmodel.report.figures import (
    ReportFigure,
    comparison_figure,
    figure_html,
    hydropower_figure,
    marginal_value_figure,
    network_figure,
    storage_comparison_figure,
    storage_figure,
    supply_figure,
)
from nexusmodel.report.formatting import esc, format_number, row_digits, shown_path
from nexusmodel.report.glossary import glossary_section
from nexusmodel.report.headline import HEADLINE_GROUPS, headline_section
from nexusmodel.report.ledgers import ledgers_section
from nexusmodel.report.runs import ReportRun, as_basin, load_results_file, load_run, unique_labels
from nexusmodel.report.sources import sources_section

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin

__all__ = [
    "HEADLINE_GROUPS",
    "ReportRun",
    "build_report",
    "format_number",
    "load_results_file",
    "load_run",
    "row_digits",
    "write_report",
]


def _css() -> str:
    return resources.files("nexusmodel.report").joinpath("style.css").read_text(encoding="utf-8")


def _package_version() -> str:
    try:
        return version("nexusmodel")
    except PackageNotFoundError:
        return "unknown"


def _key_results(runs: list[ReportRun]) -> xr.Dataset:
    parts = [key_results(r.ds) for r in runs]
    return xr.concat(
        parts,
        dim=pd.Index([r.label for r in runs], name="scenario"),
        data_vars="all",
        coords="minimal",
        compat="override",
        join="outer",
    )


def _safe(make: Callable[[], ReportFigure | None]) -> ReportFigure | None:
    try:
        return make()
    except (MissingVariableError, KeyError):
        return None


def build_report(
    runs: Sequence[ReportRun],
    *,
    title: str | None = None,
    generated: datetime | None = None,
    folder: Path | None = None,
) -> str:
    """The report's HTML text for ``runs`` (the first is the baseline); files are shown
    relative to ``folder``, where the report is written (unknown: by their names)."""
    runs = unique_labels(list(runs))
    if not runs:
        raise InputError([Problem("report", "no results given", "pass one or more results files")])
    base = runs[0]
    basin_name = base.basin.name if base.basin is not None else str(base.ds.attrs.get("basin", ""))
    title = title or (f"{basin_name}: " if basin_name else "") + (
        "results of the scenarios" if len(runs) > 1 else f"results of the {base.label} scenario"
    )
    generated = generated or datetime.now(UTC)
    keys = _key_results(runs)

    figures = [
        f
        for f in (
            _safe(lambda: network_figure(base)),
            _safe(lambda: comparison_figure(runs, keys)),
            _safe(lambda: storage_comparison_figure(runs)),
            _safe(lambda: storage_figure(base)),
            _safe(lambda: supply_figure(base)),
            _safe(lambda: hydropower_figure(base)),
            _safe(lambda: marginal_value_figure(base)),
        )
        if f is not None
    ]
    figures_html = "\n".join(figure_html(i + 1, f) for i, f in enumerate(figures))
    if len(runs) > 1:
        lede = f"{len(runs)} scenarios: " + ", ".join(f"<b>{esc(r.label)}</b>" for r in runs) + "."
        scope = (
            f"The first, <b>{esc(base.label)}</b>, is the baseline: the figures show it, "
            "and how the other scenarios differ from it."
        )
    else:
        lede = f"One scenario: <b>{esc(base.label)}</b>."
        scope = "The figures show this scenario."
    illustrative = any(r.basin is not None and r.basin.spec.illustrative for r in runs)
    banner = (
        '<div class="banner">Illustrative data: the basin files combine public figures with '
        'labelled assumptions (see <a href="#sources">Sources and assumptions</a>). The results '
        "show how the system responds, not facts about the basin.</div>"
        if illustrative
        else ""
    )
    toc = "".join(
        f'<li><a href="#{a}">{esc(t)}</a></li>'
        for a, t in (
            ("runs", "What was run and why"),
            ("headline", "Headline results"),
            ("figures", "Figures"),
            ("sources", "Sources and assumptions"),
            ("glossary", "Glossary"),
        )
    )
    ledger_tables = ledgers_section(runs)  # who gains and who pays (issue 12)
    ledgers = (
        f'<section id="ledgers"><h2>Who gains and who pays</h2>\n{ledger_tables}\n</section>'
        if ledger_tables
        else ""
    )
    dry_tables = dry_years_section(runs)
    dry = (
        '<section id="dry-years"><h2>Dry years</h2>\n<p>The years of least natural inflow '
        "in each run with varying years: what the driest years bring.</p>\n"
        f"{dry_tables}\n</section>"
        if dry_tables
        else ""
    )
    files = (
        ", ".join(esc(shown_path(r.path, folder)) for r in runs if r.path is not None)
        or "in-memory results"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nexusmodel {esc(_package_version())}">
<title>{esc(title)}</title>
<style>
{_css()}
</style>
</head>
<body>
<header>
<p class="kicker">nexusmodel report &middot; water, energy and food</p>
<h1>{esc(title)}</h1>
<p class="lede">{lede} {scope}</p>
{banner}
<nav aria-label="Contents"><ol>{toc}</ol></nav>
</header>
<main>
<section id="runs"><h2>What was run and why</h2>
{runs_section(runs, folder)}
</section>
<section id="headline-results"><h2 id="headline-title">Headline results</h2>
{headline_section(runs, keys)}
</section>
{ledgers}
{dry}
<section id="figures"><h2>Figures</h2>
{figures_html}
</section>
<section id="sources"><h2>Sources and assumptions</h2>
{sources_section(runs, folder)}
</section>
<section id="glossary"><h2>Glossary</h2>
{glossary_section()}
</section>
</main>
<footer>Made with nexusmodel {esc(_package_version())} on {generated:%Y-%m-%d %H:%M} UTC from {files}.</footer>
</body>
</html>
"""


def write_report(
    sources: Sequence[str | Path | xr.Dataset | RunResult | ReportRun],
    output: str | Path,
    *,
    basin: Basin | str | Path | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of ``sources`` (results files, Datasets, :class:`RunResult` of
    ``run_scenario`` or report runs; the first is the baseline) to ``output`` atomically (a
    temporary file renamed into place) and return its path."""
    basin = as_basin(basin)
    runs: list[ReportRun] = []
    for source in sources:
        if isinstance(source, ReportRun):
            runs.append(source)
        elif isinstance(source, RunResult):
            runs.extend(load_run(source.results, basin=basin))
        else:
            runs.extend(load_run(source, basin=basin))
    output = Path(output)
    return write_text_atomic(build_report(runs, title=title, folder=output.parent), output)
