"""A link pinned to a data release, in Chromium (issue 16): the server reads a folder with two releases (conftest's
``two_releases``: the second built from a mirror in which Thanet's May 2021 gigabit share is 58.3, not 57.1)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

STREAMLIT_SCRIPT = "app.py"
STREAMLIT_ENV: dict[str, str] = {}  # set by the releases fixture before the server starts
TIMEOUT = 180_000  # ms: generous on a loaded machine; nothing here is a timing assertion
# The first test to ask for two_releases waits for a build from the real mirror and one from the scratch mirror.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def releases_served(two_releases, request):
    """The module's server reads the two-release database."""
    request.module.STREAMLIT_ENV = {"KENT_DB_PATH": str(two_releases[0])}
    return two_releases


def _gigabit_card(page):
    return page.locator(".kle-card").filter(has_text="Gigabit").locator(".kle-card-value")


def test_a_pinned_link_shows_the_first_release_and_its_notice_opens_the_same_view_on_the_latest(
        releases_served, streamlit_server, browser_page):
    _, first, second = releases_served
    page = browser_page
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{streamlit_server.url}/district?district=E07000114&layer=gigabit_pct_2021&release={first}")
    expect(_gigabit_card(page)).to_have_text("57.1%", timeout=TIMEOUT)
    notice = page.get_by_text(f"This page shows data release {first}, as pinned by its link.")
    expect(notice).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(f"A newer release, {second}, is in service")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(f"Data release {first}: the sources and vintages in it")).to_be_attached(timeout=TIMEOUT)
    assert f"release={first}" in page.url

    page.get_by_role("link", name="See the same view on the latest release").click()
    page.wait_for_url(re.compile(rf"release={re.escape(second)}"), timeout=TIMEOUT)
    expect(_gigabit_card(page)).to_have_text("58.3%", timeout=TIMEOUT)
    expect(page.get_by_text("as pinned by its link")).to_have_count(0, timeout=TIMEOUT)
    expect(page.get_by_text(f"Data release {second}: the sources and vintages in it")).to_be_attached(timeout=TIMEOUT)
    assert "district=E07000114" in page.url and "layer=gigabit_pct_2021" in page.url


def test_an_unknown_release_is_named_and_the_latest_is_shown(releases_served, streamlit_server, browser_page):
    _, _, second = releases_served
    page = browser_page
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{streamlit_server.url}/district?district=E07000114&layer=gigabit_pct_2021&release=2019-01-01")
    expect(page.get_by_text("There is no data release 2019-01-01; showing the latest release")).to_be_visible(timeout=TIMEOUT)
    expect(_gigabit_card(page)).to_have_text("58.3%", timeout=TIMEOUT)
    page.wait_for_url(re.compile(rf"release={re.escape(second)}"), timeout=TIMEOUT)
