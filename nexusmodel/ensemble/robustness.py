"""Robustness of policy options across an ensemble of hydrologies.

``robustness(cube)`` takes the member cube (dims ``option``, ``member``; see
:mod:`nexusmodel.ensemble.members`) and returns, per option:

- ``<indicator>_quantile`` (option, quantile): the distribution of each headline indicator
  over the members that solved (5, 25, 50, 75 and 95 %);
- ``p_<target>`` (option): the probability of missing a target in a year (share of
  member-years), and ``p_<target>_any``: the share of members that miss it in at least one
  year. Targets: ``terminal`` (inflow to a terminal lake below its annual target),
  ``municipal`` (towns short of more than 0.1 % of their annual demand) and ``winter_energy``
  (hydropower of the year's winter months below ``winter_energy_gwh``, by default 90 % of the
  median over every member-year of every option);
- ``regret_mean``, ``regret_p90``, ``regret_max`` (million USD): net benefit of the best
  option in the member minus this option's, over the members; ``best_share``: the share of
  members in which the option is the best;
- ``members_ok``, ``failed``, ``p_failed``: members that solved, and that did not.

Failed members (infeasible, ...) are left out of the distributions and regrets, and counted
in ``p_failed``: an option that fails in some hydrologies is fragile, whatever its median.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from rich.console import Console
from rich.table import Table

from nexusmodel.terminal import text

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
INDICATORS = (
    "objective_musd",
    "agricultural_income_musd_per_yr",
    "irrigation_coverage_pct",
    "municipal_coverage_pct",
    "hydropower_gwh_per_yr",
    "hydropower_winter_gwh_per_yr",
    "thermal_cost_musd_per_yr",
    "terminal_inflow_km3_per_yr",
)
MUNICIPAL_TOLERANCE = 1e-3  # share of the annual demand below which a shortage is noise
TERMINAL_TOLERANCE_HM3 = 1e-3
WINTER_SHARE_OF_MEDIAN = 0.9


def _probabilities(missed: xr.DataArray, ok: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """(share of member-years missed, share of members missing at least one year)."""
    per_year = missed.astype(float).where(ok).mean(("member", "year"))
    any_year = missed.any("year").astype(float).where(ok).mean("member")
    return per_year, any_year


def robustness(cube: xr.Dataset, winter_energy_gwh: float | None = None) -> xr.Dataset:
    """The robustness summary of a member cube (see the module docstring)."""
    names = [n for n in INDICATORS if n in cube]
    annual = ["terminal_inflow", "terminal_target", "municipal_shortage", "municipal_demand"]
    small = cube[[*names, "status", "winter_hydropower", *annual]].load()
    ok = small["status"] == "optimal"
    out = xr.Dataset()
    for name in names:
        values = small[name].where(ok)
        q = values.quantile(list(QUANTILES), dim="member", skipna=True)
        out[f"{name}_quantile"] = q.assign_attrs(
            units=cube[name].attrs.get("units", ""),
            long_name=f"quantiles over the members of {name.replace('_', ' ')}",
        )
    ran = small["status"].notnull() & (small["status"] != "")
    out["members_ok"] = ok.sum("member").assign_attrs(units="1", long_name="members that solved")
    out["failed"] = (
        (ran & ~ok)
        .sum("member")
        .assign_attrs(units="1", long_name="members that did not solve (see status and error)")
    )
    out["p_failed"] = (out["failed"] / ran.sum("member")).assign_attrs(
        units="1", long_name="share of members that did not solve"
    )
    # terminal lakes: any lake below its target in the year
    if small.sizes.get("terminal", 0):
        short = (small["terminal_inflow"] < small["terminal_target"] - TERMINAL_TOLERANCE_HM3).any(
            "terminal"
        )
    else:
        short = xr.zeros_like(small["municipal_shortage"], dtype=bool)
    towns = small["municipal_shortage"] > MUNICIPAL_TOLERANCE * small["municipal_demand"]
    winter = small["winter_hydropower"]
    threshold = (
        float(winter_energy_gwh)
        if winter_energy_gwh is not None
        else WINTER_SHARE_OF_MEDIAN * float(winter.where(ok).median(skipna=True))
    )
    low = winter < threshold
    for key, missed, meaning in (
        ("terminal", short, "terminal lake inflow below its annual target"),
        ("municipal", towns, "towns short of water"),
        ("winter_energy", low, f"winter hydropower below {threshold:,.0f} GWh"),
    ):
        per_year, any_year = _probabilities(missed, ok)
        out[f"p_{key}"] = per_year.assign_attrs(
            units="1", long_name=f"probability of a year with {meaning}"
        )
        out[f"p_{key}_any"] = any_year.assign_attrs(
            units="1", long_name=f"share of members with at least one year with {meaning}"
        )
    objective = small["objective_musd"].where(ok)
    best = objective.max("option", skipna=True)
    regret = best - objective
    out["regret"] = regret.assign_attrs(
        units="million USD", long_name="net benefit of the member's best option minus this one's"
    )
    out["regret_mean"] = regret.mean("member", skipna=True).assign_attrs(units="million USD")
    out["regret_p90"] = (
        regret.quantile(0.9, dim="member", skipna=True)
        .drop_vars("quantile")
        .assign_attrs(units="million USD")
    )
    out["regret_max"] = regret.max("member", skipna=True).assign_attrs(units="million USD")
    out["best_share"] = (
        (regret <= 1e-9 * np.maximum(abs(best), 1.0))
        .where(ok)
        .mean("member")
        .assign_attrs(units="1", long_name="share of members in which the option is the best")
    )
    out.attrs["winter_energy_threshold_gwh"] = threshold
    out.attrs["quantiles"] = ", ".join(f"{q:g}" for q in QUANTILES)
    return out


def robustness_table(summary: xr.Dataset, title: str = "Robustness across members") -> Table:
    """A rich table of :func:`robustness`, one row per option."""
    threshold = summary.attrs.get("winter_energy_threshold_gwh", np.nan)
    table = Table(
        title=text(title),
        caption=(
            "benefit and regret: million USD over the horizon. P: share of member-years with "
            "a terminal lake below its target (lake), towns short of water (towns), winter "
            f"hydropower (Jan-Mar, Oct-Dec) below {threshold:,.0f} GWh (winter)"
        ),
    )
    for column in (
        "option",
        "n (failed)",
        "benefit p50",
        "p5-p95",
        "regret mean / max",
        "best in",
        "P lake",
        "P towns",
        "P winter",
    ):
        table.add_column(column, justify="left" if column == "option" else "right")

    def pct(value: object) -> str:
        v = float(value)  # type: ignore[arg-type]
        return "-" if np.isnan(v) else f"{100 * v:.0f}%"

    def num(value: object) -> str:
        v = float(value)  # type: ignore[arg-type]
        return "-" if np.isnan(v) else f"{v:,.0f}"

    q = summary.get("objective_musd_quantile")
    for option in summary["option"].values:
        row = summary.sel(option=option)
        at = q.sel(option=option) if q is not None else None
        table.add_row(
            text(option),  # an option's name comes from a file name
            f"{int(row['members_ok']) + int(row['failed'])} ({int(row['failed'])})",
            num(at.sel(quantile=0.5)) if at is not None else "-",
            f"{num(at.sel(quantile=0.05))}-{num(at.sel(quantile=0.95))}" if at is not None else "-",
            f"{num(row['regret_mean'])} / {num(row['regret_max'])}",
            pct(row["best_share"]),
            pct(row["p_terminal"]),
            pct(row["p_municipal"]),
            pct(row["p_winter_energy"]),
        )
    return table


def print_robustness(console: Console, summary: xr.Dataset) -> None:
    console.print(robustness_table(summary))
