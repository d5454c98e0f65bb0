"""/gap as a CPU lever (issue 13, finding 5): another visitor's district page while twelve sessions pull /gap as
hard as a URL allows.

What a URL can ask for: weights 0-10 each and a seed that is the default or 1-20 (any other falls back to the
default, with a warning), so 21 x 1,331 results at most. Each new one is one rank-stability run (0.1-0.8 s of CPU),
computed one at a time in a worker process of its own at nice 19 that rests after each result
(geo/explorer/worker.py, through geo.explorer.db.GAP_POOL), so the gap maths never holds the server's interpreter.

The measure: the district page's server time (Streamlit's websocket protocol: connect -> run finished), loaded one
after another for WINDOW_S (two churn waves) and at least SAMPLES times per condition and round, in two conditions
interleaved in rounds (order swapped each round) so the machine's own load hits each alike:
  alone        - no other session: the unloaded time, the baseline;
  new results  - twelve sessions, every request a combination not asked for before (random allowed seed and
                 weights): the most a client can make the server compute. Issue 13's goal: <= 1.5x alone.
Churners pace themselves (a request every PACE_S each); no round starts after ROUND_BUDGET_S. All traffic goes to
the server given, on this machine. History of the figure (it moved 0.76-1.81x between runs of the same code on
2 shared cores, which is why it is a benchmark and not a test): bench/README.md.
"""
from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

from bench.protocol_load import page_script_run
from geo.explorer.state import GAP_SEEDS

CHURNERS = 12
PACE_S = 3.0
SAMPLES = 9  # district page loads per condition per round, at least
WINDOW_S = 2 * PACE_S  # and for at least this long: each churner's next two requests fall inside the samples
ROUNDS = 3
ROUND_BUDGET_S = 300  # no new round starts after this (at least one round always runs)
DISTRICT = ("district", "district=E07000114")
ONE_VIEW = "preset=transport_led"  # a /gap view, loaded once to warm the server
# A replica as deploy/run_app.sh starts it: without a file watcher. Streamlit's watcher (a development aid) walks the
# path of every loaded module after every script run, about 0.2 s of server CPU per page load, more than a page.
SERVED_AS_DEPLOYED = ("--server.fileWatcherType", "none", "--server.runOnSave", "false")
WORKER_MODULE = b"geo.explorer.worker"


async def _district_times(url: str, n: int, window_s: float = 0.0) -> list[float]:
    """The district page's server time, one load after another: n of them, and for at least window_s."""
    times, started = [], time.monotonic()
    while len(times) < n or time.monotonic() - started < window_s:
        times.append((await page_script_run(url, *DISTRICT))[0])
    return times


async def _churner(url: str, stop: asyncio.Event, query, errors: list[str]) -> int:
    """Ask /gap for query() every PACE_S until stopped; the number of runs (errors are collected, not raised)."""
    runs = 0
    while not stop.is_set():
        try:
            await page_script_run(url, "gap", query())
        except Exception as error:  # noqa: BLE001 - counted; the caller reports every one
            errors.append(f"{type(error).__name__}: {error}")
        runs += 1
        try:
            await asyncio.wait_for(stop.wait(), PACE_S)
        except asyncio.TimeoutError:
            pass
    return runs


def new_results():
    """A query for a never-repeated allowed (weights, seed) combination at each call, shared by all churners."""
    combinations = [(b, t, s, seed) for b in range(1, 11) for t in range(1, 11) for s in range(1, 11)
                    for seed in GAP_SEEDS]
    random.Random(13).shuffle(combinations)
    pending = iter(combinations)

    def query() -> str:
        b, t, s, seed = next(pending)
        return f"preset=custom&w_broadband={b}&w_transport={t}&w_services={s}&seed={seed}"
    return query


async def measure(url: str, rounds: int = ROUNDS, samples: int = SAMPLES) -> dict:
    """{"alone": [s], "new results": [s], "churn_runs": {condition: n}, "errors": [...]}, rounds interleaved."""
    await page_script_run(url, "gap", ONE_VIEW)
    await _district_times(url, 2)  # warm
    conditions = {"alone": None, "new results": new_results()}
    figures = {**{c: [] for c in conditions}, "churn_runs": {}, "errors": []}
    names = list(conditions)
    started = time.monotonic()
    for round_number in range(rounds):
        if round_number and time.monotonic() - started > ROUND_BUDGET_S:  # a slow machine: fewer rounds
            break
        for condition in names[round_number % len(names):] + names[:round_number % len(names)]:
            query = conditions[condition]
            if query is None:  # the page alone, interleaved with the others: the baseline
                figures[condition] += await _district_times(url, samples, WINDOW_S)
                continue
            stop = asyncio.Event()
            churners = [asyncio.create_task(_churner(url, stop, query, figures["errors"])) for _ in range(CHURNERS)]
            await asyncio.sleep(PACE_S)  # the churn under way
            figures[condition] += await _district_times(url, samples, WINDOW_S)
            stop.set()
            figures["churn_runs"][condition] = figures["churn_runs"].get(condition, 0) + sum(await asyncio.gather(*churners))
    return figures


def worker_pid(server_pid: int) -> int | None:
    """The pid of the server's gap worker (`python -m geo.explorer.worker`), if it has started one."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if parent == server_pid and WORKER_MODULE in command:
            return int(proc.name)
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def niceness(pid: int) -> int:
    """A process's nice value (Linux /proc)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
