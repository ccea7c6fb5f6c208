"""Atomic text files: written to a temporary file in the target folder, then renamed."""

from __future__ import annotations

from pathlib import Path

from nexusmodel.results.io import atomic_path


def write_text_atomic(text: str, path: str | Path, newline: str | None = None) -> Path:
    """Write ``text`` to ``path``: an interrupted write leaves the old file (or none), never
    half a file. The file gets the usual permissions (0666 minus the umask)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline=newline) as fh:
        fh.write(text)
    return path
