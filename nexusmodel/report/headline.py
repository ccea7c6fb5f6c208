"""The headline table: key results per scenario, grouped by theme, with changes to the baseline."""

from __future__ import annotations

import numpy as np
import xarray as xr

from nexusmodel import plots
from nexusmodel.indicators import KEY_RESULTS
from nexusmodel.report.formatting import esc, format_number, row_digits, units_html
from nexusmodel.report.runs import ReportRun

__all__ = ["HEADLINE_GROUPS", "headline_section"]

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
    ("Economy", ("net_benefit_musd", "penalties_musd")),
)


def headline_section(runs: list[ReportRun], keys: xr.Dataset) -> str:
    labels = [r.label for r in runs]
    base = labels[0]
    head = ['<th scope="col" class="ind">Indicator</th>', '<th scope="col">Unit</th>']
    sub = '<span class="sub">baseline</span>' if base.lower() != "baseline" else ""
    head.append(f'<th scope="col" class="num" data-scenario="{esc(base)}">{esc(base)}{sub}</th>')
    for label in labels[1:]:
        head.append(f'<th scope="col" class="num" data-scenario="{esc(label)}">{esc(label)}</th>')
        head.append(
            '<th scope="col" class="num diff">change<span class="sub">vs baseline</span></th>'
        )
    rows = []
    ncols = 3 + 2 * (len(labels) - 1)
    for group, names in HEADLINE_GROUPS:
        rows.append(
            f'<tr class="group"><th colspan="{ncols}" scope="rowgroup">{esc(group)}</th></tr>'
        )
        for name in names:
            units = KEY_RESULTS[name]
            values = [float(keys[name].sel(scenario=lab).values) for lab in labels]
            digits = row_digits(values, units)
            label = plots.INDICATOR_LABELS.get(name, name)
            unit = units
            cells = [
                f'<th scope="row" class="ind">{esc(label)}</th>',
                f'<td class="unit">{units_html(unit)}</td>',
                f'<td class="num" data-scenario="{esc(base)}" data-role="value">'
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
                    f'<td class="num" data-scenario="{esc(lab)}" data-role="value">'
                    f'<span class="n">{format_number(value, digits)}</span></td>'
                )
                cells.append(
                    f'<td class="num diff" data-scenario="{esc(lab)}" data-role="difference">'
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
        f'<p class="note">{esc(note)}</p>'
    )
