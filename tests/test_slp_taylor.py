"""The Taylor-expanded head linearization: no energy without turbine flow, fixed-head mode,
and the LP energy matching the exact nonlinear energy after the head iteration.

One reservoir plant over three months (January-March 2030)::

    S --> R (1000 hm3, S0 = 500, plant: 50 m3/s, eta 0.9, tailwater 90 m) --> O
          :
          v
    E (1000 GWh a month, thermal at 50 USD/MWh)
"""

from __future__ import annotations

import numpy as np
import pytest

from model_factory import energy_table, las_table, link, make_basin, node, with_months
from nexusmodel.model import ModelOptions, build_model
from nexusmodel.model.components.hydropower import max_head, taylor_expansion
from nexusmodel.results import extract_results
from nexusmodel.solve import HeadLinearization, solve
from nexusmodel.solve.highs import HighsBackend

K = 0.002725 * 0.9  # GWh per hm3 and m at eta 0.9
LEVELS = [100.0, 110.0, 120.0, 130.0, 140.0]  # level (m) at the storages below; tailwater 90 m
STORAGES = [0.0, 100.0, 300.0, 600.0, 1000.0]


def basin(inflow: list[float]):
    plant = {
        "installed_mw": 100.0,
        "efficiency": 0.9,
        "max_turbine_flow_m3s": 50.0,
        "tailwater_level_m": 90.0,
    }
    nodes = [
        node("S", "source"),
        node(
            "R",
            "reservoir",
            capacity_hm3=1000.0,
            initial_storage_hm3=500.0,
            end_storage="free",
            hydropower=plant,
        ),
        node("O", "sink"),
        node("E", "energy_system", thermal_capacity_mw=2000.0),
    ]
    b = make_basin(
        nodes,
        [link("S", "R"), link("R", "O")],
        energy=energy_table("E", 1000.0, 50.0),
        level_area_storage={"R": las_table(LEVELS, [2.0, 6.0, 10.0, 14.0, 18.0], STORAGES)},
    )
    return with_months(b, 3, {"S": inflow})


def test_no_energy_without_turbine_flow():
    """With turbines shut, the Taylor term k q0 dH/dS (Sbar - Sbar0) alone would credit energy
    for filling the reservoir; the row E <= k Hmax q keeps it at 0 (``cut`` takes the rest)."""
    m = build_model(basin([200.0, 0.0, 0.0]), ModelOptions(discount_rate=0.0))
    backend = HighsBackend.from_model(m)
    lin = HeadLinearization(m, backend)
    (p,) = lin.plants
    n_t = 3
    # expand around a drawn-down reservoir with the turbines at capacity: a steep credit
    low = np.full(n_t, 150.0)
    q0 = np.full(n_t, 130.0)
    expansion = taylor_expansion(lin.ctx, p, low, low, q0)
    assert (expansion.coef_end > 0).all() and (expansion.coef_start > 0).all()
    lin.apply([expansion])
    turbine_cols = lin.turbine_cols.ravel()
    backend.set_col_bounds(turbine_cols, np.zeros(n_t), np.zeros(n_t))
    status, _ = backend.run()
    assert status == "optimal"
    _s, _e, q, energy = lin.point(backend.solution())
    assert np.abs(q).max() == pytest.approx(0.0, abs=1e-9)
    assert np.abs(energy).max() == pytest.approx(0.0, abs=1e-7)
    assert backend.solution().array(m.hydropower.cut, (1, n_t)).sum() > 0
    # the same LP without the guard rows would have made energy from storage alone
    rows = backend.rows_of(m.hydropower.head_limit)
    backend.set_row_bounds(rows, np.full(n_t, -np.inf), np.full(n_t, np.inf))
    status, _ = backend.run()
    assert status == "optimal"
    assert lin.point(backend.solution())[3].sum() > 1.0


def test_head_limit_is_the_head_at_full_storage():
    m = build_model(basin([200.0, 0.0, 0.0]))
    ctx = m.context
    (p,) = [x for x in HeadLinearization(m, HighsBackend.from_model(m)).plants]
    assert max_head(ctx, p) == pytest.approx(140.0 - 90.0)


def test_plane_below_zero_keeps_the_lp_feasible():
    """Expanded around a full reservoir with the turbines at capacity, a plan with the turbines
    shut and the reservoir lower makes the plane negative: energy stays 0 (``lift``), the LP
    stays feasible, and nothing is gained from it."""
    m = build_model(basin([0.0, 0.0, 0.0]), ModelOptions(discount_rate=0.0))
    backend = HighsBackend.from_model(m)
    lin = HeadLinearization(m, backend)
    (p,) = lin.plants
    high = np.full(3, 950.0)
    lin.apply([taylor_expansion(lin.ctx, p, high, high, np.full(3, 130.0))])
    backend.set_col_bounds(lin.turbine_cols.ravel(), np.zeros(3), np.zeros(3))
    status, _ = backend.run()
    assert status == "optimal"
    sol = backend.solution()
    _s, end, _q, energy = lin.point(sol)
    assert (end < 950.0).all()  # no inflow: the reservoir cannot be where the plane expects it
    np.testing.assert_allclose(energy, 0.0, atol=1e-7)
    assert sol.array(m.hydropower.lift, (1, 3)).sum() > 0  # the plane was negative
    np.testing.assert_allclose(sol.array(m.hydropower.cut, (1, 3)), 0.0, atol=1e-7)


