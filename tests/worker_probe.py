"""Small functions for tests/test_gap_worker.py to run in the worker process (importable there by name)."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def timed_sleep(seconds: float) -> tuple[int, float, float]:
    """(worker pid, start, end) of a sleep in the worker: calls that overlapped would show it."""
    start = time.monotonic()
    time.sleep(seconds)
    return os.getpid(), start, time.monotonic()


def die_once(marker: str) -> int:
    """The first time (no marker file yet): write it and kill this worker; after that, this worker's pid."""
    path = Path(marker)
    if not path.exists():
        path.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def die() -> None:
    """Kill this worker, every time."""
    os.kill(os.getpid(), signal.SIGKILL)


def fail(message: str) -> None:
    """Raise in the worker (the caller should see the same error)."""
    raise ValueError(message)
