"""`python -m geo build`: read the mirror, validate it, and write the DuckDB warehouse.

Reading and validating every source comes first (nothing is written until it passes); then the named stages
(geo/pipeline/stages.py: boundaries → lookups → values → transport → gap index → reference tables → views) write a
temporary file, the data tests (geo/pipeline/data_tests.py) check it, and only then does it replace the old
database, atomically. A failure leaves any existing database exactly as it was.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Protocol
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from geo import catalogue as indicator_catalogue
from geo import releases
from geo.config import database_path, data_dir as default_data_dir, spatial_extension_path
from geo.pipeline.boundaries import SimplificationReport
from geo.pipeline.data_tests import check_database
from geo.pipeline.inputs import Inputs, read_inputs
from geo.pipeline.stages import STAGES, BuildCheckError, Warehouse  # noqa: F401 - BuildCheckError is the build's error


@dataclass
class Progress:
    """Numbered stage lines with elapsed time, on stderr."""

    total: int
    stream: object = sys.stderr
    started: float = field(default_factory=time.perf_counter)
    step: int = 0

    def stage(self, name: str) -> None:
        """Announce the next stage."""
        self.step += 1
        print(f"[{self.step}/{self.total}] {name} ({time.perf_counter() - self.started:5.1f} s)", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        """A line under the current stage."""
        print(f"      {message}", file=self.stream, flush=True)


@dataclass
class BuildReport:
    """What a build produced, for the terminal and the issue notes."""

    database: Path
    seconds: float
    database_bytes: int
    simplification: list[SimplificationReport]
    counts: dict[str, int]
    companion: object | None = None  # what the companion made (the light embed pages' report)
    release: releases.ReleaseReport | None = None


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    connection.execute(f"LOAD '{spatial_extension_path()}'")
    return connection


def write_warehouse(path: Path, inputs: Inputs, progress: Progress) -> list[SimplificationReport]:
    """Run the named stages (geo/pipeline/stages.py) in order into a new database at path; return the
    simplification each level's web boundaries had."""
    connection = _connect(path)
    try:
        warehouse = Warehouse(connection, inputs, indicator_catalogue.load(), progress.detail)
        for stage in STAGES:
            progress.stage(stage.name)
            stage.run(warehouse)
        connection.execute("checkpoint")
        return warehouse.simplification
    finally:
        connection.close()


def check_new_database(path: Path, progress: Progress) -> dict[str, int]:
    """The data tests (declared in queries/warehouse/tests.toml, then those that are code) on the new database."""
    connection = _connect(path)
    try:
        n_tests, counts = check_database(connection)
        progress.detail(f"{n_tests} declared data tests passed (queries/warehouse/tests.toml); areas and residents add up")
        return counts
    finally:
        connection.close()


class BuildLocked(RuntimeError):
    """Another build of the same database is running."""


PREVIOUS_SUFFIX = ".previous"  # data/kent.duckdb.previous: the database before the last build, to roll back to
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def disk_full(error: BaseException) -> bool:
    """True when a build failed because the disk (or the file-size limit) is full."""
    if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
        return True
    text = str(error)
    return isinstance(error, duckdb.Error) and ("No space left on device" in text or "File too large" in text)


@contextlib.contextmanager
def build_lock(database: Path):
    """Hold an exclusive lock for the whole build of `database` (its folder's .<name>.lock); refuse if held.
    Then remove what killed builds left behind: only a build holding the lock can have made them."""
    lock_path = database.parent / f".{database.name}.lock"
    with open(lock_path, "a+", encoding="ascii") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise BuildLocked(f"another build of {database.name} is running (pid {holder}); this one did not start. "
                              "Wait for it to finish, then build again.") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        for leftover in database.parent.glob(f".{database.name}.*.building*"):
            leftover.unlink(missing_ok=True)  # a temporary database (and its .wal) from a build that was killed
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


