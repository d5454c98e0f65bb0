"""A low-priority worker process for CPU-heavy derived results (the gap index's rank bands), out of the request path.

Page runs share the server process's CPU; a new gap result is about 0.15-0.8 s of pure maths. Sent here, it runs
in one separate process at the lowest priority (nice 19), so on a busy machine the server's page runs win the CPU
and a crowd asking /gap for new results slows down only itself. One call at a time, and with a rest factor the
worker waits that many times each call's time before the next (a busy low-priority process still slows the server
on 2 cores); a call over the time limit has its worker killed and replaced; a worker that dies is replaced and the
call tried once more; otherwise `WorkerUnavailable`, whose message is a fixed sentence a page can show (the detail
goes to the server log).

Only plain data and importable functions cross the socket (pickled), never a database connection. The worker is
a fresh interpreter, `python -m geo.explorer.worker FD`: forking the multi-threaded server is unsafe, and
multiprocessing's "spawn" re-runs the parent's __main__, which under Streamlit is the page script. It exits with
its parent: when the socket from the parent closes, or, while it is busy, within a second of the parent's
death. This is a small process of our own rather than concurrent.futures' ProcessPoolExecutor, whose workers
outlive a killed parent and which has no public way (before Python 3.14) to kill a stuck worker.
"""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection

from geo.config import REPO_ROOT

TIME_LIMIT_S = 120.0  # a gap result takes under a second; two minutes means the worker is stuck
START_LIMIT_S = 120.0  # a new worker imports pandas and scipy first: seconds, more on a loaded machine
NICENESS = 19  # the lowest priority: every page run goes first
REST_LIMIT_S = 5.0  # the longest rest after one call
WORKER_UNAVAILABLE_MESSAGE = ("This result cannot be worked out at the moment because the server is busy. "
                              "Please try again in a minute; the rest of the explorer is working.")
_log = logging.getLogger(__name__)
_READY = "ready"


class WorkerUnavailable(RuntimeError):
    """The worker could not give a result: over the time limit, or it died twice."""

    def __init__(self):
        super().__init__(WORKER_UNAVAILABLE_MESSAGE)


def time_limit_s() -> float:
    """The time limit per call: $KENT_WORKER_TIME_LIMIT_S (seconds), else TIME_LIMIT_S."""
    return float(os.environ.get("KENT_WORKER_TIME_LIMIT_S") or TIME_LIMIT_S)


def _watch_parent(parent_pid: int) -> None:
    """In the worker: exit within a second of the parent's death, even in the middle of a call."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(1.0)


def _serve(connection: Connection, parent_pid: int, niceness: int, preload: tuple[str, ...]) -> None:
    """The worker's loop: lower its own priority, then answer (function, args) calls until the socket closes."""
    os.nice(max(0, niceness - os.nice(0)))
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()
    for module in preload:  # imported before the first call, so a call's time limit is its own work
        __import__(module)
    connection.send(_READY)
    while True:
        try:
            function, args, kwargs = connection.recv()
        except (EOFError, OSError):  # the parent closed the socket or died
            return
        try:
            answer = (True, function(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - handed back to the caller, who raises it
            answer = (False, error)
        try:
            connection.send(answer)
        except (EOFError, OSError):
            return
        except Exception as error:  # noqa: BLE001 - e.g. a result or an error that cannot be pickled
            connection.send((False, TypeError(f"the worker's answer could not be sent back: {type(error).__name__}")))


class Worker:
    """One worker process, started on first use; `call` runs function(*args) in it, one call at a time."""

    def __init__(self, time_limit: float | None = None, niceness: int = NICENESS, preload: tuple[str, ...] = (),
                 rest_factor: float = 0.0):
        self._time_limit = time_limit  # None: time_limit_s() at each call
        self._niceness = niceness
        self._preload = preload
        self._rest_factor = rest_factor
        self._rest_until = 0.0  # time.monotonic() before which the next call waits
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._connection = None

    @property
    def rest_factor(self) -> float:
        """After a call of t seconds, the next waits until rest_factor * t after it (at most REST_LIMIT_S)."""
        return self._rest_factor

    @property
    def pid(self) -> int | None:
        """The worker process's id, or None when none is running."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def call(self, function, *args, **kwargs):
        """function(*args, **kwargs) in the worker (both picklable); its exception is raised here. WorkerUnavailable
        when the call is over the time limit (the worker is killed and replaced) or the worker died twice.
        With a rest factor r, a call taking t seconds keeps the next call waiting r*t after it (see GAP_REST_FACTOR)."""
        limit = self._time_limit if self._time_limit is not None else time_limit_s()
        with self._lock:
            time.sleep(max(0.0, self._rest_until - time.monotonic()))  # the previous call's rest
            for attempt in (1, 2):
                try:
                    self._start()
                    sent = time.monotonic()
                    self._connection.send((function, args, kwargs))
                    if not self._connection.poll(limit):  # killed at the limit: its CPU is free, so no rest after it
                        _log.error("worker call %s over its %g s limit: worker %s killed",
                                   getattr(function, "__name__", function), limit, self.pid)
                        self._stop()
                        raise WorkerUnavailable()
                    rest = min(REST_LIMIT_S, self._rest_factor * (time.monotonic() - sent))
                    self._rest_until = time.monotonic() + rest
                    ok, value = self._connection.recv()
                except (EOFError, OSError) as error:  # the worker died (killed, out of memory) or never started
                    _log.error("worker died (%s: %s), attempt %d", type(error).__name__, error, attempt)
                    self._stop()
                    if attempt == 2:
                        raise WorkerUnavailable() from None
                    continue
                except BaseException:  # interrupted between sending and reading: a later call must not read this answer
                    self._stop()
                    raise
                if ok:
                    return value
                raise value

    def _start(self) -> None:
        """A running worker, ready for a call (a new one if there is none or it died)."""
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen([sys.executable, "-m", "geo.explorer.worker", str(theirs.fileno()),
                                        str(self._niceness), *self._preload],
                                       cwd=REPO_ROOT, stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))
        finally:
            theirs.close()  # only the worker holds its end: when this process dies, the worker reads EOF
        self._process, self._connection = process, Connection(ours.detach())
        if not self._connection.poll(START_LIMIT_S) or self._connection.recv() != _READY:
            raise OSError("the worker did not start")

    def _stop(self) -> None:
        """Kill the worker (if any) and forget it."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)

    def close(self) -> None:
        """Stop the worker; a later call starts a new one."""
        with self._lock:
            self._stop()


if __name__ == "__main__":  # python -m geo.explorer.worker FD NICENESS [MODULE...], started by Worker
    _serve(Connection(int(sys.argv[1])), os.getppid(), int(sys.argv[2]), tuple(sys.argv[3:]))
