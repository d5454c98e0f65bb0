"""The light embed in Debian's chromium, served by the app's own server at /app/static/embed/<area>/<layer>.html:
wards against the database, accessible names, Tab through every ward, axe at every impact, nothing leaves
localhost, JavaScript off, postcode search, narrow and zoomed screens, print, a cross-site frame with
third-party cookies blocked, and the About page's embed code (follows every choice; its frame draws)."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from geo.catalogue import format_value

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from deployment import host_pages  # noqa: E402

THANET, KENT = "E07000114", "kent"
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


def _url(server, area, layer="imd_score"):
    return f"{server.url}/app/static/embed/{area}/{layer}.html"


@pytest.fixture(scope="module")
def database_truth(built_database):
    import duckdb

    connection = duckdb.connect(str(built_database), read_only=True)
    wards = connection.execute("select ward_code, ward_name, district_code, imd_score from wards").df()
    decimals, unit = connection.execute("select decimals, unit from indicators where indicator_id = 'imd_score'").fetchone()
    connection.close()
    wards.attrs["indicator"] = {"decimals": int(decimals), "unit": unit}
    return wards


def _margate(truth) -> str:
    """Margate Central's accessible name, at the catalogue's precision."""
    value = truth.set_index("ward_code").imd_score["E05005093"]
    shown = format_value(value, truth.attrs["indicator"], unit_style="none")
    return f"Margate Central: Index of Multiple Deprivation score {shown}, 1st of 255 wards in Kent"


def _wards_of(truth, area):
    return truth if area == KENT else truth[truth.district_code == area]


def _link_names(page) -> dict:
    """Chromium's own accessible names of the map's ward links (from its accessibility tree, via CDP)."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    names = {}
    for node in nodes:
        if node.get("role", {}).get("value") == "link" and "backendDOMNodeId" in node:
            described = session.send("DOM.describeNode", {"backendNodeId": node["backendDOMNodeId"]})["node"]
            attributes = dict(zip(described.get("attributes", [])[::2], described.get("attributes", [])[1::2]))
            if "data-code" in attributes:
                names[attributes["data-code"]] = node.get("name", {}).get("value", "")
    session.detach()
    return names


@pytest.mark.parametrize("area", [THANET, KENT])
def test_map_table_and_names_hold_the_database_values(built_database, streamlit_server, browser_page, database_truth,
                                                      third_party_requests, axe_audit, screenshot, area):
    page = browser_page
    page.goto(_url(streamlit_server, area))
    wards = _wards_of(database_truth, area)
    expect(page.locator("svg.map [data-code]")).to_have_count(len(wards))
    assert sorted(page.locator("[data-code]").evaluate_all("els => els.map(e => e.dataset.code)")) == sorted(wards.ward_code)
    indicator = database_truth.attrs["indicator"]
    rows = page.locator("#table tbody tr")
    expect(rows).to_have_count(len(wards))
    shown = dict(zip(rows.evaluate_all("rs => rs.map(r => r.id.slice(2))"),
                     rows.evaluate_all("rs => rs.map(r => r.cells[r.cells.length - 2].textContent)")))
    names = _link_names(page)
    assert len(names) == len(wards)
    for row in wards.itertuples():
        value = format_value(row.imd_score, indicator, unit_style="none")
        assert shown[row.ward_code] == value
        assert names[row.ward_code].startswith(row.ward_name) and f"score {value}, " in names[row.ward_code]
    if area == THANET:
        assert names["E05005093"] == _margate(database_truth)
    screenshot(page, f"embed-{area}")
    assert third_party_requests(page) == []
    assert page.console_errors == []  # among them: any Content-Security-Policy violation
    if area == THANET:  # the page, its stylesheet and its script: nothing else (no favicon, fonts or data)
        assert len(page.requested_urls) <= 3, page.requested_urls
    # axe is injected as an inline script, which the page's own CSP (rightly) refuses: audit in a context
    # that bypasses CSP, on the same page.
    context = page.context.browser.new_context(bypass_csp=True)
    audited = context.new_page()
    try:
        audited.goto(_url(streamlit_server, area))
        assert axe_audit(audited, impacts=ALL_IMPACTS) == []
    finally:
        context.close()


def test_tab_from_the_top_reaches_every_thanet_ward_in_order_with_a_visible_outline(
        built_database, streamlit_server, browser_page, database_truth, screenshot):
    page = browser_page
    page.goto(_url(streamlit_server, THANET))
    order = page.locator("svg.map [data-code]").evaluate_all("els => els.map(e => e.dataset.code)")
    reached = []
    for _ in range(len(order) + 15):  # bounded: the controls before the map, then one stop per ward
        page.keyboard.press("Tab")
        code = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-code')")
        if code:
            reached.append(code)
        elif reached:
            break
    assert reached == order and len(reached) == 23
    page.locator(f'[data-code="{order[5]}"]').focus()
    tip = page.locator("#tip")
    expect(tip).to_have_text(page.locator(f'[data-code="{order[5]}"] title').text_content())
    assert page.locator("svg.map .raised use").count() == 2  # the outline drawn above the neighbours
    stroke = page.locator(f'[data-code="{order[5]}"] path').evaluate("p => getComputedStyle(p).strokeWidth")
    assert float(stroke.rstrip("px")) >= 3
    page.locator(f'[data-code="{order[6]}"]').hover()
    expect(tip).to_have_text(page.locator(f'[data-code="{order[6]}"] title').text_content())
    screenshot(page, "embed-thanet-focus", full_page=False)


