"""Shared fixtures: one real database built from the real mirror for the whole test session."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

# Hypothesis: a quick profile for local runs, the full one in CI (.ci/run sets HYPOTHESIS_PROFILE=full). A test's own
# max_examples is its full count; the quick profile caps it (tests/test_bad_input.py: 5 generated URLs per page).
settings.register_profile("full", max_examples=1000)
settings.register_profile("quick", max_examples=5)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

from geo.explorer import db
from geo.publish import build
from geo.config import REPO_ROOT, data_dir, spatial_extension_path


SERIAL_FOLDERS = ("browser", "deploy")  # their own servers, nginx, network namespaces and chromium: never beside another test


def pytest_collection_modifyitems(items):
    """Every test under tests/browser and tests/deploy is `serial` (scripts/test.sh runs it in the one-process pass)."""
    here = Path(__file__).parent
    folders = [here / name for name in SERIAL_FOLDERS]
    for item in items:
        if any(folder in Path(str(item.fspath)).parents for folder in folders):
            item.add_marker(pytest.mark.serial)


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real data mirror (../shared/data or $KENT_DATA_DIR)."""
    path = data_dir()
    if not path.is_dir():
        pytest.fail(f"data mirror not found at {path}; set KENT_DATA_DIR")
    return path


def code_copy(folder: Path) -> Path:
    """The build's code and its data files (geo/, queries/, data/ without databases) copied into folder, for a
    build run from a scratch copy whose files a test changes."""
    for name in ("geo", "queries", "data"):
        shutil.copytree(REPO_ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.duckdb*", ".*lock"))
    return folder


def symlinked_mirror(mirror: Path, folder: Path) -> Path:
    """The real mirror in folder as symlinks (replace a file there to change it)."""
    for source in mirror.rglob("*"):
        target = folder / source.relative_to(mirror)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    return folder


def scratch_mirror(mirror: Path, folder: Path, relative: str, change) -> Path:
    """A copy of the real mirror in folder (symlinks) in which the file at relative is replaced by
    ``change(original_text)``, or removed when change is None."""
    symlinked_mirror(mirror, folder)
    broken = folder / relative
    text = (mirror / relative).read_text(encoding="utf-8")
    broken.unlink()
    if change is not None:
        broken.write_text(change(text), encoding="utf-8")
    return folder


BUILD_TIMEOUT_S = 600


def geo_build(database: Path, embed_dir: Path, mirror: Path, **popen) -> subprocess.Popen:
    """`python -m geo build` from mirror into database as a child process (stdout and stderr piped, text)."""
    return subprocess.Popen([sys.executable, "-m", "geo", "build", "--data-dir", str(mirror), "--database", str(database),
                             "--embed-dir", str(embed_dir)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def digest(path: Path) -> str:
    """The file's SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def killed_build(database: Path, embed_dir: Path, mirror: Path) -> list[Path]:
    """A `geo build` into database killed (SIGKILL to its process group) once it is writing the new database;
    returns the temporary files it left beside database."""
    killed = geo_build(database, embed_dir, mirror, start_new_session=True)
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not list(database.parent.glob(f".{database.name}.*.building")):
        assert killed.poll() is None and time.monotonic() < deadline, killed.communicate()[1][-2000:]
        time.sleep(0.2)
    time.sleep(1)  # let it write
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    return list(database.parent.glob(f".{database.name}.*.building*"))


@pytest.fixture()
def mirror_copy(mirror):
    """``mirror_copy(folder)``: the real mirror in folder as symlinks (replace a file to change it)."""
    return lambda folder: symlinked_mirror(mirror, folder)


@pytest.fixture()
def mirror_with(mirror):
    """``mirror_with(folder, relative, change)``: a copy of the real mirror in folder (symlinks) in which the file
    at relative is replaced by ``change(original_text)``, or removed when change is None."""
    return lambda folder, relative, change: scratch_mirror(mirror, folder, relative, change)


@pytest.fixture(scope="session")
def built_database(tmp_path_factory, mirror) -> Path:
    """A database built once from the real mirror, used read-only by the tests.

    Under scripts/test.sh ($KENT_TEST_SESSION_DIR) the first process to take that folder's lock builds the database
    there, with its pages in static/embed, and every later process, the serial pass's too, reuses it; a parallel
    worker that finds the lock taken builds its own meanwhile, with its pages in a folder of its own (two builds
    swapping static/embed would drop each other's pages), rather than idle a core waiting.
    """
    shared = os.environ.get("KENT_TEST_SESSION_DIR")
    with contextlib.ExitStack() as held:
        if shared and _try_lock(held, Path(shared) / "build.lock"):
            path = Path(shared) / "kent.duckdb"
        else:
            path = tmp_path_factory.mktemp("warehouse") / "kent.duckdb"
            if shared:
                os.environ["KENT_EMBED_DIR"] = str(tmp_path_factory.mktemp("embed-served") / "embed")
        if not path.exists():
            build(mirror, path)
    os.environ["KENT_DB_PATH"] = str(path)  # so app and browser tests read the same file
    db.clear_caches()
    return path


def _try_lock(held: contextlib.ExitStack, lock_path: Path) -> bool:
    """Take lock_path's exclusive lock for the life of held, if no other process has it."""
    lock = held.enter_context(lock_path.open("w"))
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@pytest.fixture()
def run_page(built_database):
    """``run_page(page, **query_params)``: pages/<page>.py run in-process (streamlit AppTest) on the real database."""
    from streamlit.testing.v1 import AppTest

    def run(page: str, **params) -> AppTest:
        app = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=180)
        for key, value in params.items():
            app.query_params[key] = value
        return app.run()
    return run


@pytest.fixture()
def query(built_database):
    """Run a named query against the test database."""
    def run(name: str, **parameters):
        return db.run(name, path=built_database, **parameters)
    return run


@pytest.fixture(scope="session")
def _test_connection(built_database):
    """A read-only connection of the tests' own, with DuckDB spatial loaded for checks on the full geometry
    (ST_Contains); the explorer's connection loads no extension."""
    connection = duckdb.connect(str(built_database), read_only=True)
    connection.execute(f"LOAD '{spatial_extension_path()}'")
    yield connection
    connection.close()


@pytest.fixture()
def sql(_test_connection):
    """Run ad-hoc SQL against the test database (tests only; the app uses named queries)."""
    def run(text: str, parameters=None):
        return _test_connection.cursor().execute(text, parameters or []).df()
    return run


THANET = "E07000114"
GIGABIT_FILE = "raw/broadband_ofcom_laua/kent_202105_fixed_laua_coverage_r01.csv"
GIGABIT_COLUMN = "Gigabit availability (% premises)"


def _thanet_gigabit_changed(text: str) -> str:
    """The Ofcom May 2021 district file with one value changed: Thanet's gigabit share 57.1 -> 58.3."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index(GIGABIT_COLUMN)
    for row in rows[1:]:
        if row[0] == THANET:
            assert row[column] == "57.1", row[column]  # the published value this test changes
            row[column] = "58.3"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="session")
def two_releases(tmp_path_factory, built_database, mirror):
    """Two data releases in one folder: the session's build from the real mirror (copied with its release folder),
    then a build from a scratch mirror in which one value differs (Thanet's May 2021 gigabit share, 57.1 -> 58.3).
    Returns (database, first release id, second release id)."""
    import shutil

    from geo import releases

    folder = tmp_path_factory.mktemp("two-releases")
    database = folder / "kent.duckdb"
    shutil.copy2(built_database, database)
    shutil.copytree(releases.releases_dir(built_database), releases.releases_dir(database))
    changed = scratch_mirror(mirror, folder / "mirror-changed", GIGABIT_FILE, _thanet_gigabit_changed)
    first = releases.release_of(database)
    report = build(changed, database, embed_dir=folder / "embed", keep_releases=1)
    db.clear_caches()
    return database, first, report.release.release_id
