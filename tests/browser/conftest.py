"""Browser-test harness: a real Streamlit server, Debian's chromium through Playwright, map and axe helpers.

A test module names the script it serves with ``STREAMLIT_SCRIPT = "path/from/repo/root.py"``
(default ``app.py``) and may add environment variables with ``STREAMLIT_ENV = {...}``; anything
already in ``os.environ`` when the module's server starts (e.g. KENT_DB_PATH set by the
``built_database`` fixture, if requested first) is inherited too.

Helpers are fixtures that return plain functions, so tests ask for them by name::

    def test_x(streamlit_server, browser_page, wait_for_map, third_party_requests, axe_audit):
        browser_page.goto(streamlit_server.url)
        assert wait_for_map(browser_page) == 23
        assert third_party_requests(browser_page) == []
        assert axe_audit(browser_page) == []

Everything a failing run leaves behind goes to test-artifacts/ (server logs, screenshots/).
Never run ``playwright install``: chromium comes from Debian at /usr/bin/chromium.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("KENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
PAGE_MAP = ".kle-map"  # the explorer's map, drawn in the page itself (pages/components.py page_map)
SERVER_START_TIMEOUT = 60.0


def pytest_collection_modifyitems(items):
    """Everything under tests/browser is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- Streamlit server --------------------------------------------------------------------------

