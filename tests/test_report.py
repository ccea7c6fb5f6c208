"""The HTML report: self-contained, correct numbers, and rendered by a real headless Chromium.

The browser tests drive Debian's ``chromium`` (``/usr/bin/chromium``; CI installs it) with
Playwright, with every request that is not a ``file:`` URL aborted and recorded: the report
must open without a network. They are skipped only when that browser is missing.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from nexusmodel import indicators as ind
from nexusmodel.errors import InputError
from nexusmodel.report import html as report
from nexusmodel.results.io import write_results
from synthetic_results import make_results

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)
SOURCES_TEXT = """# Synthetic basin: sources

**This synthetic basin is made up** for tests: every number is chosen by hand.

## 1. Network

Nothing here.
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Two synthetic runs on disk: ``base`` (scale 1, the baseline) and ``dry`` (scale 0.5)."""
    folder = tmp_path_factory.mktemp("results")
    sources = folder / "SOURCES.md"
    sources.write_text(SOURCES_TEXT, encoding="utf-8")
    out = {}
    for name, scale, text in (
        ("base", 1.0, "Today's network and demands"),
        ("dry", 0.5, "Half of every volume"),
    ):
        ds = make_results(scale)
        ds.attrs.update(scenario=name, description=text, sources=str(sources), status="optimal")
        out[name] = write_results(ds, folder / f"{name}.nc")
    return out


@pytest.fixture(scope="module")
def report_file(runs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    report.write_report([runs["base"], runs["dry"]], out)
    return out


def number(text: str) -> float:
    """A number as the report shows it: ``1,234.5``, ``+0.50``, ``\u22121.2``, ``–`` (NaN)."""
    text = text.strip()
    if text == "–":
        return float("nan")
    return float(text.replace("\u2212", "-").replace(",", "").replace("+", ""))


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


# --------------------------------------------------------------------------- static checks


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_file_is_self_contained(report_file):
    text = report_file.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    tags = parser.tags
    assert ("style", {}) in tags  # the CSS is inline
    assert not [t for t, a in tags if t == "link"]  # no external style sheet
    assert not [t for t, a in tags if t == "script" and a.get("src")]
    images = [a for t, a in tags if t == "img"]
    assert len(images) >= 4
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        assert int(attrs["width"]) > 0 and int(attrs["height"]) > 0
        assert attrs["alt"]
    for _, attrs in tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"^(https?:)?//", value), f"external URL {value}"
    # written atomically: no temporary file left beside it
    assert [p.name for p in report_file.parent.iterdir()] == ["report.html"]


def test_what_was_run_sources_and_glossary(report_file, runs):
    text = report_file.read_text(encoding="utf-8")
    assert "Today&#x27;s network and demands" in text and "Half of every volume" in text
    assert "Jan 2020 to Dec 2021 (2 years, monthly)" in text
    # the sources file named in the attributes: its path (relative to the report, a link
    # that resolves to it) and its first paragraph
    href = f"../{runs['base'].parent.name}/SOURCES.md"
    assert f'<a href="{href}">{href}</a>' in text
    assert (report_file.parent / href).resolve() == (runs["base"].parent / "SOURCES.md").resolve()
    assert "This synthetic basin is made up for tests" in text
    for term in ("hm³", "km³", "GWh", "Marginal value of water", "Reliability"):
        assert f"<dt>{term}" in text


def test_captions_state_the_numbers(report_file):
    text = report_file.read_text(encoding="utf-8")
    ds = make_results()
    # storage: winters (Oct-Mar) grouped by the October's year; the mean of their minima
    storage = ds["storage"].sel(node="RES").to_series()
    winter = storage[storage.index.month.isin([10, 11, 12, 1, 2, 3])]
    season = np.where(winter.index.month >= 10, winter.index.year, winter.index.year - 1)
    minima = winter.groupby(season).min()
    assert f"Main reservoir is drawn down to {minima.mean() / 1e3:,.2f} km³ each winter" in text
    # supply: (231.95 + 342) / 2 years / 1000 = 0.287 of 0.30 km3/yr: 95.7 %
    # (shares are written with a no-break space before the %)
    assert "receive 0.29 km³ of the 0.30 km³" in text and "(95.7\u00a0%)" in text
    assert "the largest shortfall is in Lowland district, which gets 95.0\u00a0%" in text
    # hydropower: 240 GWh/yr, 90 of it in winter = 38 %; all in country A; peak in April
    assert "generate 240 GWh a year on average, 38\u00a0% of it in winter" in text
    assert "plants in A produce 100\u00a0%" in text
    # marginal value: highest 0.5 USD/m3 at the Capital city (every month; January first)
    assert "Water is worth most at Capital city in January (0.500 USD per m³" in text
    # scenario comparison: dry halves the volumes
    assert "Compared with the baseline, dry changes" in text and "by \u221250\u00a0%" in text


def test_no_basin_found_says_so(tmp_path):
    ds = make_results()
    out = report.write_report([ds], tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "do not say where their input data came from" in text
    assert 'id="fig-network"' not in text  # no basin: no map
    assert "One scenario" in text


def test_a_scenario_cube_gives_one_column_per_scenario(tmp_path):
    from synthetic_results import make_cube

    out = report.write_report([make_cube({"now": 1.0, "later": 2.0})], tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert 'data-scenario="now"' in text and 'data-scenario="later"' in text
    # net benefit (the headline's, no tie-breaker or penalty here) 100 and 200 million USD:
    # +100 (+100 %)
    row = re.search(r'<tr data-key="net_benefit_musd">(.*?)</tr>', text).group(1)
    assert '<span class="n">+100</span>' in row


def test_a_failed_write_keeps_the_old_report(tmp_path, monkeypatch, runs):
    out = tmp_path / "report.html"
    out.write_text("old report", encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(report, "build_report", broken)
    with pytest.raises(RuntimeError):
        report.write_report([runs["base"]], out)
    assert out.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_missing_and_unreadable_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        report.write_report([tmp_path / "nope.nc"], tmp_path / "r.html")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf", encoding="utf-8")
    with pytest.raises(InputError, match="not a results NetCDF"):
        report.load_results_file(bad)


def test_number_formats():
    assert report.format_number(12345.678, 0) == "12,346"
    assert report.format_number(-0.0004, 3) == "0.000"
    assert report.format_number(-1.25, 1) == "\u22121.2"
    assert report.format_number(0.5, 2, signed=True) == "+0.50"
    assert report.format_number(float("nan"), 2) == "–"
    assert report.row_digits([14270.4, 15760.0], "GWh/yr") == 0
    assert report.row_digits([9.14, 1.6], "km3/yr") == 2
    assert report.row_digits([0.0, 0.0], "GWh/yr") == 0
    assert report.row_digits([99.8, 100.0], "%") == 1


# --------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def opened(browser, report_file):
    """The report in a page with the network blocked; yields (page, blocked URLs, errors)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto(report_file.resolve().as_uri(), wait_until="load")
    yield page, blocked, errors
    page.close()


