"""Fast linear expressions: the one place that builds Pyomo LinearExpressions from lists."""

from __future__ import annotations

from collections.abc import Sequence

from pyomo.core.expr.numeric_expr import LinearExpression


def linear(
    coefs: Sequence[float], variables: Sequence[object], constant: float = 0.0
) -> LinearExpression:
    """sum(coefs[i] * variables[i]) + constant, without Pyomo's operator overhead."""
    return LinearExpression(
        constant=constant, linear_coefs=list(coefs), linear_vars=list(variables)
    )
