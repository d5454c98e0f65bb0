"""Proves the browser harness and offline Leaflet on a fixture app of three SYNTHETIC squares."""
import time

import pytest

STREAMLIT_SCRIPT = "tests/browser/fixture_app/app.py"

pytestmark = pytest.mark.browser


def test_synthetic_map_draws_offline(streamlit_server, browser_page, wait_for_map, map_element,
                                     third_party_requests, axe_audit, screenshot):
    page = browser_page
    started = time.perf_counter()
    page.goto(streamlit_server.url)
    polygons = wait_for_map(page)
    drawn_after = time.perf_counter() - started
    print(f"synthetic 3-square map drawn {drawn_after:.2f} s after navigation")
    screenshot(page, "offline_map_fixture")

    assert polygons == 3

    # legend drawn by us, ranges as text, with a No data entry for the missing square
    legend = page.locator("table.kle-legend")
    assert legend.locator("caption").inner_text() == "Synthetic test indicator (% of residents)"
    legend_text = legend.inner_text()
    for text in ("12.5 to 21.2", "21.3 to 30.0", "No data"):
        assert text in legend_text

    # Leaflet and the TopoJSON decoder came from the app itself, and nothing left localhost
    assert any(u.endswith("/app/static/vendor/leaflet/leaflet.js") for u in page.requested_urls)
    assert any(u.endswith("/app/static/vendor/topojson-client/topojson-client.min.js") for u in page.requested_urls)
    assert third_party_requests(page) == []

    map_div = map_element(page)
    fills = map_div.locator(".leaflet-overlay-pane path").evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    assert "url(#kle-nodata-hatch)" in fills  # missing value hatched, not filled with a class colour
    assert page.locator("#kle-nodata-hatch").count() == 1
    # the selected square (SYN001, drawn first) has the thick black outline, the others the thin grey one
    outlines = map_div.locator(".leaflet-overlay-pane path.leaflet-interactive").evaluate_all(
        "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-width')])")
    assert outlines[:3] == [["#000000", "3"], ["#4d4d4d", "0.7"], ["#4d4d4d", "0.7"]]
    # drawn in the page, not in an iframe, and named for screen readers by the title the page gave it
    assert page.locator("iframe").count() == 0
    assert map_div.locator(".leaflet-container").get_attribute("aria-label").startswith("Map: Synthetic test indicator. ")

    assert axe_audit(page) == []  # the whole page, the map in it


def test_tooltip_escapes_and_click_reads_back_area_code(streamlit_server, browser_page, wait_for_map, map_element,
                                                        third_party_requests):
    page = browser_page
    page.goto(streamlit_server.url)
    assert wait_for_map(page) == 3
    map_div = map_element(page)
    # the second square is named "<script>alert(1)</script> & Sons"
    target = map_div.locator(".leaflet-overlay-pane path.leaflet-interactive").nth(1)
    target.hover()
    tooltip = map_div.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert target.get_attribute("stroke-width") == "3"  # hover outline
    assert "<script>alert(1)</script> & Sons" in tooltip.inner_text()
    assert tooltip.locator("script").count() == 0
    assert "Rank 1 of 2" in tooltip.inner_text()
    target.click()
    page.get_by_text("Clicked area: SYN002").wait_for(timeout=15_000)
    assert page.dialogs == []
    assert third_party_requests(page) == []
