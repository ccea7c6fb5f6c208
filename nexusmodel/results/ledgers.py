"""Ledgers per country and year: who gains and who pays under a rule.

From a run's results (and the basin it was made with, for the money):

- **water** (km3/yr): what each country receives from and passes to each neighbour, on the
  links whose two end nodes are in different countries, after the link's losses (what
  arrives at the receiving end; :func:`water_ledger`);
- **electricity** (GWh/yr): trade with systems outside the model (``imports``,
  ``exports``), interconnector flows where the results have them (received after losses,
  sent at the sending end), and the water-for-energy exchange (delivered, received);
  compensation owed and paid (GWh, and MUSD at the agreement's price;
  :func:`electricity_ledger`);
- **net benefit by sector** (MUSD, discounted as the run): each country's own part of every
  term of :func:`nexusmodel.results.net_benefit.net_benefit_parts` (crops, energy, demand
  benefit, transport cost, storage value; penalties apart), plus the money that moves
  between countries: the exchange's (fuel, unpaid compensation settled at the agreed price;
  ``compensation_transfer``) and, with a power system's lines, electricity traded paid at the
  sending system's price (``trade_transfer``); each sums to 0 over the countries
  (:func:`net_benefit_by_country`).

Each country's part is the basin figure computed on results masked to that country (values
of other countries' nodes, energy systems, generators and links set to 0), so the parts sum to
the basin's net benefit by construction, term by term. A node belongs to its ``country``, an
energy system's results to its country, a link (its flow's transport cost, its minimum-flow
deficit) to the country of the node it delivers to. By year: the same with values outside
the year set to 0 (a reservoir's terminal value falls in the last year).

:func:`country_ledger` gathers the horizon's figures into one table, a row per country.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.results.net_benefit import (
    BENEFIT_PARTS,
    PENALTY_PARTS,
    _discounts,
    net_benefit_parts,
)

__all__ = [
    "TRADE",
    "TRANSFER",
    "country_ledger",
    "countries",
    "electricity_ledger",
    "net_benefit_by_country",
    "water_ledger",
]

HM3_PER_KM3 = 1000.0
MUSD_PER_GWH_PER_USD_MWH = 1e-3
#: the money the exchange moves between countries (MUSD): + to the upstream country
TRANSFER = "compensation_transfer"
#: what electricity traded over the lines is paid (MUSD): + to the sending country
TRADE = "trade_transfer"


def countries(ds: xr.Dataset) -> list[str]:
    """The countries of a run: of its nodes and energy systems, in first-seen order."""
    seen: dict[str, None] = {}
    for c in [*ds["node_country"].values.tolist(), *ds["country"].values.tolist()]:
        if c:
            seen.setdefault(str(c), None)
    return list(seen)


def _years(ds: xr.Dataset) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(ds["time"].values).year)


def _system_country(ds: xr.Dataset, basin: Basin | None) -> dict[str, str]:
    """Energy-system node id -> country (ids that are already countries map to themselves)."""
    out = {str(c): str(c) for c in ds["country"].values}
    if basin is not None:
        for n in basin.nodes_of_type("energy_system"):
            out[n.id] = n.country
    return out


# --------------------------------------------------------------------------- water


def water_ledger(ds: xr.Dataset) -> pd.DataFrame:
    """Water between neighbours (km3 a year): rows (country, neighbour, year) with
    ``received_km3`` (from the neighbour, after the links' losses) and ``passed_km3`` (to the
    neighbour, the same water as it arrives there)."""
    node_country = dict(
        zip(ds["node"].values.tolist(), ds["node_country"].values.tolist(), strict=True)
    )
    years = _years(ds)
    rows: dict[tuple[str, str, int], list[float]] = {}
    arrived = (ds["link_flow"] - ds["link_loss"].fillna(0.0)).values
    for k, (a, b) in enumerate(
        zip(ds["link_from"].values.tolist(), ds["link_to"].values.tolist(), strict=True)
    ):
        ca, cb = node_country.get(a, ""), node_country.get(b, "")
        if not ca or not cb or ca == cb:
            continue
        for y in sorted(set(years.tolist())):
            km3 = float(np.nan_to_num(arrived[k][years == y]).sum()) / HM3_PER_KM3
            rows.setdefault((cb, ca, y), [0.0, 0.0])[0] += km3
            rows.setdefault((ca, cb, y), [0.0, 0.0])[1] += km3
    frame = pd.DataFrame(
        [(c, n, y, r, p) for (c, n, y), (r, p) in rows.items()],
        columns=["country", "neighbour", "year", "received_km3", "passed_km3"],
    )
    return frame.sort_values(["country", "neighbour", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- electricity

ELECTRICITY_COLUMNS = (
    "imports_gwh",
    "exports_gwh",
    "interconnector_received_gwh",
    "interconnector_sent_gwh",
    "exchange_received_gwh",
    "exchange_delivered_gwh",
    "compensation_owed_gwh",
    "compensation_paid_gwh",
    "compensation_owed_musd",
    "compensation_paid_musd",
)


def _exchange_terms(ds: xr.Dataset) -> tuple[str, str, float]:
    """(upstream country, compensation kind, agreed price USD/MWh) of the run's exchange."""
    attrs = ds["exchange_owed"].attrs
    return (
        str(attrs.get("upstream_country", "")),
        str(attrs.get("compensation", "electricity")),
        float(attrs.get("price_usd_per_mwh", 0.0)),
    )


