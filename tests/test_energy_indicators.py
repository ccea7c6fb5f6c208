"""Energy security and CO2 indicators on a results Dataset made by hand (12 months of 2030)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from nexusmodel.indicators import MissingVariableError, co2_emissions, energy_security


def results(co2: bool) -> xr.Dataset:
    time = pd.date_range("2030-01-01", periods=12, freq="MS")
    shape = (2, 12)
    imports = np.zeros(shape)
    imports[0, 0] = 10.0  # KG, January (winter)
    imports[0, 6] = 5.0  # KG, July (summer: not counted)
    unserved = np.zeros(shape)
    unserved[1, 1] = 1.0  # UZ, February
    data = {
        "imports": (("country", "time"), imports),
        "energy_demand": (("country", "time"), np.full(shape, 100.0)),
        "unserved_energy": (("country", "time"), unserved),
        "thermal": (("country", "time"), np.zeros(shape)),
    }
    if co2:
        data["co2_emissions"] = (("country", "time"), np.full(shape, 2.0))
    return xr.Dataset(data, coords={"country": ["KG", "UZ"], "time": time})


def test_energy_security_by_hand():
    out = energy_security(results(co2=False))
    # KG: winter imports 10 GWh of a winter demand of 6 x 100 GWh
    assert float(out["winter_imports"].sel(country="KG")) == pytest.approx(10.0)
    assert float(out["winter_demand"].sel(country="KG")) == pytest.approx(600.0)
    assert float(out["winter_import_dependence"].sel(country="KG")) == pytest.approx(100 / 60)
    assert float(out["winter_import_dependence"].sel(country="UZ")) == 0.0
    assert float(out["unserved_energy"].sel(country="UZ")) == pytest.approx(1.0)
    assert out["winter_import_dependence"].attrs["units"] == "%"


def test_co2_from_the_results_or_a_clear_error():
    co2 = co2_emissions(results(co2=True))
    np.testing.assert_allclose(co2.values, [24.0, 24.0])  # 2 kt a month
    assert co2.attrs["units"] == "kt/yr"
    # no emissions in the results (no power system data): NaN, not 0
    assert np.isnan(co2_emissions(results(co2=False)).values).all()
    with pytest.raises(MissingVariableError, match="thermal"):
        co2_emissions(results(co2=False).drop_vars("thermal"))
