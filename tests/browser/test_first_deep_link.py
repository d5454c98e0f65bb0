"""The first request a fresh server gets is a deep link (an embed on kent.gov.uk after a restart).

Streamlit starts in its legacy pages-folder mode (pages/ sits beside app.py) and would run
pages/district.py on its own, without app.py's navigation and layout. This module has its own
server so that its first visit really is the first one.
"""
from __future__ import annotations

from playwright.sync_api import expect

STREAMLIT_SCRIPT = "app.py"


def test_a_deep_link_as_the_first_request_runs_through_the_apps_navigation(built_database, streamlit_server,
                                                                          browser_page, wait_for_map):
    page = browser_page
    page.goto(f"{streamlit_server.url}/district?district=E07000114")
    assert wait_for_map(page, timeout=120_000) == 23  # the server's first page: cold, on a busy machine (as in test_pages)
    expect(page.locator("h1").first).to_have_text("Thanet")
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # the legacy automatic page list
    expect(page.get_by_role("link", name="Infrastructure gap")).to_be_visible()  # app.py's own navigation
    assert "district=E07000114" in page.url