def test_without_javascript_the_map_legend_table_and_links_are_there(built_database, streamlit_server, chromium_browser,
                                                                    database_truth):
    context = chromium_browser.new_context(java_script_enabled=False, viewport={"width": 800, "height": 900})
    page = context.new_page()
    try:
        for area in (THANET, KENT):
            page.goto(_url(streamlit_server, area))
            n = len(_wards_of(database_truth, area))
            expect(page.locator("svg.map [data-code] path")).to_have_count(n)
            expect(page.locator("#table tbody tr")).to_have_count(n)
            assert page.locator(".legend li").count() >= 5
            box = page.locator("svg.map").bounding_box()
            assert box["width"] > 300 and box["height"] > 150  # drawn, not collapsed
            assert page.get_by_role("link", name=re.compile("Open this view in the full explorer")).count() == 1
            assert page.locator("form.search").get_attribute("action") == "../../../../find"
        page.get_by_text("Another layer").click()  # <details>: opens without JavaScript
        page.get_by_role("link", name="Income deprivation", exact=True).click()
        page.wait_for_url(re.compile(r"/kent/income_score\.html$"))
    finally:
        context.close()


@pytest.mark.parametrize("typed, expected", [
    ("CT9 1AE", "CT9 1AE is in Margate Central: Index of Multiple Deprivation score "),
    ("ct91ae", "CT9 1AE is in Margate Central"),
    ("XX1 1XX", "XX1 1XX is not a postcode we recognise: there is no XX postcode area."),
    ("SW1A 1AA", "SW1A 1AA is outside Kent."),
    ("CT9 9XX", "We cannot find CT9 9XX among Kent's postcodes."),
    ("<script>alert(1)</script>", "is not a postcode or a place name"),
    ("", "Enter a postcode"),
])
def test_postcode_search_highlights_and_announces(built_database, streamlit_server, browser_page, sql, typed, expected):
    if "cannot find" in expected:  # well-formed, in a Kent postcode district, but not a Kent postcode
        assert sql("select count(*) as n from postcodes where postcode = ?", [typed]).n[0] == 0
    page = browser_page
    page.goto(_url(streamlit_server, THANET))
    page.get_by_label("Find a postcode or place").fill(typed)
    page.get_by_role("button", name="Find").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(expected)
    if "Margate Central" in expected:
        assert page.evaluate("() => document.activeElement.getAttribute('data-code')") == "E05005093"
        assert page.locator('[data-code="E05005093"].found').count() == 1
    else:
        assert page.locator(".found").count() == 0
    if typed.startswith("<script>"):
        assert status.inner_text().startswith("\u201c<script>")  # shown as text
        assert page.locator("script").count() == 1 and page.dialogs == []
    assert len(page.context.pages) == 1  # a postcode never opens the full explorer


def test_postcode_in_another_district_links_to_its_page(built_database, streamlit_server, browser_page, sql):
    other = sql("select postcode, ward_name from postcodes join wards using (ward_code) "
                "where wards.district_code = 'E07000105' order by postcode limit 1").iloc[0]
    page = browser_page
    page.goto(_url(streamlit_server, THANET))
    page.get_by_label("Find a postcode or place").fill(other.postcode)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status")).to_contain_text(f"{other.postcode} is in {other.ward_name} ward, Ashford")
    page.get_by_role("link", name="Show the map of Ashford").click()
    page.wait_for_url(re.compile(r"/E07000105/imd_score\.html$"))


def test_a_place_name_goes_to_the_full_explorers_search(built_database, streamlit_server, browser_page):
    page = browser_page
    page.goto(_url(streamlit_server, THANET))
    page.get_by_label("Find a postcode or place").fill("Margate")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Find").click()
    assert opened.value.url.startswith(f"{streamlit_server.url}/find?q=Margate")


@pytest.mark.parametrize("width", [320, 640])  # 640 CSS px: a 1280 px window at 200% zoom
def test_narrow_and_zoomed_screens_need_no_sideways_scrolling(built_database, streamlit_server, chromium_browser, width,
                                                              screenshot):
    context = chromium_browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        for area in (THANET, KENT):
            page.goto(_url(streamlit_server, area))
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            assert page.locator("svg.map").bounding_box()["width"] >= width * 0.8
        screenshot(page, f"embed-kent-{width}px")
    finally:
        context.close()


