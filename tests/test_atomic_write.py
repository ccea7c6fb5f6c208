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


def test_a_killed_writes_leftovers_are_removed_at_the_next_write_and_nothing_else(
    tmp_path: Path,
) -> None:
    from nexusmodel.results.io import remove_stale_temp_files

    old = 1_000_000.0  # 1970: long before this process started
    left = [tmp_path / ".run.nc.k3j_9xq2.tmp", tmp_path / ".run.nc.ab12cd34.tmp"]
    fresh = tmp_path / ".run.nc.zz99yy88.tmp"  # a write under way in another process
    kept = [
        tmp_path / ".other.nc.k3j_9xq2.tmp",  # another file's
        tmp_path / ".run.nc.k3j_9xq2.tmp.keep",  # not our pattern
        tmp_path / ".run.nc.short.tmp",  # not 8 characters
        tmp_path / "run.nc.k3j_9xq2.tmp",  # no leading dot
        fresh,
    ]
    for path in [*left, *kept]:
        path.write_bytes(b"x" * 683)
        if path != fresh:
            os.utime(path, (old, old))
    folder = tmp_path / ".run.nc.qqqqqqqq.tmp"  # a folder named like ours: never removed
    folder.mkdir()
    os.utime(folder, (old, old))
    write_results(make_results(), tmp_path / "run.nc")
    assert not any(p.exists() for p in left)
    assert all(p.exists() for p in kept) and folder.is_dir()
    assert (tmp_path / "run.nc").is_file()
    # the cutoff is explicit in the function: a file changed after it stays
    assert remove_stale_temp_files(tmp_path / "run.nc", before=old) == []
