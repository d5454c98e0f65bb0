"""/gap is not a CPU lever (issue 13, finding 5): twelve sessions churning seeds cost another visitor's
district page no more than the same twelve sessions viewing /gap at one seed, within 1.5x (medians, both
measured in this run, interleaved), and the figures against the page alone are printed.

Why not against the page alone: on 2 shared cores, twelve sessions rendering any page (about 0.7 s of
server time each) slow every other page several times over, seeds or not; what the seed lever added on
top was the rank-stability run each new seed cost, and that is what this measures.

Before: any of 2^32 seeds was accepted and each new one cost a full rank-stability run (about 0.5 s of
CPU) in the cache every query shares. Now a URL may pin only the default seed or one of a short list
(others fall back to the default, with a warning), gap results have their own bounded cache, and they
are computed one at a time. The churners pace themselves (a new seed every few seconds each, twelve at
once) and the run is bounded in time; all traffic is to a server on 127.0.0.1 started here.
"""
from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.protocol_load import page_script_run
from geo.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy"))
from deployment import free_port, wait_healthy  # noqa: E402
from tests.event_loop import run_coroutine

CHURNERS = 12
PACE_S = 3.0
SAMPLES = 3
ROUNDS = 2
TIME_LIMIT_S = 420
DISTRICT = ("district", "district=E07000114")


async def _district_times(url: str, n: int) -> list[float]:
    return [(await page_script_run(url, *DISTRICT))[0] for _ in range(n)]


async def _churner(url: str, stop: asyncio.Event, seed, errors: list[str]) -> int:
    runs = 0
    while not stop.is_set():
        try:
            await page_script_run(url, "gap", f"seed={seed()}")
        except Exception as error:  # noqa: BLE001 - counted, and the test fails on any
            errors.append(f"{type(error).__name__}: {error}")
        runs += 1
        try:
            await asyncio.wait_for(stop.wait(), PACE_S)
        except asyncio.TimeoutError:
            pass
    return runs


async def _measure(url: str) -> dict:
    await _district_times(url, 2)  # warm
    figures = {"alone": await _district_times(url, SAMPLES), "one seed": [], "churning seeds": [],
               "churn_runs": 0, "errors": []}
    rngs = [random.Random(n) for n in range(CHURNERS)]
    seeds = {"one seed": lambda rng: 2026, "churning seeds": lambda rng: rng.randint(0, 2**32 - 1)}
    for _ in range(ROUNDS):  # interleaved, so a change in the machine's load hits both alike
        for condition, seed in seeds.items():
            stop = asyncio.Event()
            churners = [asyncio.create_task(_churner(url, stop, lambda r=rng: seed(r), figures["errors"]))
                        for rng in rngs]
            await asyncio.sleep(PACE_S)  # the churn under way
            figures[condition] += await _district_times(url, SAMPLES)
            stop.set()
            figures["churn_runs"] += sum(await asyncio.gather(*churners))
    return figures


OVERLOADED = os.getloadavg()[0] / (os.cpu_count() or 1) > 6


@pytest.mark.skipif(OVERLOADED, reason="machine already overloaded by other work (load per core > 6): a timing ratio "
                                       "would measure that, not the app")
def test_seed_churn_from_twelve_sessions_leaves_the_district_page_within_1_5x(built_database, tmp_path):
    port = free_port()
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true"],
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "KENT_DB_PATH": str(built_database)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server, "streamlit", lambda: log_path.read_text())
        started = time.monotonic()
        figures = run_coroutine(asyncio.wait_for(_measure(url), TIME_LIMIT_S))
    finally:
        server.terminate()
        server.wait(timeout=30)
    alone, one_seed, churning = (statistics.median(figures[k]) for k in ("alone", "one seed", "churning seeds"))
    print(f"/district alone: median {alone:.2f} s; with {CHURNERS} sessions on /gap at one seed: {one_seed:.2f} s "
          f"({one_seed / alone:.2f}x alone); churning seeds: {churning:.2f} s ({churning / alone:.2f}x alone, "
          f"{churning / one_seed:.2f}x one seed); {figures['churn_runs']} /gap runs; "
          f"{time.monotonic() - started:.0f} s; load average {os.getloadavg()[0]:.1f}; {figures}")
    assert figures["errors"] == [], figures["errors"][:3]
    assert figures["churn_runs"] >= 2 * CHURNERS
    assert churning / one_seed <= 1.5, figures
