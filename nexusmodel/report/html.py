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
``scenario_chain``/``scenario_file``; ``basin=`` overrides both.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from nexusmodel import plots
from nexusmodel.errors import InputError, NexusModelError, Problem
from nexusmodel.indicators import KEY_RESULTS, WINTER_MONTHS, MissingVariableError, key_results
from nexusmodel.report._atomic import write_text_atomic
from nexusmodel.results.io import read_results

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin
    from nexusmodel.scenario import Scenario

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

#: the headline table's rows, grouped by theme (names of :data:`KEY_RESULTS`)
HEADLINE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Water",
        (
            "irrigation_delivery_km3_per_yr",
            "irrigation_demand_km3_per_yr",
            "irrigation_coverage_pct",
            "municipal_coverage_pct",
        ),
    ),
    ("Food", ("food_production_kt_per_yr", "agricultural_income_musd_per_yr")),
    (
        "Energy",
        (
            "hydropower_gwh_per_yr",
            "hydropower_winter_gwh_per_yr",
            "hydropower_summer_gwh_per_yr",
            "thermal_gwh_per_yr",
            "thermal_cost_musd_per_yr",
        ),
    ),
    ("Environment", ("terminal_inflow_km3_per_yr", "env_compliance_pct")),
    ("Economy", ("objective_musd",)),
)

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "hm³ (hm3)",
        "cubic hectometre: one million cubic metres (10⁶ m³), the model's unit of volume.",
    ),
    (
        "km³ (km3)",
        "cubic kilometre: one billion cubic metres, 1,000 hm³. A flow of 1 km³ a year is about 32 m³/s.",
    ),
    ("GWh", "gigawatt-hour: one million kilowatt-hours of electricity."),
    ("kt", "kilotonne: 1,000 tonnes (of crops)."),
    (
        "Demand met (coverage)",
        "the share of the water asked for over the horizon that was delivered.",
    ),
    (
        "Reliability",
        "the share of months in which a user got at least 99 % of its demand (Hashimoto et al., 1982).",
    ),
    (
        "Resilience",
        "the chance that a month short of water is followed by a month without shortage.",
    ),
    (
        "Vulnerability",
        "how deep the shortages are: the mean share of the demand missing in the months that fall short.",
    ),
    (
        "Marginal value of water",
        "how much the basin's net benefit would rise with one more m³ of water at a place and month (USD/m³); 0 means water is not scarce there and then.",
    ),
    (
        "Net benefit (objective)",
        "what the model maximises, summed over the horizon: crop income, the value of water supplied to other users and electricity exports, minus the costs of thermal generation and imports and the penalties for unmet requirements.",
    ),
    (
        "Rule curve",
        "a storage level, by month, that reservoir operation should stay above (minimum) or below (maximum).",
    ),
    ("Dead storage", "the water below the lowest outlet of a dam, which cannot be released."),
    (
        "Environmental flow",
        "the flow kept in a river or delivered to a lake or wetland for nature.",
    ),
    (
        "Terminal lake",
        "a lake or sea with no outflow at the end of the river (in the Syr Darya example, the Northern Aral Sea).",
    ),
    (
        "Winter, summer",
        "October-March and April-September, the Central Asian power and irrigation seasons.",
    ),
    ("Baseline", "the first scenario of the report, against which the others are compared."),
    ("pp", "percentage points: the difference between two percentages (90 % to 85 % is -5 pp)."),
)

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DPI = 110
_MINUS = "\u2212"


# ---------------------------------------------------------------------------------------
# runs


@dataclass(frozen=True)
class ReportRun:
    """One run in the report: its label, results, and (when found) file, scenario and basin."""

    label: str
    ds: xr.Dataset
    path: Path | None = None
    scenario: Scenario | None = None
    basin: Basin | None = None


