"""Proves the browser harness and offline Leaflet on a fixture app of three SYNTHETIC squares."""
import time

import pytest

STREAMLIT_SCRIPT = "tests/browser/fixture_app/app.py"

pytestmark = pytest.mark.browser


def test_synthetic_map_draws_offline(streamlit_server, browser_page, wait_for_map, map_frame,
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

    frame = map_frame(page)
    fills = frame.eval_on_selector_all(".leaflet-overlay-pane path", "ps => ps.map(p => p.getAttribute('fill'))")
    assert "url(#kle-nodata-hatch)" in fills  # missing value hatched, not filled with a class colour
    assert frame.locator("#kle-nodata-hatch").count() == 1
    # the selected square (SYN001, drawn first) has the thick black outline, the others the thin grey one
    outlines = frame.eval_on_selector_all(".leaflet-overlay-pane path.leaflet-interactive",
                                          "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-width')])")
    assert outlines[:3] == [["#000000", "3"], ["#4d4d4d", "0.7"], ["#4d4d4d", "0.7"]]

    assert axe_audit(page) == []
    assert axe_audit(page, frame=frame) == []


def test_tooltip_escapes_and_click_reads_back_area_code(streamlit_server, browser_page, wait_for_map, map_frame,
                                                        third_party_requests):
    page = browser_page
    page.goto(streamlit_server.url)
    assert wait_for_map(page) == 3
    frame = map_frame(page)
    # the second square is named "<script>alert(1)</script> & Sons"
    target = frame.locator(".leaflet-overlay-pane path.leaflet-interactive").nth(1)
    target.hover()
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert target.get_attribute("stroke-width") == "3"  # hover outline
    assert "<script>alert(1)</script> & Sons" in tooltip.inner_text()
    assert tooltip.locator("script").count() == 0
    assert "Rank 1 of 2" in tooltip.inner_text()
    target.click()
    page.get_by_text("Clicked area: SYN002").wait_for(timeout=15_000)
    assert page.dialogs == []
    assert third_party_requests(page) == []
