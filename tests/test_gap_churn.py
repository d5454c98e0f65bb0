"""/gap is not a CPU lever (issue 13, finding 5): twelve sessions pulling it as hard as a URL allows leave another
visitor's district page within 1.5x of its unloaded time, as the issue words it: the gate is "new results"
against "alone", the page with no churn at all.

What a URL can ask for: weights 0-10 each and a seed that is the default or 1-20 (any other falls back to the
default, with a warning), so 21 x 1,331 results at most. Each new one is one rank-stability run (0.1-0.8 s of
CPU), computed one at a time in a worker process of its own at nice 19 (geo/explorer/worker.py, through
geo.explorer.db.GAP_POOL, tested in tests/test_gap_worker.py): the gap maths never holds the server's CPU or
interpreter, and on a busy machine it waits, so only the churners slow down. Before: any of 2^32 seeds, each run
in the session's own thread in the server process; then (seeds restricted, one at a time, still in the server)
the district page measured 1.27x the one view but 1.66x alone on 2 cores at load 8.4, so this gate failed there.

The measure: the district page's server time (Streamlit's websocket protocol: connect -> run finished) on a
server started as deploy/run_app.sh starts a replica (SERVED_AS_DEPLOYED: no file watcher, which costs every page
load about 0.2 s of server CPU), loaded one after another for WINDOW_S (two churn waves) and at least SAMPLES times
per condition and round, the median per condition, in two conditions interleaved in ROUNDS rounds (order
swapped each round) so the machine's own load hits each alike:
  alone           - no other session: the unloaded time, the gate's baseline;
  new results     - twelve sessions, every request a combination not asked for before (random allowed seed and
                    weights): the most a client can make the server compute. Gated: <= 1.5x alone.
The old lever, random seeds from 0..2^32-1, now falls back to the default (tests/test_gap.py): one view, every
request a cache hit after the first. That was a third condition here, printed as context (0.97-1.02x alone in every
run), until it was dropped for the suite's time (issue 10: 27 of the test's 88 s at load 1.5).
On 2 shared cores at load 8-13 (medians of 9 then), new results measured 0.76-1.81x alone in six runs with the
worker (median 1.24x) and 0.99-2.05x in three runs of the code before it, alternated with them (median 1.77x).
Sampling for WINDOW_S (medians of 130-250): 1.02x, 0.97x, 1.16x and 1.00x alone at load 3-9; then alternated with
the code before the worker at load 4-7, 1.05x and 1.05x against 1.49x and 1.42x.
Then a clean-clone CI run at load 1.3 measured 1.74x alone: the worker, busy most of the time (105 new results),
slowed the server even at nice 19 (a nice-19 loop alone made the page 2x slower). Since then the worker rests 3x each
result's time before the next (geo.explorer.db.GAP_REST_FACTOR): 1.10x alone at load 1.1, 73 new results.
Never skipped: a busy machine slows every condition alike. Bounded: churners pace themselves (a
request every PACE_S each), up to ROUNDS rounds, none started after ROUND_BUDGET_S, the whole measure cut off at
TIME_LIMIT_S; all traffic is to a server on 127.0.0.1 started here.
"""
from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time

import pytest

from bench.protocol_load import page_script_run
from geo.config import REPO_ROOT
from geo.explorer.state import GAP_SEEDS

sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy"))
from deployment import free_port, wait_healthy  # noqa: E402
from tests.event_loop import run_coroutine

pytestmark = pytest.mark.serial  # a timing gate: measured with no other test running

CHURNERS = 12
PACE_S = 3.0
SAMPLES = 9  # district page loads per condition per round, at least
WINDOW_S = 2 * PACE_S  # and for at least this long: each churner's next two requests fall inside the samples
ROUNDS = 3
ROUND_BUDGET_S = 300  # no new round starts after this (at least one round always runs)
TIME_LIMIT_S = 600  # the measure is cut off here
DISTRICT = ("district", "district=E07000114")
ONE_VIEW = "preset=transport_led"  # a /gap view, loaded once to warm the server
# A replica as deploy/run_app.sh starts it: without a file watcher. Streamlit's watcher (a development aid) walks the
# path of every loaded module after every script run, about 0.2 s of server CPU per page load, more than a page.
SERVED_AS_DEPLOYED = ("--server.fileWatcherType", "none", "--server.runOnSave", "false")


