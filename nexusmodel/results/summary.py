"""The short summary a planner reads after a run (printed by ``nexusmodel run``)."""

from __future__ import annotations

from typing import cast

import numpy as np
import xarray as xr
from rich.console import Console
from rich.table import Table

from nexusmodel.results.net_benefit import net_benefit_text
from nexusmodel.terminal import markup, text

WINTER = (10, 11, 12, 1, 2, 3)

#: Above this a basin's inflow is not a river's: the Amazon carries some 6,600 km3 a year.
MAX_PLAUSIBLE_INFLOW_KM3 = 10_000.0
#: Demands this many times a basin's own inflow are a data or scenario mistake, not a plan.
MAX_DEMAND_TO_INFLOW = 10.0


def years_in(ds: xr.Dataset) -> float:
    return float(ds.sizes["time"] * np.mean(ds["step_days"].values) / 365.25)


def run_summary(ds: xr.Dataset) -> dict[str, object]:
    """Headline figures per year of the horizon, by country where it matters."""
    n_years = years_in(ds)
    kind = ds["node_type"]
    irrigation = kind == "irrigation"
    by_country = ds["node_country"]
    delivered = (
        ds["delivery"].where(irrigation).sum("time").groupby(by_country).sum() / n_years / 1000
    )
    demanded = ds["demand"].where(irrigation).sum("time").groupby(by_country).sum() / n_years / 1000
    food = ds["production"].sum(("crop", "year")).groupby(by_country).sum() / n_years / 1000
    winter = ds["time"].dt.month.isin(WINTER)
    hydro_w = ds["hydropower"].where(winter).sum("time") / n_years
    hydro_s = ds["hydropower"].where(~winter).sum("time") / n_years
    thermal = ds["thermal"].sum("time") / n_years
    terminal = [n for n, t in zip(ds.node.values, kind.values, strict=True) if t == "environment"]
    return {
        "objective_musd": float(ds.attrs.get("objective_musd", np.nan)),
        "net_benefit_musd": float(ds.attrs.get("net_benefit_musd", np.nan)),
        "penalties_musd": float(ds.attrs.get("penalties_musd", np.nan)),
        "irrigation_km3": delivered,
        "irrigation_demand_km3": demanded,
        "food_kt": food,
        "hydro_winter_gwh": hydro_w,
        "hydro_summer_gwh": hydro_s,
        "thermal_gwh": thermal,
        "env_inflow_km3": {
            n: float(ds["env_flow"].sel(node=n).sum() / n_years / 1000) for n in terminal
        },
        "residual_hm3": float(ds.attrs.get("water_balance_max_residual_hm3", np.nan)),
    }


