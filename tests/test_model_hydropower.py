"""Hydropower on hand-worked cases: a fixed-head plant, and a reservoir plant whose head
follows its storage (solved by successive linear programming) checked against a brute-force
search over the exact nonlinear energy.

Energy: E (GWh) = 0.002725 * eta * H (m) * q (hm3). One month of P MW is P * 24 * days / 1000
GWh. Energy is valued at the thermal cost it saves: 1 GWh at c USD/MWh = c / 1000 MUSD.
2030: January 31 days (744 h, 1 m3/s = 2.6784 hm3), February 28, March 31.
"""

from __future__ import annotations

import numpy as np
import pytest

from model_factory import energy_table, las_table, link, make_basin, node, run, with_months

K = 0.002725  # GWh per hm3 per m of head at efficiency 1
TOL = 1e-6


# --- 4. run-of-river plant, fixed head ---------------------------------------------------------


def run_of_river(inflow: float, installed_mw: float):
    """One month (January 2030).

    ::

        S --> H (head 50 m, eta 0.9, 20 m3/s) --> O
              :
              : energy
              v
        E (energy system: 100 GWh demand, thermal at 60 USD/MWh, 1000 MW)
    """
    nodes = [
        node("S", "source"),
        node(
            "H",
            "hydropower",
            installed_mw=installed_mw,
            efficiency=0.9,
            max_turbine_flow_m3s=20.0,
            head_m=50.0,
        ),
        node("O", "sink"),
        node("E", "energy_system", thermal_capacity_mw=1000.0),
    ]
    basin = make_basin(
        nodes, [link("S", "H"), link("H", "O")], energy=energy_table("E", 100.0, 60.0)
    )
    return run(with_months(basin, 1, {"S": inflow}))


# 1 hm3 through the turbines gives 0.002725 * 0.9 * 50 = 0.122625 GWh.
GWH_PER_HM3 = K * 0.9 * 50.0


@pytest.mark.parametrize(
    ("installed_mw", "turbine", "energy"),
    [
        # turbine capacity binds: 20 m3/s * 31 * 86400 / 1e6 = 53.568 hm3 -> 6.568776 GWh
        # (100 MW could make 74.4 GWh)
        (100.0, 53.568, 53.568 * GWH_PER_HM3),
        # installed capacity binds: 2 MW * 744 h = 1.488 GWh -> 1.488 / 0.122625 = 12.1346 hm3
        (2.0, 1.488 / GWH_PER_HM3, 1.488),
    ],
)
def test_fixed_head_plant_at_capacity_spills(installed_mw, turbine, energy):
    r = run_of_river(100.0, installed_mw)
    ds = r.ds
    assert r.at("turbine_flow", "H")[0] == pytest.approx(turbine, abs=TOL)
    assert r.at("energy", "H")[0] == pytest.approx(energy, abs=TOL)
    assert r.at("head_m", "H")[0] == pytest.approx(50.0)
    # the rest of the 100 hm3 spills past the plant
    assert r.at("release", "H")[0] == pytest.approx(100.0, abs=TOL)
    assert r.at("spill", "H")[0] == pytest.approx(100.0 - turbine, abs=TOL)
    # thermal makes up the 100 GWh demand, so electricity is worth the thermal cost
    assert float(ds["thermal"].sum()) == pytest.approx(100.0 - energy, abs=TOL)
    assert float(ds["hydropower"].sum()) == pytest.approx(energy, abs=TOL)
    assert float(ds["energy_price"].sum()) == pytest.approx(60.0, abs=TOL)
    # water spills, so one more hm3 is worth nothing
    assert r.at("marginal_value", "H")[0] == pytest.approx(0.0, abs=TOL)
    assert r.at("marginal_value", "S")[0] == pytest.approx(0.0, abs=TOL)
    # objective: - 60 USD/MWh * thermal GWh / 1000 + spill tie-breaker 1e-4 USD/m3 * turbine
    assert r.report.objective_musd == pytest.approx(
        -0.06 * (100.0 - energy) + 1e-4 * turbine, abs=TOL
    )


def test_fixed_head_plant_below_capacity_values_water_at_the_thermal_cost():
    """The same plant with 30 hm3 (below the 53.568 hm3 turbine capacity): all turbined."""
    r = run_of_river(30.0, 100.0)
    # 30 * 0.122625 = 3.67875 GWh; no spill
    assert r.at("energy", "H")[0] == pytest.approx(30.0 * GWH_PER_HM3, abs=TOL)
    assert r.at("spill", "H")[0] == pytest.approx(0.0, abs=TOL)
    assert float(r.ds["energy_price"].sum()) == pytest.approx(60.0, abs=TOL)
    # one more hm3 saves 0.122625 GWh = 122.625 MWh of thermal at 60 USD/MWh = 7357.5 USD,
    # i.e. 0.0073575 USD/m3, plus the 1e-4 USD/m3 spill tie-breaker on turbine flow
    expected = GWH_PER_HM3 * 60.0 / 1000.0 + 1e-4
    assert r.at("marginal_value", "H")[0] == pytest.approx(expected, abs=TOL)
    assert r.at("marginal_value", "S")[0] == pytest.approx(expected, abs=TOL)


