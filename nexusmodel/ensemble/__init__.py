"""Ensembles on Dask: stochastic hydrologies x policy options, with robustness summaries.

``run_ensemble(scenario, members, options, output=...)`` (:mod:`.runner`) runs every member
on a Dask cluster, each worker re-solving one persistent model per option warm
(:mod:`.persistent`, :mod:`.members`), streams the members to disk and combines them into
one cube; :func:`robustness` (:mod:`.robustness`) summarises it per option.
"""

from nexusmodel.ensemble.persistent import PersistentModel
from nexusmodel.ensemble.plan import EnsemblePlan, make_plan
from nexusmodel.ensemble.robustness import print_robustness, robustness, robustness_table
from nexusmodel.ensemble.runner import (
    EnsembleError,
    EnsembleResult,
    dask_client,
    member_folder,
    member_path,
    run_ensemble,
)

__all__ = [
    "EnsemblePlan",
    "EnsembleError",
    "EnsembleResult",
    "PersistentModel",
    "dask_client",
    "make_plan",
    "member_folder",
    "member_path",
    "print_robustness",
    "robustness",
    "robustness_table",
    "run_ensemble",
]
