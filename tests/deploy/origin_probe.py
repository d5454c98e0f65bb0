"""Run inside a network namespace the test made: one replica behind nginx; health latency alone and during
20 websocket handshakes with a foreign Origin. Prints one JSON line.

The namespace has only loopback, and its default route points into loopback, so an outbound connection
(Streamlit's external-IP look-up) hangs until its timeout and nothing leaves the machine.

    python tests/deploy/origin_probe.py RUN_DIR DATABASE
"""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deployment import running  # noqa: E402

HANDSHAKES = 20
HEALTH_SAMPLES = 10
TIME_LIMIT_S = 60


def _health_seconds(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=TIME_LIMIT_S) as response:
        response.read()
    return time.perf_counter() - started


async def _handshake(host: str, port: int) -> str:
    """One websocket upgrade with a foreign Origin; the status line nginx (or Streamlit) answers."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
                  "Origin: http://attacker.example\r\n\r\n").encode())
    await writer.drain()
    try:
        status = (await asyncio.wait_for(reader.readline(), TIME_LIMIT_S)).decode().strip()
    finally:
        writer.close()
    return status


async def _during_handshakes(url: str) -> tuple[list[float], list[str]]:
    host, port = url.removeprefix("http://").split(":")
    handshakes = [asyncio.create_task(_handshake(host, int(port))) for _ in range(HANDSHAKES)]
    await asyncio.sleep(0.2)
    latencies = []
    for _ in range(HEALTH_SAMPLES):
        latencies.append(await asyncio.to_thread(_health_seconds, url))
    statuses = await asyncio.wait_for(asyncio.gather(*handshakes, return_exceptions=True), TIME_LIMIT_S)
    return latencies, [s if isinstance(s, str) else f"{type(s).__name__}" for s in statuses]


def main() -> int:
    run_dir, database = Path(sys.argv[1]), Path(sys.argv[2])
    with running(run_dir, database) as deployment:
        url = deployment.proxy_url
        for _ in range(3):
            _health_seconds(url)  # warm
        alone = [_health_seconds(url) for _ in range(HEALTH_SAMPLES)]
        during, statuses = asyncio.run(_during_handshakes(url))
        print(json.dumps({"alone": alone, "during": during, "statuses": statuses,
                          "alone_median": statistics.median(alone), "during_median": statistics.median(during),
                          "during_max": max(during)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
