"""Page opened -> map drawn, in headless Chromium against a running Streamlit server, alone and 20 at once.

"Drawn" means the map's Leaflet overlay holds the expected number of SVG paths (one per area): the app's map in the
page itself, the bare page's in its streamlit-folium iframe. The time is the page's own clock (``performance.now()``,
zero at navigation start) when that first holds, checked every animation frame; so it covers the HTML, the websocket
rerun, the map's component, Leaflet and the drawing. Each timed load uses a fresh browser context (a new visitor with an empty cache).
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo.config import REPO_ROOT

CHROMIUM = os.environ.get("KENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FOLIUM_IFRAME = 'iframe[src*="streamlit_folium.st_folium"]'
DRAW_TIMEOUT_MS = 180_000  # a slow page on a loaded shared machine is slow, not broken
# Under a burst a slow session is slow, not broken: it only counts as an error after this long.
BURST_DRAW_TIMEOUT_MS = 180_000
# A burst polls every 50 ms rather than every frame, so 20 polling pages do not slow each other down.
BURST_POLLING_MS = 50
SERVER_START_TIMEOUT_S = 60

# Notes when the page's title heading is first seen; run at every poll of _DRAWN_AT and _COMPLETE_AT, which reports it.
_NOTE_TITLE = "if (document.querySelector('h1') && !window.__benchTitleAt) window.__benchTitleAt = performance.now();"
# The explorer's maps are drawn in the page itself (pages/components.py), the bare page's in streamlit-folium's iframe.
PAGE_MAP = ".kle-map"
# Returns [drawn at, map (its iframe or its div in the page) first seen at] in ms since navigation start, or false
# while not drawn.
_DRAWN_AT = """([selector, expected]) => {
  const frames = document.querySelectorAll(selector), inPage = document.querySelector('""" + PAGE_MAP + """');
  if ((frames.length || inPage) && !window.__benchMapFrameAt) window.__benchMapFrameAt = performance.now();
  """ + _NOTE_TITLE + """
  if (inPage && inPage.querySelectorAll('.leaflet-overlay-pane svg path').length >= expected)
    return [performance.now(), window.__benchMapFrameAt];
  for (const frame of frames) {
    const doc = frame.contentDocument;
    if (doc && doc.querySelectorAll('.leaflet-overlay-pane svg path').length >= expected)
      return [performance.now(), window.__benchMapFrameAt];
  }
  return false;
}"""
# Returns [ms since navigation start, ms when the page's title heading was first seen or null] once the whole page is
# there (the script not running, no element left from a run before, none still waiting for its frontend chunk),
# else false. The title is what a visitor reads first; a page's map can be drawn before or after it.
_COMPLETE_AT = """() => {
  """ + _NOTE_TITLE + """
  const done = document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]') && !document.querySelector('[data-testid="stSkeleton"]');
  return done && [performance.now(), window.__benchTitleAt || null];
}"""
_HAS_EXCEPTION = "() => !!document.querySelector('[data-testid=\"stException\"]')"


@dataclass(frozen=True)
class PageTiming:
    """One page load: seconds to the drawn map, to the map first seen (its div or iframe), to the title and to the whole
    page (page clock), and the script run's span."""

    drawn_s: float
    map_seen_s: float
    complete_s: float  # the whole page there and its run over (for the bare page, about when drawn)
    title_s: float | None  # the page's title heading first seen (None: the page has none, as the bare page)
    rerun_sent_s: float | None  # when the page asked for the script run (client-side clock, from goto)
    script_run_s: float | None  # websocket: rerun request sent -> run finished successfully (client-side clock)