@needs_chromium
def test_opens_offline_without_errors(opened, tmp_path):
    page, blocked, errors = opened
    assert blocked == []  # no request left the file system
    assert errors == []
    assert page.title().startswith("synthetic")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


@needs_chromium
def test_every_image_decodes_and_has_a_size(opened):
    page, _, _ = opened
    images = page.evaluate(
        """() => Array.from(document.images).map(img => ({
            natural: img.naturalWidth, complete: img.complete,
            width: img.getBoundingClientRect().width, height: img.getBoundingClientRect().height}))"""
    )
    assert len(images) >= 4
    for img in images:
        assert img["complete"] and img["natural"] > 0
        assert img["width"] > 100 and img["height"] > 50
    captions = page.locator("figcaption").all_inner_texts()
    assert len(captions) == len(images)
    assert all(c.startswith("Figure ") and len(c) > 40 for c in captions)


@needs_chromium
def test_headline_table_holds_the_key_results(opened):
    page, _, _ = opened
    rows = page.evaluate(
        """() => Array.from(document.querySelectorAll('#headline tr[data-key]')).map(tr => ({
            key: tr.dataset.key,
            cells: Array.from(tr.querySelectorAll('td[data-role]')).map(td => ({
                scenario: td.dataset.scenario, role: td.dataset.role,
                text: td.querySelector('.n').textContent}))}))"""
    )
    base = ind.key_results_dict(make_results(1.0))
    dry = ind.key_results_dict(make_results(0.5))
    expected = {
        ("base", "value"): base,
        ("dry", "value"): dry,
        ("dry", "difference"): {k: dry[k] - base[k] for k in base},
    }
    # every key result but the LP objective: the headline gives the one net benefit (no
    # tie-breaker, penalties apart), not the objective (issue 11)
    assert {r["key"] for r in rows} == set(base) - {"objective_musd"}
    checked = 0
    for row in rows:
        assert len(row["cells"]) == 3
        for cell in row["cells"]:
            want = expected[(cell["scenario"], cell["role"])][row["key"]]
            got = number(cell["text"])
            if np.isnan(want):
                assert np.isnan(got), (row["key"], cell)
                continue
            tolerance = 0.5 * 10.0 ** -decimals(cell["text"]) + 1e-9
            assert abs(got - want) <= tolerance, (row["key"], cell, want)
            checked += 1
    assert checked == 3 * (len(base) - 1)  # every row but the objective
    labels = page.locator("#headline th.ind").all_inner_texts()
    assert "Irrigation demand met" in labels and "Hydropower generation" in labels


