"""The deployment in deploy/: nginx (Debian's) in front of two Streamlit replicas, all on loopback.

Started exactly as a deployer starts them: ``deploy/run_app.sh PORT`` for each replica and
``deploy/run_proxy.sh`` (which renders deploy/nginx/*.in with deploy/render_nginx.py and runs nginx without
root, everything under a temporary run directory). Two tiny framing pages carry the same embed snippet: one
served from an origin the proxy allows in ``frame-ancestors`` and one from an origin it does not.

Shows: the security headers on pages, assets and errors; gzip and cache headers on static assets; the map
drawn through the proxy over its websocket, with one browser's requests kept on one replica (the board pack
download, held in that replica's memory, arrives); the allowed origin frames the app and the map draws in the
frame, the other origin is refused by Chromium because of the CSP.
"""
from __future__ import annotations

import gzip
import re
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "tests" / "deploy"))
import render_nginx  # noqa: E402
from deployment import Deployment, host_pages, running  # noqa: E402

EMBED_PATH = "/?embed=true&level=district"
MAP_TIMEOUT_MS = 120_000  # two replicas and nginx on a shared machine: slow is not broken


# --- the deployment ---------------------------------------------------------------------------------

@dataclass
class ProxiedApp:
    """The deployment (tests/deploy/deployment.py's `running`: two replicas, nginx) and two framing origins."""

    started: Deployment
    allowed_origin: str
    refused_origin: str

    @property
    def proxy_url(self) -> str:
        return self.started.proxy_url

    @property
    def replica_urls(self) -> list[str]:
        return [url for url, _ in self.started.replicas]

    @property
    def access_log(self) -> Path:
        return self.started.access_log

    @property
    def csp(self) -> str:
        return f"{render_nginx.CONTENT_SECURITY_POLICY}; frame-ancestors 'self' {self.allowed_origin}"

    def diagnostics(self) -> str:
        return self.started.diagnostics()


@pytest.fixture(scope="module")
def deployment(built_database, tmp_path_factory):
    # Two framing origins (localhost:A allowed, localhost:B not), serving the same bytes so only the origin
    # differs; the app is on 127.0.0.1, so both are cross-site, as kent.gov.uk is for the app's own host.
    with host_pages(2) as (allowed, refused), \
            running(tmp_path_factory.mktemp("proxy-run"), built_database, replicas=2,
                    proxy_args=("--frame-ancestor", allowed.origin)) as started:
        for host in (allowed, refused):
            host.serve(f'<iframe id="kle" src="{started.proxy_url}{EMBED_PATH}" title="Kent Locality Explorer" '
                       'width="1000" height="760" style="border:0"></iframe>')
        yield ProxiedApp(started, allowed.origin, refused.origin)


