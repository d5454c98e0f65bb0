"""Concurrent sessions without browsers: Streamlit's own websocket protocol, to load the server alone.

Twenty headless Chromium pages on a 2-core machine measure the browsers as much as the server (each page
spends about a second of CPU booting Streamlit's frontend, which on a real user's machine is their own).
This client does what the frontend does on opening a page: connect to ``/_stcore/stream``, send a
``rerun_script`` BackMsg with the page name and query string, and read ForwardMsgs until the script run
finishes successfully. The time is connect -> complete page content sent (including a first run that
Streamlit ends early to rerun for the named page, which st.navigation does for a page opened by name).
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RUN_TIMEOUT_S = 180
_FINISHED_SUCCESSFULLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
_FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


@dataclass(frozen=True)
class SessionRun:
    """One new session's page: seconds from connecting, from the rerun request, runs and bytes received."""

    total_s: float  # connect -> page content sent (script finished successfully)
    script_s: float  # rerun request sent -> finished: the server's script time for a new session
    runs: int  # script runs the page took (2 when a first run ended early for a rerun)
    received_bytes: int


def _websocket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/_stcore/stream"


async def _run_page(websocket, page_name: str, query_string: str, started: float) -> SessionRun:
    """Ask an open session for a page and read until its script run finished successfully."""
    request = BackMsg()
    request.rerun_script.page_name = page_name
    request.rerun_script.query_string = query_string
    sent = time.perf_counter()
    await websocket.send(request.SerializeToString())
    received, runs = 0, 0
    async with asyncio.timeout(RUN_TIMEOUT_S):
        while True:
            frame = await websocket.recv()
            received += len(frame)
            message = ForwardMsg()
            message.ParseFromString(frame)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError(f"the page raised: {message.delta.new_element.exception.message[:200]}")
            if kind == "page_not_found":
                raise RuntimeError(f"page {page_name!r} not found")
            if kind == "script_finished":
                runs += 1
                if message.script_finished == _FINISHED_SUCCESSFULLY:
                    now = time.perf_counter()
                    return SessionRun(now - started, now - sent, runs, received)
                if message.script_finished != _FINISHED_EARLY_FOR_RERUN:  # a rerun follows: keep reading
                    raise RuntimeError(f"script finished with status {message.script_finished}")


def _connect(base_url: str):
    # No keepalive pings: on a loaded machine a late pong would end a slow run as an error; RUN_TIMEOUT_S bounds it.
    return websockets.connect(_websocket_url(base_url), subprotocols=["streamlit"], origin=base_url, max_size=None,
                              open_timeout=RUN_TIMEOUT_S, ping_interval=None)


async def session_run(base_url: str, page_name: str, query_string: str) -> SessionRun:
    """Open one new session on a page and close it; raises on any error."""
    started = time.perf_counter()
    async with _connect(base_url) as websocket:
        return await _run_page(websocket, page_name, query_string, started)


async def page_script_run(base_url: str, page_name: str, query_string: str) -> tuple[float, int]:
    """Open one session on a page; (seconds until its script run finished, bytes received). Raises on any error."""
    run = await session_run(base_url, page_name, query_string)
    return run.total_s, run.received_bytes


async def _bursts(base_url: str, sessions: list[tuple[str, str]], rounds: int) -> dict[str, list]:
    for page_name, query_string in dict.fromkeys(sessions):  # warm: every distinct page once
        await page_script_run(base_url, page_name, query_string)
    result: dict[str, list] = {"times": [], "errors": []}
    for _ in range(rounds):
        outcomes = await asyncio.gather(*(page_script_run(base_url, page, query) for page, query in sessions),
                                        return_exceptions=True)
        for (page, query), outcome in zip(sessions, outcomes):
            if isinstance(outcome, BaseException):
                result["errors"].append(f"/{page}?{query}: {type(outcome).__name__}: {outcome}")
            else:
                result["times"].append(outcome[0])
    return result


