"""A bad database file never reaches a visitor (issue 13, finding 6).

Five faults, each put in place the way a bad deploy or disk would: a truncated file, random bytes, an empty
file (each swapped in atomically, as a build or `mv` does), the file at mode 000 and its folder at mode 000.
For each: the last good opening keeps serving (queries answer as before, including ones never run before),
the page shows a fixed friendly message with no traceback and no path, and the health check reports the
fault; a good file put back clears it. The two permission faults run in a child process without
CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv), since root reads any file.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geo.explorer import db
from geo.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy"))
from deployment import free_port, wait_healthy  # noqa: E402
from tests.event_loop import run_coroutine

THANET = "E07000114"


def _bad_bytes(kind: str, good: bytes) -> bytes:
    """The bad file's content: the real database cut in half, random bytes of its size, or nothing."""
    return {"truncated": good[: len(good) // 2], "random": os.urandom(len(good)), "empty": b""}[kind]


def _swap_in(path: Path, content: bytes) -> None:
    staged = path.with_name(".staged")
    staged.write_bytes(content)
    os.replace(staged, path)


@pytest.fixture()
def private_copy(built_database, tmp_path, monkeypatch):
    path = tmp_path / "data" / "kent.duckdb"
    path.parent.mkdir()
    shutil.copyfile(built_database, path)
    monkeypatch.setenv("KENT_DB_PATH", str(path))
    db.clear_caches()
    yield path
    db.clear_caches()


def _no_path(text: str, path: Path) -> None:
    assert str(path) not in text and path.name not in text and str(path.parent) not in text, text
    assert "Traceback" not in text and "Error" not in text, text


@pytest.mark.parametrize("kind", ["truncated", "random", "empty"])
def test_a_bad_file_swapped_in_keeps_the_last_good_database_serving(private_copy, kind):
    before = db.run("ward_choices")
    assert db.health() == (True, "ok") and db.fault() is None
    good = private_copy.read_bytes()
    _swap_in(private_copy, _bad_bytes(kind, good))

    assert db.run("ward_choices").equals(before)  # cached, from the last good file
    fresh = db.run("area_values_for_indicator", indicator_id="imd_score", level="ward", district_code=THANET)
    assert len(fresh) == 23  # never run before: read from the last good opening
    ok, message = db.health()
    assert not ok and message == db.HEALTH_FAULT
    assert db.fault() == db.FAULT_MESSAGE
    _no_path(message + db.FAULT_MESSAGE, private_copy)

    _swap_in(private_copy, good)  # a good build again
    assert db.health() == (True, "ok") and db.fault() is None
    assert len(db.run("ward_choices")) == 255


def test_a_file_that_is_bad_from_the_start_gives_a_fixed_message(private_copy):
    _swap_in(private_copy, os.urandom(4096))
    with pytest.raises(db.DatabaseUnavailable) as raised:
        db.run("ward_choices")
    assert str(raised.value) == db.UNAVAILABLE_MESSAGE
    assert db.health() == (False, db.HEALTH_UNAVAILABLE)
    _no_path(str(raised.value), private_copy)


PERMISSION_CHILD = r"""
import json, os, sys
from pathlib import Path
from geo.explorer import db
path = Path(sys.argv[1]); target = Path(sys.argv[2])
before = db.run("ward_choices")
assert db.health() == (True, "ok")
os.chmod(target, 0)
out = {"cached_same": bool(db.run("ward_choices").equals(before)),
       "fresh_rows": len(db.run("area_values_for_indicator", indicator_id="imd_score", level="ward",
                                district_code="E07000114")),
       "health": db.health(), "fault": db.fault()}
try:
    open(path, "rb").read(1)
    out["really_unreadable"] = False
except PermissionError:
    out["really_unreadable"] = True
os.chmod(target, 0o755 if target.is_dir() else 0o644)
out["health_after_repair"] = db.health()
print(json.dumps(out))
"""


@pytest.mark.parametrize("what", ["file", "folder"])
def test_an_unreadable_file_or_folder_keeps_the_last_good_database_serving(private_copy, what):
    if not shutil.which("setpriv"):
        pytest.fail("setpriv (util-linux) is needed to drop root's file-permission override")
    target = private_copy if what == "file" else private_copy.parent
    child = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-c",
                            PERMISSION_CHILD, str(private_copy), str(target)],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "KENT_DB_PATH": str(private_copy), "PYTHONPATH": str(REPO_ROOT)})
    os.chmod(target, 0o755 if target.is_dir() else 0o644)
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    assert out["really_unreadable"], out
    assert out["cached_same"] and out["fresh_rows"] == 23, out
    assert out["health"] == [False, db.HEALTH_FAULT], out
    assert out["health_after_repair"] == [True, "ok"], out
    _no_path(json.dumps(out), private_copy)


