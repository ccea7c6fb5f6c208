"""The report's "who gains and who pays" tables, on the hand-solved two-country basin of
``test_exchange`` (discount rate 0), rendered by a real headless Chromium."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from model_factory import run
from nexusmodel.report import html as report
from nexusmodel.report.ledgers import ledgers_section
from nexusmodel.report.runs import ReportRun
from nexusmodel.results.io import write_results
from test_exchange import G, two_countries
from test_report import CHROMIUM, CHROMIUM_ARGS, needs_chromium, number


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ledgers")
    files = []
    for name, exchange in (("no_exchange", {}), ("exchange", {"hard": True})):
        r = run(two_countries(**exchange))
        r.ds.attrs.update(scenario=name, description=name, status="optimal")
        files.append(write_results(r.ds, folder / f"{name}.nc"))
    basin = two_countries(hard=True)
    return report.write_report(files, folder / "report.html", basin=basin)


def test_no_basin_no_ledger():
    """Without the basin the money cannot be split: no ledger section."""
    r = run(two_countries(hard=True))
    assert ledgers_section([ReportRun("exchange", r.ds)]) == ""


def test_ledger_table_html_holds_the_hand_numbers(report_file):
    """Without a browser: the cells as written in the file."""
    import re

    text = report_file.read_text(encoding="utf-8")
    table = text.split('table class="ledger" data-scenario="exchange"')[1].split("</table>")[0]
    uz = table.split('data-country="UZ"')[1].split("</tr>")[0]
    cells = dict(re.findall(r'data-key="([a-z_0-9]+)">([^<]*)<', uz))
    assert number(cells["exchange_delivered_gwh_per_yr"]) == 8
    assert number(cells["net_benefit_change_musd"]) == pytest.approx(-1.2)
    assert number(cells["other_musd"]) == pytest.approx(3.0)  # D's 60 hm3 x 0.05 USD/m3


@needs_chromium
def test_ledger_tables_render_with_the_hand_numbers(report_file):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(report_file.resolve().as_uri())
        assert page.locator("#ledgers h2").inner_text() == "Who gains and who pays"

        def cell(scenario: str, country: str, key: str) -> float:
            selector = (
                f'table.ledger[data-scenario="{scenario}"] tr[data-country="{country}"] '
                f'td[data-key="{key}"]'
            )
            return number(page.locator(selector).inner_text())

        # Kyrgyzstan passes R's 100 hm3 to Uzbekistan: 0.10 km3
        assert cell("exchange", "UZ", "water_received_km3_per_yr") == pytest.approx(0.10)
        assert cell("exchange", "KG", "water_passed_km3_per_yr") == pytest.approx(0.10)
        # UZ delivers 0.2 * (60 - 20) = 8 GWh; KG receives them
        assert cell("exchange", "UZ", "exchange_delivered_gwh_per_yr") == 8
        assert cell("exchange", "KG", "exchange_received_gwh_per_yr") == 8
        assert cell("exchange", "UZ", "compensation_owed_gwh_per_yr") == 8
        # money (MUSD, 2 decimals below 10): UZ burns 8 GWh x 150 USD/MWh = 1.2 MUSD for
        # KG, which saves 8 GWh x 100 USD/MWh = 0.8 MUSD of thermal. Net benefit against the
        # run without the exchange: UZ -1.2, KG +0.8
        assert cell("exchange", "UZ", "net_benefit_change_musd") == pytest.approx(-1.2)
        assert cell("exchange", "KG", "net_benefit_change_musd") == pytest.approx(0.8)
        kg = -0.1 * (30 - 100 * G - 8)
        assert cell("exchange", "KG", "energy_musd") == pytest.approx(kg, abs=0.005)
        assert page.locator('table.ledger[data-scenario="no_exchange"]').count() == 1
        browser.close()