# --- 5. reservoir plant, head from storage ----------------------------------------------------

# Level-storage table of R (concave: the reservoir widens as it fills); tailwater at 90 m.
# Head H(S) = level(S) - 90, with S the mean storage of the month.
# A second, straight table: level = 100 + 0.04 S.
TABLES = {
    "concave": ([0.0, 100.0, 300.0, 600.0, 1000.0], [100.0, 110.0, 120.0, 130.0, 140.0]),
    "straight": ([0.0, 250.0, 500.0, 750.0, 1000.0], [100.0, 110.0, 120.0, 130.0, 140.0]),
}
LAS_AREA = [2.0, 6.0, 10.0, 14.0, 18.0]
TAILWATER = 90.0
EFFICIENCY = 0.9
S0 = 500.0
# 50 m3/s of turbines: 133.92 hm3 in January and March, 120.96 in February
Q_MAX = np.array([31.0, 28.0, 31.0]) * 86_400 * 50.0 / 1e6


def reservoir_plant(inflow: list[float], prices: list[float], table: str = "concave"):
    """Three months (January-March 2030). R must end at its initial 500 hm3, so the quarter
    releases exactly its inflow; the question is when, with the head falling as R empties.

    ::

        S --> R (1000 hm3, S0 = 500, plant: 50 m3/s, eta 0.9, tailwater 90 m) --> O
              :
              v
        E (1000 GWh a month: thermal always runs, at ``prices`` USD/MWh)
    """
    plant = {
        "installed_mw": 100.0,  # 74.4 GWh a month: far above what 134 hm3 at ~40 m can make
        "efficiency": EFFICIENCY,
        "max_turbine_flow_m3s": 50.0,
        "tailwater_level_m": TAILWATER,
    }
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=1000.0,
            initial_storage_hm3=S0,
            end_storage="initial",
            hydropower=plant,
        ),
        node("O", "sink"),
        node("E", "energy_system", thermal_capacity_mw=2000.0),
    ]
    basin = make_basin(
        nodes,
        [link("S", "R"), link("R", "O")],
        energy=energy_table("E", 1000.0, [*prices, *[50.0] * 9]),
        level_area_storage={"R": las_table(TABLES[table][1], LAS_AREA, TABLES[table][0])},
    )
    return run(with_months(basin, 3, {"S": inflow}))


def exact_energy(
    inflow: np.ndarray, q: np.ndarray, table: str = "concave"
) -> tuple[np.ndarray, np.ndarray]:
    """Exact energy (GWh) of releases ``q`` (..., 3 months) and the storages they leave."""
    storage = S0 + np.cumsum(inflow - q, axis=-1)
    start = np.concatenate([np.full(q.shape[:-1] + (1,), S0), storage[..., :-1]], axis=-1)
    head = np.interp((start + storage) / 2.0, *TABLES[table]) - TAILWATER
    return K * EFFICIENCY * head * q, storage


def brute_force(
    inflow: list[float], prices: list[float], table: str = "concave"
) -> tuple[float, float, np.ndarray]:
    """Best (value in USD-per-MWh-weighted GWh, energy GWh, releases) over a fine grid.

    Releases q1, q2 on a 0.1 % grid of their turbine capacities; q3 = total - q1 - q2 (the
    last release only adds energy, and the end storage must equal the start). Storage must
    stay within 0..1000 hm3.
    """
    total = float(np.sum(inflow))
    q1, q2 = np.meshgrid(np.linspace(0, Q_MAX[0], 1001), np.linspace(0, Q_MAX[1], 1001))
    q = np.stack([q1, q2, total - q1 - q2], axis=-1)
    energy, storage = exact_energy(np.asarray(inflow, float), q, table)
    feasible = (
        (q[..., 2] >= 0)
        & (q[..., 2] <= Q_MAX[2])
        & (storage.min(axis=-1) >= 0)
        & (storage.max(axis=-1) <= 1000)
    )
    value = np.where(feasible, (energy * np.asarray(prices)).sum(axis=-1), -np.inf)
    best = np.unravel_index(np.argmax(value), value.shape)
    return float(value[best]), float(energy[best].sum()), q[best]


HEAD_CASES = [
    # Equal prices: the value is the energy. Inflow arrives in January; releasing late keeps
    # R fuller for longer, so the best plan turbines at capacity in March and February and
    # only the remaining 300 - 133.92 - 120.96 = 45.12 hm3 in January.
    pytest.param([300.0, 0.0, 0.0], [50.0, 50.0, 50.0], "concave", id="equal-prices"),
    # A dear January: release there at capacity despite the lower head.
    pytest.param([300.0, 0.0, 0.0], [80.0, 50.0, 50.0], "concave", id="dear-january"),
    # Inflow in February, prices falling, straight table: the exact optimum is interior
    # (about 89, 121, 90 hm3), which no single LP with fixed heads can reach.
    pytest.param([0.0, 300.0, 0.0], [60.0, 50.0, 40.0], "straight", id="falling-prices"),
]


