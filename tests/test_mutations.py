"""Property-based mutation suite (issue 17): the shipped basin and scenarios, broken on purpose.

Each example takes the shipped Syr Darya basin (``data/syr_darya``) or one shipped scenario
and changes one thing, in one of the classes below, then runs the command line's own
``main`` in this process (``validate`` for the basin, ``show`` for a scenario) and checks:

- an invalid mutation exits with code 2 and a message naming the file (and the line, key,
  column or field); a valid one (hostile text in a name) exits 0 and prints the text as text;
- no traceback (any exception other than the exit is a failure), no terminal escapes;
- no hang: each call runs under an alarm of :data:`HANG_S` seconds;
- no non-finite or out-of-range number accepted: those mutations must exit 2.

One test runs :data:`EXAMPLES` examples in one process and reports the count by class; the
total must reach 1,000 and every class must be drawn.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
BASIN = ROOT / "data" / "syr_darya"
SCENARIOS = ROOT / "scenarios"
EXAMPLES = 1100
HANG_S = 60  # a call that takes this long is a hang (a real one takes well under a second)

NON_FINITE = [float("inf"), float("-inf"), float("nan")]
HUGE = [1e300, 1.0e13, -1e300]
WRONG = ["abc", "12 hm3", [1, 2], {"a": 1}]
HOSTILE = [
    "Syr [/] Darya",
    "[link=http://evil.example]click[/link]",
    "[bold red]x[/]",
    "\x1b[31mred\x1b[0m",
    "bell\x07 and \x1b]0;title\x07",
    "\\[escaped] [/bold]",
]
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: Number fields of the basin that must not be negative (all but levels, costs, positions).
SIGNED = {"tailwater_level_m", "cost_usd_per_m3"}


@dataclass(frozen=True)
class Mutation:
    """One change to one file: its class, the file, the new text, what the message must name."""

    kind: str
    file: str  # name of the file changed, relative to its folder
    text: str  # the file's new content
    names: tuple[str, ...]  # fragments the error message must show (file, key, column...)
    valid: bool = False  # a valid input: must exit 0


# --------------------------------------------------------------------------- the workspace


@dataclass
class Workspace:
    """Copies of the shipped basin and scenarios, restored after each mutation."""

    basin: Path
    scenarios: Path
    originals: dict[Path, str]

    def apply(self, folder: Path, mutation: Mutation) -> Path:
        path = folder / mutation.file
        path.write_text(mutation.text, encoding="utf-8")
        return path

    def restore(self, path: Path) -> None:
        path.write_text(self.originals[path], encoding="utf-8")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("mutations")
    basin = root / "syr_darya"
    shutil.copytree(BASIN, basin)
    scenarios = root / "scenarios"
    shutil.copytree(SCENARIOS, scenarios)
    for name in SCENARIO_FILES:
        (scenarios / name).write_text(_scenario_text(name), encoding="utf-8")
    originals = {p: p.read_text(encoding="utf-8") for p in [*basin.iterdir(), *scenarios.iterdir()]}
    return Workspace(basin, scenarios, originals)


def _scenario_text(name: str) -> str:
    """A shipped scenario as the suite uses it: on the shipped basin (read, never changed),
    over two years instead of thirty (the same checks, a fraction of the time)."""
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    return text.replace("../data/syr_darya", str(BASIN)).replace("years: 30", "years: 2")


BASIN_RAW: dict[str, Any] = yaml.safe_load((BASIN / "basin.yaml").read_text(encoding="utf-8"))
SCENARIO_FILES = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
SCENARIO_RAW = {name: yaml.safe_load(_scenario_text(name)) for name in SCENARIO_FILES}


def _number_fields() -> list[tuple[tuple[Any, ...], str]]:
    """(path in basin.yaml, shown location) of every number of a node or link."""
    out = []
    for i, node in enumerate(BASIN_RAW["nodes"]):
        for key, value in node.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append((("nodes", i, key), f"nodes[{node['id']}].{key}"))
            if key == "hydropower":
                for sub, v in value.items():
                    if isinstance(v, int | float):
                        out.append(
                            (("nodes", i, key, sub), f"nodes[{node['id']}].hydropower.{sub}")
                        )
    for i, link in enumerate(BASIN_RAW["links"]):
        for key, value in link.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append((("links", i, key), f"links[{link['from']}>{link['to']}].{key}"))
    return out


NUMBER_FIELDS = _number_fields()
UNSIGNED_FIELDS = [f for f in NUMBER_FIELDS if f[0][-1] not in SIGNED]
REQUIRED = [
    (("nodes", i, key), f"nodes[{n['id']}].{key}")
    for i, n in enumerate(BASIN_RAW["nodes"])
    for key in ("name", "country", "capacity_hm3", "initial_storage_hm3", "installed_mw")
    if key in n
]


def _set(raw: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(raw)
    target = out
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_DELETE = object()


def _dump(raw: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(raw, Dumper=dumper, sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------- basin.yaml classes


def _basin_value(kind: str, values: list[Any], fields: list[Any]) -> st.SearchStrategy[Mutation]:
    return st.builds(
        lambda field, value: Mutation(
            kind, "basin.yaml", _dump(_set(BASIN_RAW, field[0], value)), ("basin.yaml", field[1])
        ),
        st.sampled_from(fields),
        st.sampled_from(values),
    )


def _negative() -> st.SearchStrategy[Mutation]:
    return st.builds(
        lambda field, x: Mutation(
            "negative",
            "basin.yaml",
            _dump(_set(BASIN_RAW, field[0], -x)),
            ("basin.yaml", field[1]),
        ),
        st.sampled_from(UNSIGNED_FIELDS),
        st.floats(min_value=1e-3, max_value=1e9),
    )


def _missing() -> st.SearchStrategy[Mutation]:
    return st.builds(
        lambda field: Mutation(
            "missing field",
            "basin.yaml",
            _dump(_set(BASIN_RAW, field[0], _DELETE)),
            ("basin.yaml", field[1], "missing"),
        ),
        st.sampled_from(REQUIRED),
    )


def _unknown_key() -> st.SearchStrategy[Mutation]:
    def make(i: int, key: str) -> Mutation:
        node = BASIN_RAW["nodes"][i]
        return Mutation(
            "unknown key",
            "basin.yaml",
            _dump(_set(BASIN_RAW, ("nodes", i, key), 1.0)),
            ("basin.yaml", f"nodes[{node['id']}].{key}", "unknownkey"),
        )

    keys = st.sampled_from(["capacity_hm", "head", "Capacity_hm3", "area_ha", "typo_key"])
    return st.builds(make, st.integers(0, len(BASIN_RAW["nodes"]) - 1), keys)


def _dangling() -> st.SearchStrategy[Mutation]:
    def make(i: int, end: str, ghost: str) -> Mutation:
        raw = _set(BASIN_RAW, ("links", i, end), ghost)
        return Mutation("dangling id", "basin.yaml", _dump(raw), ("basin.yaml", ghost))

    return st.builds(
        make,
        st.integers(0, len(BASIN_RAW["links"]) - 1),
        st.sampled_from(["from", "to"]),
        st.sampled_from(["R_NOPE", "S_GHOST", "X1", "r_tok"]),
    )


def _wrong_text_type() -> st.SearchStrategy[Mutation]:
    def make(i: int, key: str, value: Any) -> Mutation:
        node = BASIN_RAW["nodes"][i]
        return Mutation(
            "wrong type",
            "basin.yaml",
            _dump(_set(BASIN_RAW, ("nodes", i, key), value)),
            ("basin.yaml", f"nodes[{node['id']}].{key}"),
        )

    return st.builds(
        make,
        st.integers(0, len(BASIN_RAW["nodes"]) - 1),
        st.sampled_from(["name", "country", "type"]),
        st.sampled_from([42, 1.5, True, [1], {"a": 1}]),
    )


def _hostile_text() -> st.SearchStrategy[Mutation]:
    def make(i: int | None, key: str, text: str) -> Mutation:
        path: tuple[Any, ...] = ("name",) if i is None else ("nodes", i, key)
        return Mutation(
            "hostile text", "basin.yaml", _dump(_set(BASIN_RAW, path, text)), (), valid=True
        )

    nodes = st.one_of(st.none(), st.integers(0, len(BASIN_RAW["nodes"]) - 1))
    return st.builds(
        make, nodes, st.sampled_from(["name", "description"]), st.sampled_from(HOSTILE)
    )


def _text_level(file: str, text: str, kind: str, label: str = "") -> st.SearchStrategy[Mutation]:
    """Duplicate keys, aliases and deep nesting, written as text after a chosen line."""
    lines = text.splitlines()
    top = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+:", line)]

    def make(i: int, depth: int) -> Mutation:
        return dataclasses.replace(_make(i, depth), kind=label or kind)

    def _make(i: int, depth: int) -> Mutation:
        if kind == "duplicate key":
            new = [*lines[: i + 1], *_block(lines, i), *lines[i + 1 :]]
            return Mutation(kind, file, "\n".join(new) + "\n", (file, "appearstwice"))
        if kind == "alias":
            bomb = ['lol0: &a ["lol", "lol"]'] + [
                f"lol{k}: &a{k} [" + ", ".join(["*a" if k == 1 else f"*a{k - 1}"] * 9) + "]"
                for k in range(1, depth % 9 + 2)
            ]
            new = [*lines, "zz_bomb:", *[f"  {b}" for b in bomb]]
            return Mutation(kind, file, "\n".join(new) + "\n", (file, "anchorsandaliases"))
        nested = "[" * depth + "1" + "]" * depth
        new = [*lines, f"zz_deep: {nested}"]
        return Mutation(kind, file, "\n".join(new) + "\n", (file, "nestedmorethan"))

    return st.builds(make, st.sampled_from(top), st.integers(33, 1000))


def _block(lines: list[str], i: int) -> list[str]:
    """The top-level key at line ``i`` and its indented block (to write it a second time)."""
    out = [lines[i]]
    for line in lines[i + 1 :]:
        if line and not line.startswith((" ", "#", "\t")):
            break
        out.append(line)
    return out


# --------------------------------------------------------------------------- CSV classes

CSV_FILES = {
    "inflows.csv": None,
    "evaporation.csv": ("node",),
    "crops.csv": ("crop",),
    "crop_water_requirements.csv": ("crop",),
    "irrigated_areas.csv": ("node", "crop"),
    "municipal.csv": ("node",),
    "energy.csv": ("node",),
    "level_area_storage.csv": ("node",),
}


def _csv_rows(name: str) -> tuple[list[str], list[int], list[str]]:
    """(lines, indices of data lines, header) of a shipped CSV."""
    lines = (BASIN / name).read_text(encoding="utf-8").splitlines()
    data = [i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    return lines, data[1:], lines[data[0]].split(",")


def _csv_cell(kind: str, values: list[str]) -> st.SearchStrategy[Mutation]:
    def make(name: str, row: int, col: int, value: str) -> Mutation:
        lines, data, header = _csv_rows(name)
        text_cols = CSV_FILES[name] or ()
        numeric = [j for j, c in enumerate(header) if c not in (*text_cols, "month", "date")]
        j = numeric[col % len(numeric)]
        i = data[row % len(data)]
        cells = lines[i].split(",")
        cells[j] = value
        new = [*lines[:i], ",".join(cells), *lines[i + 1 :]]
        names = (name, f"line{i + 1}") if "," in value else (name, f"line{i + 1}", header[j])
        return Mutation(kind, name, "\n".join(new) + "\n", names)

    return st.builds(
        make,
        st.sampled_from(sorted(CSV_FILES)),
        st.integers(0, 500),
        st.integers(0, 50),
        st.sampled_from(values),
    )


def _csv_header() -> st.SearchStrategy[Mutation]:
    def make(name: str, col: int) -> Mutation:
        lines, data, header = _csv_rows(name)
        h = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
        column = header[col % len(header)]
        new = list(lines)
        new[h] = lines[h] + f",{column}"
        for i in data:
            new[i] = lines[i] + "," + lines[i].split(",")[col % len(header)]
        return Mutation(
            "csv duplicate column", name, "\n".join(new) + "\n", (name, "line1", column)
        )

    return st.builds(make, st.sampled_from(sorted(CSV_FILES)), st.integers(0, 20))


# --------------------------------------------------------------------------- scenario classes


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*path, i))]
    return [(path, value)]


SCENARIO_NUMBERS = [
    (name, path)
    for name, raw in SCENARIO_RAW.items()
    for path, value in _leaves(raw)
    if isinstance(value, int | float)
    and not isinstance(value, bool)
    and path[0] != "horizon"  # a start year or a horizon length have their own range
]


def _scenario_value(kind: str, values: list[Any]) -> st.SearchStrategy[Mutation]:
    def make(target: tuple[str, tuple[Any, ...]], value: Any) -> Mutation:
        name, path = target
        raw = _set(SCENARIO_RAW[name], path, value)
        keys = [p for p in path if isinstance(p, str) and p[:3].lower() not in MONTHS]
        key = str(keys[-1])  # a month's name is shown as its number
        return Mutation(kind, name, _dump(raw), (name, key), valid=False)

    return st.builds(make, st.sampled_from(SCENARIO_NUMBERS), st.sampled_from(values))


def _scenario_setting(kind: str) -> st.SearchStrategy[Mutation]:
    """A solver path, an unknown key, a dangling node id or hostile text in a scenario."""

    def make(name: str, choice: str) -> Mutation:
        raw = copy.deepcopy(SCENARIO_RAW[name])
        if kind == "solver path":
            raw["solve"] = {**raw.get("solve", {}), "solver": choice}
            return Mutation(kind, name, _dump(raw), (name, "solve.solver"))
        if kind == "scenario unknown key":
            raw[choice] = 1
            return Mutation(kind, name, _dump(raw), (name, choice, "unknownkey"))
        if kind == "scenario dangling id":
            policy = raw.setdefault("policy", {})
            policy["agreed_releases"] = {choice: {"minimum": {"Jun": 10}}}
            return Mutation(kind, name, _dump(raw), (name, choice))
        raw["description"] = choice
        return Mutation(kind, name, _dump(raw), (), valid=True)

    choices = {
        "solver path": ["/bin/sh", "./prog", "../x/cbc", "cbc", "glpk", "python -c 1"],
        "scenario unknown key": ["climat", "polcy", "hydrolgy", "solver", "basin_path"],
        "scenario dangling id": ["R_NOPE", "KGZ", "E_ARAL_SEA", "r_tok"],
        "scenario hostile text": HOSTILE,
    }[kind]
    return st.builds(make, st.sampled_from(SCENARIO_FILES), st.sampled_from(choices))


def _scenario_text_level(kind: str) -> st.SearchStrategy[Mutation]:
    return st.sampled_from(SCENARIO_FILES).flatmap(
        lambda name: _text_level(name, _scenario_text(name), kind, f"scenario {kind}")
    )


BASIN_TEXT = (BASIN / "basin.yaml").read_text(encoding="utf-8")

CLASSES: dict[str, st.SearchStrategy[Mutation]] = {
    "non-finite": _basin_value("non-finite", NON_FINITE, NUMBER_FIELDS),
    "boolean number": _basin_value("boolean number", [True, False], NUMBER_FIELDS),
    "wrong number type": _basin_value("wrong number type", WRONG, NUMBER_FIELDS),
    "huge": _basin_value("huge", HUGE, NUMBER_FIELDS),
    "negative": _negative(),
    "missing field": _missing(),
    "unknown key": _unknown_key(),
    "dangling id": _dangling(),
    "wrong type": _wrong_text_type(),
    "hostile text": _hostile_text(),
    "duplicate key": _text_level("basin.yaml", BASIN_TEXT, "duplicate key"),
    "alias": _text_level("basin.yaml", BASIN_TEXT, "alias"),
    "deep nesting": _text_level("basin.yaml", BASIN_TEXT, "deep nesting"),
    "csv non-finite": _csv_cell("csv non-finite", ["inf", "-inf", "1e400", "-1e999", "1e13"]),
    "csv wrong cell": _csv_cell("csv wrong cell", ["abc", "12 hm3", "True", "nan", "", "1,5"]),
    "csv duplicate column": _csv_header(),
    "scenario non-finite": _scenario_value("scenario non-finite", NON_FINITE),
    "scenario boolean": _scenario_value("scenario boolean", [True, False]),
    "scenario huge": _scenario_value("scenario huge", [1e300, 1.0e13]),
    "scenario wrong type": _scenario_value("scenario wrong type", ["abc", [1, 2], {"a": 1}]),
    "solver path": _scenario_setting("solver path"),
    "scenario unknown key": _scenario_setting("scenario unknown key"),
    "scenario dangling id": _scenario_setting("scenario dangling id"),
    "scenario hostile text": _scenario_setting("scenario hostile text"),
    "scenario duplicate key": _scenario_text_level("duplicate key"),
    "scenario alias": _scenario_text_level("alias"),
    "scenario deep nesting": _scenario_text_level("deep nesting"),
}


# --------------------------------------------------------------------------- running


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang(f"no answer in {HANG_S} s")


def cli(*args: str) -> tuple[int, str]:
    """``nexusmodel <args>`` through the command line's ``main``, in this process."""
    from nexusmodel.cli import main

    out = io.StringIO()
    argv = sys.argv
    sys.argv = ["nexusmodel", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return code, out.getvalue()


def squash(text: str) -> str:
    """Without whitespace (rich wraps long lines, even paths) and in lower case."""
    return "".join(text.split()).lower()


def check(workspace: Workspace, mutation: Mutation) -> float:
    """Run one mutation through the command line; assert the outcome; return seconds."""
    is_basin = mutation.file == "basin.yaml" or mutation.file.endswith(".csv")
    folder = workspace.basin if is_basin else workspace.scenarios
    path = workspace.apply(folder, mutation)
    args = ("validate", str(workspace.basin)) if is_basin else ("show", str(path))
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_S)
    start = time.perf_counter()
    try:
        code, out = cli(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        workspace.restore(path)
    seconds = time.perf_counter() - start
    context = f"{mutation.kind} in {mutation.file}: exit {code}\n{out[-2000:]}"
    assert "Traceback" not in out, context
    assert "\x1b" not in out and "\x07" not in out, context
    if mutation.valid:
        assert code == 0, context
        return seconds
    assert code == 2, context
    shown = squash(out)
    for fragment in mutation.names:
        assert squash(fragment) in shown, f"{fragment!r} not named\n{context}"
    return seconds


@pytest.mark.slow
def test_a_thousand_mutations_give_named_errors_and_no_traceback(workspace: Workspace) -> None:
    tally: Counter[str] = Counter()
    slowest = [0.0, ""]
    start = time.perf_counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(*CLASSES.values()))
    def one(mutation: Mutation) -> None:
        seconds = check(workspace, mutation)
        tally[mutation.kind] += 1
        if seconds > slowest[0]:
            slowest[:] = [seconds, mutation.kind]

    one()
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = ", ".join(f"{k} {n}" for k, n in sorted(tally.items()))
    print(
        f"\n{sum(tally.values())} mutations in {len(tally)} classes, {total:.1f} s "
        f"(slowest {slowest[0]:.2f} s: {slowest[1]}), peak memory {peak_mb:.0f} MB\n{report}"
    )
    assert sum(tally.values()) >= 1000
    assert set(tally) == set(CLASSES), set(CLASSES) - set(tally)
    assert peak_mb < 4000  # no alias bomb expanded in memory


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_each_class_once(workspace: Workspace, kind: str) -> None:
    """One mutation of each class (fast; the suite above runs over a thousand)."""

    @settings(
        max_examples=3,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(CLASSES[kind])
    def one(mutation: Mutation) -> None:
        check(workspace, mutation)

    one()


# --------------------------------------------------------------------------- the real CLI


def nexusmodel(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command line in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "nexusmodel", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


def test_cli_validate_prints_a_hostile_basin_name_as_text(tmp_path: Path) -> None:
    folder = tmp_path / "basin"
    shutil.copytree(BASIN, folder)
    raw = _set(BASIN_RAW, ("name",), "Syr [/] Darya [link=http://x]y[/link] \x1b[2J")
    (folder / "basin.yaml").write_text(_dump(raw), encoding="utf-8")
    result = nexusmodel("validate", folder)
    assert result.returncode == 0, result.stderr
    assert "Syr [/] Darya [link=http://x]y[/link] ?[2J: 35 nodes" in result.stdout
    assert "\x1b" not in result.stdout and "Traceback" not in result.stderr


def test_cli_show_refuses_an_alias_bomb_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 10)]
    path.write_text(f"basin: {BASIN}\ndescription:\n  " + "\n  ".join(lines) + "\n")
    result = nexusmodel("show", path)
    assert result.returncode == 2
    assert f"{path}:3: anchors and aliases" in result.stdout  # the first anchor, line 3
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_run_never_runs_a_solver_path(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    prog = tmp_path / "prog"
    prog.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    prog.chmod(0o755)
    path = tmp_path / "s.yaml"
    path.write_text(f"basin: {BASIN}\nhorizon: {{years: 1}}\nsolve: {{solver: {prog}}}\n")
    result = nexusmodel("run", path, "-o", tmp_path / "r.nc")
    assert result.returncode == 2 and "solve.solver" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not marker.exists()
