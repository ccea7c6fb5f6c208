"""The exceptions nexusmodel raises for user-facing problems.

A user mistake (bad file, bad value, infeasible rule) is a :class:`NexusModelError`; the command
line prints its message without a traceback and exits non-zero. Anything else is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class NexusModelError(Exception):
    """Base class of every error caused by inputs or by the problem itself, not by a bug."""


@dataclass(frozen=True)
class Problem:
    """One problem found in the inputs: where it is, what is wrong, and how to fix it."""

    location: str  # e.g. "data/syr_darya/basin.yaml: nodes[R_TOK].capacity_hm3"
    message: str  # e.g. "= -5: must be > 0"
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text


class InputError(NexusModelError):
    """Every problem found in one set of input files, reported together."""

    def __init__(self, problems: Iterable[Problem], title: str = "invalid input") -> None:
        self.problems = list(problems)
        lines = [f"{title}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SolverNameError(InputError):
    """A solver asked for by a name outside :data:`nexusmodel.solve.solvers.KNOWN_SOLVERS`."""


class YamlSafetyError(InputError):
    """A YAML file that uses aliases, nests too deep, repeats a key or is too large."""


class InfeasibleError(NexusModelError):
    """The rules of a scenario cannot all be met; the message names which, where and when."""


class SolverError(NexusModelError):
    """The solver failed for a reason other than infeasibility (time limit, numerical trouble)."""


class WaterBalanceError(NexusModelError):
    """A solved run whose water balance does not close within tolerance."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A hint naming the closest valid choice, or listing the valid choices."""
    choices = sorted(choices)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid choices: " + ", ".join(choices)