def run_warnings(ds: xr.Dataset) -> list[str]:
    """Plain-text warnings about a solved run whose inputs look absurd though valid.

    - the net benefit is negative and the rules not met (their penalties) outweigh what the
      crops and electricity exports earn;
    - the inflow is above any river's (:data:`MAX_PLAUSIBLE_INFLOW_KM3` km3/yr), or the
      demands are more than :data:`MAX_DEMAND_TO_INFLOW` times the inflow.
    """
    n_years = years_in(ds)
    out = []

    def total(name: str) -> float:
        return float(ds[name].sum()) if name in ds else 0.0

    objective = float(ds.attrs.get("objective_musd", np.nan))
    earned = (total("crop_revenue") - total("crop_cost") + total("export_revenue")) / 1e6
    breaches = {
        "environmental deficit": (total("env_deficit"), "hm3"),
        "municipal shortage": (total("shortage"), "hm3"),
        "minimum-flow deficit": (total("link_min_flow_deficit"), "hm3"),
        "release-rule breach": (total("release_rule_breach"), "hm3"),
        "unserved electricity": (total("unserved_energy"), "GWh"),
    }
    broken = {k: v for k, v in breaches.items() if v[0] > 1e-6}
    if objective < 0 and broken and -objective > 0.5 * max(earned, 0.0):
        listed = ", ".join(f"{k} {v / n_years:,.0f} {u}/yr" for k, (v, u) in broken.items())
        out.append(
            f"the net benefit ({objective:,.0f} million USD) is dominated by the penalties of "
            f"rules not met ({listed}) rather than by what water earns ({earned:,.0f} million "
            "USD): check the rule targets and penalties of the scenario"
        )
    inflow_km3 = total("inflow") / n_years / 1000 if n_years else 0.0
    if inflow_km3 > MAX_PLAUSIBLE_INFLOW_KM3:
        out.append(
            f"the inflow is {inflow_km3:,.0f} km3/yr, more than any river carries (the Amazon: "
            "some 6,600 km3/yr): check the inflow tables and the scenario's inflow_change"
        )
    demand_km3 = total("demand") / n_years / 1000 if n_years else 0.0
    if inflow_km3 > 0 and demand_km3 > MAX_DEMAND_TO_INFLOW * inflow_km3:
        out.append(
            f"the demands ({demand_km3:,.0f} km3/yr) are {demand_km3 / inflow_km3:,.0f} times "
            f"the inflow ({inflow_km3:,.1f} km3/yr): check the demand tables and the "
            "scenario's growth settings"
        )
    return out


def print_run_summary(console: Console, ds: xr.Dataset) -> None:
    s = run_summary(ds)
    console.print(
        f"[bold]{markup(ds.attrs.get('scenario', ''))}[/bold] on "
        f"{markup(ds.attrs.get('basin', ''))}: "
        f"{markup(ds.attrs.get('status'))}, {markup(net_benefit_text(ds))}"
    )
    table = Table(title="Per year, by country")
    for col in (
        "country",
        "irrigation km3 (demand)",
        "food kt",
        "hydro winter GWh",
        "hydro summer GWh",
        "thermal GWh",
    ):
        table.add_column(col, justify="right")
    countries = sorted(set(ds["node_country"].values.tolist()) | set(ds["country"].values.tolist()))

    def pick(da: xr.DataArray, dim: str, c: str) -> float:
        return float(da.sel({dim: c})) if c in da[dim].values else 0.0

    for c in countries:
        table.add_row(
            text(c),
            f"{pick(s['irrigation_km3'], 'node_country', c):.2f} ({pick(s['irrigation_demand_km3'], 'node_country', c):.2f})",  # type: ignore[arg-type]
            f"{pick(s['food_kt'], 'node_country', c):,.0f}",  # type: ignore[arg-type]
            f"{pick(s['hydro_winter_gwh'], 'country', c):,.0f}",  # type: ignore[arg-type]
            f"{pick(s['hydro_summer_gwh'], 'country', c):,.0f}",  # type: ignore[arg-type]
            f"{pick(s['thermal_gwh'], 'country', c):,.0f}",  # type: ignore[arg-type]
        )
    console.print(table)
    lakes = cast(dict[str, float], s["env_inflow_km3"])
    for node, km3 in lakes.items():
        name = ds["node_name"].sel(node=node).item()
        console.print(text(f"Inflow to {node} ({name}): {km3:.2f} km3/yr"))
    console.print(
        f"Water balance: largest residual {s['residual_hm3']:.2e} hm3 over every node and month - closes"
    )
    timings = {
        k[5:-2]: v for k, v in ds.attrs.items() if k.startswith("time_") and k.endswith("_s")
    }
    console.print("Timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    for warning in run_warnings(ds):
        console.print(text(f"warning: {warning}", style="yellow"))
    if ds.attrs.get("slp_iterations"):
        console.print(
            f"Head iteration: {ds.attrs['slp_iterations']} re-solves, energy linearization error "
            f"{100 * float(ds.attrs['energy_linearization_error']):.2f} % of the horizon's reservoir-plant energy"
        )