@dataclass
class StreamlitServer:
    url: str
    port: int
    script: Path
    log_path: Path
    process: subprocess.Popen


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(url: str, process: subprocess.Popen, what: str, diagnostics,
                  timeout: float = SERVER_START_TIMEOUT) -> None:
    """Return once url answers Streamlit's health check; fail with diagnostics() if process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}\n{diagnostics()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not healthy at {url} after {timeout:.0f}s\n{diagnostics()}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def free_port():
    """``free_port()``: a free TCP port on 127.0.0.1."""
    return _free_port


@pytest.fixture(scope="session")
def wait_healthy():
    """``wait_healthy(url, process, what, diagnostics)``: wait for a Streamlit (or proxied) health check."""
    return _wait_healthy


@pytest.fixture(scope="module")
def streamlit_server(request):
    """A `streamlit run` of the module's STREAMLIT_SCRIPT on a free port, from the repo root."""
    script = ROOT / getattr(request.module, "STREAMLIT_SCRIPT", "app.py")
    if not script.exists():
        pytest.fail(f"STREAMLIT_SCRIPT {script} does not exist")
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"streamlit-{request.module.__name__.rsplit('.', 1)[-1]}-{port}.log"
    env = {**os.environ, **getattr(request.module, "STREAMLIT_ENV", {})}
    env.setdefault("PYTHONUNBUFFERED", "1")
    cmd = [sys.executable, "-m", "streamlit", "run", str(script.relative_to(ROOT)),
           "--server.port", str(port), "--server.headless", "true",
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, process, "streamlit", lambda: f"log {log_path}:\n{_log_tail(log_path)}")
        yield StreamlitServer(url=url, port=port, script=script, log_path=log_path, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- Browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's chromium, headless, driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def browser_page(chromium_browser, request):
    """A fresh page (own context) that records every request URL in ``page.requested_urls``.

    On failure a screenshot named after the test is saved in test-artifacts/screenshots/.
    """
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requested_urls = []
    page.dialogs = []
    page.console_errors = []
    context.on("request", lambda r: page.requested_urls.append(r.url))
    page.on("websocket", lambda ws: page.requested_urls.append(ws.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            _screenshot(page, f"FAILED-{request.node.name}")
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _third_party_requests(page) -> list[str]:
    out = []
    for url in page.requested_urls:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
            continue
        if (parsed.hostname or "") not in LOCAL_HOSTS:
            out.append(url)
    return out


@pytest.fixture()
def third_party_requests():
    """``third_party_requests(page)``: recorded URLs whose host is not localhost/127.0.0.1."""
    return _third_party_requests


# --- Map ---------------------------------------------------------------------------------------

# The index-th map's polygons drawn and still in the page (its Leaflet map is on its div as .kleMap), else 0.
COUNT_POLYGONS = """(index) => {
  const holder = document.querySelectorAll('""" + PAGE_MAP + """')[index], L = window.L;
  const map = holder && holder.kleMap;
  if (!L || !map || !holder.querySelector('.leaflet-overlay-pane svg path')) return 0;
  let n = 0;
  map.eachLayer(l => { if (l instanceof L.Polygon && l._path && l._path.isConnected) n++; });
  return n;
}"""


def _map_element(page, index: int = 0, timeout: float = 30_000):
    element = page.locator(PAGE_MAP).nth(index)
    element.wait_for(timeout=timeout)
    return element


def _wait_for_map(page, index: int = 0, timeout: float = 30_000) -> int:
    return page.wait_for_function(COUNT_POLYGONS, arg=index, timeout=timeout).json_value()


def map_title(page, index: int = 0) -> str:
    """The index-th map's accessible name without the keyboard instructions after it: "Map: … by ward, Thanet"."""
    name = page.locator(PAGE_MAP).nth(index).locator(".leaflet-container").get_attribute("aria-label")
    return name.split(". Arrow keys")[0]


@pytest.fixture()
def map_element():
    """``map_element(page, index=0)``: a Locator of the index-th map's div. Its Leaflet map is the div's ``kleMap``:
    ``map_element(page).evaluate("holder => holder.kleMap.getZoom()")``. Works on a Frame as on a Page."""
    return _map_element


@pytest.fixture()
def wait_for_map():
    """``wait_for_map(page, index=0)``: wait until that map has drawn its SVG polygons; return their count
    (``page`` may be a Frame: the app framed by another page)."""
    return _wait_for_map


# --- Accessibility and screenshots -------------------------------------------------------------

def _axe_audit(page, frame=None, impacts=("serious", "critical")) -> list[dict]:
    target = frame or page.main_frame  # a Frame: the app framed by a host page
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} missing: run scripts/setup_node.sh")
    if not target.evaluate("() => typeof window.axe !== 'undefined'"):
        target.add_script_tag(path=str(AXE_JS))  # inlined: no network request
    result = target.evaluate(
        "async () => await axe.run(document, {iframes: false, resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:10]}
        for v in result["violations"] if v["impact"] in impacts
    ]


@pytest.fixture()
def axe_audit():
    """``axe_audit(page, frame=None)``: axe-core violations of impact serious/critical (frame: audit that frame)."""
    return _axe_audit


def _screenshot(page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture()
def screenshot():
    """``screenshot(page, name)``: save test-artifacts/screenshots/<name>.png and return its path."""
    return _screenshot


# --- Opening a page ----------------------------------------------------------------------------

# The run is over when the app says so, not only when the running indicator is gone: Streamlit shows that indicator
# only once a run has lasted a moment, so right after a widget change it can be absent while the run goes on, with the
# last run's elements "stale" (dimmed: an axe audit then finds their text's contrast too low).
_SETTLED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-stale="true"]')"""


def settle(page, timeout: float = 90_000) -> None:
    """Wait until the script run (and any rerun it asked for) is over and no element is left stale from a run before."""
    page.wait_for_function(_SETTLED, timeout=timeout)


def _screenshot_name(path: str) -> str:
    """A screenshot name from a path: "/district?district=E07000105" -> "district_district-E07000105"."""
    name = path.strip("/?").replace("&", "_").replace("=", "-").replace(",", "-").replace("?", "_") or "kent"
    return name[:80]


@pytest.fixture()
def open_page(request, built_database, streamlit_server, browser_page, third_party_requests, axe_audit):
    """``open_page(path, name=None)``: open a path on the module's server and return the page. After the test body:
    a full-height screenshot named after the first page opened (``name``, else made from its path, after the
    module's ``SCREENSHOT_PREFIX``), no request beyond localhost, no serious or critical axe finding."""
    opened = []

    def go(path: str, name: str | None = None):
        browser_page.goto(f"{streamlit_server.url}{path}")
        opened.append(name or _screenshot_name(path))
        return browser_page

    yield go
    settle(browser_page)
    width = browser_page.viewport_size["width"]
    browser_page.set_viewport_size({"width": width, "height": 3000})  # Streamlit scrolls inside: a tall window shows all
    browser_page.wait_for_timeout(500)
    _screenshot(browser_page, getattr(request.module, "SCREENSHOT_PREFIX", "") + opened[0])
    assert third_party_requests(browser_page) == []
    assert axe_audit(browser_page) == []