def load_results_file(path: str | Path) -> xr.Dataset:
    """Read a results NetCDF; a missing or unreadable file is an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    str(path), "no such file", "give a results file written by 'nexusmodel run -o'"
                )
            ],
            title="cannot read results",
        )
    try:
        return read_results(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            [Problem(str(path), f"not a results NetCDF file ({exc.__class__.__name__}: {exc})")],
            title="cannot read results",
        ) from None


def _scenario_path(ds: xr.Dataset) -> Path | None:
    chain = str(ds.attrs.get("scenario_chain", "")).split(" <- ")[0].strip()
    for candidate in (chain, str(ds.attrs.get("scenario_file", "")).strip()):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _find_scenario(ds: xr.Dataset) -> Scenario | None:
    path = _scenario_path(ds)
    if path is None:
        return None
    from nexusmodel.scenario import load_scenario

    try:
        return load_scenario(path)
    except (NexusModelError, OSError, ValueError):
        return None


def _find_basin(ds: xr.Dataset, scenario: Scenario | None) -> Basin | None:
    from nexusmodel.basin import load_basin

    folder = ds.attrs.get("basin_path") or ds.attrs.get("basin_dir")
    try:
        if folder and Path(str(folder)).exists():
            basin = load_basin(str(folder))
        elif scenario is not None:
            from nexusmodel.scenario import apply_scenario

            basin = apply_scenario(load_basin(scenario.basin_path), scenario)
        else:
            return None
    except (NexusModelError, OSError, ValueError):
        return None
    name = ds.attrs.get("basin")
    return basin if not name or name == basin.name else None


def _as_basin(basin: Basin | str | Path | None) -> Basin | None:
    if basin is None or not isinstance(basin, str | Path):
        return basin
    from nexusmodel.basin import load_basin

    return load_basin(basin)


def load_run(
    source: str | Path | xr.Dataset,
    *,
    label: str | None = None,
    basin: Basin | str | Path | None = None,
) -> list[ReportRun]:
    """The run(s) of a results file or Dataset; a scenario cube gives one run per scenario."""
    path = None if isinstance(source, xr.Dataset) else Path(source)
    ds = source if isinstance(source, xr.Dataset) else load_results_file(source)
    if "member" in ds.dims:
        raise InputError(
            [
                Problem(
                    str(path or "results"),
                    "is an ensemble (a 'member' dim)",
                    "report single runs or a scenario cube",
                )
            ],
            title="cannot report",
        )
    scenario = _find_scenario(ds)
    found = _as_basin(basin) or _find_basin(ds, scenario)
    if "scenario" in ds.dims:
        runs = []
        for value in np.asarray(ds["scenario"].values):
            one = ds.sel(scenario=value)
            one.attrs = {**ds.attrs, "scenario": str(value)}
            runs.append(ReportRun(str(value), one, path, None, found))
        return runs
    name = label or str(ds.attrs.get("scenario") or (path.stem if path else "run"))
    return [ReportRun(name, ds, path, scenario, found)]


def _unique_labels(runs: list[ReportRun]) -> list[ReportRun]:
    seen: dict[str, int] = {}
    out = []
    for run in runs:
        label = run.label
        if label in seen:
            seen[label] += 1
            stem = run.path.stem if run.path is not None else ""
            label = stem if stem and stem not in seen else f"{label} ({seen[run.label]})"
        seen.setdefault(label, 1)
        out.append(replace(run, label=label))
    return out


# ---------------------------------------------------------------------------------------
# numbers


def row_digits(values: Sequence[float], units: str) -> int:
    """Decimals for one headline row: 1 for %, else by the largest magnitude in the row."""
    if units == "%":
        return 1
    finite = [abs(v) for v in values if np.isfinite(v)]
    size = max(finite, default=0.0)
    if size == 0.0 or size >= 100:
        return 0
    if size >= 10:
        return 1
    if size >= 1:
        return 2
    return 3


def format_number(value: float, digits: int, signed: bool = False) -> str:
    """``12,345.6``; negative with a true minus sign; ``+`` when ``signed``; ``-`` for NaN."""
    if not np.isfinite(value):
        return "–"
    rounded = round(float(value), digits)
    if rounded == 0.0:
        rounded = 0.0  # no "-0.0"
    text = f"{abs(rounded):,.{digits}f}"
    if rounded < 0:
        return _MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _units_html(units: str) -> str:
    return _esc(plots.pretty_units(units))


def _km3(hm3: float) -> str:
    return f"{hm3 / 1e3:,.1f} km³" if abs(hm3) >= 1000 else f"{hm3 / 1e3:,.2f} km³"


def _pct(x: float) -> str:
    """A share in %: ``58 %``, ``4.5 %``."""
    return f"{x:.0f}\u00a0%" if abs(x) >= 10 else f"{x:.1f}\u00a0%"


def _met(x: float) -> str:
    """A share of a demand met: ``98.6 %``; ``100 %`` only when it rounds to 100.0."""
    return "100\u00a0%" if x >= 99.95 else f"{x:.1f}\u00a0%"


# ---------------------------------------------------------------------------------------
# figures


@dataclass(frozen=True)
class _Figure:
    key: str
    title: str
    png: bytes
    caption: str
    alt: str


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _main_reservoir(ds: xr.Dataset, basin: Basin | None) -> str | None:
    if "storage" not in ds.variables:
        return None
    storage = ds["storage"]
    nodes = [
        str(n)
        for n in np.asarray(storage["node"].values)[np.asarray(storage.notnull().any("time"))]
    ]
    if not nodes:
        return None

    def size(node: str) -> float:
        bounds = plots.storage_bounds(ds, node, basin)
        return bounds.get("capacity", float(storage.sel(node=node).max()))

    return max(nodes, key=size)


def _winter_minima(ds: xr.Dataset, node: str) -> np.ndarray:
    """Lowest storage (hm3) of each winter (October-March, grouped by the October's year)."""
    times = pd.DatetimeIndex(ds["time"].values)
    values = np.asarray(ds["storage"].sel(node=node).values, dtype=float)
    winter = np.isin(times.month, WINTER_MONTHS)
    season = np.where(times.month >= 10, times.year, times.year - 1)
    frame = pd.DataFrame({"season": season[winter], "value": values[winter]})
    return frame.groupby("season")["value"].min().to_numpy()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _short(name: str) -> str:
    return re.sub(r"\s+(and HPP|reservoir and HPP)$", "", name).strip() or name


def _storage_figure(run: ReportRun) -> _Figure | None:
    ds, basin = run.ds, run.basin
    if "storage" not in ds.variables:
        return None
    storage = ds["storage"]
    nodes = [
        str(n)
        for n in np.asarray(storage["node"].values)[np.asarray(storage.notnull().any("time"))]
    ]
    if not nodes:
        return None
    main = _main_reservoir(ds, basin)
    nodes = [main, *[n for n in nodes if n != main]] if main else nodes
    ncols = 1 if len(nodes) == 1 else 2
    nrows = int(np.ceil(len(nodes) / ncols))
    fig = Figure(figsize=(10.0, 2.9 * nrows + 0.3 if ncols == 2 else 4.0), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, node in enumerate(nodes):
        ax = plots.plot_storage(ds, ax=axes[i], nodes=[node], basin=basin)
        ax.set_title(_short(plots.node_name(ds, node)), loc="left", fontsize="medium")
        if i > 0 and ax.get_legend() is not None:
            ax.get_legend().remove()
    for ax in axes[len(nodes) :]:
        ax.set_visible(False)
    name = _short(plots.node_name(ds, main)) if main else nodes[0]
    minima = _winter_minima(ds, main) if main else np.array([])
    years = pd.DatetimeIndex(ds["time"].values).year
    peaks = pd.Series(np.asarray(storage.sel(node=main).values)).groupby(years).max()
    bounds = plots.storage_bounds(ds, main, basin) if main else {}
    caption = (
        f"{name} is drawn down to {_km3(float(np.mean(minima)))} each winter on average "
        f"(lowest {_km3(float(np.min(minima)))}) and refills to about {_km3(float(peaks.mean()))}"
        if minima.size
        else f"{name} storage over the horizon"
    )
    if "capacity" in bounds:
        caption += f" of its {_km3(bounds['capacity'])} capacity"
    caption += "."
    if len(nodes) > 1:
        caption += f" The other panels show the {len(nodes) - 1} other reservoirs, largest first."
    return _Figure(
        "storage",
        "Reservoir storage",
        _png(fig),
        caption,
        f"Storage of {len(nodes)} reservoir(s) over the horizon, with capacity and dead storage",
    )


def _supply_figure(run: ReportRun) -> _Figure | None:
    ds = run.ds
    table = plots.supply_table(ds)
    if table.empty:
        return None
    fig = Figure(figsize=(10.0, 1.2 + 0.42 * len(table)), layout="constrained")
    plots.plot_supply(ds, ax=fig.subplots())
    total_d, total_s = float(table["demand"].sum()), float(table["delivery"].sum())
    share = 100.0 * total_s / total_d if total_d > 0 else np.nan
    caption = (
        f"Districts and towns receive {total_s:,.2f} km³ of the {total_d:,.2f} km³ of water "
        f"they ask for each year ({_met(share)})"
    )
    short = table[table["coverage_pct"] < 99.95]
    if short.empty:
        caption += "; every one of them gets its full demand."
    else:
        worst = short["coverage_pct"].idxmin()
        caption += (
            f"; the largest shortfall is in {table.loc[worst, 'name']}, which gets "
            f"{_met(float(table.loc[worst, 'coverage_pct']))} of its demand."
        )
    return _Figure(
        "supply",
        "Water delivered against demand",
        _png(fig),
        caption,
        "Bars of demand and delivery by district",
    )


def _hydropower_figure(run: ReportRun) -> _Figure | None:
    ds = run.ds
    table = plots.hydropower_by_month(ds)
    total = float(table.to_numpy().sum())
    if total <= 0:
        return None
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    plots.plot_hydropower(ds, ax=fig.subplots())
    winter = float(table.loc[list(WINTER_MONTHS)].to_numpy().sum())
    by_country = table.sum()
    top = str(by_country.idxmax())
    peak = int(table.sum(axis=1).idxmax())
    caption = (
        f"The plants generate {total:,.0f} GWh a year on average, {_pct(100 * winter / total)} of it "
        f"in winter (October-March); plants in {top} produce {_pct(100 * by_country[top] / total)} "
        f"of it, and generation peaks in {_MONTH_NAMES[peak - 1]}."
    )
    return _Figure(
        "hydropower",
        "Hydropower by month and country",
        _png(fig),
        caption,
        "Stacked bars of hydropower by month and country",
    )


def _marginal_value_figure(run: ReportRun) -> _Figure | None:
    ds = run.ds
    table = plots.marginal_value_by_month(ds)
    data = table.to_numpy()
    if not np.isfinite(data).any():
        return None
    fig = Figure(figsize=(10.0, 1.6 + 0.3 * len(table)), layout="constrained")
    plots.plot_marginal_value(ds, ax=fig.subplots())
    i, j = np.unravel_index(np.nanargmax(data), data.shape)
    node = str(table.index[i])
    caption = (
        f"Water is worth most at {plots.node_name(ds, node)} in {_MONTH_NAMES[j]} "
        f"({data[i, j]:.3f} USD per m³ on average): one more m³ there would add that much to the "
        f"net benefit; across the basin and the year the mean is {float(np.nanmean(data)):.3f} USD/m³."
    )
    return _Figure(
        "marginal-value",
        "Marginal value of water",
        _png(fig),
        caption,
        "Heat map of the marginal value of water by node and month",
    )


def _network_figure(run: ReportRun) -> _Figure | None:
    ds, basin = run.ds, run.basin
    if basin is None:
        return None
    try:
        fig = Figure(figsize=(11.0, 7.0), layout="constrained")
        plots.plot_network(ds, basin=basin, ax=fig.subplots())
    except ValueError:  # nodes without positions
        return None
    flows = plots.mean_link_flow(ds) if "link_flow" in ds.variables else pd.Series(dtype=float)
    water = [n for n in basin.spec.nodes if n.type != "energy_system"]
    caption = (
        f"The {basin.name} network as modelled: {len(water)} water nodes in "
        f"{len({n.country for n in water})} countries joined by {len(basin.links)} links"
    )
    if len(flows) and flows.max() > 0:
        top = str(flows.idxmax())
        a, b = top.split(">")
        caption += (
            f"; line width shows the mean flow, up to {flows.max():,.1f} km³ a year from {a} to {b}"
        )
    caption += ". Positions are schematic."
    return _Figure(
        "network", "The basin network", _png(fig), caption, "Schematic map of the basin network"
    )


def _comparison_figure(runs: list[ReportRun], keys: xr.Dataset) -> _Figure | None:
    if len(runs) < 2:
        return None
    table = plots.comparison_table(keys)
    if table.empty:
        return None
    n = len(set(table["indicator"]))
    fig = Figure(
        figsize=(10.0, 1.4 + 0.42 * n * max(1, len(runs) - 1) ** 0.6), layout="constrained"
    )
    plots.plot_scenario_comparison(keys, ax=fig.subplots())
    sentences = []
    for label in dict.fromkeys(table["scenario"]):
        part = table[(table["scenario"] == label) & np.isfinite(table["relative_pct"])]
        part = part.reindex(part["relative_pct"].abs().sort_values(ascending=False).index)
        moves = [
            f"{_lower_first(plots.INDICATOR_LABELS.get(r.indicator, r.indicator))} by "
            f"{format_number(r.relative_pct, 0 if abs(r.relative_pct) >= 10 else 1, True)}\u00a0% "
            f"({plots.format_difference(r.difference, r.units)})"
            for r in part.head(2).itertuples()
            if round(r.relative_pct, 1) != 0
        ]
        if moves:
            sentences.append(f"{label} changes " + " and ".join(moves))
        else:
            sentences.append(f"{label} changes none of these indicators")
    caption = "Compared with the baseline, " + "; ".join(sentences) + "."
    return _Figure(
        "comparison",
        "Scenarios compared with the baseline",
        _png(fig),
        caption,
        "Bars of the change of each key result from the baseline",
    )


def _storage_comparison_figure(runs: list[ReportRun]) -> _Figure | None:
    if len(runs) < 2:
        return None
    main = _main_reservoir(runs[0].ds, runs[0].basin)
    if main is None or not all(
        "storage" in r.ds.variables and main in r.ds["node"].values for r in runs
    ):
        return None
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    ax = fig.subplots()
    palette = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")
    parts = []
    for k, run in enumerate(runs):
        plots.plot_storage(
            run.ds,
            ax=ax,
            nodes=[main],
            basin=runs[0].basin,
            bounds=k == 0,
            rules=k == 0,
            label=run.label,
            color=palette[k % len(palette)],
        )
        minima = _winter_minima(run.ds, main)
        if minima.size:
            parts.append(f"{_km3(float(minima.min()))} in {run.label}")
    name = _short(plots.node_name(runs[0].ds, main))
    ax.set_title(f"{name}: storage in each scenario", loc="left")
    ax.legend(
        fontsize="small",
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncols=min(len(runs) + 3, 6),
    )
    caption = f"The lowest winter storage of {name} is " + ", ".join(parts) + "." if parts else ""
    return _Figure(
        "storage-comparison",
        f"{name} in each scenario",
        _png(fig),
        caption,
        f"Storage of {name} in each scenario",
    )


# ---------------------------------------------------------------------------------------
# sections


def _horizon(ds: xr.Dataset) -> str:
    times = pd.DatetimeIndex(ds["time"].values)
    years = len(times) / 12.0
    n = f"{years:g} year" + ("" if years == 1 else "s")
    return f"{times[0]:%b %Y} to {times[-1]:%b %Y} ({n}, monthly)"


def _question(scenario: Scenario | None) -> str:
    """The comment block at the top of the scenario file (its question), if any."""
    if scenario is None or not Path(scenario.path).is_file():
        return ""
    lines = []
    for line in Path(scenario.path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(x for x in lines if x)
    if "?" in text:  # the question, without the notes that may follow it
        return text[: text.index("?") + 1]
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def _description(run: ReportRun) -> str:
    for key in ("description", "scenario_description"):
        if run.ds.attrs.get(key):
            return str(run.ds.attrs[key])
    return run.scenario.spec.description if run.scenario is not None else ""


def _runs_section(runs: list[ReportRun]) -> str:
    cards = []
    for k, run in enumerate(runs):
        ds = run.ds
        facts = [("Horizon", _horizon(ds))]
        basin_name = run.basin.name if run.basin is not None else ds.attrs.get("basin", "")
        if basin_name:
            facts.append(("Basin", str(basin_name)))
        if run.scenario is not None:
            hyd = run.scenario.spec.hydrology
            facts.append(
                (
                    "Hydrology",
                    hyd.kind + (f" (seed {hyd.seed})" if hyd.kind == "stochastic" else ""),
                )
            )
        elif ds.attrs.get("hydrology"):
            facts.append(("Hydrology", str(ds.attrs["hydrology"])))
        if ds.attrs.get("status"):
            facts.append(("Solver status", str(ds.attrs["status"])))
        if run.path is not None:
            facts.append(("Results file", str(run.path)))
        if ds.attrs.get("scenario_file"):
            facts.append(("Scenario file", str(ds.attrs["scenario_file"])))
        question = _question(run.scenario)
        description = _description(run)
        tag = '<span class="tag">baseline</span>' if k == 0 else ""
        body = [f"<h3>{_esc(run.label)} {tag}</h3>"]
        if question:
            body.append(f'<p class="question">{_esc(question)}</p>')
        if description:
            body.append(f"<p>{_esc(description)}</p>")
        if not question and not description:
            body.append('<p class="muted">No description was recorded with these results.</p>')
        body.append(
            '<dl class="facts">'
            + "".join(f"<dt>{_esc(a)}</dt><dd>{_esc(b)}</dd>" for a, b in facts)
            + "</dl>"
        )
        cards.append(f'<div class="card scenario">{"".join(body)}</div>')
    return "\n".join(cards)


def _headline_section(runs: list[ReportRun], keys: xr.Dataset) -> str:
    labels = [r.label for r in runs]
    base = labels[0]
    head = ['<th scope="col" class="ind">Indicator</th>', '<th scope="col">Unit</th>']
    sub = '<span class="sub">baseline</span>' if base.lower() != "baseline" else ""
    head.append(f'<th scope="col" class="num" data-scenario="{_esc(base)}">{_esc(base)}{sub}</th>')
    for label in labels[1:]:
        head.append(f'<th scope="col" class="num" data-scenario="{_esc(label)}">{_esc(label)}</th>')
        head.append(
            '<th scope="col" class="num diff">change<span class="sub">vs baseline</span></th>'
        )
    rows = []
    ncols = 3 + 2 * (len(labels) - 1)
    for group, names in HEADLINE_GROUPS:
        rows.append(
            f'<tr class="group"><th colspan="{ncols}" scope="rowgroup">{_esc(group)}</th></tr>'
        )
        for name in names:
            units = KEY_RESULTS[name]
            values = [float(keys[name].sel(scenario=lab).values) for lab in labels]
            digits = row_digits(values, units)
            label = plots.INDICATOR_LABELS.get(name, name)
            unit = units
            cells = [
                f'<th scope="row" class="ind">{_esc(label)}</th>',
                f'<td class="unit">{_units_html(unit)}</td>',
                f'<td class="num" data-scenario="{_esc(base)}" data-role="value">'
                f'<span class="n">{format_number(values[0], digits)}</span></td>',
            ]
            for lab, value in zip(labels[1:], values[1:], strict=True):
                diff = value - values[0]
                rel = (
                    100.0 * diff / abs(values[0])
                    if np.isfinite(values[0]) and values[0] != 0
                    else np.nan
                )
                arrow = ""
                if np.isfinite(diff) and round(diff, digits) != 0:
                    arrow = (
                        '<span class="arrow up">▲</span>'
                        if diff > 0
                        else '<span class="arrow down">▼</span>'
                    )
                rel_text = (
                    f' <span class="rel">({format_number(rel, 1 if abs(rel) < 10 else 0, True)}\u00a0%)</span>'
                    if np.isfinite(rel) and units != "%" and round(diff, digits) != 0
                    else ""
                )
                diff_text = (
                    "pp" if units == "%" and np.isfinite(diff) and round(diff, digits) != 0 else ""
                )
                cells.append(
                    f'<td class="num" data-scenario="{_esc(lab)}" data-role="value">'
                    f'<span class="n">{format_number(value, digits)}</span></td>'
                )
                cells.append(
                    f'<td class="num diff" data-scenario="{_esc(lab)}" data-role="difference">'
                    f'{arrow}<span class="n">{format_number(diff, digits, True)}</span>'
                    f"{' ' + diff_text if diff_text else ''}{rel_text}</td>"
                )
            rows.append(f'<tr data-key="{name}">{"".join(cells)}</tr>')
    note = "Mean annual values over each scenario's horizon unless stated. " + (
        "“change” is the scenario minus the baseline (▲ higher, ▼ lower; pp = percentage points); "
        "the arrows mark direction only, not better or worse."
        if len(labels) > 1
        else "Run more scenarios and pass them after the baseline to compare them."
    )
    return (
        '<div class="table-wrap"><table id="headline" class="headline">'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="note">{_esc(note)}</p>'
    )


def _figure_html(number: int, fig: _Figure) -> str:
    width, height = _png_size(fig.png)
    data = base64.b64encode(fig.png).decode("ascii")
    return (
        f'<figure id="fig-{fig.key}">'
        f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
        f'alt="{_esc(fig.alt)}">'
        f"<figcaption><b>Figure {number}. {_esc(fig.title)}.</b> {_esc(fig.caption)}</figcaption>"
        "</figure>"
    )


def _strip_markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"https?://\S+", "", text)
    return re.sub(r"[*`_]{1,2}([^*`_]+)[*`_]{1,2}", r"\1", text).strip()


def _sources_file(runs: list[ReportRun]) -> Path | None:
    for run in runs:
        for key in ("sources", "sources_path", "basin_sources"):
            value = run.ds.attrs.get(key)
            if value and Path(str(value)).is_file():
                return Path(str(value))
        if run.basin is not None and (Path(run.basin.path) / "SOURCES.md").is_file():
            return Path(run.basin.path) / "SOURCES.md"
    return None


def _sources_summary(path: Path) -> tuple[str, str, list[str]]:
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


def _assumptions(runs: list[ReportRun]) -> list[str]:
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


def _sources_section(runs: list[ReportRun]) -> str:
    parts = []
    basin = next((r.basin for r in runs if r.basin is not None), None)
    illustrative = basin is not None and basin.spec.illustrative
    path = _sources_file(runs)
    if basin is not None:
        parts.append(
            f"<p>Basin data: <b>{_esc(basin.name)}</b>, files in <code>{_esc(basin.path)}</code>; "
            f"reference period: {_esc(basin.spec.reference_period)}.</p>"
        )
    if path is not None:
        title, paragraph, headings = _sources_summary(path)
        parts.append(
            f'<p>Every figure of the data is traced in <a href="{_esc(path.resolve().as_uri())}">'
            f"{_esc(path)}</a>" + (f" (<i>{_esc(title)}</i>)" if title else "") + ".</p>"
        )
        if paragraph:
            parts.append(f"<blockquote>{_esc(paragraph)}</blockquote>")
        if headings:
            parts.append("<p>It covers: " + "; ".join(_esc(h) for h in headings) + ".</p>")
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
    parts.extend(f"<li>{_esc(a)}</li>" for a in _assumptions(runs))
    parts.append("</ul>")
    return "\n".join(parts)


def _glossary_section() -> str:
    items = "".join(f"<dt>{_esc(term)}</dt><dd>{_esc(text)}</dd>" for term, text in GLOSSARY)
    return f'<dl class="glossary">{items}</dl>'


def _css() -> str:
    return resources.files("nexusmodel.report").joinpath("style.css").read_text(encoding="utf-8")


def _package_version() -> str:
    try:
        return version("nexusmodel")
    except PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------
# the report


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


def _safe(make: Callable[[], _Figure | None]) -> _Figure | None:
    try:
        return make()
    except (MissingVariableError, KeyError):
        return None


def build_report(
    runs: Sequence[ReportRun],
    *,
    title: str | None = None,
    generated: datetime | None = None,
) -> str:
    """The report's HTML text for ``runs`` (the first is the baseline)."""
    runs = _unique_labels(list(runs))
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
            _safe(lambda: _network_figure(base)),
            _safe(lambda: _comparison_figure(runs, keys)),
            _safe(lambda: _storage_comparison_figure(runs)),
            _safe(lambda: _storage_figure(base)),
            _safe(lambda: _supply_figure(base)),
            _safe(lambda: _hydropower_figure(base)),
            _safe(lambda: _marginal_value_figure(base)),
        )
        if f is not None
    ]
    figures_html = "\n".join(_figure_html(i + 1, f) for i, f in enumerate(figures))
    if len(runs) > 1:
        lede = f"{len(runs)} scenarios: " + ", ".join(f"<b>{_esc(r.label)}</b>" for r in runs) + "."
        scope = (
            f"The first, <b>{_esc(base.label)}</b>, is the baseline: the figures show it, "
            "and how the other scenarios differ from it."
        )
    else:
        lede = f"One scenario: <b>{_esc(base.label)}</b>."
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
        f'<li><a href="#{a}">{_esc(t)}</a></li>'
        for a, t in (
            ("runs", "What was run and why"),
            ("headline", "Headline results"),
            ("figures", "Figures"),
            ("sources", "Sources and assumptions"),
            ("glossary", "Glossary"),
        )
    )
    files = ", ".join(_esc(r.path) for r in runs if r.path is not None) or "in-memory results"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nexusmodel {_esc(_package_version())}">
