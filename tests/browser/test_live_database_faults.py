"""A running Streamlit server through database faults, with real browser sessions.

1. Builds from corrupted mirrors (each kind of bad file) fail with a message naming the file and leave
   the database byte-identical, while a session keeps switching layers and getting drawn maps.
2. A real `python -m geo build` replaces the database (temp file + os.replace) while 10 browser
   sessions open /district for 10 districts and keep navigating and switching layers: no Streamlit
   exception in any of them, every map drawn with the right number of areas, no traceback in the
   server log, and afterwards the server reads the new file. One session's link pins the data release in service
   before the refresh: after the swap it still shows that release (from its kept file), with the notice naming the
   new one, while the others show the new release.

The server reads a private copy of the session's database (KENT_DB_PATH via STREAMLIT_ENV), so the
swap touches no other test.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo import catalogue, releases
from geo.config import REPO_ROOT
from tests.browser.conftest import COUNT_POLYGONS, PAGE_MAP

STREAMLIT_SCRIPT = "app.py"
STREAMLIT_ENV: dict[str, str] = {}  # set by the live_database fixture before the server starts
THANET = "E07000114"
MAP_TIMEOUT = 180_000  # ms; generous: the machine may be busy, nothing here is a timing assertion

# The page shows exactly one map, and it has drawn this many areas.
_MAP_HAS = ("(expected) => document.querySelectorAll('" + PAGE_MAP + "').length === 1 && (" + COUNT_POLYGONS
            + ")(0) === expected")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def live_database(built_database, tmp_path_factory, request) -> Path:
    """The file the module's server reads: a copy of the session's database (and its releases), in a folder of its own."""
    path = tmp_path_factory.mktemp("live") / "kent.duckdb"
    shutil.copyfile(built_database, path)
    shutil.copytree(releases.releases_dir(built_database), releases.releases_dir(path))
    request.module.STREAMLIT_ENV = {"KENT_DB_PATH": str(path)}
    return path


@pytest.fixture(scope="module")
def area_counts(built_database) -> pd.DataFrame:
    import duckdb
    connection = duckdb.connect(str(built_database), read_only=True)
    try:
        return connection.execute("""select w.district_code, count(distinct w.ward_code) as wards,
                                            (select count(*) from lsoas l where l.district_code = w.district_code) as lsoas
                                     from wards w group by 1 order by 1""").df().set_index("district_code")
    finally:
        connection.close()


def _wait_map(page, expected: int) -> None:
    page.wait_for_function(_MAP_HAS, arg=expected, timeout=MAP_TIMEOUT)


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


def _build(data_dir: Path, database: Path) -> subprocess.Popen:
    # Its embed pages go beside the database: static/embed holds the session build's pages, which
    # tests/test_embed.py reads (and pins to that build's release).
    return subprocess.Popen([sys.executable, "-m", "geo", "build", "--data-dir", str(data_dir), "--database", str(database)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "KENT_EMBED_DIR": str(database.parent / "embed")})


def _server_log_tracebacks(server) -> list[str]:
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or "Exception" in line]


# --- 1. corrupted builds ---------------------------------------------------------------------------

def _drop_column(text: str, column: str) -> str:
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    return frame.drop(columns=column).to_csv(index=False)


IOD = "raw/iod2025/kent_imd2025_lsoa21_domains.csv"
LOOKUP = "raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv"
WARDS = "raw/boundaries_wards_wd25_bgc/kent_wards_wd25_bgc.geojson"
POSTCODES = "processed/kent_postcodes_cpo2025_to_wd25.csv"
CORRUPTIONS = {  # kind: (file, change of its text, or None to delete it)
    "CSV missing column": (IOD, lambda t: _drop_column(t, "IMD_score")),
    "CSV bad code": (LOOKUP, lambda t: t.replace(",E05011780,", ",X05011780,", 1)),
    "CSV duplicate key": (IOD, lambda t: t + t.splitlines()[5] + "\n"),
    "CSV implausible value": (IOD, lambda t: t.replace("E01023973,E07000105,2,", "E01023973,E07000105,12,", 1)),
    "CSV empty": (IOD, lambda t: ""),
    "CSV header only": (LOOKUP, lambda t: t.splitlines()[0] + "\n"),
    "CSV not text": (IOD, lambda t: "\x00\x01\x02garbage\ufffd\n" * 50),
    "GeoJSON truncated": (WARDS, lambda t: t[: len(t) // 2]),
    "GeoJSON not a FeatureCollection": (WARDS, lambda t: '{"type": "Point", "coordinates": [0, 51]}'),
    "file missing": (POSTCODES, None),
}


def test_failed_builds_leave_the_running_app_serving_the_previous_database(
        live_database, streamlit_server, browser_page, mirror_with, tmp_path, area_counts):
    page = browser_page
    layers = list(catalogue.load().query("geography == 'lsoa21'").index)
    expected = int(area_counts.wards[THANET])
    page.goto(f"{streamlit_server.url}/district?district={THANET}")
    _wait_map(page, expected)
    before = _digest(live_database)

    for n, (kind, (relative, change)) in enumerate(CORRUPTIONS.items()):
        build = _build(mirror_with(tmp_path / f"mirror{n}", relative, change), live_database)
        page.goto(f"{streamlit_server.url}/district?district={THANET}&layer={layers[n % len(layers)]}")
        _wait_map(page, expected)  # served while the build runs (or has just failed)
        _no_exception(page)
        _, stderr = build.communicate(timeout=600)
        assert build.returncode == 1, (kind, stderr[-2000:])
        assert Path(relative).name in stderr and "previous database, if any, is unchanged" in stderr, (kind, stderr[-2000:])
        assert "Traceback" not in stderr, (kind, stderr[-2000:])
        assert _digest(live_database) == before, kind
        assert not list(live_database.parent.glob("*.building*")), kind
        # and after the failure, a new view still draws from the previous database
        page.goto(f"{streamlit_server.url}/district?district={THANET}&layer={layers[(n + 1) % len(layers)]}&level=lsoa")
        _wait_map(page, int(area_counts.lsoas[THANET]))
        _no_exception(page)
    assert _server_log_tracebacks(streamlit_server) == []


# --- 2. a swap under 10 sessions -------------------------------------------------------------------

def _open_files(pid: int, path: Path) -> set[int]:
    """Inodes of the files named `path` (or `path (deleted)`) that process `pid` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).split(" (deleted)")[0] == str(path):
                inodes.add(os.stat(fd).st_ino)
        except OSError:
            continue
    return inodes