@pytest.mark.parametrize("built", ["slp", "fixed"])
def test_fixed_head_mode_keeps_the_head_of_the_initial_storage(built):
    """head="fixed": one solve, energy = k * H(S0) * q with H(S0) = level(500) - 90 m."""
    b = basin([200.0, 0.0, 0.0])
    m = build_model(b, ModelOptions(discount_rate=0.0, head=built))  # type: ignore[arg-type]
    report = solve(m, ModelOptions(discount_rate=0.0, head="fixed"))
    ds = extract_results(m, report)
    h0 = np.interp(500.0, STORAGES, LEVELS) - 90.0
    assert report.slp_iterations == 0
    q = ds["turbine_flow"].sel(node="R").to_numpy()
    np.testing.assert_allclose(ds["energy"].sel(node="R").to_numpy(), K * h0 * q, atol=1e-7)
    np.testing.assert_allclose(ds["head_m"].sel(node="R").to_numpy(), h0)


def test_slp_energy_is_the_exact_energy_and_no_worse_than_fixed_head():
    b = basin([200.0, 0.0, 0.0])
    opts = ModelOptions(discount_rate=0.0)
    m = build_model(b, opts)
    report = solve(m)
    ds = extract_results(m, report)
    assert report.slp_iterations >= 1
    assert report.energy_linearization_error < 1e-3
    storage = ds["storage"].sel(node="R").to_numpy()
    start = np.concatenate([[500.0], storage[:-1]])
    head = np.interp((start + storage) / 2.0, STORAGES, LEVELS) - 90.0
    q = ds["turbine_flow"].sel(node="R").to_numpy()
    np.testing.assert_allclose(ds["energy"].sel(node="R").to_numpy(), K * head * q, rtol=2e-3)
    # the fixed-head plan, valued with the exact energy, does not beat the SLP plan
    fixed = build_model(b, opts.model_copy(update={"head": "fixed"}))
    fixed_ds = extract_results(fixed, solve(fixed))
    fs = fixed_ds["storage"].sel(node="R").to_numpy()
    fstart = np.concatenate([[500.0], fs[:-1]])
    fhead = np.interp((fstart + fs) / 2.0, STORAGES, LEVELS) - 90.0
    fq = fixed_ds["turbine_flow"].sel(node="R").to_numpy()
    assert (K * head * q).sum() >= (K * fhead * fq).sum() - 1e-6


# --------------------------------------------------------------------------- the numpy heads


def test_heads_and_expansions_by_hand():
    """``model.heads`` on the table above (no Pyomo, no HiGHS): S0 = 500 hm3 lies between
    300 (120 m) and 600 hm3 (130 m), so H = 120 + 10 * 200/300 - 90 = 36.67 m and
    dH/dS = 10/300 m per hm3. Expanded at Sbar0 = 500, q0 = 100 hm3 the storage coefficient
    is k q0 dH/dS / 2 and the first step's right-hand side -2 c Sbar0 + c S0 = -c S0."""
    from nexusmodel.model import heads

    m = build_model(basin([200.0, 0.0, 0.0]))
    ctx = m.context
    (p,) = heads.plants(ctx)
    h0 = 120.0 + 10.0 * 200.0 / 300.0 - 90.0
    assert float(heads.head_at(ctx, p, 500.0)) == pytest.approx(h0)
    assert float(heads.head_slope(ctx, p, np.array([500.0]))[0]) == pytest.approx(10.0 / 300.0)
    s = np.full(3, 500.0)
    e = heads.taylor_expansion(ctx, p, s, s, np.full(3, 100.0))
    c = K * 100.0 * (10.0 / 300.0) / 2.0
    np.testing.assert_allclose(e.head, h0)
    np.testing.assert_allclose(e.coef_end, c)
    np.testing.assert_allclose(e.coef_start, c)
    np.testing.assert_allclose(e.rhs, [-c * 500.0, -2 * c * 500.0, -2 * c * 500.0])
    fixed = heads.fixed_expansion(ctx, p)
    np.testing.assert_allclose(fixed.head, h0)
    assert not fixed.coef_end.any() and not fixed.coef_start.any() and not fixed.rhs.any()
    # exact energy k H(Sbar) q: storage 600 -> 300 over a step is Sbar = 450 (H = 35 m)
    exact = heads.exact_energy(
        ctx, [p], np.array([[600.0]]), np.array([[300.0]]), np.array([[50.0]])
    )
    assert float(exact[0, 0]) == pytest.approx(K * 35.0 * 50.0)
    assert heads.linearization_error(1.1, 1.0) == pytest.approx(0.1)
    # the run's error from the model's arrays: storage 500 kept, 100 hm3 turbined a month
    error = heads.energy_error(
        ctx, np.full((1, 3), 500.0), np.full((1, 3), 100.0), np.full((1, 3), K * h0 * 100.0 * 1.02)
    )
    assert error == pytest.approx(0.02)
