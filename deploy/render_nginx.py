"""Render the nginx configuration for the Kent Locality Explorer from deploy/nginx/*.in.

Standard library only, so a deployer can run it with any python3::

    python3 deploy/render_nginx.py --out deploy/run \\
        --listen 127.0.0.1:8080 --upstream 127.0.0.1:8501 --upstream 127.0.0.1:8502 \\
        --frame-ancestor https://www.kent.gov.uk

writes, in --out:

- ``nginx.conf``            a complete, non-root nginx configuration: pid, logs and temp files under --out
- ``kent-explorer.conf``    the http-level part (upstream, gzip, locations); a system nginx can include it alone
- ``kent-explorer-headers.conf``  the security headers, included at server level and in every location
- ``kent-explorer-embed.conf``  the light embed's location (/embed/, from disk, with its own strict CSP)
- ``route-secret``          the secret the routing cookie is hashed with (made once, kept across renders)
- ``logs/`` and ``tmp/``    for the non-root configuration

Every option has an environment fallback (KLE_LISTEN, KLE_UPSTREAMS, KLE_FRAME_ANCESTORS, KLE_SERVER_NAME,
KLE_SECURE_COOKIE, KLE_STATIC_DIR, KLE_WEBSOCKETS_PER_ADDRESS, KLE_ROUTE_SECRET), so deploy/run_proxy.sh can
be configured from a systemd unit or a shell. Origins are checked strictly (scheme://host[:port], nothing
else) because they are written into the configuration.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "nginx"
DEFAULT_FRAME_ANCESTORS = ("https://www.kent.gov.uk",)
DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_UPSTREAMS = ("127.0.0.1:8501",)
DEFAULT_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DEFAULT_WEBSOCKETS_PER_ADDRESS = 100  # open tabs behind one address (an office NAT); a flood meets it first
WORKER_CONNECTIONS = 8192  # per worker; each proxied websocket holds two
# Everything the app's pages, maps (Leaflet in the page, pages/components.py) and charts need, and nothing
# from another host: a name carrying ![x](http://elsewhere/x.png) cannot make the browser fetch it.
# Scripts: blob: for the map component's module (Streamlit loads an st.components.v2 component's inline JavaScript
# from a blob: URL), 'unsafe-eval' for the folium map's generated script that it runs, 'unsafe-inline' for the
# page's own small script (pages/components.py A11Y_SCRIPT).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
                           "connect-src 'self'; frame-src 'self' blob: data:; worker-src 'self' blob:; "
                           "media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'")
# The light embed pages (/embed/, geo/explorer/embed.py): nothing but their own script, style sheet and postcode files.
# The same policy is in each page's <meta> tag (geo.explorer.embed.CSP; a test keeps the two equal), plus frame-ancestors.
EMBED_CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                 "connect-src 'self'; form-action 'self'; base-uri 'none'")
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
# An origin as CSP source expressions name it: scheme, host (optionally *.wildcard), optional port. No path,
# quotes, spaces or semicolons, so nothing can break out of the header or the nginx string.
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")
HOST_PORT = re.compile(r"^(\[[0-9a-f:]+\]|[a-z0-9.-]+):\d{1,5}$")
LISTEN = re.compile(r"^((\[[0-9a-f:]+\]|[a-z0-9.-]+):)?\d{1,5}$")
SERVER_NAME = re.compile(r"^[A-Za-z0-9_.*-]+( [A-Za-z0-9_.*-]+)*$")
SAFE_PATH = re.compile(r'^/[^"\\;{}$\s]*$')  # written inside an nginx string: no quote, brace, $ or space
ROUTE_SECRET = re.compile(r"^[0-9a-f]{32,128}$")


class ConfigError(ValueError):
    """A setting that cannot go into the configuration."""


@dataclass
class ProxySettings:
    listen: str = DEFAULT_LISTEN
    upstreams: tuple[str, ...] = DEFAULT_UPSTREAMS
    frame_ancestors: tuple[str, ...] = DEFAULT_FRAME_ANCESTORS
    server_name: str = "_"
    secure_cookie: bool = False
    static_dir: Path = DEFAULT_STATIC_DIR
    websockets_per_address: int = DEFAULT_WEBSOCKETS_PER_ADDRESS
    route_secret: str | None = None  # None: read <out>/route-secret, or make one there

    def validate(self) -> None:
        if not LISTEN.match(self.listen.lower()):
            raise ConfigError(f"listen {self.listen!r}: expected PORT or HOST:PORT")
        if not self.upstreams:
            raise ConfigError("at least one upstream (a Streamlit replica, HOST:PORT) is needed")
        for upstream in self.upstreams:
            if not HOST_PORT.match(upstream.lower()):
                raise ConfigError(f"upstream {upstream!r}: expected HOST:PORT, e.g. 127.0.0.1:8501")
        for origin in self.frame_ancestors:
            if not ORIGIN.match(origin.lower()):
                raise ConfigError(f"frame ancestor {origin!r}: expected an origin such as https://www.kent.gov.uk "
                                  "(scheme://host[:port], no path)")
        if not SERVER_NAME.match(self.server_name):
            raise ConfigError(f"server name {self.server_name!r}: expected host names separated by spaces")
        if not SAFE_PATH.match(str(Path(self.static_dir).resolve())):
            raise ConfigError(f"static dir {self.static_dir!r}: an absolute path without quotes, braces, $ or spaces")
        if not 1 <= self.websockets_per_address <= WORKER_CONNECTIONS // 4:
            raise ConfigError(f"websockets per address {self.websockets_per_address}: expected 1 to {WORKER_CONNECTIONS // 4}")
        if self.route_secret is not None and not ROUTE_SECRET.match(self.route_secret):
            raise ConfigError("route secret: expected 32 to 128 lowercase hex digits")

    @property
    def content_security_policy(self) -> str:
        """The full policy: what the app needs from itself, and who may frame it."""
        return f"{CONTENT_SECURITY_POLICY}; frame-ancestors {self.csp_frame_ancestors}"

    @property
    def embed_content_security_policy(self) -> str:
        """The light embed's strict policy, and who may frame it."""
        return f"{EMBED_CONTENT_SECURITY_POLICY}; frame-ancestors {self.csp_frame_ancestors}"

    @property
    def csp_frame_ancestors(self) -> str:
        """The frame-ancestors source list: the app itself, then the configured origins."""
        return " ".join(["'self'", *dict.fromkeys(o.lower() for o in self.frame_ancestors)])