def electricity_ledger(ds: xr.Dataset, basin: Basin | None = None) -> pd.DataFrame:
    """Electricity a country trades (GWh a year) and the exchange's compensation (GWh and
    MUSD, undiscounted, at the agreement's price): one row per (country, year), columns
    :data:`ELECTRICITY_COLUMNS`. The upstream country is owed and paid what its downstream
    neighbours owe and pay (with a minus sign: it receives)."""
    names = countries(ds)
    year_of = _years(ds)
    years = sorted(set(year_of.tolist()))
    table = {(c, y): dict.fromkeys(ELECTRICITY_COLUMNS, 0.0) for c in names for y in years}

    def add(country: str, column: str, values: np.ndarray) -> None:
        """Add a per-step series (time) of ``country`` to ``column``, summed by year."""
        if country not in names:
            return
        for y in years:
            table[(country, y)][column] += float(np.nan_to_num(values[year_of == y]).sum())

    for name, column in (("imports", "imports_gwh"), ("exports", "exports_gwh")):
        if name in ds:
            for c in ds["country"].values.tolist():
                add(str(c), column, ds[name].sel(country=c).values)
    if "interconnector_flow" in ds:
        system = _system_country(ds, basin)
        loss = (
            ds["interconnector_loss"].values
            if "interconnector_loss" in ds
            else np.zeros(ds["interconnector_flow"].shape)
        )
        for i, (a, b) in enumerate(
            zip(
                ds["interconnector_from"].values.tolist(),
                ds["interconnector_to"].values.tolist(),
                strict=True,
            )
        ):
            flow = np.nan_to_num(ds["interconnector_flow"].values[i])
            lost = np.nan_to_num(loss[i])
            forward, backward = np.clip(flow, 0.0, None), np.clip(-flow, 0.0, None)
            ca, cb = system.get(str(a), str(a)), system.get(str(b), str(b))
            add(ca, "interconnector_sent_gwh", forward)
            add(cb, "interconnector_received_gwh", forward - np.where(flow > 0, lost, 0.0))
            add(cb, "interconnector_sent_gwh", backward)
            add(ca, "interconnector_received_gwh", backward - np.where(flow < 0, lost, 0.0))
    if "exchange_owed" in ds:
        upstream, _kind, price = _exchange_terms(ds)
        value = price * MUSD_PER_GWH_PER_USD_MWH
        for c in ds["country"].values.tolist():
            delivered = ds["exchange_delivery"].sel(country=c).values
            add(str(c), "exchange_delivered_gwh", delivered)
            add(upstream, "exchange_received_gwh", delivered)
            for y in years:
                if y not in ds["year"].values:
                    continue
                # NaN where a cube's scenario has no exchange
                owed = float(np.nan_to_num(ds["exchange_owed"].sel(country=c, year=y)))
                paid = float(np.nan_to_num(ds["exchange_paid"].sel(country=c, year=y)))
                for country, sign in ((str(c), 1.0), (upstream, -1.0)):
                    if country not in names:
                        continue
                    row = table[(country, y)]
                    row["compensation_owed_gwh"] += sign * owed
                    row["compensation_paid_gwh"] += sign * paid
                    row["compensation_owed_musd"] += sign * owed * value
                    row["compensation_paid_musd"] += sign * paid * value
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index = pd.MultiIndex.from_tuples(list(table), names=["country", "year"])
    return frame


