"""A new visitor's first page in a real browser: the map first, where it stays, then the rest (issue 15).

A session's first run of / or /district sends the map and its table with a stand-in holding the place of the
pickers and figures above it; a one-off fragment timer makes the browser ask for the whole page
(pages/components.rest_of_page_in_next_run). Here the browser's websocket is routed through Playwright, which
holds that timer's request until the first run's page has been measured: so the test sees the map-only page
however fast or slow the machine is, then lets the request through and sees the whole page.
"""
from __future__ import annotations

import re

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.browser.conftest import settle

STREAMLIT_SCRIPT = "app.py"
# The top of the map section (the element holding its "Skip the map" link), in page coordinates.
_MAP_SECTION_TOP = """() => { const link = document.querySelector('a.kle-skip');
  const box = link && link.closest('[data-testid="stElementContainer"]');
  return box ? box.getBoundingClientRect().top + window.scrollY : null; }"""
_HELD = "[data-kle-rest-follows]"


def _is_timer_rerun(message) -> bool:
    if not isinstance(message, bytes):
        return False
    request = BackMsg()
    request.ParseFromString(message)
    return request.WhichOneof("type") == "rerun_script" and request.rerun_script.is_auto_rerun


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
@pytest.mark.parametrize("path, areas, picker", [("/district?district=E07000114", 23, "District"),
                                                 ("/?level=ward", 255, "Layer")])
def test_the_map_comes_first_and_stays_put_when_the_rest_of_the_page_arrives(
        built_database, streamlit_server, chromium_browser, wait_for_map, path, areas, picker, width, height):
    context = chromium_browser.new_context(viewport={"width": width, "height": height})
    route = {"server": None, "released": False, "held": [], "sent_after": []}

    def on_websocket(websocket):
        route["server"] = server = websocket.connect_to_server()

        def from_page(message):
            if _is_timer_rerun(message):
                if not route["released"]:
                    route["held"].append(message)  # held until the first run's page is measured
                    return
                route["sent_after"].append(message)
            server.send(message)
        websocket.on_message(from_page)

    context.route_web_socket(re.compile(r"/_stcore/stream$"), on_websocket)
    try:
        page = context.new_page()
        page.goto(streamlit_server.url + path)
        assert wait_for_map(page, timeout=120_000) == areas
        while not route["held"]:  # the browser's timer has asked for the rest of the page: that request is held
            page.wait_for_timeout(50)
        assert page.locator(_HELD).count() == 1
        assert page.get_by_label(picker, exact=True).count() == 0  # no picker yet: the map came first
        assert page.locator("details.kle-table tbody tr").count() == areas  # with its table
        top_first = page.evaluate(_MAP_SECTION_TOP)

        route["released"] = True
        route["server"].send(route["held"][0])  # the timer's request, as the browser sent it
        settle(page)
        assert page.locator(_HELD).count() == 0
        assert page.get_by_label(picker, exact=True).count() >= 1
        top_whole = page.evaluate(_MAP_SECTION_TOP)
        assert abs(top_whole - top_first) <= 24, (top_first, top_whole)  # the stand-in held the pickers' place
        assert wait_for_map(page) == areas  # the same map, still drawn
        page.wait_for_timeout(2_000)
        assert route["sent_after"] == []  # the timer stopped: no more requests once the whole page is there
    finally:
        context.close()
