"""Faults around the database the app reads: it is read-only, it works from a read-only file, and a
build that replaces the file is picked up by the next query while queries in flight finish on the old one.

(A running Streamlit server through a failed build and a swap under 10 browser sessions:
tests/browser/test_live_database_faults.py.)
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import duckdb
import pytest

from geo.explorer import db
from geo.config import REPO_ROOT

THANET = "E07000114"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def private_copy(built_database, tmp_path, monkeypatch):
    """A copy of the session's database that this test may replace; geo.explorer.db reads it."""
    path = tmp_path / "kent.duckdb"
    shutil.copyfile(built_database, path)
    monkeypatch.setenv("KENT_DB_PATH", str(path))
    db.clear_caches()
    yield path
    db.clear_caches()


def _edited_copy(source: Path, target: Path, new_thanet_name: str) -> Path:
    """A copy of the database as a later build might write it: Thanet renamed (to see which file is read)."""
    shutil.copyfile(source, target)
    writer = duckdb.connect(str(target))
    try:
        changed = writer.execute("update district_boundaries set district_name = ? where district_code = ? returning 1",
                                 [new_thanet_name, THANET]).fetchall()
        assert len(changed) == 1
    finally:
        writer.close()
    return target


def _thanet_name() -> str:
    districts = db.run("district_choices")
    return districts.set_index("district_code").district_name[THANET]


# --- read-only -----------------------------------------------------------------------------------

WRITES = [
    "create table scratch (i integer)",
    "insert into source_files select * from source_files",
    "update district_boundaries set district_name = 'x'",
    "delete from indicator_values",
    "drop view wards",
    "create or replace view wards as select 1 as ward_code",
    "attach 'elsewhere.duckdb' as elsewhere",
    "copy (select 1 as one) to 'leak.csv'",
    "set enable_external_access = true",
    "alter table source_files add column extra integer",
]


@pytest.mark.parametrize("statement", WRITES)
def test_the_apps_connection_refuses_writes(private_copy, statement, tmp_path):
    before = _digest(private_copy)
    cursor = db.connection().cursor()
    with pytest.raises(duckdb.Error) as refused:
        cursor.execute(statement)
    assert any(word in str(refused.value).lower() for word in ("read-only", "read_only", "disabled", "cannot")), refused.value
    assert _digest(private_copy) == before
    assert not (tmp_path / "leak.csv").exists() and not (REPO_ROOT / "leak.csv").exists()
    assert len(db.run("ward_choices")) == 255  # and it still reads


def test_duckdb_reports_the_attached_database_read_only(private_copy):
    row = db.connection().cursor().execute(
        "select readonly, path from duckdb_databases() where database_name = ?", [db.CATALOG]).fetchone()
    assert row == (True, str(private_copy))


_AS_READ_ONLY_PROCESS = r"""
import json, os, sys
from pathlib import Path
path = Path(os.environ["KENT_DB_PATH"])
out = {}
try:
    open(path, "r+b").close()
    out["file_writable"] = True
except PermissionError:
    out["file_writable"] = False
from geo.explorer import db
out["wards"] = len(db.run("ward_choices"))
from streamlit.testing.v1 import AppTest
app = AppTest.from_file("pages/district.py", default_timeout=120)
app.query_params["district"] = "E07000114"
app.run()
out["exceptions"] = [e.value for e in app.exception]
out["title"] = app.title[0].value if app.title else None
out["table_rows"] = max([h.value.count("<tr>") - 1 for h in app.html if 'class="kle-table"' in h.value] or [0])
print(json.dumps(out))
"""


# Root ignores file modes through these capabilities; without them a 0444 file is read-only to root too.
_DAC_CAPABILITIES = "-dac_override,-dac_read_search,-fowner"


def test_the_app_works_from_a_read_only_file(built_database):
    """The database chmod 0444 in a 0555 directory, opened by a process that really cannot write it
    (as root: with the capabilities that bypass file modes dropped, via util-linux setpriv)."""
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = ["setpriv", "--bounding-set", _DAC_CAPABILITIES, "--inh-caps", _DAC_CAPABILITIES, "--"]
    folder = Path(tempfile.mkdtemp(prefix="kent-readonly-"))
    try:
        path = folder / "kent.duckdb"
        shutil.copyfile(built_database, path)
        path.chmod(0o444)
        folder.chmod(0o555)
        before = _digest(path)
        env = {**os.environ, "KENT_DB_PATH": str(path), "PYTHONDONTWRITEBYTECODE": "1"}
        result = subprocess.run(prefix + [sys.executable, "-c", _AS_READ_ONLY_PROCESS], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        out = json.loads(result.stdout.strip().splitlines()[-1])
        assert out["file_writable"] is False  # the file really is read-only for this process
        assert out["wards"] == 255
        assert out["exceptions"] == [] and out["title"] == "Thanet" and out["table_rows"] == 23
        assert _digest(path) == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# --- the file replaced under a running app -------------------------------------------------------

def test_duckdb_keeps_reading_a_replaced_file_and_geo_db_reopens_the_new_one(private_copy, tmp_path):
    assert _thanet_name() == "Thanet"
    old = db.connection()
    in_flight = old.cursor()  # a query of a session that started before the swap
    os.replace(_edited_copy(private_copy, tmp_path / "next.duckdb", "Thanet (rebuilt)"), private_copy)

    # On Linux the replaced file's inode lives on while it is open: the old instance keeps reading it.
    assert in_flight.execute("select district_name from districts where district_code = ?", [THANET]).fetchone() == ("Thanet",)
    assert in_flight.execute("select count(*) from wards").fetchone() == (255,)
    # The next query opens the new file (DuckDB alone would hand back the instance already open on
    # this path), and results cached from the old file are not served for the new one.
    assert _thanet_name() == "Thanet (rebuilt)"
    assert db.connection() is not old
    assert db.connection().cursor().execute(
        "select district_name from districts where district_code = ?", [THANET]).fetchone() == ("Thanet (rebuilt)",)
    in_flight.close()


def test_queries_from_many_threads_survive_repeated_swaps_and_end_on_the_last_build(private_copy, tmp_path):
    versions = [_edited_copy(private_copy, tmp_path / f"v{n}.duckdb", f"Thanet v{n}") for n in range(1, 4)]
    errors: list[BaseException] = []
    queries_run = [0]
    stop = threading.Event()
    indicators = ["imd_score", "income_score", "population", "bus_stop_400m_pct", "digital_connectivity_score"]

    def session(n: int):
        try:
            while not stop.is_set():
                layer = indicators[(n + queries_run[0]) % len(indicators)]
                values = db.run("area_values_for_indicator", indicator_id=layer, level="ward", district_code=THANET)
                assert len(values) == 23
                assert len(db.run("district_choices")) == 12
                queries_run[0] += 1
                db.clear_caches() if n == 0 else None  # one session keeps forcing reopens as well
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    try:
        for version in versions:
            served_before = queries_run[0]
            staged = tmp_path / "staged.duckdb"
            shutil.copyfile(version, staged)
            os.replace(staged, private_copy)  # what `geo build` does
            while queries_run[0] < served_before + 20 and not errors:  # let the sessions run on the new file
                threading.Event().wait(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert queries_run[0] >= 60
    assert _thanet_name() == "Thanet v3"
