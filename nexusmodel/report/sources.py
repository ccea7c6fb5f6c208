"""Sources and assumptions: the basin's SOURCES.md summarised and the model's assumptions listed."""

from __future__ import annotations

import re
from pathlib import Path

from nexusmodel.report.formatting import esc, relative_path, shown_path
from nexusmodel.report.runs import ReportRun

__all__ = ["assumptions", "sources_file", "sources_section", "sources_summary"]


def _strip_markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"https?://\S+", "", text)
    return re.sub(r"[*`_]{1,2}([^*`_]+)[*`_]{1,2}", r"\1", text).strip()


def sources_file(runs: list[ReportRun]) -> Path | None:
    for run in runs:
        for key in ("sources", "sources_path", "basin_sources"):
            value = run.ds.attrs.get(key)
            if value and Path(str(value)).is_file():
                return Path(str(value))
        if run.basin is not None and (Path(run.basin.path) / "SOURCES.md").is_file():
            return Path(run.basin.path) / "SOURCES.md"
    return None


def sources_summary(path: Path) -> tuple[str, str, list[str]]:
    """Title, first paragraph and section headings of a SOURCES.md (markdown stripped)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((x[2:].strip() for x in lines if x.startswith("# ")), "")
    headings = [re.sub(r"^\d+\.\s*", "", x[3:].strip()) for x in lines if x.startswith("## ")]
    paragraph: list[str] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            if paragraph:
                break
            continue
        paragraph.append(text)
    return (
        _strip_markdown(title),
        _strip_markdown(" ".join(paragraph)),
        [_strip_markdown(h) for h in headings],
    )


def assumptions(runs: list[ReportRun]) -> list[str]:
    ds = runs[0].ds
    items = [
        "Water is allocated month by month by one optimisation over the whole horizon, which "
        "knows every future inflow (perfect foresight): the results show what the system could "
        "achieve, not how it is operated today."
    ]
    kind = ds.attrs.get("objective_kind")
    rate = ds.attrs.get("discount_rate")
    if kind:
        text = f"The objective is {kind}: the net benefit of water use in the basin"
        if rate is not None:
            text += f", discounted at {100 * float(rate):g} % a year"
        items.append(text + ". Values are model prices, not market forecasts.")
    if ds.attrs.get("slp_iterations"):
        err = ds.attrs.get("energy_linearization_error")
        text = (
            f"Hydropower depends on the reservoir level; it is linearised and re-solved "
            f"{int(ds.attrs['slp_iterations'])} times"
        )
        if err is not None:
            text += f" (remaining energy error {100 * float(err):.1f} %)"
        items.append(text + ".")
    residual = ds.attrs.get("water_balance_max_residual_hm3")
    if residual is not None:
        items.append(
            f"Every node's water balance closes in every month (largest residual {float(residual):.1e} hm³)."
        )
    hydro = {r.scenario.spec.hydrology.kind for r in runs if r.scenario is not None}
    if "climatology" in hydro:
        items.append(
            "Climatology hydrology repeats the long-term mean year: there are no droughts or "
            "wet years in such a run, so shortages are those of an average year."
        )
    return items


def sources_section(runs: list[ReportRun], folder: Path | None = None) -> str:
    """The basin, its SOURCES.md (linked relative to the report's ``folder``, never by an
    absolute path) and the model's assumptions."""
    parts = []
    basin = next((r.basin for r in runs if r.basin is not None), None)
    illustrative = basin is not None and basin.spec.illustrative
    path = sources_file(runs)
    if basin is not None:
        parts.append(
            f"<p>Basin data: <b>{esc(basin.name)}</b>, files in "
            f"<code>{esc(shown_path(basin.path, folder))}</code>; "
            f"reference period: {esc(basin.spec.reference_period)}.</p>"
        )
    if path is not None:
        title, paragraph, headings = sources_summary(path)
        href = relative_path(path, folder)
        name = esc(shown_path(path, folder, keep=2))
        shown = f'<a href="{esc(href)}">{name}</a>' if href is not None else f"<code>{name}</code>"
        parts.append(
            f"<p>Every figure of the data is traced in {shown}"
            + (f" (<i>{esc(title)}</i>)" if title else "")
            + ".</p>"
        )
        if paragraph:
            parts.append(f"<blockquote>{esc(paragraph)}</blockquote>")
        if headings:
            parts.append("<p>It covers: " + "; ".join(esc(h) for h in headings) + ".</p>")
    else:
        parts.append(
            '<p class="muted">These results do not say where their input data came from '
            "(no basin folder or SOURCES.md could be found from their attributes). Check the "
            "scenario's basin folder before quoting any number.</p>"
        )
    if illustrative:
        parts.append(
            '<p class="warning">The data are <b>illustrative and approximate</b>: published '
            "figures combined with labelled assumptions. Do not quote these results as facts "
            "about the basin or use them to argue any country's water allocation.</p>"
        )
    parts.append("<h3>Assumptions of the model</h3><ul>")
    parts.extend(f"<li>{esc(a)}</li>" for a in assumptions(runs))
    parts.append("</ul>")
    return "\n".join(parts)
