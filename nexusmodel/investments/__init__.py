"""Investments: candidate projects as data, their appraisal and their choice.

The ``investments`` section of a basin or scenario file is :class:`nexusmodel.basin.schema.InvestmentSpec`.
"""
