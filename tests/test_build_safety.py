"""Builds that meet each other, get killed, or fill the disk (issue 13, finding 12).

A second build while one runs refuses with a message; a killed build's temporary files are removed by the
next build; a full disk (a small tmpfs this test mounts) ends in one line and exit 1 with nothing left
behind; every build keeps the database it replaced as kent.duckdb.previous, to roll back to.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo.pipeline.build import build_lock
from geo.config import REPO_ROOT

BUILD_TIMEOUT_S = 600


def _geo_build(database: Path, embed_dir: Path, mirror: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "geo", "build", "--data-dir", str(mirror), "--database", str(database),
                             "--embed-dir", str(embed_dir)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_second_build_refuses_while_one_holds_the_lock(tmp_path, mirror):
    database = tmp_path / "kent.duckdb"
    with build_lock(database):
        started = time.monotonic()
        second = _geo_build(database, tmp_path / "embed", mirror)
        _, stderr = second.communicate(timeout=120)
    assert second.returncode == 1, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("build refused: another build of kent.duckdb is running (pid "), stderr
    assert f"pid {os.getpid()}" in lines[0] and "Traceback" not in stderr
    assert not database.exists() and time.monotonic() - started < 120


def test_a_killed_builds_files_are_removed_and_the_replaced_database_is_kept(tmp_path, mirror, built_database):
    database = tmp_path / "kent.duckdb"
    shutil.copyfile(built_database, database)
    in_service = _digest(database)

    killed = _geo_build(database, tmp_path / "embed", mirror, start_new_session=True)
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not list(tmp_path.glob(".kent.duckdb.*.building")):
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()[1][-2000:]
        time.sleep(0.2)
    time.sleep(1)  # let it write
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    leftovers = list(tmp_path.glob(".kent.duckdb.*.building*"))
    assert leftovers and _digest(database) == in_service  # the kill left files; the served file is untouched

    later = _geo_build(database, tmp_path / "embed", mirror)
    _, stderr = later.communicate(timeout=BUILD_TIMEOUT_S)
    assert later.returncode == 0, stderr[-2000:]
    assert not any(path.exists() for path in leftovers), leftovers
    assert list(tmp_path.glob(".kent.duckdb.*.building*")) == []
    previous = tmp_path / "kent.duckdb.previous"
    assert _digest(previous) == in_service  # the one it replaced, to roll back to
    assert previous.stat().st_ino != database.stat().st_ino


@pytest.fixture()
def small_disk(tmp_path):
    """A 6 MB tmpfs (the database is about 16 MB), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("this test mounts a small tmpfs: run as root")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)], check=True, timeout=30)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], timeout=30)


def test_a_full_disk_ends_the_build_in_one_line(tmp_path, mirror, small_disk):
    database = small_disk / "kent.duckdb"
    build_process = _geo_build(database, tmp_path / "embed", mirror)
    stdout, stderr = build_process.communicate(timeout=BUILD_TIMEOUT_S)
    assert build_process.returncode == 1, (stdout[-1000:], stderr[-3000:])
    last = stderr.strip().splitlines()[-1]  # the lines before it are the build's progress
    assert last == ("build failed: the disk is full (no space left for the new database); the database in service "
                    "and the embed pages are unchanged. Free some space and build again."), stderr[-3000:]
    assert "Traceback" not in stderr and "Error" not in stderr, stderr[-3000:]
    assert not database.exists()
    assert [p.name for p in small_disk.iterdir() if p.name != ".kent.duckdb.lock"] == []  # no temporary file left