def _get(url: str, gzip_ok: bool = False, data: bytes | None = None):
    """(status, headers, raw body) without following redirects or decompressing."""
    request = urllib.request.Request(url, data=data, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _js_bundle(deployment) -> str:
    _, _, body = _get(deployment.proxy_url + "/")
    match = re.search(r'src="\.?(/static/js/[^"]+\.js)"', body.decode())
    assert match, f"no /static/js bundle named in the page:\n{body[-800:]!r}"
    return match.group(1)


# --- headers ----------------------------------------------------------------------------------------

def test_security_headers_on_pages_assets_and_errors(deployment):
    cases = {
        "/": 200,
        "/district?district=E07000105&embed=true": 200,
        _js_bundle(deployment): 200,
        "/app/static/vendor/leaflet/leaflet.js": 200,  # Streamlit sends its own nosniff here: must not double
        "/_stcore/health": 200,
        "/app/static/no-such-file.js": 404,  # an error from a replica
    }
    seen = {}
    for path, status in cases.items():
        got, headers, _ = _get(deployment.proxy_url + path)
        seen[path] = (got, headers)
    # An error nginx makes itself (body over client_max_body_size) must carry the headers too (`always`).
    seen["POST 2 MB to /_stcore/health"] = _get(deployment.proxy_url + "/_stcore/health", data=b"x" * 2_000_000)[:2]
    cases["POST 2 MB to /_stcore/health"] = 413

    for path, (status, headers) in seen.items():
        where = f"{path} -> {status}\n{headers}\n{deployment.diagnostics()}"
        assert status == cases[path], where
        assert headers.get_all("Content-Security-Policy") == [deployment.csp], where
        assert headers.get_all("X-Content-Type-Options") == ["nosniff"], where
        assert headers.get_all("Referrer-Policy") == ["strict-origin-when-cross-origin"], where
        assert headers.get("X-Frame-Options") is None, where  # would contradict frame-ancestors


def test_gzip_and_cache_headers_on_static_assets(deployment):
    replica = deployment.replica_urls[0]
    bundle = _js_bundle(deployment)

    status, headers, body = _get(deployment.proxy_url + bundle, gzip_ok=True)
    _, direct_headers, direct = _get(replica + bundle, gzip_ok=True)
    where = f"{bundle}\n{headers}\n{deployment.diagnostics()}"
    assert status == 200 and headers.get_content_type() == "application/javascript", where
    assert direct_headers.get("Content-Encoding") is None  # Streamlit leaves its bundles to the proxy...
    assert headers.get("Content-Encoding") == "gzip", where  # ...and nginx compresses them
    assert "Accept-Encoding" in headers.get("Vary", ""), where
    assert gzip.decompress(body) == direct and len(body) < len(direct) / 2, where
    cache = headers.get("Cache-Control", "")
    assert "max-age=31536000" in cache and "immutable" in cache, where

    status, headers, body = _get(deployment.proxy_url + "/app/static/vendor/leaflet/leaflet.js", gzip_ok=True)
    where = f"leaflet.js\n{headers}\n{deployment.diagnostics()}"
    assert status == 200 and headers.get("Content-Encoding") == "gzip", where
    assert gzip.decompress(body) == (ROOT / "static" / "vendor" / "leaflet" / "leaflet.js").read_bytes(), where
    assert headers.get_all("Cache-Control") == ["public, max-age=86400"], where
    assert headers.get("Server") == "nginx", where  # from disk (deploy/nginx: /app/static/), not a replica

    status, headers, body = _get(deployment.proxy_url + "/", gzip_ok=True)
    where = f"/\n{headers}\n{deployment.diagnostics()}"
    assert status == 200 and headers.get("Content-Encoding") == "gzip", where
    assert b"<html" in gzip.decompress(body), where
    assert headers.get_all("Cache-Control") == ["no-cache"], where  # the page itself is never cached stale

    # Not cached for long: an unknown bundle name (Streamlit answers with its page) and a missing file.
    status, headers, _ = _get(deployment.proxy_url + "/static/js/no-such-bundle.js")
    assert "immutable" not in headers.get("Cache-Control", ""), f"{status}\n{headers}"
    status, headers, _ = _get(deployment.proxy_url + "/app/static/no-such-file.js")
    assert status == 404 and headers.get("Cache-Control") is None, f"{status}\n{headers}"


# --- through the proxy in Chromium --------------------------------------------------------------------

def _access_lines(deployment) -> list[dict]:
    pattern = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ upstream="(?P<upstream>[^"]*)" '
                         r'route=(?P<route>\S*)')
    return [m.groupdict() for line in deployment.access_log.read_text().splitlines() if (m := pattern.search(line))]


def test_district_page_works_through_the_proxy(deployment, browser_page, wait_for_map, third_party_requests):
    page = browser_page
    page.goto(f"{deployment.proxy_url}/district?district=E07000114")
    assert wait_for_map(page, timeout=MAP_TIMEOUT_MS) == 23, deployment.diagnostics()  # Thanet's wards, drawn over the websocket
    assert f"ws://127.0.0.1:{deployment.proxy_url.rsplit(':', 1)[1]}/_stcore/stream" in page.requested_urls
    assert third_party_requests(page) == []

    # The board pack is made by the session and held in that replica's memory (/media/...): nginx finds it
    # by trying each replica in turn.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the board pack (printable HTML)").click()
    pack = download_info.value.path().read_text(encoding="utf-8")
    ward_map = pack[pack.index('<section class="map-section">'):]
    assert "Margate Central" in pack and ward_map[:ward_map.index("</svg>")].count("<path") == 23
    # The download's own address (Chromium does not always report a download as a page response, so the
    # headers are read by asking the proxy again). Streamlit's downloads are at /media/; its fonts at
    # /static/media/ are bundle files, cached as such.
    media_url = download_info.value.url
    assert urlsplit(media_url).path.startswith("/media/"), media_url
    for _ in range(6):  # without the route cookie, from anywhere: still found, and cached only privately
        status, headers, body = _get(media_url)
        assert status == 200 and "Margate Central" in body.decode("utf-8"), status
        assert headers.get("Cache-Control") == "private, max-age=3600", headers

    route = {c["name"]: c["value"] for c in page.context.cookies()}.get("kle_route")
    assert route and re.fullmatch(r"[0-9a-f]{32}", route), f"no route cookie set by the proxy: {page.context.cookies()}"
    # nginx logs the websocket when it ends: close the page, then wait for that line.
    page.close()
    deadline = time.monotonic() + 30
    while not any(line["path"] == "/_stcore/stream" and line["route"] == route for line in _access_lines(deployment)):
        if time.monotonic() > deadline:
            pytest.fail(f"the websocket never appeared in the access log\n{deployment.diagnostics()}")
        time.sleep(0.2)
    mine = [line for line in _access_lines(deployment) if line["route"] == route]
    websocket = [line for line in mine if line["path"] == "/_stcore/stream"]
    where = "\n".join(map(str, mine)) + "\n" + deployment.diagnostics()
    assert websocket and all(line["status"] == "101" for line in websocket), where  # upgraded through nginx
    # With its cookie a browser stays on one replica (a websocket that reconnects finds its session).
    proxied = {line["upstream"] for line in mine if line["upstream"] != "-"}  # "-": /app/static/ from disk
    assert len(proxied) == 1, where