@pytest.mark.slow
@needs_chromium
def test_real_syr_darya_report_renders(browser, tmp_path):
    """A short real run (1 year of the Syr Darya baseline) in the browser: map and sources."""
    from nexusmodel.run import run_scenario

    scenario = tmp_path / "one_year.yaml"
    baseline = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
    scenario.write_text(
        f"# One year: does the report work on a real run?\nextends: {baseline}\n"
        "description: one year of the baseline\nhorizon:\n  years: 1\n",
        encoding="utf-8",
    )
    results = write_results(run_scenario(scenario).results, tmp_path / "one_year.nc")
    out = report.write_report([results], tmp_path / "syr.html")
    page = browser.new_page()
    blocked: list[str] = []
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith("file:")
            else (blocked.append(r.request.url), r.abort())
        ),
    )
    page.goto(out.resolve().as_uri())
    assert blocked == []
    assert page.locator("#fig-network img").evaluate("img => img.naturalWidth") > 0
    text = page.locator("body").inner_text()
    assert "Syr Darya" in text and "illustrative and approximate" in text
    assert "Toktogul is drawn down to" in text
    assert "does the report work on a real run?" in text
    kr = ind.key_results_dict(xr.load_dataset(results, engine="h5netcdf"))
    cell = page.locator('#headline tr[data-key="hydropower_gwh_per_yr"] td .n').first.inner_text()
    assert number(cell) == pytest.approx(kr["hydropower_gwh_per_yr"], abs=0.5)
    page.screenshot(path=str(tmp_path / "syr.png"), full_page=True)
    page.close()


def test_a_report_names_no_absolute_path_and_no_file_url(tmp_path):
    """Issue 17: files are named relative to the report (or by their folder's name), so the
    report can be shared without showing the writer's folders."""
    from basin_factory import tiny_basin

    basin = tiny_basin(tmp_path / "data" / "tiny")
    (basin / "SOURCES.md").write_text(SOURCES_TEXT, encoding="utf-8")
    scenario = tmp_path / "scenarios" / "base.yaml"
    scenario.parent.mkdir()
    scenario.write_text(f"basin: {basin}\n", encoding="utf-8")
    ds = make_results()
    ds.attrs.update(scenario="base", scenario_file=str(scenario), scenario_chain=str(scenario))
    results = write_results(ds, tmp_path / "results" / "base.nc")
    out = report.write_report([results], tmp_path / "reports" / "base.html", basin=basin)
    text = out.read_text(encoding="utf-8")
    for folder in {str(tmp_path), str(tmp_path.resolve())}:
        assert folder not in text
    assert "file:" not in text
    assert "../results/base.nc" in text and "../scenarios/base.yaml" in text
    assert '<a href="../data/tiny/SOURCES.md">' in text and "<code>../data/tiny</code>" in text
    # a basin that shares no folder with the report below the root: its name, no link
    repo_basin = Path(__file__).resolve().parents[1] / "data" / "syr_darya"
    elsewhere = report.build_report(report.load_run(results, basin=repo_basin), folder=Path("/"))
    assert str(repo_basin.parent) not in elsewhere and "file:" not in elsewhere
    assert (
        "<code>syr_darya</code>" in elsewhere and "<code>syr_darya/SOURCES.md</code>" in elsewhere
    )
