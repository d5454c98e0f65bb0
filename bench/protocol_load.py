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

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

RUN_TIMEOUT_S = 180
_FINISHED_SUCCESSFULLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
_FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


async def page_script_run(base_url: str, page_name: str, query_string: str) -> tuple[float, int]:
    """Open one session on a page; (seconds until its script run finished, bytes received). Raises on any error."""
    websocket_url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
    started = time.perf_counter()
    async with websockets.connect(websocket_url, subprotocols=["streamlit"], origin=base_url, max_size=None,
                                  open_timeout=RUN_TIMEOUT_S) as websocket:
        request = BackMsg()
        request.rerun_script.page_name = page_name
        request.rerun_script.query_string = query_string
        await websocket.send(request.SerializeToString())
        received = 0
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
                    if message.script_finished == _FINISHED_SUCCESSFULLY:
                        return time.perf_counter() - started, received
                    if message.script_finished != _FINISHED_EARLY_FOR_RERUN:  # a rerun follows: keep reading
                        raise RuntimeError(f"script finished with status {message.script_finished}")


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
    return asyncio.run(_bursts(base_url, sessions, rounds))
