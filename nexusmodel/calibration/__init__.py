"""Calibration: fit basin parameters so that simulated series match observations.

The pieces, each a plain function::

    obs = load_observations("data/syr_darya/observations.csv", basin)   # long table, validated
    params = [Parameter("conveyance", "conveyance_efficiency", (0.5, 0.95), 0.75), ...]
    fitted = apply_parameters(basin, {params[0]: 0.7})                   # pure: a new Basin
    loss = calibration_objective({params[0]: 0.7}, basin, obs, metric="kge")
    result = calibrate(params, basin, obs, metric="kge", max_evaluations=40)
    result.values, result.metrics                                        # fit, before/after table

**Parameters** (:class:`Parameter`) are either a numeric field of some nodes or links in
``basin.yaml`` (``conveyance_efficiency``, ``field_efficiency``, ``return_fraction``,
``initial_storage_hm3``, a link's ``loss_fraction``...), set to the value (or scaled by it)
on every node or link they apply to, or a *multiplier* on a horizon series
(:data:`MULTIPLIERS`: ``irrigated_area``, ``municipal_demand``, ``energy_demand``,
``inflow``, ``demand``).

**Observations** are a long CSV, ``variable,node,date,value,unit,source`` (``#`` lines are
comments). The unit says how a value is compared with the model (:data:`OBSERVATION_UNITS`):

* ``hm3`` / ``km3`` (``storage``) and ``m`` (``level``): the state on that date, interpolated
  linearly between the storages at the start and the end of the step that contains it;
* ``m3/s``: the mean rate over the step that contains the date;
* ``hm3/month``: the total of the step that contains the date;
* ``hm3/year`` / ``km3/year``: the total of the calendar year of the date.

Volumes in km3 are converted to hm3 on loading. ``node`` is a node id, or a link id
``FROM>TO`` for ``link_flow``. Besides the result variables of
:mod:`nexusmodel.results.variables`, ``total_inflow`` is the water arriving at a node
(natural inflow plus link flows in, after losses): a reservoir's inflow as bulletins give it.

**Matching.** ``match="date"`` compares each observation with the model on the same date
(the date must fall inside the horizon: use it for synthetic truth or historical hydrology).
``match="season"`` compares it with the model on the same calendar day, averaged over the
horizon's years: the only honest comparison for a run on climatology (a mean year), which
can match observed year-specific values in season and distribution, not year by year.

**Objective.** One metric (``"kge"`` or ``"nse"``) per observed series (a ``variable, node,
unit`` group), turned into a loss ``1 - metric`` and averaged over series (optionally
weighted). A series with fewer than 2 observations or constant observations has no NSE or
KGE; it is reported in the metrics table but left out of the objective.

The goodness-of-fit metrics are those of :mod:`nexusmodel.calibration.metrics`, re-exported
here (``nse``, ``kge``, ``kge_components``, ``pbias``, ``paired``).

Modules: :mod:`~.parameters`, :mod:`~.observations`, :mod:`~.matching` (runs and dates),
:mod:`~.objective`, :mod:`~.fit` and :mod:`~.metrics` (NSE, KGE, PBIAS).
"""

from nexusmodel.calibration.fit import CalibrationResult, calibrate
from nexusmodel.calibration.matching import FAST_OPTIONS, Match, compare, simulate, simulated_values
from nexusmodel.calibration.metrics import KGEComponents, kge, kge_components, nse, paired, pbias
from nexusmodel.calibration.objective import (
    Metric,
    calibration_objective,
    metrics_table,
    objective_from_comparison,
)
from nexusmodel.calibration.observations import (
    FLOW_UNITS,
    FLOW_VARIABLES,
    OBSERVATION_COLUMNS,
    OBSERVATION_UNITS,
    STATE_VARIABLES,
    load_observations,
)
from nexusmodel.calibration.parameters import (
    DEFAULT_NODE_TYPE,
    LINK_FIELDS,
    MULTIPLIERS,
    Parameter,
    ParameterValues,
    apply_parameters,
)

__all__ = [
    "FLOW_UNITS",
    "FLOW_VARIABLES",
    "STATE_VARIABLES",
    "Match",
    "Metric",
    "ParameterValues",
    "DEFAULT_NODE_TYPE",
    "FAST_OPTIONS",
    "MULTIPLIERS",
    "OBSERVATION_COLUMNS",
    "OBSERVATION_UNITS",
    "CalibrationResult",
    "LINK_FIELDS",
    "KGEComponents",
    "Parameter",
    "apply_parameters",
    "calibrate",
    "calibration_objective",
    "compare",
    "kge",
    "kge_components",
    "load_observations",
    "metrics_table",
    "objective_from_comparison",
    "nse",
    "paired",
    "pbias",
    "simulate",
    "simulated_values",
]