def test_print_keeps_map_legend_and_table_and_drops_the_controls(built_database, streamlit_server, browser_page):
    page = browser_page
    page.goto(_url(streamlit_server, THANET))
    page.emulate_media(media="print")
    assert not page.locator("form.search").is_visible() and not page.locator("nav.choose").is_visible()
    assert page.locator("svg.map").is_visible() and page.locator(".legend").is_visible()
    assert page.locator("#table tbody tr").nth(22).is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


@pytest.fixture()
def host_page():
    """``host_page(body)``: serve body in a council page on another site; its URL."""
    with host_pages(1) as (host,):
        yield host.serve


def test_works_in_a_cross_site_frame_with_third_party_cookies_blocked(built_database, streamlit_server, host_page,
                                                                       chromium_browser):
    url = host_page(f'<iframe src="{_url(streamlit_server, THANET)}" title="Map" width="900" height="900"></iframe>')
    # Its own browser: third-party cookies blocked, as Chrome now does by default.
    browser = chromium_browser.browser_type.launch(
        executable_path=os.environ.get("KENT_CHROMIUM", "/usr/bin/chromium"),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--test-third-party-cookie-phaseout"])
    try:
        page = browser.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        frame = page.frame_locator("iframe")
        expect(frame.locator("svg.map [data-code]")).to_have_count(23)
        frame.get_by_label("Find a postcode or place").fill("CT9 1AE")
        frame.get_by_role("button", name="Find").click()
        expect(frame.get_by_role("status")).to_contain_text("Margate Central")
        assert page.context.cookies() == [] and errors == []
    finally:
        browser.close()




# ------------------------------------------------------------------ the About page's embed builder

def _choose(page, label, option):
    """Pick an option in a select box; a click that lands while a rerun redraws the list is tried again (3 times)."""
    box = page.get_by_role("combobox", name=label, exact=True)  # exact: the search box's label also says "district"
    for _ in range(3):
        box.click()
        page.get_by_role("option", name=option, exact=True).click()
        try:
            expect(box).to_have_value(option, timeout=10_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def _snippet(page):
    return page.locator('[data-testid="stCode"] code').inner_text()


def test_about_embed_code_follows_every_choice_and_its_frame_draws(built_database, streamlit_server, browser_page,
                                                                  host_page, axe_audit):
    page = browser_page
    page.goto(f"{streamlit_server.url}/about")
    page.get_by_role("heading", name="Embed on kent.gov.uk").wait_for(timeout=60_000)
    expect(page.locator('[data-testid="stCode"] code')).to_contain_text("/embed/kent/population", timeout=60_000)
    assert "Skip the embedded map" in _snippet(page)  # the light embed is the default
    page.get_by_label("Address of this explorer").fill(streamlit_server.url)
    page.get_by_label("Address of this explorer").press("Enter")
    expect(page.locator('[data-testid="stCode"] code')).to_contain_text(streamlit_server.url)
    for district, code, layer, layer_id in (("Thanet", THANET, "Income deprivation", "income_score"),
                                            ("Ashford", "E07000105", "Crime", "crime_score")):
        _choose(page, "District", district)
        expect(page.locator('[data-testid="stCode"] code')).to_contain_text(f"/embed/{code}/")
        _choose(page, "Layer", layer)
        expect(page.locator('[data-testid="stCode"] code')).to_contain_text(f"/embed/{code}/{layer_id}")
        assert f"by ward, {district} (Kent Locality Explorer)" in _snippet(page)
        assert f"/district?district={code}&amp;layer={layer_id}" in _snippet(page)
    page.get_by_text("Served through the nginx configuration").click()  # this test has no proxy in front
    expect(page.locator('[data-testid="stCode"] code')).to_contain_text("/app/static/embed/E07000105/crime_score.html")
    snippet = _snippet(page)

    host = host_page(snippet)
    page.goto(host)
    frame = page.frame_locator("iframe")
    expect(frame.locator("svg.map [data-code]")).to_have_count(_count_wards(built_database, "E07000105"))
    expect(frame.locator("h1")).to_have_text("Crime by ward: Ashford")
    assert page.locator("iframe").get_attribute("title") == "Map: Crime by ward, Ashford (Kent Locality Explorer)"
    assert page.get_by_role("link", name="Skip the embedded map").count() == 1
    assert page.get_by_role("link", name="View the data as a table").get_attribute("href").endswith(
        "/app/static/embed/E07000105/crime_score.html#table")

    page.goto(f"{streamlit_server.url}/about")
    page.get_by_role("heading", name="Embed on kent.gov.uk").wait_for(timeout=60_000)
    page.get_by_text("Interactive (the full Streamlit explorer view)").click()
    _choose(page, "District", "Dover")
    expect(page.locator('[data-testid="stCode"] code')).to_contain_text("/district?district=E07000108&amp;layer=")
    assert "embed=true" in _snippet(page)


def _count_wards(database, district_code):
    import duckdb

    connection = duckdb.connect(str(database), read_only=True)
    try:
        return connection.execute("select count(*) from wards where district_code = ?", [district_code]).fetchone()[0]
    finally:
        connection.close()