def _fill(template: str, values: dict[str, str], name: str) -> str:
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise ConfigError(f"{name}: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _route_secret(settings: ProxySettings, out: Path) -> str:
    """The configured secret, else the one kept in <out>/route-secret (made on the first render, mode 0600)."""
    if settings.route_secret:
        return settings.route_secret
    path = out / "route-secret"
    if path.exists():
        kept = path.read_text(encoding="ascii").strip()
        if ROUTE_SECRET.match(kept):
            return kept
    made = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(made + "\n", encoding="ascii")
    return made


def render(settings: ProxySettings, out: Path) -> dict[str, Path]:
    """Write the configuration files into ``out`` (created with logs/ and tmp/); return them by name."""
    settings.validate()
    out = Path(out).resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "tmp").mkdir(parents=True, exist_ok=True)
    files = {
        "nginx.conf": out / "nginx.conf",
        "kent-explorer.conf": out / "kent-explorer.conf",
        "kent-explorer-headers.conf": out / "kent-explorer-headers.conf",
        "kent-explorer-embed.conf": out / "kent-explorer-embed.conf",
    }
    values = {
        "RUN_DIR": str(out),
        "LISTEN": settings.listen,
        "SERVER_NAME": settings.server_name,
        "UPSTREAM_SERVERS": "\n".join(f"    server {u} max_fails=3 fail_timeout=10s;" for u in settings.upstreams),
        "CONTENT_SECURITY_POLICY": settings.content_security_policy,
        "HEADERS_FILE": str(files["kent-explorer-headers.conf"]),
        "EMBED_FILE": str(files["kent-explorer-embed.conf"]),
        "EMBED_CONTENT_SECURITY_POLICY": settings.embed_content_security_policy,
        "COOKIE_SECURE": "; Secure" if settings.secure_cookie else "",
        "STATIC_DIR": str(Path(settings.static_dir).resolve()),
        "ROUTE_SECRET": _route_secret(settings, out),
        "WEBSOCKETS_PER_ADDRESS": str(settings.websockets_per_address),
        "REQUESTS_PER_ADDRESS": str(2 * settings.websockets_per_address),
        "WORKER_CONNECTIONS": str(WORKER_CONNECTIONS),
        "WORKER_RLIMIT_NOFILE": str(2 * WORKER_CONNECTIONS + 1024),
    }
    for target, template in (("nginx.conf", "nginx.conf.in"), ("kent-explorer.conf", "kent-explorer.conf.in"),
                             ("kent-explorer-headers.conf", "headers.conf.in"),
                             ("kent-explorer-embed.conf", "embed.conf.in")):
        text = (TEMPLATES / template).read_text(encoding="utf-8")
        files[target].touch(mode=0o600)  # kent-explorer.conf holds the route secret
        files[target].write_text(_fill(text, values, template), encoding="utf-8")
    return files


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in re.split(r"[\s,]+", value or "") if v)


