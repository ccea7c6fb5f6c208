"""The README's Python quick start runs exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_code() -> str:
    """The fenced ``python`` block of the README section "Python quick start"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the quick start has one Python block"
    return blocks[0]


@pytest.mark.slow
def test_the_python_quick_start_runs(tmp_path, monkeypatch, capsys):
    """Run in a folder holding the repository's scenarios and data (as a user's checkout)."""
    for folder in ("scenarios", "data"):
        (tmp_path / folder).symlink_to(ROOT / folder, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(quick_start_code(), str(ROOT / "README.md"), "exec"), namespace)
    run = namespace["run"]
    assert run.mode == "optimize" and run.results.attrs["mode"] == "optimize"  # type: ignore[attr-defined]
    assert run.results.sizes["time"] == 24  # type: ignore[attr-defined]  # two years, monthly
    printed = capsys.readouterr().out
    assert "optimize optimal: objective" in printed
    for country in ("KG", "UZ", "TJ", "KZ"):
        assert country in printed
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Syr Darya" in report and "file:" not in report and str(tmp_path) not in report