def concurrent_script_runs(base_url: str, sessions: list[tuple[str, str]], rounds: int = 1) -> dict[str, list]:
    """Open all (page name, query string) sessions at once, `rounds` times; {"times": [...], "errors": [...]}."""
    return in_own_thread(lambda: _bursts(base_url, sessions, rounds))


def in_own_thread(coroutine_function):
    """asyncio.run in a thread of its own: a caller's thread may already hold an event loop (Playwright's sync API)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function())).result()


def new_session_runs(base_url: str, pages: list[tuple[str, str]], repeat: int) -> dict[tuple[str, str], list[SessionRun]]:
    """One new session at a time: each (page name, query string) `repeat` times, interleaved, after one warm-up each."""
    async def measure():
        for page, query in pages:
            await session_run(base_url, page, query)
        runs: dict[tuple[str, str], list[SessionRun]] = {p: [] for p in pages}
        for _ in range(repeat):
            for page, query in pages:
                runs[(page, query)].append(await session_run(base_url, page, query))
        return runs

    return in_own_thread(measure)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux /proc), in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def held_sessions_memory(base_url: str, pid: int, sessions: list[tuple[str, str]], settle_s: float = 120,
                         poll_s: float = 10, reap_after_s: float | None = None) -> dict:
    """Server memory for `sessions` open at once: RSS before, with every session's page sent and the sessions still
    open, and after they close (sampled every `poll_s` for up to `settle_s`, stopping once back within 10 % of the
    growth). Returns {"before", "open", "after": [(seconds since close, rss)], "errors"}.

    Before "before", one full round of the same sessions is held and closed: the server's caches and its allocator's
    pools reach the size a burst of this many sessions needs, as on any server that has served one. Streamlit drops
    a closed session whose server.disconnectedSessionTTL has passed only when its session store is next written
    (runtime/caching/ttl_cache.py: expired entries "are only actually removed by a write"; the only write is the next
    session's disconnect), so `reap_after_s` (the TTL plus a margin) after a close, one later visitor connects and
    leaves, as live traffic would; without it the closed sessions are never freed on a quiet server."""
    async def later_visitor():
        async with _connect(base_url):
            await asyncio.sleep(0.5)

    async def hold(errors: list[str]) -> int:
        async with AsyncExitStack() as stack:
            sockets = await asyncio.gather(*(stack.enter_async_context(_connect(base_url)) for _ in sessions))
            started = time.perf_counter()
            outcomes = await asyncio.gather(*(_run_page(ws, page, query, started)
                                              for ws, (page, query) in zip(sockets, sessions)), return_exceptions=True)
            errors += [f"/{p}?{q}: {type(o).__name__}: {o}" for (p, q), o in zip(sessions, outcomes)
                       if isinstance(o, BaseException)]
            await asyncio.sleep(1)
            return rss_bytes(pid)

    async def measure():
        for page, query in dict.fromkeys(sessions):  # warm: every distinct page once
            await session_run(base_url, page, query)
        errors: list[str] = []
        await hold(errors)  # warm: one full round, closed and (after the TTL) dropped
        if reap_after_s is not None:
            await asyncio.sleep(reap_after_s)
            await later_visitor()
        await asyncio.sleep(2)
        before = rss_bytes(pid)
        held = await hold(errors)
        closed = time.perf_counter()
        after, reaped = [], reap_after_s is None
        while True:
            if not reaped and time.perf_counter() - closed >= reap_after_s:
                await later_visitor()
                reaped = True
            rss = rss_bytes(pid)
            after.append((round(time.perf_counter() - closed, 1), rss))
            if rss - before <= 0.1 * max(held - before, 0) or time.perf_counter() - closed >= settle_s:
                break
            await asyncio.sleep(poll_s)
        return {"before": before, "open": held, "after": after, "errors": errors}

    return in_own_thread(measure)