def settings_from(argv: list[str] | None = None) -> tuple[ProxySettings, Path]:
    env = os.environ
    parser = argparse.ArgumentParser(prog="render_nginx.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(env.get("KLE_RUN_DIR", "deploy/run")),
                        help="directory for the rendered files, pid, logs and temp files (default deploy/run)")
    parser.add_argument("--listen", default=env.get("KLE_LISTEN", DEFAULT_LISTEN),
                        help=f"nginx listen address, PORT or HOST:PORT (default {DEFAULT_LISTEN})")
    parser.add_argument("--upstream", action="append", default=[],
                        help="a Streamlit replica HOST:PORT; repeat for several "
                             f"(default $KLE_UPSTREAMS or {' '.join(DEFAULT_UPSTREAMS)})")
    parser.add_argument("--frame-ancestor", action="append", default=[],
                        help="an origin allowed to embed the app in an iframe; repeat for several "
                             f"(default $KLE_FRAME_ANCESTORS or {' '.join(DEFAULT_FRAME_ANCESTORS)}); "
                             "the app's own origin ('self') is always allowed")
    parser.add_argument("--server-name", default=env.get("KLE_SERVER_NAME", "_"),
                        help="nginx server_name (default _ : any)")
    parser.add_argument("--secure-cookie", action="store_true",
                        default=env.get("KLE_SECURE_COOKIE", "").lower() in ("1", "true", "yes"),
                        help="mark the routing cookie Secure (use when the public URL is https)")
    parser.add_argument("--static-dir", type=Path, default=Path(env.get("KLE_STATIC_DIR") or DEFAULT_STATIC_DIR),
                        help="the app's static folder, served by nginx at /app/static/ (default the checkout's static/)")
    parser.add_argument("--websockets-per-address", type=int,
                        default=int(env.get("KLE_WEBSOCKETS_PER_ADDRESS") or DEFAULT_WEBSOCKETS_PER_ADDRESS),
                        help=f"open websockets (sessions) allowed per client address (default {DEFAULT_WEBSOCKETS_PER_ADDRESS})")
    a = parser.parse_args(argv)
    settings = ProxySettings(
        listen=a.listen,
        upstreams=tuple(a.upstream) or _split(env.get("KLE_UPSTREAMS")) or DEFAULT_UPSTREAMS,
        frame_ancestors=tuple(a.frame_ancestor) or _split(env.get("KLE_FRAME_ANCESTORS")) or DEFAULT_FRAME_ANCESTORS,
        server_name=a.server_name,
        secure_cookie=a.secure_cookie,
        static_dir=a.static_dir,
        websockets_per_address=a.websockets_per_address,
        route_secret=env.get("KLE_ROUTE_SECRET") or None,
    )
    return settings, a.out


def main(argv: list[str] | None = None) -> int:
    try:
        settings, out = settings_from(argv)
        files = render(settings, out)
    except ConfigError as error:
        print(f"render_nginx: {error}", file=sys.stderr)
        return 2
    print(f"rendered {files['nginx.conf']} (listen {settings.listen}; upstreams {' '.join(settings.upstreams)}; "
          f"frame-ancestors {settings.csp_frame_ancestors}; {settings.websockets_per_address} websockets per address)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
