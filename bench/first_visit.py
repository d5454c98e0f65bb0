"""What a first visit to each explorer page downloads, request by request: ``python -m bench.first_visit``.

Streamlit's frontend is split into chunks (``/static/js/*.js``, ``/static/css/*.css``) that the browser fetches
the first time a page uses an element type needing one (a download button, a chart, a data grid ...). A page
that uses an element type no other page does makes every first visit to it download that chunk. This opens
each page in a fresh Chromium context (empty cache), waits until the script run has finished and the network
is quiet, and records every response from the DevTools protocol's Network events: its URL and its body size
as decoded (Streamlit serves its bundles uncompressed; behind deploy/'s nginx they are gzipped). Pages are
visited in turn, ``--repeat`` rounds interleaved; bytes are medians over the rounds. It prints, per page,
the total bytes, their ratio to the district page's in the same run, and the frontend chunks it loaded that
the explorer's own pages (/, /district) did not.
"""
from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.browser_timing import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from geo.config import REPO_ROOT

# The explorer's own pages, against which the others are compared, then the profile and search pages.
EXPLORER_PAGES = {
    "Kent wards (/)": "/?level=ward",
    "District (/district)": "/district?district=E07000114",
}
PROFILE_AND_SEARCH_PAGES = {
    "Ward profile (/ward)": "/ward?ward=E05005093",
    "Search (/find)": "/find?q=Tenterden",
}
PAGES = {**EXPLORER_PAGES, **PROFILE_AND_SEARCH_PAGES}
REFERENCE_PAGE = "District (/district)"  # the ratio column: each page's bytes over the district page's, same run
TIMEOUT_MS = 120_000
QUIET_MS = 1_500  # the network must stay idle this long after the run has finished before the visit counts

# True once the script run has finished: Streamlit's status widget is gone and the page has a title heading.
_RUN_FINISHED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && !!document.querySelector('[data-testid="stHeading"], h1')
    && document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') !== 'running'"""


@dataclass(frozen=True)
class Visit:
    """One first visit: every HTTP response's decoded body size, by path (websocket frames not included)."""

    response_bytes: dict[str, int]

    @property
    def total_bytes(self) -> int:
        return sum(self.response_bytes.values())

    @property
    def frontend_chunks(self) -> dict[str, int]:
        """Streamlit's own frontend files (its JS and CSS bundle and the chunks it loads on demand)."""
        return {path: size for path, size in self.response_bytes.items() if is_frontend_chunk(path)}


def is_frontend_chunk(path: str) -> bool:
    """A file of Streamlit's frontend bundle (served at /static/), not the app's own /app/static/ files."""
    return path.startswith("/static/") and path.endswith((".js", ".css"))


def visit(browser, url: str) -> Visit:
    """Open url in a fresh context (a first visit) and record every response until the page is quiet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        paths: dict[str, str] = {}
        sizes: dict[str, int] = {}

        def on_response(event):
            paths[event["requestId"]] = urlsplit(event["response"]["url"]).path

        def on_data(event):
            sizes[event["requestId"]] = sizes.get(event["requestId"], 0) + int(event.get("dataLength", 0))

        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.dataReceived", on_data)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        page.wait_for_function(_RUN_FINISHED, polling=100, timeout=TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        page.wait_for_timeout(QUIET_MS)
        by_path: dict[str, int] = {}
        for request_id, path in paths.items():
            by_path[path] = by_path.get(path, 0) + sizes.get(request_id, 0)
        return Visit(by_path)
    finally:
        context.close()


def first_visits(base_url: str, pages: dict[str, str], repeat: int) -> dict[str, list[Visit]]:
    """`repeat` first visits to each page, interleaved (page 1, page 2, ..., then again)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            visits: dict[str, list[Visit]] = {name: [] for name in pages}
            for _ in range(repeat):
                for name, path in pages.items():
                    visits[name].append(visit(browser, base_url + path))
            return visits
        finally:
            browser.close()


def explorer_chunks(visits: dict[str, list[Visit]]) -> set[str]:
    """Every frontend chunk any visit to the explorer's own pages loaded."""
    return {path for name in EXPLORER_PAGES for one in visits[name] for path in one.frontend_chunks}


def report(visits: dict[str, list[Visit]]) -> list[str]:
    """The printed figures: per page, median total and chunk bytes, and chunks beyond the explorer's own pages."""
    own = explorer_chunks(visits)
    reference = statistics.median(one.total_bytes for one in visits[REFERENCE_PAGE])
    lines = [f"{'page':<26} {'all responses':>14} {'÷ /district':>12} {'frontend chunks':>16} "
             f"{'chunks beyond / and /district':>30}"]
    extras: dict[str, dict[str, int]] = {}
    for name, series in visits.items():
        total = statistics.median(one.total_bytes for one in series)
        chunks = statistics.median(sum(one.frontend_chunks.values()) for one in series)
        beyond = {path: size for one in series for path, size in one.frontend_chunks.items() if path not in own}
        extras[name] = beyond
        lines.append(f"{name:<26} {total / 1000:>11,.1f} kB {total / reference:>11.2f}x {chunks / 1000:>13,.1f} kB "
                     f"{sum(beyond.values()) / 1000:>19,.1f} kB in {len(beyond)}")
    for name, beyond in extras.items():
        for path, size in sorted(beyond.items(), key=lambda item: -item[1]):
            lines.append(f"  {name}: {path} {size / 1000:,.1f} kB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="first visits per page (interleaved)")
    parser.add_argument("--url", help="an already running app (default: start `streamlit run app.py`)")
    arguments = parser.parse_args(argv)
    if arguments.url:
        visits = first_visits(arguments.url.rstrip("/"), PAGES, arguments.repeat)
    else:
        with streamlit_server("app.py", REPO_ROOT / "bench" / "results" / "logs") as server:
            visits = first_visits(server.url, PAGES, arguments.repeat)
    print("\n".join(report(visits)))
    print(f"Load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"medians of {arguments.repeat} first visits per page, interleaved.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