APP_CHILD = r"""
import json, os, sys
from pathlib import Path
from streamlit.testing.v1 import AppTest
path = Path(sys.argv[1]); bad = bytes.fromhex(sys.argv[2]) if sys.argv[2] != "-" else None

def run():
    app = AppTest.from_file("pages/district.py", default_timeout=120)
    app.query_params["district"] = "E07000114"
    app.run()
    texts = [str(getattr(e, "value", "")) for kind in ("error", "warning", "markdown", "exception") for e in getattr(app, kind)]
    return {"exceptions": [e.value for e in app.exception], "errors": [e.value for e in app.error],
            "warnings": [e.value for e in app.warning], "all_text": texts, "tables": len(app.table) + sum('class="kle-table"' in h.value for h in app.html)}

out = {}
if bad is None:  # good first, then the bad file
    out["good"] = run()
    staged = path.with_name(".staged"); staged.write_bytes(os.urandom(path.stat().st_size)); os.replace(staged, path)
else:
    staged = path.with_name(".staged"); staged.write_bytes(bad); os.replace(staged, path)
out["bad"] = run()
print(json.dumps(out))
"""


@pytest.mark.parametrize("history", ["served before", "bad from the start"])
def test_the_page_shows_a_fixed_message_and_no_traceback(private_copy, history):
    argument = "-" if history == "served before" else os.urandom(2048).hex()
    child = subprocess.run([sys.executable, "-c", APP_CHILD, str(private_copy), argument], cwd=REPO_ROOT,
                           capture_output=True, text=True, timeout=300,
                           env={**os.environ, "KENT_DB_PATH": str(private_copy), "PYTHONPATH": str(REPO_ROOT)})
    assert child.returncode == 0, child.stderr[-3000:]
    out = json.loads(child.stdout.strip().splitlines()[-1])
    bad = out["bad"]
    assert bad["exceptions"] == [], bad["exceptions"]
    _no_path(json.dumps(bad["all_text"]), private_copy)
    if history == "served before":
        assert out["good"]["exceptions"] == [] and db.FAULT_MESSAGE not in out["good"]["warnings"]
        assert db.FAULT_MESSAGE in bad["warnings"] and bad["tables"] == out["good"]["tables"] > 0, bad
    else:
        assert bad["errors"] == [db.UNAVAILABLE_MESSAGE], bad


def _health(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_replicas_health_check_reports_the_fault_and_its_pages_keep_working(private_copy, tmp_path):
    from bench.protocol_load import page_script_run

    port = free_port()
    log_path = tmp_path / "replica.log"
    with open(log_path, "w", encoding="utf-8") as log:
        replica = subprocess.Popen(["bash", "deploy/run_app.sh", str(port)], cwd=REPO_ROOT, stdout=log,
                                   stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHON": sys.executable, "KENT_DB_PATH": str(private_copy)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, replica, "replica", lambda: log_path.read_text())
        run_coroutine(page_script_run(url, "district", f"district={THANET}"))  # opens the good file
        assert _health(url) == (200, "ok")
        good = private_copy.read_bytes()
        _swap_in(private_copy, _bad_bytes("truncated", good))
        assert _health(url) == (503, db.HEALTH_FAULT)
        seconds, _ = run_coroutine(page_script_run(url, "district", "district=E07000105"))  # raises on an exception
        _swap_in(private_copy, good)
        assert _health(url) == (200, "ok")
    finally:
        replica.terminate()
        replica.wait(timeout=30)
    assert "cannot be read" in log_path.read_text()  # the detail is in the server log, for the operator