@pytest.mark.parametrize(("inflow", "prices", "table"), HEAD_CASES)
def test_head_iteration_matches_brute_force(inflow, prices, table):
    r = reservoir_plant(inflow, prices, table)
    ds = r.ds
    q = r.at("turbine_flow", "R")
    storage = r.at("storage", "R")
    # the model's plan keeps the rules: all inflow released over the quarter, back to 500
    assert q.sum() + r.at("spill", "R").sum() == pytest.approx(sum(inflow), abs=1e-6)
    assert storage[-1] == pytest.approx(S0, abs=1e-6)
    # exact energy of the model's releases, with the head from the level-storage table
    exact, exact_storage = exact_energy(np.asarray(inflow, float), q, table)
    np.testing.assert_allclose(exact_storage, storage, atol=1e-6)
    best_value, best_energy, best_q = brute_force(inflow, prices, table)
    model_value = float((exact * np.asarray(prices)).sum())
    # the SLP plan is within 1 % of the best value the exact nonlinear energy allows
    assert model_value == pytest.approx(best_value, rel=0.01)
    assert model_value <= best_value * (1 + 1e-4)  # the grid is fine enough to be an upper bound
    # and the energy it reports is the exact energy of its plan within 1 %
    assert ds["energy"].sel(node="R").sum().item() == pytest.approx(exact.sum(), rel=0.01)
    assert ds.attrs["energy_linearization_error"] < 0.01
    if prices[0] == prices[1] == prices[2]:
        # with equal prices the value is the energy: compare energies directly (1-2 %)
        assert exact.sum() == pytest.approx(best_energy, rel=0.01)
        # hand check of the plan: 45.12 in January, then February and March at capacity
        np.testing.assert_allclose(best_q, [45.12, 120.96, 133.92], atol=0.2)
        np.testing.assert_allclose(q, [45.12, 120.96, 133.92], atol=0.2)
    # energy never exceeds what the installed 100 MW can make in the month
    hours = np.array([31.0, 28.0, 31.0]) * 24.0
    assert (ds["energy"].sel(node="R").to_numpy() <= 100.0 * hours / 1000.0 + 1e-6).all()


@pytest.mark.parametrize(("inflow", "prices", "table"), HEAD_CASES)
def test_reported_monthly_energy_is_the_exact_energy(inflow, prices, table):
    """Month by month (not only over the horizon, where errors of opposite sign would cancel),
    the energy reported is 0.002725 * eta * H(mean storage) * turbine flow within 1 %, and
    the head reported is the head of the solved storage."""
    r = reservoir_plant(inflow, prices, table)
    q = r.at("turbine_flow", "R")
    exact, storage = exact_energy(np.asarray(inflow, float), q, table)
    np.testing.assert_allclose(r.at("energy", "R"), exact, rtol=0.01)
    start = np.concatenate([[S0], storage[:-1]])
    head = np.interp((start + storage) / 2.0, *TABLES[table]) - TAILWATER
    np.testing.assert_allclose(r.at("head_m", "R"), head, rtol=0.01)


def test_surplus_hydropower_is_exported_at_the_export_price():
    """The plant of test 4 (30 hm3, all turbined: 3.67875 GWh) in a system that needs only
    1 GWh and can export 10 MW (7.44 GWh in January) at 10 USD/MWh.

    ::

        S (30) --> H (head 50 m) --> O          E: demand 1 GWh, exports <= 10 MW at 10 USD/MWh
    """
    nodes = [
        node("S", "source"),
        node(
            "H",
            "hydropower",
            installed_mw=100.0,
            efficiency=0.9,
            max_turbine_flow_m3s=20.0,
            head_m=50.0,
        ),
        node("O", "sink"),
        node("E", "energy_system", thermal_capacity_mw=1000.0, export_capacity_mw=10.0),
    ]
    basin = make_basin(
        nodes,
        [link("S", "H"), link("H", "O")],
        energy=energy_table("E", 1.0, 60.0, 200.0, 10.0),
    )
    r = run(with_months(basin, 1, {"S": 30.0}))
    ds = r.ds
    hydro = 30.0 * GWH_PER_HM3  # 3.67875 GWh
    assert float(ds["thermal"].sum()) == pytest.approx(0.0, abs=TOL)
    assert float(ds["exports"].sum()) == pytest.approx(hydro - 1.0, abs=TOL)  # 2.67875 GWh
    assert float(ds["export_revenue"].sum()) == pytest.approx((hydro - 1.0) * 1000 * 10.0)
    # one more GWh of demand is one GWh less exported: 10 USD/MWh
    assert float(ds["energy_price"].sum()) == pytest.approx(10.0, abs=TOL)
    # a hm3 of water: 122.625 MWh exported at 10 USD/MWh = 0.00122625 USD/m3, + 1e-4
    assert r.at("marginal_value", "S")[0] == pytest.approx(GWH_PER_HM3 * 0.01 + 1e-4, abs=TOL)
    # objective: export revenue 2.67875 GWh * 0.01 MUSD/GWh + 1e-4 * 30 hm3
    assert r.report.objective_musd == pytest.approx((hydro - 1.0) * 0.01 + 1e-4 * 30.0, abs=TOL)
