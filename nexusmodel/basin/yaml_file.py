"""Read one YAML input file safely: the only YAML reader of basin.yaml and scenario files.

Input files are plain settings, so the reader refuses what plain settings never need and an
attacker or a slip can abuse, each with a :class:`~nexusmodel.errors.YamlSafetyError` naming
the file and line, in well under a second:

- anchors and aliases (``&a`` / ``*a``): nested aliases expand a 1 kB file to gigabytes;
- nesting deeper than :data:`MAX_DEPTH` levels (a recursion error otherwise);
- a key repeated in one mapping (YAML keeps the last one silently);
- files larger than :data:`MAX_BYTES`.

Only the standard tags (strings, numbers, booleans, null, lists, mappings) are built, as by
``yaml.safe_load``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nexusmodel.errors import InputError, Problem, YamlSafetyError

MAX_DEPTH = 32  # levels of nested lists and mappings; the deepest shipped file has 6
MAX_BYTES = 5_000_000  # the largest shipped file is a few kB


#: libyaml's parser when PyYAML was built with it (several times faster), else PyYAML's own.
_BASE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Refused(yaml.MarkedYAMLError):
    """A construct the safe reader refuses, with the mark of where it starts."""


def _check_events(text: str) -> None:
    """Refuse anchors, aliases and deep nesting from the parser's events, before anything is
    built (the events come one by one: nothing is expanded, nothing recurses)."""
    depth = 0
    for event in yaml.parse(text, Loader=_BASE_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                problem="anchors and aliases (&name, *name) are not allowed: write each value out",
                problem_mark=event.start_mark,
            )
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=event.start_mark,
                )
        elif isinstance(event, _CLOSE):
            depth -= 1


class _NoDuplicateKeys(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, refusing a key repeated in one mapping."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the constructor says so
                break
            if first is not None:
                raise _Refused(
                    problem=f"key {key!r} appears twice in one mapping "
                    f"(first on line {first.line + 1}); YAML would keep only the last",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Parse a YAML input file; any problem is an InputError naming the file and line."""
    if not path.is_file():
        raise InputError(
            [Problem(str(path), "file not found", "check the path")],
            title="cannot read input",
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlSafetyError(
            [Problem(str(path), f"{size:,} bytes: larger than {MAX_BYTES:,}", "split it")],
            title="YAML file refused",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            [Problem(str(path), f"not UTF-8 text ({exc.reason})", "save it as UTF-8")]
        ) from None
    try:
        _check_events(text)
        return yaml.load(text, Loader=_NoDuplicateKeys)  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise YamlSafetyError(
            [Problem(where, str(exc.problem), "see Input files in the README")],
            title="YAML file refused",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit, met while scanning ahead
            raise YamlSafetyError(
                [Problem(where, f"nested more than {MAX_DEPTH} levels deep", "flatten it")],
                title="YAML file refused",
            ) from None
        raise InputError(
            [
                Problem(
                    where,
                    f"invalid YAML: {problem}",
                    "fix the syntax on that line (indentation, ':' and quotes)",
                )
            ]
        ) from None
    except RecursionError:  # the scanner of deeply nested flow collections
        raise YamlSafetyError(
            [Problem(str(path), f"nested more than {MAX_DEPTH} levels deep", "flatten it")],
            title="YAML file refused",
        ) from None
