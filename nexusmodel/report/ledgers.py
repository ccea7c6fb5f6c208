"""The report's country ledgers: who gains and who pays under each scenario's rules.

One table per run whose basin is known (:mod:`nexusmodel.results.ledgers`), a row per
country: water received from and passed to neighbours (km3/yr), electricity traded with
outside systems and through the water-for-energy exchange, compensation owed and paid
(GWh/yr), energy security (unserved energy, winter import dependence;
:func:`nexusmodel.indicators.energy_security`), CO2 from thermal generation where the results
have it, and the country's net benefit by sector (MUSD over the horizon, discounted as the
run). After the first run, a last column gives each country's net benefit minus its net
benefit in the first run (the baseline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nexusmodel.indicators import MissingVariableError, co2_emissions, energy_security
from nexusmodel.report.formatting import esc
from nexusmodel.report.runs import ReportRun
from nexusmodel.results.ledgers import TRADE, TRANSFER, country_ledger

__all__ = ["COLUMNS", "ledger_frame", "ledgers_section"]

#: (key, heading, unit, decimals) of the table's columns
COLUMNS = (
    ("water_received_km3_per_yr", "water received", "km3/yr", 2),
    ("water_passed_km3_per_yr", "water passed on", "km3/yr", 2),
    ("imports_gwh_per_yr", "imports (outside)", "GWh/yr", 0),
    ("exports_gwh_per_yr", "exports (outside)", "GWh/yr", 0),
    ("exchange_received_gwh_per_yr", "exchange received", "GWh/yr", 0),
    ("exchange_delivered_gwh_per_yr", "exchange delivered", "GWh/yr", 0),
    ("compensation_owed_gwh_per_yr", "compensation owed", "GWh/yr", 0),
    ("compensation_paid_gwh_per_yr", "compensation paid", "GWh/yr", 0),
    ("unserved_energy_gwh_per_yr", "unserved energy", "GWh/yr", 0),
    ("winter_import_dependence_pct", "winter import dependence", "%", 1),
    ("co2_kt_per_yr", "CO2 (thermal)", "kt/yr", 0),
    ("crops_musd", "crops", "MUSD", 0),
    ("energy_musd", "energy", "MUSD", 0),
    ("other_musd", "other uses and costs", "MUSD", 0),
    (f"{TRANSFER}_musd", "compensation money", "MUSD", 0),
    (f"{TRADE}_musd", "electricity trade money", "MUSD", 0),
    ("net_benefit_musd", "net benefit", "MUSD", 0),
)
DIFFERENCE = ("net_benefit_change_musd", "net benefit vs baseline", "MUSD", 0)


def ledger_frame(run: ReportRun) -> pd.DataFrame | None:
    """The ledger of one run by country, :data:`COLUMNS` (None without its basin)."""
    if run.basin is None:
        return None
    try:
        frame = country_ledger(run.ds, run.basin)
    except KeyError:  # a basin that is not the run's (nodes missing from the results)
        return None
    frame["other_musd"] = (
        frame["demand_benefit_musd"] + frame["transport_cost_musd"] + frame["storage_value_musd"]
    )
    names = list(frame.index)
    try:
        security = energy_security(run.ds)
        for key, var in (
            ("unserved_energy_gwh_per_yr", "unserved_energy"),
            ("winter_import_dependence_pct", "winter_import_dependence"),
        ):
            values = security[var].to_series()
            frame[key] = values.reindex(names).to_numpy()
    except (MissingVariableError, KeyError):
        frame["unserved_energy_gwh_per_yr"] = np.nan
        frame["winter_import_dependence_pct"] = np.nan
    try:
        frame["co2_kt_per_yr"] = co2_emissions(run.ds).to_series().reindex(names).to_numpy()
    except (MissingVariableError, KeyError):
        frame["co2_kt_per_yr"] = np.nan
    return frame[[key for key, *_ in COLUMNS]]


def _digits(values: np.ndarray, unit: str, decimals: int) -> int:
    """Decimals of a column: money keeps 2 below 10 MUSD and 1 below 1000."""
    if unit != "MUSD":
        return decimals
    finite = np.abs(values[np.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    return 2 if largest < 10 else 1 if largest < 1000 else 0


def _cell(key: str, value: float, decimals: int) -> str:
    text = "–" if not np.isfinite(value) else f"{value:,.{decimals}f}"
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # no "-0"
    return f'<td class="num" data-key="{esc(key)}">{esc(text.replace("-", "−"))}</td>'


def ledgers_section(runs: list[ReportRun]) -> str:
    """HTML: a ledger table per run whose basin is known ("" when none is)."""
    frames = [(run, ledger_frame(run)) for run in runs]
    base = frames[0][1] if frames else None
    parts = []
    for i, (run, frame) in enumerate(frames):
        if frame is None:
            continue
        columns = list(COLUMNS)
        if i > 0 and base is not None:
            frame = frame.copy()
            change = frame["net_benefit_musd"] - base["net_benefit_musd"].reindex(frame.index)
            frame[DIFFERENCE[0]] = change
            columns.append(DIFFERENCE)
        head = "".join(
            f'<th scope="col" class="num">{esc(name)} ({esc(unit)})</th>'
            for _key, name, unit, _d in columns
        )
        digits = {key: _digits(frame[key].to_numpy(), unit, d) for key, _n, unit, d in columns}
        rows = "".join(
            f'<tr data-country="{esc(country)}"><th scope="row">{esc(country)}</th>'
            + "".join(_cell(key, float(row[key]), digits[key]) for key, *_ in columns)
            + "</tr>"
            for country, row in frame.iterrows()
        )
        parts.append(
            f'<div class="table-wrap"><table class="ledger" data-scenario="{esc(run.label)}">'
            f"<caption>{esc(run.label)}: by country (water and energy a year; money over "
            "the horizon, discounted)</caption>"
            f'<thead><tr><th scope="col">country</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    if not parts:
        return ""
    return (
        "<p>Each country's water from and to its neighbours (after the losses on the way), "
        "its electricity trade, the compensation of the water-for-energy exchange (owed and "
        "paid; + pays, − receives), and its own net benefit by sector. The countries' net "
        "benefits add up to the basin's; compensation money and the payments for electricity "
        "sent over the lines (at the sender's price) move between them and sum to zero.</p>\n"
        + "\n".join(parts)
    )
