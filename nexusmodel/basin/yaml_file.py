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


class _Refused(yaml.MarkedYAMLError):
    """A construct the safe reader refuses, with the mark of where it starts."""


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without anchors, aliases, deep nesting or duplicate keys."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                problem="anchors and aliases (&name, *name) are not allowed: write each value out",
                problem_mark=event.start_mark,
            )
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(
                problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

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
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
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