def test_a_refresh_swapping_the_database_under_10_sessions_causes_no_error(
        live_database, streamlit_server, chromium_browser, mirror, area_counts):
    districts = list(area_counts.index)[:10]
    layers = list(catalogue.load().query("geography == 'lsoa21'").index)
    contexts = [chromium_browser.new_context(viewport={"width": 1280, "height": 900}) for _ in districts]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.set_default_timeout(MAP_TIMEOUT)
    old_inode = live_database.stat().st_ino
    before = releases.release_of(live_database)  # session 0's link pins it: the latest until the swap
    rounds: list[dict] = []
    build = None
    try:
        def run_round(r: int) -> None:
            building_at_start = build is not None and build.poll() is None
            # start every session's step first (they run concurrently in the server), then wait for each
            for i, (page, district) in enumerate(zip(pages, districts)):
                if r % 2 == 0:  # a new page load with another layer
                    pin = f"&release={before}" if i == 0 else ""
                    page.goto(f"{streamlit_server.url}/district?district={district}&layer={layers[(i + r) % len(layers)]}"
                              + pin, wait_until="commit")
                else:  # a rerun in the same session: switch to LSOAs
                    page.get_by_text("Neighbourhoods (LSOAs)").click()
            for page, district in zip(pages, districts):
                _wait_map(page, int(area_counts.wards[district] if r % 2 == 0 else area_counts.lsoas[district]))
                _no_exception(page)
            rounds.append({"building_at_start": building_at_start,
                           "swapped_during": building_at_start and build.poll() is not None})

        run_round(0)
        build = _build(mirror, live_database)  # the real refresh: temp file, checks, os.replace
        r = 1
        while build.poll() is None:
            run_round(r)
            r += 1
        for _ in range(2):  # sessions after the swap
            run_round(r)
            r += 1
        _, stderr = build.communicate(timeout=600)
        assert build.returncode == 0, stderr[-2000:]
        after = releases.release_of(live_database)
        assert releases.is_newer(after, before)
        pinned, latest = pages[0], pages[1]  # both loaded after the swap (the last rounds)
        pinned.get_by_text(f"Data release {before}: the sources and vintages in it").wait_for(state="attached")
        pinned.get_by_text(f"A newer release, {after}, is in service").wait_for()
        assert f"release={before}" in pinned.url
        latest.get_by_text(f"Data release {after}: the sources and vintages in it").wait_for(state="attached")
        assert latest.get_by_text("as pinned by its link").count() == 0
    finally:
        if build is not None and build.poll() is None:
            build.kill()
        for context in contexts:
            context.close()

    new_inode = live_database.stat().st_ino
    assert new_inode != old_inode  # the file really was replaced
    assert any(r["swapped_during"] for r in rounds), rounds  # ... while sessions were loading maps
    assert _server_log_tracebacks(streamlit_server) == []
    if Path("/proc").is_dir():
        assert new_inode in _open_files(streamlit_server.process.pid, live_database)  # the server reads the new build
    print(f"\n{len(pages)} sessions, {len(rounds)} rounds, {len(pages) * len(rounds)} maps drawn, "
          f"{sum(r['building_at_start'] for r in rounds)} rounds started during the build")