async def _district_times(url: str, n: int, window_s: float = 0.0) -> list[float]:
    """The district page's server time, one load after another: n of them, and for at least window_s."""
    times, started = [], time.monotonic()
    while len(times) < n or time.monotonic() - started < window_s:
        times.append((await page_script_run(url, *DISTRICT))[0])
    return times


async def _churner(url: str, stop: asyncio.Event, query, errors: list[str]) -> int:
    runs = 0
    while not stop.is_set():
        try:
            await page_script_run(url, "gap", query())
        except Exception as error:  # noqa: BLE001 - counted, and the test fails on any
            errors.append(f"{type(error).__name__}: {error}")
        runs += 1
        try:
            await asyncio.wait_for(stop.wait(), PACE_S)
        except asyncio.TimeoutError:
            pass
    return runs


def _new_results():
    """Queries for never-repeated allowed (weights, seed) combinations, shared by all churners."""
    combinations = [(b, t, s, seed) for b in range(1, 11) for t in range(1, 11) for s in range(1, 11)
                    for seed in GAP_SEEDS]
    random.Random(13).shuffle(combinations)
    pending = iter(combinations)

    def query(_rng) -> str:
        b, t, s, seed = next(pending)
        return f"preset=custom&w_broadband={b}&w_transport={t}&w_services={s}&seed={seed}"
    return query


async def _measure(url: str) -> dict:
    await page_script_run(url, "gap", ONE_VIEW)
    await _district_times(url, 2)  # warm
    conditions = {"alone": None, "new results": _new_results()}
    figures = {**{c: [] for c in conditions}, "churn_runs": {}, "errors": []}
    rngs = [random.Random(n) for n in range(CHURNERS)]
    names = list(conditions)
    started = time.monotonic()
    for round_number in range(ROUNDS):
        if round_number and time.monotonic() - started > ROUND_BUDGET_S:  # a slow machine: fewer rounds, not a failure
            break
        for condition in names[round_number % len(names):] + names[:round_number % len(names)]:
            query = conditions[condition]
            if query is None:  # the page alone, interleaved with the others: the gate's baseline
                figures[condition] += await _district_times(url, SAMPLES, WINDOW_S)
                continue
            stop = asyncio.Event()
            churners = [asyncio.create_task(_churner(url, stop, lambda r=rng, q=query: q(r), figures["errors"]))
                        for rng in rngs]
            await asyncio.sleep(PACE_S)  # the churn under way
            figures[condition] += await _district_times(url, SAMPLES, WINDOW_S)
            stop.set()
            figures["churn_runs"][condition] = figures["churn_runs"].get(condition, 0) + sum(await asyncio.gather(*churners))
    return figures


@pytest.mark.timeout(TIME_LIMIT_S + 480)  # the measure, plus the session's database build and a server start
def test_gap_churn_from_twelve_sessions_leaves_the_district_page_within_1_5x(built_database, tmp_path):
    port = free_port()
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   *SERVED_AS_DEPLOYED],
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
    load = os.getloadavg()
    median = {c: statistics.median(figures[c]) for c in ("alone", "new results")}
    print(f"/district server time, medians of {', '.join(str(len(figures[c])) for c in median)} loads, interleaved rounds: "
          + "; ".join(f"{c} {v:.3f} s ({v / median['alone']:.2f}x alone)" for c, v in median.items())
          + f"; /gap runs per condition {figures['churn_runs']}; {time.monotonic() - started:.0f} s; "
            f"load average {load[0]:.1f} {load[1]:.1f} on {os.cpu_count()} cores; "
            f"quartiles {({c: [round(q, 3) for q in statistics.quantiles(figures[c])] for c in median})}")
    assert figures["errors"] == [], figures["errors"][:3]
    assert min(figures["churn_runs"].values()) >= 2 * CHURNERS  # every condition really churned
    assert median["new results"] / median["alone"] <= 1.5, median
