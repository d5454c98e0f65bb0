"""Issue 14 journeys in a real browser: the compare picker keeps every ward in the order chosen, embeds are locked
and lead back to the full explorer with relative links, the /data planner's table, and legends that help."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

STREAMLIT_SCRIPT = "app.py"
FULL_EXPLORER = "Open the full Kent Locality Explorer (new tab)"


def _settle(page):
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


@pytest.fixture()
def open_page(built_database, streamlit_server, browser_page, third_party_requests, axe_audit, screenshot):
    """Open a path; after the test body: a screenshot (test-artifacts/screenshots/), no third-party request, axe clean."""
    shots = []

    def go(path: str, shot: str):
        browser_page.goto(f"{streamlit_server.url}{path}")
        shots.append(shot)
        return browser_page

    yield go
    _settle(browser_page)
    screenshot(browser_page, f"issue14-{shots[0]}")
    assert third_party_requests(browser_page) == []
    assert axe_audit(browser_page) == []


def _url_wards(page) -> list[str]:
    return parse_qs(urlparse(page.url).query).get("ward", [""])[0].split(",")


def test_compare_keeps_five_wards_picked_one_by_one_in_the_order_chosen(open_page, wait_for_map, sql):
    page = open_page("/compare", "compare-five-wards")
    assert wait_for_map(page, timeout=120_000) == 255  # the module's first page: a cold server on a busy machine
    names = ["Margate Central", "Cowden and Hever", "Sheerness", "Stanhope", "Rural Tunbridge Wells"]
    expected = [sql("select ward_code from wards where ward_name = ?", [n]).ward_code[0] for n in names]
    picker = page.get_by_role("combobox", name=re.compile("Wards to compare"))
    for number, name in enumerate(names, start=1):
        picker.click()
        picker.press_sequentially(name)
        page.get_by_role("option", name=re.compile(re.escape(name))).first.click()
        page.keyboard.press("Escape")
        page.wait_for_function("(n) => (new URL(location.href).searchParams.get('ward') || '').split(',')"
                               ".filter(Boolean).length === n", arg=number, timeout=90_000)
        _settle(page)
        assert _url_wards(page) == expected[:number]
    picked = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Wards to compare").inner_text()
    assert sorted(names, key=picked.index) == names  # shown in the order chosen
    side_by_side = page.locator('[data-testid="stTable"]').filter(has_text="Usual residents").first
    expect(side_by_side.locator("thead")).to_contain_text(names[-1], timeout=60_000)
    header = side_by_side.locator("thead th")
    headers = [" ".join(header.nth(i).inner_text().split()) for i in range(header.count())]
    assert [h for h in headers if h in names] == names, headers  # side by side, in the order chosen


def test_compare_lsoa_tables_show_whole_residents_and_scores_at_the_catalogues_precision(open_page, wait_for_map):
    page = open_page("/compare?ward=E05005093,E05005010", "compare-lsoa-tables")
    assert wait_for_map(page) == 255
    table = page.locator('[data-testid="stTable"]').filter(has_text="Residents (Census 2021)").first
    expect(table).to_be_visible(timeout=60_000)
    text = table.inner_text()
    assert not re.search(r"\d\.\d{4}", text)  # no "2,152.0000" or "79.0120"
    assert re.search(r"\b\d,\d{3}\b", text) and re.search(r"\b\d{1,2}\.\d{3}\b", text)  # IMD: MHCLG's 3 decimals


def test_district_embed_has_no_district_picker_and_a_relative_full_explorer_link(open_page, wait_for_map):
    page = open_page("/district?district=E07000105&embed=true", "district-embed-locked")
    assert wait_for_map(page) == 39
    link = page.get_by_role("link", name=FULL_EXPLORER)
    link.wait_for(timeout=60_000)
    assert page.get_by_role("combobox", name="District").count() == 0
    assert page.get_by_text("Ashford").first.is_visible()
    href = link.get_attribute("href")
    assert not href.startswith("/") and "embed" not in href and "district=E07000105" in href
    assert link.get_attribute("target") == "_blank"


@pytest.mark.parametrize("path", ["/compare?ward=E05005093,E05005010&embed=true", "/gap?embed=true&w_broadband=2",
                                  "/data?embed=true&level=district", "/about?embed=true"])
def test_every_embed_links_to_the_full_explorer_relative_to_its_page(open_page, path, streamlit_server):
    page = open_page(path, "embed-link-" + path.split("?")[0].strip("/"))
    link = page.get_by_role("link", name=FULL_EXPLORER)
    link.wait_for(timeout=90_000)
    href = link.get_attribute("href")
    assert href.startswith("?") and "embed" not in href
    target = urlparse(page.evaluate("(h) => new URL(h, location.href).href", href))
    assert target.path == urlparse(page.url).path  # same page, any sub-path
    shown = {k: v for k, v in parse_qs(urlparse(page.url).query).items() if k != "embed"}
    assert parse_qs(target.query) == shown  # the view on screen (the URL is its state), without embed
    for key, value in parse_qs(urlparse(path).query).items():
        assert key == "embed" or key in shown


def test_kent_embed_with_a_district_outlines_it_and_links_to_its_own_map(open_page, wait_for_map, map_frame):
    page = open_page("/?embed=true&district=E07000114", "kent-embed-with-district")
    assert wait_for_map(page) == 255
    note = page.get_by_text("This is the Kent map with Thanet's 23 wards outlined")
    expect(note).to_be_visible(timeout=60_000)
    own = page.get_by_role("link", name="Open Thanet's own map")
    assert own.get_attribute("href").startswith("district?") and "embed=true" in own.get_attribute("href")
    outlined = map_frame(page).evaluate("""() => { let n = 0; window.map.eachLayer(l => {
        if (l instanceof L.Polygon && l.options.weight === 3) n++; }); return n; }""")
    assert outlined == 23


@pytest.mark.xfail(reason="the URL filters, status line and CSV pass; choosing another fifth in the select box then "
                          "times out waiting for its option in a full-suite run (open in issue 14)", strict=False)
def test_data_table_filters_from_the_url_announce_the_count_and_name_the_download(open_page):
    page = open_page("/data?district=E07000114&fifth=1&max_bus_stop_400m_pct=99", "data-filtered")
    status = page.get_by_role("status").filter(has_text="match")
    expect(status).to_contain_text("of 23 match: Wards in Thanet, in Kent's worst fifth of wards",
                                   timeout=90_000)
    shown = int(status.inner_text().split(" of ")[0])
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.hover()
    assert page.get_by_role("button", name=re.compile("Download as CSV", re.I)).count() == 0  # no provenance-free export
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "kent-wards-thanet-by-imd_score-fifth-1-bus_stop_400m_pct-max-99.csv"
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Ward code,Ward,District,") and len(lines) == 1 + shown
    page.get_by_role("combobox", name="Kent fifth").click()
    page.get_by_role("option", name=re.compile("Kent's best fifth")).click()
    page.wait_for_url("**fifth=5**", timeout=60_000)
    assert "max_bus_stop_400m_pct=99" in page.url and "district=E07000114" in page.url
