"""Hostile URL parameters in a real browser: the warning shows the text literally, nothing is injected.

The AppTest property tests (tests/test_bad_input.py) check the markdown Streamlit is given; this checks
what Chromium makes of it: in every warning the markdown renders to nothing but paragraphs and inline
code, no script runs, no element or request comes from the user's text, and the page still works.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.conftest import settle

STREAMLIT_SCRIPT = "app.py"
FOREIGN = "127.0.0.2:9"  # a host that is not the app: a request to it is a leak

CASES = [
    # (path, params, text expected literally inside the warning's code span, polygons on the map or None)
    ("/", {"layer": "<img src=x onerror=alert(1)>"}, "<img src=x onerror=alert(1)>", 255),
    ("/district", {"district": "<script>window.pwned=1</script>"}, "<SCRIPT>WINDOW.PWNED=1</SCRIPT>", None),
    ("/compare", {"ward": f"E05005093,![x](http://{FOREIGN}/x.png),[log in](https://evil.example)"},
     f"![X](HTTP://{FOREIGN.upper()}/X.PNG)", None),
    ("/", {"level": "www.evil.example", "classes": ":red[x] :smile: $x^2$"}, ":red[x] :smile: $x^2$", 255),
    # (Streamlit rewrites ':material/home:' to ':material_home:' even inside code: text, not an icon)
    ("/gap", {"seed": "'; drop table wards; --", "preset": "</p><b>bold</b>`x`:material/home:"}, "'; drop table wards; --",
     None),
    ("/data", {"level": "x" * 5000, "layer": "\u202egnp.exe"}, "x" * 37 + "...", None),
]

_WARNING_MARKUP = """() => Array.from(document.querySelectorAll(
    '[data-testid="stAlertContentWarning"] [data-testid="stMarkdownContainer"]')).map(box => ({
        tags: Array.from(box.querySelectorAll('*')).map(e => e.tagName.toLowerCase()),
        codes: Array.from(box.querySelectorAll('code')).map(e => e.textContent)}))"""


@pytest.mark.parametrize("path,params,literal,polygons", CASES, ids=[f"{c[0]}-{next(iter(c[1]))}" for c in CASES])
def test_hostile_parameters_are_shown_as_text_and_inject_nothing(built_database, streamlit_server, browser_page,
                                                                 wait_for_map, third_party_requests,
                                                                 path, params, literal, polygons):
    page = browser_page
    page.goto(f"{streamlit_server.url}{path}?{urlencode(params)}")
    page.locator('[data-testid="stAlertContentWarning"]').first.wait_for(timeout=60_000)
    page.get_by_text("Sources and licences").first.wait_for(timeout=60_000)  # the page ran to its footer
    if polygons is not None:
        assert wait_for_map(page) == polygons
    settle(page, timeout=60_000)

    warnings = page.evaluate(_WARNING_MARKUP)
    assert warnings, "no warning rendered"
    for warning in warnings:
        assert set(warning["tags"]) <= {"p", "code"}, warning  # no img, a, script, b, span (colour/icon), katex
    shown = [code for warning in warnings for code in warning["codes"]]
    assert literal in shown, shown

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.locator('img[src="x"], img[src*="127.0.0.2"], a[href*="evil.example" i]').count() == 0
    assert page.dialogs == []
    assert third_party_requests(page) == []
