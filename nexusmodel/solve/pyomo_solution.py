"""Reading a solution that another Pyomo solver loaded into the model (values, duals)."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo


class PyomoSolution:
    """The same reading interface as :class:`~nexusmodel.solve.highs.Solution`."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        self.model = model

    def array(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        return np.array(
            [v.value if v.value is not None else 0.0 for v in component.values()]
        ).reshape(shape)

    def reduced_costs(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        rc = self.model.rc
        return np.array([rc.get(v, 0.0) for v in component.values()]).reshape(shape)

    def row_duals(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        dual = self.model.dual
        return np.array([dual.get(c, 0.0) for c in component.values()]).reshape(shape)
