"""Widget values no browser would send, over Streamlit's own websocket protocol (issue 13, finding 7).

A raw client opens a page, reads the widget ids from the elements it is sent, then reruns the page with
crafted widget states: a ward code that does not exist in the compare picker, an unknown overlay, a string
for a gap weight slider, a number where the slider's state is a list. What matters (issue 13): nothing that
goes back to the sender carries a traceback, an exception type, a path or a source line; the same session
answers its next rerun normally once that widget's value is a good one (as the page itself sends), except
after a state of the wrong kind (below); another session, opened meanwhile, draws its page; the health check
still answers. Values the page reads are validated by the page, so those runs show no error at all. A state
of the wrong kind for its widget (the last case) raises inside Streamlit's own widget deserializer, which
runs for every widget before any page code (SessionState._call_callbacks) and so cannot be caught by the app
without patching Streamlit; with client.showErrorDetails = "none" the sender gets only Streamlit's fixed,
redacted message, on that run and on its later reruns (Streamlit reads the stored bad state again before it
takes new ones, so only that sender's session stays in error; a reload is a new session).
Traffic: a server on 127.0.0.1 started here.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geo.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy"))
from deployment import free_port, wait_healthy  # noqa: E402
from tests.event_loop import run_coroutine

TIMEOUT_S = 180


# Streamlit's fixed text for an uncaught exception when client.showErrorDetails is "none".
REDACTED = "The original error message is redacted to prevent data leaks."
# What must never reach a browser from an error: the server's paths, tracebacks, exception types, source lines.
SERVER_FACTS = (str(REPO_ROOT).encode(), b"site-packages", b"Traceback", b"TypeError", b"ValueError", b"KeyError",
                b"AttributeError", b'.py", line')


@dataclass
class Run:
    """What one rerun sent back: the widgets by label, the exception elements, every raw message."""

    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)
    exceptions: list = field(default_factory=list)  # the Exception protos
    raw: list[bytes] = field(default_factory=list)


async def _run(websocket, page: str, query: str, widgets=None) -> Run:
    """Rerun page; what came back once the run finished (successfully or not)."""
    request = BackMsg()
    request.rerun_script.page_name = page
    request.rerun_script.query_string = query
    for state in widgets or []:
        request.rerun_script.widget_states.widgets.append(state)
    await websocket.send(request.SerializeToString())
    run = Run()
    async with asyncio.timeout(TIMEOUT_S):
        while True:
            payload = await websocket.recv()
            run.raw.append(payload)
            message = ForwardMsg()
            message.ParseFromString(payload)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    run.exceptions.append(element.exception)
                elif which in ("multiselect", "slider", "selectbox"):
                    widget = getattr(element, which)
                    run.widgets[widget.label] = (which, widget.id)
            # A run that failed still finishes (FINISHED_SUCCESSFULLY is also what Streamlit reports after an
            # uncaught exception it has shown); a rerun Streamlit asks for itself is not the end.
            if kind == "script_finished" and message.script_finished in (
                    ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY"),
                    ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")):
                return run


async def _session(url: str):
    return websockets.connect(url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                              origin=url, max_size=None, open_timeout=TIMEOUT_S)


def _state(widget_id: str, **value):
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    state = WidgetState(id=widget_id)
    for field, content in value.items():
        if field in ("string_array_value", "double_array_value"):
            getattr(state, field).data.extend(content)
        else:
            setattr(state, field, content)
    return state


def _without_session_header(raw: list[bytes]) -> bytes:
    """Every message of a run but Streamlit's `new_session` header, which it sends at the start of every run with
    fixed facts of its own (the main script's absolute path, its and Python's versions) that no setting turns
    off; it carries nothing from the run or its errors."""
    kept = []
    for payload in raw:
        message = ForwardMsg()
        message.ParseFromString(payload)
        if message.WhichOneof("type") != "new_session":
            kept.append(payload)
    return b"".join(kept)


@dataclass
class Outcome:
    crafted: Run  # the rerun with the crafted widget state
    next_rerun: Run  # the same session's next rerun, with a good value for that widget
    other_session: Run  # a new session opening the page while the sender's is still open


async def _crafted(url: str, page: str, query: str, label_start: str, value: dict, good: dict) -> Outcome:
    async with await _session(url) as websocket:
        first = await _run(websocket, page, query)
        assert first.exceptions == [], first.exceptions
        matches = [wid for label, (_, wid) in first.widgets.items() if label.startswith(label_start)]
        assert matches, f"no widget labelled {label_start!r} on /{page}: {list(first.widgets)}"
        crafted = await _run(websocket, page, query, [_state(matches[0], **value)])
        next_rerun = await _run(websocket, page, query, [_state(matches[0], **good)])
        async with await _session(url) as other_websocket:  # while the sender's session is still open
            other = await _run(other_websocket, page, query)
    return Outcome(crafted, next_rerun, other)


@pytest.fixture(scope="module")
def server(built_database, tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("crafted") / "streamlit.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                    "--server.address", "127.0.0.1", "--server.headless", "true"], cwd=REPO_ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "KENT_DB_PATH": str(built_database)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, "streamlit", lambda: log_path.read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


WARDS = {"string_array_value": ["E05005093", "E05005010"]}
WEIGHT = {"double_array_value": [5.0]}


@pytest.mark.parametrize("page, query, label, value, good, validated_by_the_page", [
    ("compare", "ward=E05005093,E05005010", "Wards to compare",
     {"string_array_value": ["E05999999", "<b>x</b>", "E05005093"]}, WARDS, True),
    ("district", "district=E07000114", "Show on the map", {"string_array_value": ["no_such_overlay", "rail_stations"]},
     {"string_array_value": ["rail_stations"]}, True),
    ("gap", "", "Broadband", {"string_value": "ten"}, WEIGHT, True),
    ("gap", "", "Broadband", {"int_value": 10**12}, WEIGHT, False),  # a number where the slider's state is a list
])
def test_crafted_widget_values_send_no_trace_and_break_no_session(server, page, query, label, value, good,
                                                                   validated_by_the_page):
    outcome = run_coroutine(_crafted(server, page, query, label, value, good))
    if validated_by_the_page:
        assert outcome.crafted.exceptions == []
        assert outcome.next_rerun.exceptions == [] and outcome.next_rerun.widgets  # the session keeps working
    else:
        # Raised inside Streamlit before any page code, on this run and (the bad state stays in the session's
        # widget states, which Streamlit reads before taking the new ones) on the sender's next reruns: only
        # the fixed, redacted message goes back; a reload is a new session, which works (below).
        for run in (outcome.crafted, outcome.next_rerun):
            assert len(run.exceptions) == 1
            assert REDACTED in run.exceptions[0].message
            assert not run.exceptions[0].stack_trace and not run.exceptions[0].type
    for run in (outcome.crafted, outcome.next_rerun):
        assert [fact for fact in SERVER_FACTS if fact in _without_session_header(run.raw)] == []
    assert outcome.other_session.exceptions == [] and outcome.other_session.widgets  # other sessions keep working
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=30) as response:
        assert response.read() == b"ok"