<title>{_esc(title)}</title>
<style>
{_css()}
</style>
</head>
<body>
<header>
<p class="kicker">nexusmodel report &middot; water, energy and food</p>
<h1>{_esc(title)}</h1>
<p class="lede">{lede} {scope}</p>
{banner}
<nav aria-label="Contents"><ol>{toc}</ol></nav>
</header>
<main>
<section id="runs"><h2>What was run and why</h2>
{_runs_section(runs)}
</section>
<section id="headline-results"><h2 id="headline-title">Headline results</h2>
{_headline_section(runs, keys)}
</section>
<section id="figures"><h2>Figures</h2>
{figures_html}
</section>
<section id="sources"><h2>Sources and assumptions</h2>
{_sources_section(runs)}
</section>
<section id="glossary"><h2>Glossary</h2>
{_glossary_section()}
</section>
</main>
<footer>Made with nexusmodel {_esc(_package_version())} on {generated:%Y-%m-%d %H:%M} UTC from {files}.</footer>
</body>
</html>
"""


def write_report(
    sources: Sequence[str | Path | xr.Dataset | ReportRun],
    output: str | Path,
    *,
    basin: Basin | str | Path | None = None,
    title: str | None = None,
) -> Path:
    """Write the report of ``sources`` (files, Datasets or runs; the first is the baseline)
    to ``output`` atomically (a temporary file renamed into place) and return its path."""
    basin = _as_basin(basin)
    runs: list[ReportRun] = []
    for source in sources:
        if isinstance(source, ReportRun):
            runs.append(source)
        else:
            runs.extend(load_run(source, basin=basin))
    output = Path(output)
    return write_text_atomic(build_report(runs, title=title), output)
