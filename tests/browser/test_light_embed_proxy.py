"""The light embed behind deploy/'s nginx: /embed/<area>/<layer_id> from disk, gzipped, with revalidation caching
(ETag / Last-Modified, 304), the strict CSP with frame-ancestors, drawn in Chromium, framed by an allowed origin
and refused to another. nginx is started exactly as a deployer starts it (deploy/run_proxy.sh); the pages need no
Streamlit replica, so the upstream is a port nobody listens on."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from geo import releases
from geo.explorer import embed
from geo.config import embed_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
sys.path.insert(0, str(ROOT / "tests" / "deploy"))
import render_nginx  # noqa: E402 - deploy/ is not a package
from deployment import host_pages  # noqa: E402

PAGE = "/embed/E07000114/imd_score"


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def proxy(built_database, tmp_path_factory, free_port):
    with host_pages(2) as (allowed, refused):  # an allowed and a refused framing origin
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        for host in (allowed, refused):
            host.serve(f'<iframe src="{url}{PAGE}" title="Map" width="900" height="900"></iframe>', title="Council")
        run_dir = tmp_path_factory.mktemp("embed-proxy")
        log = open(run_dir / "run_proxy.log", "w", encoding="utf-8")
        nginx = subprocess.Popen(["bash", "deploy/run_proxy.sh", "--upstream", f"127.0.0.1:{free_port()}",
                                  "--frame-ancestor", allowed.origin], cwd=ROOT,
                                 env={**os.environ, "KLE_RUN_DIR": str(run_dir), "KLE_LISTEN": f"127.0.0.1:{port}"},
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(150):  # bounded: up to 30 s for nginx to answer
                if nginx.poll() is not None:
                    pytest.fail(f"nginx exited: {(run_dir / 'run_proxy.log').read_text()}")
                try:
                    if _get(url + PAGE)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            else:
                pytest.fail("nginx did not serve the embed page")
            yield {"url": url, "allowed": allowed.origin, "refused": refused.origin}
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)
            log.close()


def test_embed_page_is_served_from_disk_gzipped_with_caching_and_a_strict_csp(proxy):
    status, headers, body = _get(proxy["url"] + PAGE, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert gzip.decompress(body) == (embed_dir() / "E07000114" / "imd_score.html").read_bytes()
    assert headers["Cache-Control"] == "public, max-age=300, must-revalidate"
    assert headers["ETag"] and headers["Last-Modified"]
    assert headers.get_all("Content-Security-Policy") == [
        f"{embed.CSP}; frame-ancestors 'self' {proxy['allowed']}"]
    assert render_nginx.EMBED_CONTENT_SECURITY_POLICY == embed.CSP  # the page's <meta> policy and nginx's agree
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert _get(proxy["url"] + PAGE, {"If-None-Match": headers["ETag"], "Accept-Encoding": "gzip"})[0] == 304
    assert _get(proxy["url"] + PAGE, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    for path, kind in (("/embed/embed.js", "application/javascript"), ("/embed/embed.css", "text/css"),
                       ("/embed/postcodes/CT9.json", "application/json")):
        status, headers, _ = _get(proxy["url"] + path, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Type"].startswith(kind), path
        assert headers["Content-Encoding"] == "gzip", path
    assert _get(proxy["url"] + "/embed/E07000114/no_such_layer")[0] == 404
    assert _get(proxy["url"] + "/embed/")[0] == 404  # no listing


def test_embed_draws_through_the_proxy_and_only_allowed_origins_frame_it(proxy, browser_page):
    page = browser_page
    page.goto(proxy["url"] + PAGE)
    expect(page.locator("svg.map [data-code]")).to_have_count(23)
    page.get_by_label("Find a postcode or place").fill("CT9 1AE")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status")).to_contain_text("Margate Central")
    explorer = page.get_by_role("link", name="Open this view in the full explorer").evaluate("a => a.href")
    target = urlsplit(explorer)
    assert f"{target.scheme}://{target.netloc}{target.path}" == proxy["url"] + "/district"
    linked = parse_qs(target.query)
    assert linked.pop("district") == ["E07000114"] and releases.is_release_id(linked.pop("release")[0]) and not linked
    assert page.console_errors == []  # no CSP violation
    assert all(u.startswith(proxy["url"]) for u in page.requested_urls)

    page.goto(proxy["allowed"])
    expect(page.frame_locator("iframe").locator("svg.map [data-code]")).to_have_count(23)
    page.goto(proxy["refused"])
    page.wait_for_timeout(1500)
    assert len(page.frames) == 2 and page.frames[1].locator("svg.map").count() == 0  # refused: frame-ancestors
