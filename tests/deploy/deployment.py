"""Start the deployment in deploy/ for a test: replicas (deploy/run_app.sh) behind nginx (deploy/run_proxy.sh).

Everything binds to 127.0.0.1 on free ports; logs go to the run directory. Used by the hardening tests and
by tests/deploy/origin_probe.py (which runs inside a network namespace the test makes).
"""
from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file, for failure messages."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) or "(empty)"
    except OSError:
        return "(missing)"


@dataclass
class Deployment:
    proxy_url: str
    run_dir: Path
    replicas: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def access_log(self) -> Path:
        return self.run_dir / "logs" / "access.log"

    def diagnostics(self) -> str:
        """The tails of nginx's and the replicas' logs."""
        paths = [self.run_dir / "logs" / "error.log", self.access_log, *self.logs]
        return "\n".join(f"--- {p.name}:\n{tail(p)}" for p in paths)


def wait_healthy(url: str, process: subprocess.Popen, what: str, diagnostics, timeout: float = START_TIMEOUT_S) -> None:
    """Return once url/_stcore/health answers 200; raise with diagnostics if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}\n{diagnostics()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not healthy at {url} after {timeout:.0f}s\n{diagnostics()}")
        time.sleep(0.2)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@contextlib.contextmanager
def running(run_dir: Path, database: Path, replicas: int = 1, proxy_args: tuple[str, ...] = (),
            env: dict[str, str] | None = None):
    """Replicas and nginx as a deployer runs them; yields a Deployment; stops them all on exit."""
    run_dir = Path(run_dir)
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, "PYTHON": sys.executable, "PYTHONUNBUFFERED": "1", "KENT_DB_PATH": str(database),
                **(env or {})}
    proxy_port = free_port()
    deployment = Deployment(proxy_url=f"http://127.0.0.1:{proxy_port}", run_dir=run_dir)
    processes: list[subprocess.Popen] = []
    try:
        for _ in range(replicas):
            port = free_port()
            log_path = run_dir / f"replica-{port}.log"
            deployment.logs.append(log_path)
            with open(log_path, "w", encoding="utf-8") as log:
                process = subprocess.Popen(["bash", "deploy/run_app.sh", str(port)], cwd=ROOT, env=base_env,
                                           stdout=log, stderr=subprocess.STDOUT)
            processes.append(process)
            deployment.replicas.append((f"http://127.0.0.1:{port}", process))
        for url, process in deployment.replicas:
            wait_healthy(url, process, f"replica {url}", deployment.diagnostics)
        upstreams = [a for url, _ in deployment.replicas for a in ("--upstream", url.removeprefix("http://"))]
        proxy_log = run_dir / "run_proxy.log"
        deployment.logs.append(proxy_log)
        with open(proxy_log, "w", encoding="utf-8") as log:
            nginx = subprocess.Popen(["bash", "deploy/run_proxy.sh", *upstreams, *proxy_args], cwd=ROOT,
                                     env={**base_env, "KLE_RUN_DIR": str(run_dir), "KLE_LISTEN": f"127.0.0.1:{proxy_port}"},
                                     stdout=log, stderr=subprocess.STDOUT)
        processes.insert(0, nginx)  # stopped first
        wait_healthy(deployment.proxy_url, nginx, "nginx", deployment.diagnostics)
        yield deployment
    finally:
        _stop(processes)


class _HostPageHandler(http.server.BaseHTTPRequestHandler):
    """Serves its server's `html` on every path (a council page that frames the app or an embed)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = self.server.html
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@dataclass
class HostPage:
    """A page on another site: 127.0.0.1 on its own port, addressed as localhost (another origin than the app's)."""

    server: http.server.ThreadingHTTPServer

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.server.server_address[1]}"

    def serve(self, body: str, title: str = "A council page") -> str:
        """Serve body inside a small English page; its URL (the same bytes on every path)."""
        self.server.html = (f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>'
                            f'</head><body><h1>{title}</h1>{body}</body></html>').encode()
        return self.origin + "/"


@contextlib.contextmanager
def host_pages(count: int = 1):
    """`count` HostPages (e.g. an origin the proxy allows to frame the app and one it refuses); stopped on exit."""
    servers = []
    try:
        for _ in range(count):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostPageHandler)
            server.html = b""
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        yield [HostPage(server) for server in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")
