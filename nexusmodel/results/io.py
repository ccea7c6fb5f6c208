"""Results on disk: NetCDF written atomically (temporary file, then rename), never half a file."""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import xarray as xr

#: When this process began writing (near enough: when this module was imported). A temporary
#: file of ours last changed before then was left by an earlier process that died.
_STARTED = time.time()


def _our_temp_files(path: Path) -> re.Pattern[str]:
    """Names of the temporary files :func:`atomic_path` makes for ``path``."""
    return re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]{{8}}\.tmp")


def remove_stale_temp_files(path: str | Path, before: float | None = None) -> list[Path]:
    """Remove the temporary files a killed write to ``path`` left beside it; return them.

    Only regular files named as :func:`atomic_path` names them for ``path``
    (``.<name>.<8 characters>.tmp``) and last changed before ``before`` (default: the start
    of this process) are removed, so a write still under way elsewhere keeps its file and no
    other file is touched.
    """
    path = Path(path)
    cutoff = _STARTED if before is None else before
    pattern = _our_temp_files(path)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` if the block succeeds.

    An interrupted write leaves the old file (or none), never half a file. The file gets the
    usual permissions (0666 minus the umask), not the private 0600 of a temporary file.
    Temporary files that a killed earlier write to ``path`` left are removed first
    (:func:`remove_stale_temp_files`).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_results(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``path`` (NetCDF4); an interrupted write leaves no partial file."""
    path = Path(path)
    clean = ds.copy()
    for key, value in list(clean.attrs.items()):
        if isinstance(value, bool):
            clean.attrs[key] = int(value)
        elif isinstance(value, list | tuple):
            clean.attrs[key] = ", ".join(map(str, value))
        elif value is None:
            clean.attrs[key] = ""
    with atomic_path(path) as tmp:
        clean.to_netcdf(tmp, engine="h5netcdf")
    return path


def read_results(path: str | Path) -> xr.Dataset:
    """Read a results file fully into memory (the file is closed afterwards)."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
