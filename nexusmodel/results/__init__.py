"""Results: one xarray Dataset per run, with units, duals and provenance."""

from nexusmodel.results.extract import extract_results
from nexusmodel.results.io import read_results, write_results

__all__ = ["extract_results", "read_results", "write_results"]
