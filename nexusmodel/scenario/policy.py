"""Policy drivers on the network: irrigation efficiencies and ecological flow rules (node
settings), seasonal release shares, agreed releases and spill caps
(:class:`nexusmodel.basin.basin.Policy`, read by the model's ``release_rules`` component)."""

from __future__ import annotations

import numpy as np

from nexusmodel.basin.basin import (
    Basin,
    MinRelease,
    Policy,
    SeasonShare,
    SpillCap,
    WithdrawalLimit,
)
from nexusmodel.basin.schema import EnvironmentNode, IrrigationNode
from nexusmodel.scenario.hydrology import MEAN_DAYS, SECONDS_PER_DAY
from nexusmodel.scenario.keys import resolve
from nexusmodel.scenario.load import Scenario

__all__ = ["apply_network_policy"]


def apply_network_policy(basin: Basin, scenario: Scenario) -> Basin:
    """Irrigation efficiencies and ecological flow rules set on the nodes; release rules."""
    policy = scenario.spec.policy
    nodes = []
    for node in basin.spec.nodes:
        if isinstance(node, IrrigationNode):
            eff = resolve(policy.irrigation_efficiency, node.id, node.country)
            if eff is not None:
                update = {}
                for part in ("conveyance", "field"):
                    new = getattr(eff, f"{part}_efficiency")
                    pct = getattr(eff, f"{part}_change_pct")
                    old = getattr(node, f"{part}_efficiency")
                    if new is None and pct is not None:
                        new = min(1.0, old * (1.0 + pct / 100.0))  # capped at 1
                    if new is not None:
                        update[f"{part}_efficiency"] = new
                node = node.model_copy(update=update)
        elif isinstance(node, EnvironmentNode) and node.id in policy.ecological_flows:
            rule = policy.ecological_flows[node.id]
            update = {k: v for k, v in rule.model_dump().items() if v is not None}
            if isinstance(rule.min_flow_m3s, dict):
                update["min_flow_m3s"] = [
                    float(rule.min_flow_m3s.get(m, 0.0)) for m in range(1, 13)
                ]
            node = node.model_copy(update=update)
        nodes.append(node)
    new = basin.with_spec(basin.spec.model_copy(update={"nodes": nodes}))
    shares = tuple(
        SeasonShare(
            node_id,
            tuple(sorted(set(r.months))),
            None if r.min_share_pct is None else r.min_share_pct / 100.0,
            None if r.max_share_pct is None else r.max_share_pct / 100.0,
            r.hard,
            r.penalty_usd_per_m3,
        )
        for node_id, r in policy.seasonal_release.items()
    )
    releases = []
    for node_id, r in policy.agreed_releases.items():
        values = np.zeros(12)
        for month, value in r.minimum.items():
            values[month - 1] = value
        if r.unit == "hm3/month":  # as a mean rate over a month of mean length
            values = values * 1e6 / (MEAN_DAYS * SECONDS_PER_DAY)
        releases.append(
            MinRelease(node_id, tuple(float(v) for v in values), r.hard, r.penalty_usd_per_m3)
        )
    caps = tuple(
        SpillCap(sink, c.max_hm3_per_year, c.max_m3s, c.hard, c.penalty_usd_per_m3)
        for sink, c in policy.spill_caps.items()
    )
    limits = tuple(
        WithdrawalLimit(
            country,
            tuple(sorted(set(rule.months))),
            rule.max_km3 * 1000.0,
            rule.hard,
            rule.penalty_usd_per_m3,
        )
        for country, rule in policy.withdrawal_limits.items()
    )
    exchange = policy.water_energy_exchange
    return new.with_policy(Policy(shares, tuple(releases), caps, limits, exchange))
