"""Text from input files, printed as text: no rich markup, no terminal control sequences.

Names, descriptions, ids and paths come from files a user may not have written. Printed into
rich markup as they are, ``Syr [/] Darya`` crashes the printer, ``[link=...]`` makes a link
and an ANSI escape sequence drives the terminal. :func:`markup` gives such text for an
f-string that rich reads as markup; :func:`text` gives a rich ``Text`` (for table cells and
titles), which rich never reads as markup. Both drop control characters (ESC, BEL, ...) but
keep tabs and new lines.
"""

from __future__ import annotations

import re

from rich.markup import escape
from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(value: object) -> str:
    """``str(value)`` with control characters (ESC, BEL, carriage return ...) replaced by '?'."""
    return _CONTROL.sub("?", str(value))


def markup(value: object) -> str:
    """Text from a file for a rich markup string: control characters dropped, '[' escaped."""
    return escape(plain(value))


def text(value: object, style: str = "") -> Text:
    """Text from a file as a rich ``Text`` (never read as markup), control characters dropped."""
    return Text(plain(value), style=style)
