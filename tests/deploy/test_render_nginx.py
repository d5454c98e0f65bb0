"""deploy/render_nginx.py: what it writes into the nginx configuration, and what it refuses to write."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
import render_nginx  # noqa: E402
from render_nginx import ConfigError, ProxySettings, render  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_renders_a_configuration_nginx_accepts(tmp_path):
    settings = ProxySettings(listen="127.0.0.1:18080", upstreams=("127.0.0.1:8501", "127.0.0.1:8502"),
                             frame_ancestors=("https://www.kent.gov.uk", "https://*.kent.gov.uk", "HTTPS://www.kent.gov.uk"),
                             secure_cookie=True)
    files = render(settings, tmp_path)
    headers = files["kent-explorer-headers.conf"].read_text()
    assert ('add_header Content-Security-Policy "default-src \'self\'; ' in headers
            and '; frame-ancestors \'self\' https://www.kent.gov.uk https://*.kent.gov.uk" always;' in headers)
    site = files["kent-explorer.conf"].read_text()
    assert "server 127.0.0.1:8501 " in site and "server 127.0.0.1:8502 " in site
    secret = (tmp_path / "route-secret").read_text().strip()
    assert f'hash "${{cookie_kle_route}}{secret}" consistent;' in site and "SameSite=Lax; Secure" in site
    assert "random two least_conn;" in site and "limit_conn kle_websockets_per_address 100;" in site
    assert oct(files["kent-explorer.conf"].stat().st_mode & 0o777) == "0o600"  # it holds the secret
    render(settings, tmp_path)
    assert (tmp_path / "route-secret").read_text().strip() == secret  # kept: routes survive a re-render
    assert "@" not in "".join(line.split("#")[0] for line in site.splitlines())  # every placeholder filled
    result = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-e", str(tmp_path / "logs" / "error.log"),
                             "-c", str(files["nginx.conf"])], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("origin", [
    "https://www.kent.gov.uk; script-src *",  # would add a directive to the header
    'https://www.kent.gov.uk" always; add_header X-Evil "1',  # would break out of the nginx string
    "https://www.kent.gov.uk/path",
    "'unsafe-inline'",
    "*",
    "www.kent.gov.uk",
])
def test_refuses_anything_but_a_plain_origin(tmp_path, origin):
    with pytest.raises(ConfigError, match="frame ancestor"):
        render(ProxySettings(frame_ancestors=(origin,)), tmp_path)
    assert not (tmp_path / "nginx.conf").exists()


@pytest.mark.parametrize("upstream", ["127.0.0.1", "127.0.0.1:8501;", "127.0.0.1:8501 backup"])
def test_refuses_a_bad_upstream(tmp_path, upstream):
    with pytest.raises(ConfigError, match="upstream"):
        render(ProxySettings(upstreams=(upstream,)), tmp_path)


def test_options_fall_back_to_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KLE_FRAME_ANCESTORS", "https://www.kent.gov.uk, http://localhost:9000")
    monkeypatch.setenv("KLE_UPSTREAMS", "127.0.0.1:8501 127.0.0.1:8502")
    settings, out = render_nginx.settings_from(["--out", str(tmp_path)])
    assert settings.frame_ancestors == ("https://www.kent.gov.uk", "http://localhost:9000")
    assert settings.upstreams == ("127.0.0.1:8501", "127.0.0.1:8502")
    assert render_nginx.main(["--out", str(tmp_path), "--frame-ancestor", "nope"]) == 2


@pytest.mark.parametrize("change, message", [
    ({"static_dir": Path('/srv/x"; alias /etc')}, "static dir"),
    ({"static_dir": Path("/srv/a b")}, "static dir"),
    ({"websockets_per_address": 0}, "websockets per address"),
    ({"websockets_per_address": 100_000}, "websockets per address"),
    ({"route_secret": "not-hex"}, "route secret"),
])
def test_refuses_bad_limits_paths_and_secrets(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        render(ProxySettings(**change), tmp_path)
