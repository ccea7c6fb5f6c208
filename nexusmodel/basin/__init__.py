"""The basin layer: files -> validated, immutable Basin objects."""

from nexusmodel.basin.basin import Basin, BasinSeries, BasinTables, horizon_series
from nexusmodel.basin.load import load_basin

__all__ = ["Basin", "BasinSeries", "BasinTables", "horizon_series", "load_basin"]
