"""Builds that meet each other, get killed, or fill the disk (issue 13, finding 12).

A second build while one runs refuses with a message; a full disk (a small tmpfs this test mounts) ends in one
line and exit 1 with nothing left behind. A killed build's temporary files are removed by the next build, which
keeps the database it replaced as kent.duckdb.previous, to roll back to: tests/test_fetch_then_build.py asserts
that on its refresh's build (the next build after one it kills), so the suite runs one full build for both.
"""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from geo.pipeline.build import build_lock
from tests.conftest import BUILD_TIMEOUT_S, geo_build as _geo_build


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
