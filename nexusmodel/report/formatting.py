"""Numbers, units, shares and file paths as the report writes them (HTML-escaped text)."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nexusmodel.plots.style import pretty_units

__all__ = [
    "MONTH_NAMES",
    "esc",
    "format_number",
    "km3_text",
    "lower_first",
    "met_text",
    "pct_text",
    "relative_path",
    "row_digits",
    "short_name",
    "shown_path",
    "units_html",
]

MONTH_NAMES = (
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

MINUS = "\u2212"


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
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def units_html(units: str) -> str:
    return esc(pretty_units(units))


def km3_text(hm3: float) -> str:
    return f"{hm3 / 1e3:,.1f} km³" if abs(hm3) >= 1000 else f"{hm3 / 1e3:,.2f} km³"


def pct_text(x: float) -> str:
    """A share in %: ``58 %``, ``4.5 %``."""
    return f"{x:.0f}\u00a0%" if abs(x) >= 10 else f"{x:.1f}\u00a0%"


def met_text(x: float) -> str:
    """A share of a demand met: ``98.6 %``; ``100 %`` only when it rounds to 100.0."""
    return "100\u00a0%" if x >= 99.95 else f"{x:.1f}\u00a0%"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def short_name(name: str) -> str:
    return re.sub(r"\s+(and HPP|reservoir and HPP)$", "", name).strip() or name


def relative_path(path: str | Path, folder: Path | None) -> str | None:
    """``path`` relative to ``folder`` (POSIX, may climb with ``../``), or None when the two
    share no folder below the file system's root (or ``folder`` is unknown)."""
    if folder is None:
        return None
    target, base = Path(path).resolve(), Path(folder).resolve()
    try:
        common = Path(os.path.commonpath([target, base]))
    except ValueError:  # different drives
        return None
    if common == Path(common.anchor):
        return None
    return Path(os.path.relpath(target, base)).as_posix()


def shown_path(path: str | Path, folder: Path | None, keep: int = 1) -> str:
    """A file as the report shows it: relative to the report's ``folder`` when they share a
    folder, else its last ``keep`` parts (``syr_darya/SOURCES.md``); never an absolute path."""
    relative = relative_path(path, folder)
    if relative is not None:
        return relative
    return "/".join(Path(path).parts[-keep:])
