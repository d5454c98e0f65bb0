"""The low-priority worker process that computes gap results (geo/explorer/worker.py, issue 13 finding 5): the same
result as computed in-process on the real database, at nice 19, one call at a time, a dead worker replaced and
the call retried, a stuck one killed at the time limit with a fixed message, no orphan when its parent dies, and
the /gap and /ward pages showing that message while the rest of the page renders; after each call the worker rests
(a multiple of the call's time), so however many sessions ask, it is busy only part of the time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from geo import gap
from geo.config import REPO_ROOT
from geo.explorer import db, gap_view
from geo.explorer.worker import WORKER_UNAVAILABLE_MESSAGE, Worker, WorkerUnavailable
from tests import worker_probe

MARGATE_CENTRAL = "E05005093"
GONE_WITHIN_S = 20  # the worker checks for its parent every second; a loaded machine is slower


@pytest.fixture()
def worker():
    """A worker of the test's own (the gap pool's is left alone), stopped afterwards."""
    started = Worker(time_limit=60)
    yield started
    started.close()


def _alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


# ---------------------------------------------------------------- the gap pool's worker on the real database

@pytest.mark.parametrize("weights, seed", [(gap.Weights(5, 5, 5), gap.DEFAULT_SEED), (gap.Weights(2, 9, 0), 7)])
def test_the_workers_gap_result_equals_the_in_process_compute(built_database, weights, seed):
    db.clear_caches()
    from_worker = gap_view.gap_result(weights, seed)
    worker_pid = db.GAP_POOL.worker.pid
    assert worker_pid is not None and worker_pid != os.getpid()  # computed over there
    here = gap.compute(gap_view.ward_inputs(), gap_view.metadata.catalogue(), weights, seed, gap.DRAWS,
                       gap_view.metadata.gap_components())
    pd.testing.assert_frame_equal(from_worker.wards, here.wards)
    pd.testing.assert_frame_equal(from_worker.checks, here.checks)
    assert (from_worker.weights, from_worker.seed, from_worker.draws, from_worker.notes) == (
        here.weights, here.seed, here.draws, here.notes)
    assert from_worker.same_measure_spearman == here.same_measure_spearman
    assert gap_view.gap_result(weights, seed) is from_worker  # cached in the server: the worker is asked once


def test_the_gap_worker_runs_at_the_lowest_priority(built_database):
    gap_view.gap_result(gap.Weights(5, 5, 5), gap.DEFAULT_SEED)
    pid = db.GAP_POOL.worker.pid
    assert os.getpriority(os.PRIO_PROCESS, pid) == 19
    assert db.GAP_POOL.worker.call(os.nice, 0) == 19
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) < 19  # the server keeps its own priority


# ---------------------------------------------------------------- the worker itself

def _sleeps_from_three_threads(worker: Worker, seconds: float = 0.3) -> list[tuple[int, float, float]]:
    """Three threads each calling timed_sleep(seconds) in worker at once: the (pid, start, end) answers."""
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(worker.call(worker_probe.timed_sleep, seconds)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_calls_run_one_at_a_time_in_one_process(worker):
    answers = _sleeps_from_three_threads(worker)
    assert len(answers) == 3 and len({pid for pid, _, _ in answers}) == 1 and answers[0][0] != os.getpid()
    spans = sorted((start, end) for _, start, end in answers)
    assert all(later_start >= end for (_, end), (later_start, _) in zip(spans, spans[1:]))  # never overlapping


@pytest.mark.serial  # asserts the time between calls
def test_after_each_call_the_worker_rests_its_rest_factor_times_the_calls_time():
    resting = Worker(time_limit=60, rest_factor=2.0)
    try:
        resting.call(os.getpid)  # started: a worker's start-up is no call, and adds no rest
        spans = sorted((start, end) for _, start, end in _sleeps_from_three_threads(resting))
        assert len(spans) == 3
        # each call took at least 0.3 s, so the next began at least 2 x 0.3 s after it ended
        assert all(later_start - end >= 2 * 0.3 for (_, end), (later_start, _) in zip(spans, spans[1:])), spans
    finally:
        resting.close()


def test_the_gap_pools_worker_rests_so_a_crowd_keeps_it_busy_at_most_a_quarter_of_the_time():
    assert db.GAP_POOL.worker.rest_factor == db.GAP_REST_FACTOR >= 3


def test_an_error_in_the_call_is_raised_here_and_the_worker_stays(worker):
    pid = worker.call(os.getpid)
    with pytest.raises(ValueError, match="no such weights"):
        worker.call(worker_probe.fail, "no such weights")
    assert worker.call(os.getpid) == pid


def test_a_killed_worker_is_replaced(worker):
    first = worker.call(os.getpid)
    os.kill(first, signal.SIGKILL)
    assert _wait_gone(first)
    second = worker.call(os.getpid)
    assert second != first and _alive(second)


def test_a_worker_that_dies_during_a_call_is_replaced_and_the_call_retried_once(worker, tmp_path):
    marker = tmp_path / "died"
    answered_by = worker.call(worker_probe.die_once, str(marker))
    died = int(marker.read_text())
    assert answered_by != died and not _alive(died)  # the retry ran in a new worker
    with pytest.raises(WorkerUnavailable) as raised:  # dies again on the retry: the fixed message
        worker.call(worker_probe.die)
    assert str(raised.value) == WORKER_UNAVAILABLE_MESSAGE
    assert _alive(worker.call(os.getpid))  # and the next call works


@pytest.mark.serial  # a 1 s time limit: a busy machine must not make a quick call miss it
def test_a_call_over_the_time_limit_is_killed_with_the_fixed_message_and_the_next_call_works():
    worker = Worker(time_limit=1.0)
    try:
        stuck = worker.call(os.getpid)
        with pytest.raises(WorkerUnavailable) as raised:
            worker.call(time.sleep, 60)
        message = str(raised.value)
        assert message == WORKER_UNAVAILABLE_MESSAGE
        assert "/" not in message and "Traceback" not in message and "sleep" not in message
        assert not _alive(stuck)  # killed, not left running
        assert worker.call(sum, [1, 2, 3]) == 6
        assert worker.pid != stuck
    finally:
        worker.close()


PARENT = """
import os, sys, threading, time
from geo.explorer.worker import Worker
worker = Worker()
pid = worker.call(os.getpid)
if sys.argv[1] == "busy":
    threading.Thread(target=worker.call, args=(time.sleep, 300), daemon=True).start()
    time.sleep(1)
