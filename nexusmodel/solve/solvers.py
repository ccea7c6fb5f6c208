"""The solvers nexusmodel may run: a fixed list of names, never a path or a program from a file.

HiGHS is built in (``highs``, through highspy). Any other solver is run by Pyomo's
``SolverFactory`` under one of the names below, and only when the user asks for it on the
command line (``nexusmodel run --solver cbc``) or in Python (``ModelOptions(solver="cbc")``);
a scenario file may only say ``solver: highs``. A name outside the list (a path such as
``/tmp/prog``, or a name Pyomo would look up as an executable) is refused before Pyomo sees it.
"""

from __future__ import annotations

from nexusmodel.errors import Problem, SolverNameError

#: The built-in solver: the only one a scenario file may name.
BUILT_IN = "highs"

#: Pyomo solver names that may be asked for on the command line or in Python.
KNOWN_SOLVERS: tuple[str, ...] = (
    "highs",
    "appsi_highs",
    "cbc",
    "glpk",
    "gurobi",
    "gurobi_direct",
    "gurobi_persistent",
    "cplex",
    "cplex_direct",
    "cplex_persistent",
    "scip",
    "xpress",
    "xpress_direct",
    "mosek",
    "mosek_direct",
    "copt",
    "ipopt",
)


def check_solver_name(name: object, where: str = "solver") -> str:
    """``name`` if it is a known solver name; else a :class:`SolverNameError` naming ``where``."""
    if isinstance(name, str) and name in KNOWN_SOLVERS:
        return name
    raise SolverNameError(
        [
            Problem(
                where,
                f"= {name!r}: not a known solver name",
                "use one of " + ", ".join(KNOWN_SOLVERS) + " (a name, never a path)",
            )
        ],
        title="solver not allowed",
    )
