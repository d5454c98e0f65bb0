"""The profile and search pages add nothing to a first visit beyond the explorer's own pages (issue 12): every
Streamlit frontend chunk a first visit to /ward or /find downloads is one that a first visit to / or /district
downloads too. An element type only these pages used (a chart library, Markdown with raw HTML ...) would add
its chunk to every resident's first visit; bench.first_visit prints the bytes."""
from __future__ import annotations

import pytest

from bench import first_visit

STREAMLIT_SCRIPT = "app.py"

PROFILE_AND_SEARCH_VISITS = (
    "/ward?ward=E05005093",  # Margate Central: spine chart, locator map, tables, similar wards, download
    "/ward?ward=E05005088",  # Cliftonville West
    "/ward",  # no ward yet: the chooser
    "/find?q=Tenterden",  # places and wards
    "/find?q=Minster",  # one name, two districts
    "/find?q=ct91ae",  # a postcode
    "/find?q=SW1A%201AA",  # a postcode outside Kent
    "/find?q=%3Cb%3E%25%25",  # junk
    "/find",  # nothing searched yet
)


@pytest.fixture(scope="module")
def explorer_chunks(built_database, streamlit_server, chromium_browser) -> dict[str, int]:
    """Every frontend chunk a first visit to the explorer's own pages loads, with its size."""
    chunks: dict[str, int] = {}
    for path in first_visit.EXPLORER_PAGES.values():
        chunks.update(first_visit.visit(chromium_browser, streamlit_server.url + path).frontend_chunks)
    return chunks


def test_the_explorer_pages_load_streamlit_chunks_at_all(explorer_chunks):
    assert any(path.startswith("/static/js/index.") for path in explorer_chunks)  # the measure sees the bundle
    assert sum(explorer_chunks.values()) > 500_000


@pytest.mark.parametrize("path", PROFILE_AND_SEARCH_VISITS)
def test_profile_and_search_pages_load_no_chunk_the_explorer_pages_do_not(path, explorer_chunks, streamlit_server,
                                                                         chromium_browser):
    loaded = first_visit.visit(chromium_browser, streamlit_server.url + path)
    assert loaded.frontend_chunks, "the visit recorded no frontend files"
    beyond = {chunk: size for chunk, size in loaded.frontend_chunks.items() if chunk not in explorer_chunks}
    assert beyond == {}