print(pid, flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("state", ["idle", "busy"])
def test_the_worker_exits_when_its_parent_is_killed(state):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, state], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(parent.stdout.readline())
        assert _alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert _wait_gone(pid), f"worker {pid} outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)


# ---------------------------------------------------------------- the pages (AppTest)

def test_gap_page_shows_the_fixed_message_when_the_worker_is_unavailable(run_page, monkeypatch):
    db.clear_caches()  # a result not yet made, so the worker is asked
    monkeypatch.setenv("KENT_WORKER_TIME_LIMIT_S", "0.001")
    app = run_page("gap", preset="transport_led", district="E07000114")
    assert not app.exception
    assert [e.value for e in app.error] == [WORKER_UNAVAILABLE_MESSAGE]
    assert app.title[0].value == "Infrastructure gap" and [s.value for s in app.slider] == [3, 10, 3]
    assert any("Ofcom" in c.value for c in app.caption) and len(app.dataframe) == 0
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)
    assert app.query_params["preset"] == "transport_led" and app.query_params["district"] == "E07000114"
    monkeypatch.delenv("KENT_WORKER_TIME_LIMIT_S")
    again = run_page("gap", preset="transport_led", district="E07000114")
    assert not again.exception and not again.error and len(again.dataframe[0].value) == 23


def test_ward_page_shows_the_fixed_message_in_its_gap_section_and_the_rest_of_the_page(run_page, monkeypatch):
    db.clear_caches()
    monkeypatch.setenv("KENT_WORKER_TIME_LIMIT_S", "0.001")
    app = run_page("ward", ward=MARGATE_CENTRAL)
    assert not app.exception
    assert [w.value for w in app.warning] == [WORKER_UNAVAILABLE_MESSAGE]
    headers = [h.value for h in app.header]
    assert "Infrastructure gap" in headers and headers[-1] == "The 10 Kent wards most like Margate Central"
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)
    monkeypatch.delenv("KENT_WORKER_TIME_LIMIT_S")
    again = run_page("ward", ward=MARGATE_CENTRAL)
    assert not again.exception and not again.warning
    assert any("At the balanced weights" in c.value for c in again.caption)