PAGES_WITH_MAPS_AND_CHARTS = {
    "/?level=ward": 1, "/district?district=E07000105": 1, "/compare?ward=E05005093,E05005010": 1,
    "/gap?district=E07000112": 1, "/data": 0, "/about": 0,
}


def test_every_page_draws_under_the_full_content_security_policy(deployment, browser_page, wait_for_map):
    """The CSP (default-src 'self' and the rest) blocks nothing the app needs: every map draws, no violation."""
    page = browser_page
    for path, maps in PAGES_WITH_MAPS_AND_CHARTS.items():
        page.console_errors.clear()
        response = page.goto(deployment.proxy_url + path)
        assert response.headers["content-security-policy"] == deployment.csp
        page.locator('[data-testid="stApp"]').wait_for()
        for index in range(maps):
            assert wait_for_map(page, index, timeout=MAP_TIMEOUT_MS) > 0, path
        page.get_by_text("Sources and licences").first.wait_for()
        page.wait_for_timeout(500)
        violations = [m for m in page.console_errors if "Content Security Policy" in m or "Refused to" in m]
        assert violations == [], (path, violations)
        assert page.locator('[data-testid="stException"]').count() == 0, path


def test_an_allowed_origin_frames_the_app_and_another_origin_is_refused(deployment, chromium_browser, wait_for_map):
    app_url = deployment.proxy_url + EMBED_PATH

    # Allowed origin: the embed loads in the frame and its map draws (12 districts).
    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(deployment.allowed_origin + "/")
        frame = page.locator("#kle").element_handle().content_frame()
        frame.wait_for_url(lambda url: url.startswith(app_url))  # the page then pins its release in the address
        assert wait_for_map(frame, timeout=MAP_TIMEOUT_MS) == 12, deployment.diagnostics()  # a Frame has .locator like a Page
        assert frame.title().endswith("Kent Locality Explorer")  # each view titles itself "<view> – Kent Locality Explorer"
        assert frame.get_by_role("link", name="Open the full Kent Locality Explorer (new tab)").count() == 1
    finally:
        context.close()

    # Refused origin: the same snippet. The response arrives (200, with the CSP) and Chromium blocks it.
    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        websockets = []
        page.on("websocket", lambda ws: websockets.append(ws.url))
        refusal = lambda message: "frame-ancestors" in message.text  # noqa: E731
        with page.expect_response(app_url) as response_info, page.expect_console_message(refusal) as message_info:
            page.goto(deployment.refused_origin + "/")
        response = response_info.value
        assert response.status == 200 and response.headers["content-security-policy"] == deployment.csp
        message = message_info.value.text
        assert message.startswith(f"Framing '{deployment.proxy_url}/' violates") and "blocked" in message, message
        frame = page.locator("#kle").element_handle().content_frame()
        assert frame is not None and frame.url.startswith("chrome-error://"), frame and frame.url
        assert frame.locator('[data-testid="stApp"]').count() == 0
        assert frame.title() != "Kent Locality Explorer"
        assert websockets == []  # the app never started a session
    finally:
        context.close()