# --------------------------------------------------------------------------- net benefit


def _country_masks(ds: xr.Dataset, country: str, basin: Basin | None) -> dict[str, np.ndarray]:
    """For each dimension that belongs to a country: True where it is ``country``'s."""
    node_country = dict(
        zip(ds["node"].values.tolist(), ds["node_country"].values.tolist(), strict=True)
    )
    masks = {
        "node": ds["node_country"].values == country,
        "country": ds["country"].values == country,
        "link": np.array([node_country.get(t) == country for t in ds["link_to"].values.tolist()]),
    }
    system = _system_country(ds, basin)
    for dim, coord in (
        ("generator", "generator_system"),
        ("interconnector", "interconnector_from"),
    ):
        if dim in ds.dims and coord in ds.coords:
            masks[dim] = np.array(
                [system.get(str(s), str(s)) == country for s in ds[coord].values.tolist()]
            )
    return masks


def _masked(ds: xr.Dataset, masks: dict[str, np.ndarray]) -> xr.Dataset:
    """``ds`` with every data variable set to 0 outside the masks (NaN kept inside)."""
    out = ds.copy(deep=False)
    for name, da in ds.data_vars.items():
        keep = None
        for dim in da.dims:
            if dim in masks:
                m = xr.DataArray(masks[dim], dims=(dim,))
                keep = m if keep is None else keep & m
        if keep is not None:
            out[name] = da.where(keep, 0.0)
    return out


def _transfers(ds: xr.Dataset, year: int | None = None) -> dict[str, float]:
    """Money the exchange moves (MUSD, discounted): fuel paid and compensation left unpaid
    (settled at the agreed price), + to the upstream country, - to those who pay."""
    out: dict[str, float] = {}
    if "exchange_owed" not in ds:
        return out
    upstream, kind, price = _exchange_terms(ds)
    _step, year_disc = _discounts(ds)
    value = price * MUSD_PER_GWH_PER_USD_MWH
    for c in ds["country"].values.tolist():
        for y in ds["year"].values.tolist():
            if year is not None and y != year:
                continue
            gwh = float(np.nan_to_num(ds["exchange_unpaid"].sel(country=c, year=y)))
            if kind == "fuel":
                gwh += float(np.nan_to_num(ds["exchange_paid"].sel(country=c, year=y)))
            money = gwh * value * year_disc.get(int(y), 1.0)
            out[str(c)] = out.get(str(c), 0.0) - money
            out[upstream] = out.get(upstream, 0.0) + money
    return out


def _trade(ds: xr.Dataset, basin: Basin | None, year: int | None = None) -> dict[str, float]:
    """What electricity sent over the lines is paid (MUSD, discounted): the receiving country
    pays the energy sent at the sending system's price (``energy_price``, the dual of its
    balance), + to the sender. Exchange deliveries over a payer's lines to the upstream
    country are compensation, not trade: not paid."""
    out: dict[str, float] = {}
    if "interconnector_flow" not in ds or "energy_price" not in ds:
        return out
    system = _system_country(ds, basin)
    step_disc, _year_disc = _discounts(ds)
    in_year = np.ones(ds.sizes["time"], dtype=bool) if year is None else _years(ds) == year
    price = {
        str(c): np.nan_to_num(ds["energy_price"].sel(country=c).values)
        for c in ds["country"].values.tolist()
    }
    # compensation still to be netted out of the payer -> upstream flows, by country and step
    owed_left: dict[str, np.ndarray] = {}
    upstream = ""
    if "exchange_delivery" in ds:
        upstream = _exchange_terms(ds)[0]
        for c in ds["country"].values.tolist():
            owed_left[str(c)] = np.nan_to_num(ds["exchange_delivery"].sel(country=c).values).copy()
    for i, (a, b) in enumerate(
        zip(
            ds["interconnector_from"].values.tolist(),
            ds["interconnector_to"].values.tolist(),
            strict=True,
        )
    ):
        flow = np.nan_to_num(ds["interconnector_flow"].values[i])
        ca, cb = system.get(str(a), str(a)), system.get(str(b), str(b))
        for sender, receiver, sent in (
            (ca, cb, np.clip(flow, 0.0, None)),
            (cb, ca, np.clip(-flow, 0.0, None)),
        ):
            if receiver == upstream and sender in owed_left:
                netted = np.minimum(sent, owed_left[sender])
                owed_left[sender] = owed_left[sender] - netted
                sent = sent - netted
            money = sent * price.get(sender, 0.0) * MUSD_PER_GWH_PER_USD_MWH * step_disc
            total = float(money[in_year].sum())
            out[sender] = out.get(sender, 0.0) + total
            out[receiver] = out.get(receiver, 0.0) - total
    return out