class Companion(Protocol):
    """Files made from the new database before it is put in service, and served with it (the light embed
    pages, geo.publish): the pipeline knows them only through these calls."""

    description: str  # the build stage's name

    def stage(self, database: Path) -> object:
        """Make them from the new, not yet served database; return what was made."""

    def summary(self, staged: object) -> str:
        """One line saying what stage made."""

    def activate(self, staged: object) -> None:
        """Serve what stage made, right after the database was swapped in."""

    def discard(self, staged: object) -> None:
        """Remove what stage made: the build failed before serving it."""

    def finished(self) -> None:
        """The build is over (succeeded or not): forget anything read from the temporary database."""


def build(data_dir: Path | None = None, database: Path | None = None, progress: Progress | None = None,
          companion: Companion | None = None, keep_releases: int | None = None) -> BuildReport:
    """Build the warehouse (and its companion's files, if any), holding the build lock throughout (a second
    build at the same time refuses); the database it replaces is kept as <database>.previous. The build is a data
    release (geo/releases.py), kept under the retention `keep_releases` (default $KENT_RELEASES_KEEP, else all)."""
    database = Path(database or database_path())
    database.parent.mkdir(parents=True, exist_ok=True)
    keep_releases = keep_releases if keep_releases is not None else releases.retention_from_env()
    with build_lock(database):
        return _build_locked(data_dir, database, progress, companion, keep_releases)


def _build_locked(data_dir: Path | None, database: Path, progress: Progress | None,
                  companion: Companion | None, keep_releases: int | None = None) -> BuildReport:
    """Build the warehouse from the mirror and the companion's files from it; put both in service only if
    everything passes."""
    data_dir = Path(data_dir or default_data_dir())
    progress = progress or Progress(total=len(STAGES) + 3 + (companion is not None))
    started = time.perf_counter()

    progress.stage(f"reading and validating {data_dir.name}/ (nothing is written until this passes)")
    inputs = read_inputs(data_dir, progress=progress.detail)

    database.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{database.name}.", suffix=".building", dir=database.parent)
    os.close(handle)
    temporary = Path(temporary_name)
    temporary.unlink()  # DuckDB wants to create the file itself
    pages, release, served = None, None, False
    release_id, built_at = releases.next_release_id(database), datetime.now(timezone.utc)
    try:
        reports = write_warehouse(temporary, inputs, progress)
        releases.stamp(temporary, release_id, built_at)
        progress.stage("data tests on the new database")
        counts = check_new_database(temporary, progress)
        if companion is not None:
            progress.stage(companion.description)
            pages = companion.stage(temporary)
            progress.detail(companion.summary(pages))
        progress.stage(f"putting release {release_id} in service at {database.name}"
                       + (" and the pages beside it" if companion else ""))
        release = releases.stage(temporary, database, release_id, built_at)  # kept before served: pinned links work
        replaced = releases.release_of(database)
        _keep_previous(database)
        os.replace(temporary, database)  # atomic: readers of the old file keep their open handle
        if companion is not None:
            companion.activate(pages)  # atomic too (the embed pages: one symlink swap)
        served = True
        kept = releases.commit(release, replaced, keep_releases)
        progress.detail(f"release {release_id}; kept: {', '.join(kept.kept)}"
                        + (f"; removed by the retention (keep {keep_releases}): {', '.join(kept.removed)}" if kept.removed else ""))
    except BaseException:
        if pages is not None and not served:
            companion.discard(pages)  # staged, never served: the previous pages stay as they were
        if release is not None and not served:
            releases.discard(release)
        raise
    finally:
        if companion is not None:
            companion.finished()
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    return BuildReport(database, seconds, database.stat().st_size, reports, counts, pages, kept)


def _keep_previous(database: Path) -> None:
    """Keep the database in service as <database>.previous (a hard link: no copy, no extra space)."""
    if not database.is_file():
        return
    releases.link_into_place(database, database.with_name(database.name + PREVIOUS_SUFFIX))
