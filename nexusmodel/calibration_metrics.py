"""Moved to :mod:`nexusmodel.calibration.metrics`; this name stays importable."""

from nexusmodel.calibration.metrics import KGEComponents, kge, kge_components, nse, paired, pbias

__all__ = ["KGEComponents", "kge", "kge_components", "nse", "paired", "pbias"]