def net_benefit_by_country(ds: xr.Dataset, basin: Basin, *, by_year: bool = False) -> pd.DataFrame:
    """Each country's part of every net-benefit and penalty term (MUSD, discounted), its
    ``compensation_transfer``, ``net_benefit_musd`` (the benefit parts and the transfer) and
    ``penalties_musd``: rows by country, or by (country, year) with ``by_year``."""
    names = countries(ds)
    year_of = _years(ds)
    periods: Sequence[int | None] = sorted(set(year_of.tolist())) if by_year else [None]
    rows = {}
    for c in names:
        masked = _masked(ds, _country_masks(ds, c, basin))
        for y in periods:
            part = masked
            if y is not None:
                masks = {"time": year_of == y}
                if "year" in ds.dims:
                    masks["year"] = ds["year"].values == y
                part = _masked(masked, masks)
            values = net_benefit_parts(part, basin)
            values[TRANSFER] = _transfers(ds, y).get(c, 0.0)
            values[TRADE] = _trade(ds, basin, y).get(c, 0.0)
            values["net_benefit_musd"] = (
                sum(values[k] for k in BENEFIT_PARTS) + values[TRANSFER] + values[TRADE]
            )
            values["penalties_musd"] = sum(values[k] for k in PENALTY_PARTS)
            rows[c if y is None else (c, y)] = values
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if by_year:
        frame.index = pd.MultiIndex.from_tuples(list(rows), names=["country", "year"])
    else:
        frame.index.name = "country"
    return frame


# --------------------------------------------------------------------------- one table


def country_ledger(ds: xr.Dataset, basin: Basin | None = None) -> pd.DataFrame:
    """One row per country for the whole horizon: water received and passed (km3/yr, mean
    over the years), electricity (GWh/yr, mean), compensation owed and paid (GWh/yr, and
    MUSD over the horizon, undiscounted) and, with the basin, net benefit by sector (MUSD,
    discounted as the run)."""
    names = countries(ds)
    n_years = len(set(_years(ds).tolist()))
    water = water_ledger(ds)
    out = pd.DataFrame(index=pd.Index(names, name="country"))
    by_country = water.groupby("country")[["received_km3", "passed_km3"]].sum() / n_years
    out["water_received_km3_per_yr"] = by_country["received_km3"].reindex(names).fillna(0.0)
    out["water_passed_km3_per_yr"] = by_country["passed_km3"].reindex(names).fillna(0.0)
    energy = electricity_ledger(ds, basin).groupby(level="country").sum().reindex(names)
    for column in ELECTRICITY_COLUMNS:
        if column.endswith("_gwh"):
            out[f"{column}_per_yr"] = energy[column] / n_years
        else:
            out[column] = energy[column]
    if basin is not None:
        money = net_benefit_by_country(ds, basin)
        for column in (*BENEFIT_PARTS, TRANSFER, TRADE, "net_benefit_musd", "penalties_musd"):
            name = column if column.endswith("_musd") else f"{column}_musd"
            out[name] = money[column].reindex(names)
    return out