@dataclass
class Server:
    """A running `streamlit run` of one script."""

    url: str
    process: subprocess.Popen
    log_path: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str, log_dir: Path, cwd: Path = REPO_ROOT, env: dict[str, str] | None = None,
                     options: tuple[str, ...] = ()):
    """Serve `script` (a path from cwd, by default the repository root) on a free port until the block ends;
    env: the server's whole environment (default: this process's); options: more `streamlit run` options."""
    port = _free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{Path(cwd).name}-{Path(script).stem}-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", *options]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"})
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit not healthy after {SERVER_START_TIMEOUT_S}s; see {log_path}")
            time.sleep(0.2)
        yield Server(url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _watch_script_run(page) -> dict:
    """Record when the page asks for a script run and when the server says it finished successfully (protobufs)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    finished_successfully = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
    span: dict[str, float] = {}

    def sent(payload):
        if "rerun" not in span and isinstance(payload, bytes):
            message = BackMsg()
            message.ParseFromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                span["rerun"] = time.perf_counter()

    def received(payload):
        if "rerun" in span and "finished" not in span and isinstance(payload, bytes):
            message = ForwardMsg()
            message.ParseFromString(payload)
            # A run that ends early for a rerun (st.navigation resolving a page name does this) is not the end.
            if message.WhichOneof("type") == "script_finished" and message.script_finished == finished_successfully:
                span["finished"] = time.perf_counter()

    def on_websocket(websocket):
        websocket.on("framesent", sent)
        websocket.on("framereceived", received)

    page.on("websocket", on_websocket)
    return span


async def time_to_drawn(browser, url: str, expected_paths: int, polling="raf",
                        timeout_ms: float = DRAW_TIMEOUT_MS) -> PageTiming:
    """Open url in a fresh context and time it until the map is drawn.

    Raises if the map never draws or the page shows a Python exception.
    """
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await context.new_page()
        span = _watch_script_run(page)
        opened = time.perf_counter()
        await page.goto(url, wait_until="commit")
        handle = await page.wait_for_function(_DRAWN_AT, arg=[FOLIUM_IFRAME, expected_paths], polling=polling,
                                              timeout=timeout_ms)
        drawn_ms, frame_ms = await handle.json_value()
        complete = await page.wait_for_function(_COMPLETE_AT, polling=polling, timeout=timeout_ms)
        complete_ms, title_ms = await complete.json_value()
        if await page.evaluate(_HAS_EXCEPTION):
            raise RuntimeError(f"{url}: the page shows a Python exception")
        rerun_sent = span["rerun"] - opened if "rerun" in span else None
        script_run = span["finished"] - span["rerun"] if "finished" in span else None
        return PageTiming(drawn_ms / 1000, frame_ms / 1000, max(complete_ms, drawn_ms) / 1000,
                          title_ms / 1000 if title_ms is not None else None, rerun_sent, script_run)
    finally:
        await context.close()


async def _launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"chromium not found at {CHROMIUM} (apt-get install chromium, or set KENT_CHROMIUM)")
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


async def _sequential(pages: list[tuple[str, str, int]], repeat: int) -> dict[str, list[PageTiming]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        try:
            for _, url, expected in pages:  # warm: each page once before timing
                await time_to_drawn(browser, url, expected)
            times: dict[str, list[PageTiming]] = {name: [] for name, _, _ in pages}
            for _ in range(repeat):  # interleaved, so drift on a busy machine hits every page alike
                for name, url, expected in pages:
                    times[name].append(await time_to_drawn(browser, url, expected))
            return times
        finally:
            await browser.close()


def page_load_times(pages: list[tuple[str, str, int]], repeat: int) -> dict[str, list[PageTiming]]:
    """For (name, url, expected paths) pages: `repeat` timings each, after one warm-up load each."""
    return asyncio.run(_sequential(pages, repeat))


async def _concurrent(bursts: dict[str, list[tuple[str, int]]], rounds: int) -> dict[str, dict[str, list]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        try:
            for sessions in bursts.values():  # warm: every distinct page once
                for url, expected in dict.fromkeys(sessions):
                    await time_to_drawn(browser, url, expected)
            results = {name: {"times": [], "errors": []} for name in bursts}
            for _ in range(rounds):
                for name, sessions in bursts.items():  # one burst at a time, alternating
                    outcomes = await asyncio.gather(
                        *(time_to_drawn(browser, url, expected, BURST_POLLING_MS, BURST_DRAW_TIMEOUT_MS)
                          for url, expected in sessions), return_exceptions=True)
                    for (url, _), outcome in zip(sessions, outcomes):
                        if isinstance(outcome, BaseException):
                            first_line = (str(outcome).splitlines() or [""])[0][:200]
                            results[name]["errors"].append(f"{url}: {type(outcome).__name__}: {first_line}")
                        else:
                            results[name]["times"].append(outcome)
            return results
        finally:
            await browser.close()


def concurrent_sessions(bursts: dict[str, list[tuple[str, int]]], rounds: int = 1) -> dict[str, dict[str, list]]:
    """For each name, open all its (url, expected paths) at once, each in its own context of one chromium.

    Every distinct page is loaded once first (warm server); then `rounds` bursts per name are timed.
    Returns {name: {"times": [PageTiming per drawn session], "errors": [what went wrong]}}.
    """
    return asyncio.run(_concurrent(bursts, rounds))


@dataclass(frozen=True)
class FirstVisit:
    """What a first visit (empty cache) downloads until the map is drawn, the whole page is there and the network
    is quiet."""

    body_bytes: int  # every response body, decoded (uncompressed)
    websocket_bytes: int  # every websocket frame received
    requests: int
    largest: list[tuple[str, int]]  # (path, bytes) of the biggest responses

    @property
    def total_bytes(self) -> int:
        """Bytes received: response bodies plus websocket frames."""
        return self.body_bytes + self.websocket_bytes


QUIET_AFTER_DRAWN_MS = 2_000  # lazy requests (fonts, chunks) a page makes after it is complete


async def _first_visit(url: str, expected_paths: int) -> FirstVisit:
    from urllib.parse import urlsplit

    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            responses, frames = [], []
            page.on("response", lambda response: responses.append(response))
            page.on("websocket", lambda ws: ws.on("framereceived",
                                                  lambda p: frames.append(len(p) if isinstance(p, bytes) else len(p.encode()))))
            await page.goto(url, wait_until="commit")
            if expected_paths:  # a page with a map (bench/empty_app.py has none)
                await page.wait_for_function(_DRAWN_AT, arg=[FOLIUM_IFRAME, expected_paths], timeout=BURST_DRAW_TIMEOUT_MS)
            await page.wait_for_function(_COMPLETE_AT, timeout=BURST_DRAW_TIMEOUT_MS)  # the whole page, not just its map
            await page.wait_for_timeout(QUIET_AFTER_DRAWN_MS)
            sizes = []
            for response in responses:
                try:
                    size = len(await response.body())
                except Exception:  # noqa: BLE001 - a redirect or a websocket upgrade has no body
                    size = 0
                sizes.append((urlsplit(response.url).path, size))
            await context.close()
        finally:
            await browser.close()
    return FirstVisit(sum(s for _, s in sizes), sum(frames), len(responses),
                      sorted(sizes, key=lambda item: -item[1]))


def first_visit(url: str, expected_paths: int) -> FirstVisit:
    """Bytes and requests of one first visit to url (a new browser, empty cache), until drawn (expected_paths areas on
    its map; 0: a page without a map) and quiet."""
    return asyncio.run(_first_visit(url, expected_paths))
