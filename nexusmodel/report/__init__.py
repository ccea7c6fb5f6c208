"""Results for people: indicator tables (terminal and CSV) and a self-contained HTML report."""

from nexusmodel.report.tables import IndicatorTable, indicator_tables, rich_table, write_tables

__all__ = ["IndicatorTable", "indicator_tables", "rich_table", "write_tables"]
