"""Outputs are written atomically and get the usual permissions (0666 minus the umask).

A temporary file is private (0600); a results file in a team's shared folder must not be.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nexusmodel.ensemble.runner import write_atomic
from nexusmodel.report._atomic import write_text_atomic
from nexusmodel.results.io import atomic_path, read_results, write_results
from synthetic_results import make_results


def expected_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_results_report_and_member_files_are_readable_like_any_file(tmp_path: Path) -> None:
    nc = write_results(make_results(), tmp_path / "run.nc")
    html = write_text_atomic("<html></html>", tmp_path / "report.html")
    member = tmp_path / "m" / "member_00001.nc"
    write_atomic(member, b"bytes")
    for path in (nc, html, member):
        assert mode(path) == expected_mode(), path
    assert float(read_results(nc)["storage"].sum()) == pytest.approx(
        float(make_results()["storage"].sum())
    )


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
