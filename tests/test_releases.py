"""Data releases (issue 16): two builds from two mirrors, links pinned to the first, unknown and hostile release
values, retention, and what every page, download, board pack and light embed records.

The two releases (conftest's ``two_releases``): the session's build from the real mirror, then a build from a scratch
copy of the mirror in which Ofcom's May 2021 gigabit share for Thanet is 58.3 instead of the published 57.1.
"""
from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from hypothesis import given, settings, strategies as st
from streamlit.testing.v1 import AppTest

from geo import releases
from geo.explorer import boardpack, db, downloads, embed_code, layers, state as url_state
from geo.explorer.findings import district_findings
from geo.config import REPO_ROOT
from geo.pipeline.readers import sha256_of
from tests.html_tables import metric_cards

THANET = "E07000114"
PINNED_VIEW = {"district": THANET, "layer": "gigabit_pct_2021"}
# The first test to ask for two_releases waits for a build from the real mirror and one from the scratch mirror.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture()
def serving(two_releases, monkeypatch):
    """Pages read the two-release database (the second release in service)."""
    database, first, second = two_releases
    monkeypatch.setenv("KENT_DB_PATH", str(database))
    db.clear_caches()
    yield database, first, second
    db.clear_caches()


def _district(**params) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "pages" / "district.py"), default_timeout=180)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def _gigabit_card(app: AppTest) -> str:
    return next(value for label, value in metric_cards(app).items() if "Gigabit" in label)


def _release_line(app: AppTest) -> str:
    bodies = [h.proto.body for h in app.get("html") if 'class="kle-release"' in h.proto.body]
    assert len(bodies) == 1
    return bodies[0]


# --- two builds ---------------------------------------------------------------------------------

def test_each_build_is_a_release_recording_every_sources_vintage_and_checksum(two_releases):
    database, first, second = two_releases
    assert releases.is_newer(second, first)
    if first == datetime.now(timezone.utc).date().isoformat():
        assert second == f"{first}.2"  # built again the same day
    assert releases.release_of(database) == second  # the one in service
    assert releases.kept_ids(database) == [first, second]  # keep 1, but the replaced release is the roll-back target
    record = {r["release_id"]: r for r in releases.read_record(database)}
    assert set(record) == {first, second}
    for release_id in (first, second):
        kept = releases.release_path(database, release_id)
        assert record[release_id]["database_sha256"] == sha256_of(kept)
        assert releases.release_of(kept) == release_id
    assert kept.stat().st_ino == database.stat().st_ino  # the release in service is the served file (a hard link)
    sources = {r["release_id"]: {s["source_id"]: s for s in r["sources"]} for r in record.values()}
    differs = {s for s in sources[first] if sources[first][s]["sha256"] != sources[second][s]["sha256"]}
    assert differs == {"ofcom_district_202105"}  # exactly the file whose value the second mirror changed
    assert sources[second]["ofcom_district_202105"]["vintage"] == "May 2021"
    assert all(len(s["sha256"]) == 64 and s["vintage"] for s in sources[second].values())


def test_a_link_pinned_to_the_first_release_shows_its_value_after_the_second_is_in_service(serving):
    _, first, second = serving
    pinned = _district(**PINNED_VIEW, release=first)
    assert not pinned.exception
    assert _gigabit_card(pinned) == "57.1%"  # the first release's (published) value
    assert f"Data release {first}" in _release_line(pinned)
    notice = [i.value for i in pinned.info if "data release" in i.value]
    assert len(notice) == 1 and f"shows data release {first}" in notice[0] and f"newer release, {second}" in notice[0]
    links = [h.proto.body for h in pinned.get("html") if "kle-latest-release" in h.proto.body]
    assert len(links) == 1 and 'target="_self"' in links[0]
    href = html.unescape(re.search(r'href="([^"]*)"', links[0]).group(1))
    assert parse_qs(urlparse(href).query) == {"district": [THANET], "layer": ["gigabit_pct_2021"], "release": [second]}
    assert pinned.query_params["release"] == first  # the address bar keeps the pin

    latest = _district(**PINNED_VIEW)
    assert _gigabit_card(latest) == "58.3%"  # the second release's value
    assert not [i.value for i in latest.info if "data release" in i.value]
    assert f"Data release {second}" in _release_line(latest)
    assert latest.query_params["release"] == second  # the address bar now pins the release it showed

    followed = _district(**{k: v[0] for k, v in parse_qs(urlparse(href).query).items()})  # the notice's link: the same view on the latest
    assert _gigabit_card(followed) == "58.3%" and not [i.value for i in followed.info if "data release" in i.value]


def test_the_findings_and_board_pack_of_a_pinned_page_are_the_first_releases(serving):
    database, first, second = serving
    with db.reading_release_file(releases.release_path(database, first)):
        findings = district_findings(THANET)
        shown = layers.layer("gigabit_pct_2021", "ward", THANET, "quantiles")
        pack = boardpack.board_pack_html(**boardpack.board_pack_inputs(shown, findings, "2026-12-02"))
        table = downloads.planner_table("ward", THANET, "gigabit_pct_2021")
        csvw = json.loads(table.csvw("2026-12-02"))
        geojson = json.loads(table.geojson())
    gigabit = next(f["text"] for f in findings if "gigabit" in f["text"])
    assert "In May 2021, gigabit-capable broadband reached 57.1% of premises in Thanet" in gigabit
    assert f"data release {first}" in pack and f"release={first}" in pack and second not in pack
    assert csvw["kle:dataRelease"] == first and geojson["metadata"]["data_release"] == first  # downloads' provenance
    latest = next(f["text"] for f in district_findings(THANET) if "gigabit" in f["text"])
    assert "58.3% of premises in Thanet" in latest


def test_the_light_embed_pages_record_their_release_and_their_folder_is_named_for_it(two_releases):
    database, _, second = two_releases
    served = database.parent / "embed"
    assert served.resolve().name.startswith(f"{second}--")
    page = (served / THANET / "imd_score.html").read_text(encoding="utf-8")
    assert f"Data release {second}." in page
    assert f"district?district={THANET}&amp;release={second}" in page  # "Open this view in the full explorer"


# --- unknown, malformed, removed ----------------------------------------------------------------

@pytest.mark.parametrize("requested, says", [
    ("2026-12-01", "There is no data release `2026-12-01`"),  # well formed, never built here
    ("2026-02-30", "Unknown data release `2026-02-30`"),  # no such date
    ("2026-12-02.1", "Unknown data release `2026-12-02.1`"),  # the first build of a day has no suffix
    ("<b>x</b>`](javascript:alert(1))", "Unknown data release `<b>x</b>'](javascript:alert(1))`"),
])
def test_an_unknown_or_malformed_release_is_named_and_the_latest_is_shown(serving, requested, says):
    _, _, second = serving
    app = _district(**PINNED_VIEW, release=requested)
    assert not app.exception
    warnings = [w.value for w in app.warning if "data release" in w.value]
    assert len(warnings) == 1 and warnings[0].startswith(says) and f"latest release, {second}" in warnings[0]
    assert _gigabit_card(app) == "58.3%"
    assert app.query_params["release"] == second


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=30), st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9](\.[0-9]{1,4})?", fullmatch=True),
                 st.lists(st.text(max_size=12), min_size=1, max_size=3)))
def test_parse_release_accepts_only_real_release_ids(value):
    requested, warnings = url_state.parse_release({"release": value})
    if requested is not None:
        assert warnings == [] and releases.is_release_id(requested)
        day = requested.split(".")[0]
        assert date.fromisoformat(day).isoformat() == day
        assert "." not in requested or 2 <= int(requested.split(".")[1]) <= 999
    elif str(value if not isinstance(value, list) else (value[-1] if value else "")).strip():
        assert len(warnings) == 1 and warnings[0].startswith("Unknown data release `")
        assert warnings[0].count("`") == 2  # the value is one literal code span


# --- retention (synthetic release files, made here) ---------------------------------------------

def _synthetic_release(database: Path, release_id: str) -> releases.StagedRelease:
    """A tiny synthetic database standing in for a build, staged as a release."""
    new = database.with_name(f".{release_id}.building")
    connection = duckdb.connect(str(new))
    connection.execute("create table source_files as select 'synthetic' as source_id, 'x.csv' as path, "
                       "'Synthetic test table' as title, 'test' as publisher, '2026' as vintage, "
                       "repeat('0', 64) as sha256, 1 as rows_loaded")
    connection.close()
    releases.stamp(new, release_id, datetime.now(timezone.utc))
    staged = releases.stage(new, database, release_id, datetime.now(timezone.utc))
    new.unlink()
    return staged


def test_retention_keeps_the_newest_the_pinned_and_the_replaced_and_records_what_it_removed(tmp_path):
    database = tmp_path / "kent.duckdb"
    ids = [f"2026-0{m}-01" for m in range(1, 8)]
    (releases.releases_dir(database)).mkdir()
    (releases.releases_dir(database) / releases.PINNED_NAME).write_text("# cited in the March minutes\n2026-03-01\n")
    for i, release_id in enumerate(ids):
        report = releases.commit(_synthetic_release(database, release_id), ids[i - 1] if i else None, keep=2)
    assert releases.kept_ids(database) == ["2026-03-01", "2026-06-01", "2026-07-01"]  # pinned, then the newest 2
    assert report.removed == ["2026-05-01"]  # the last build removed only what had just fallen out of the window
    record = {r["release_id"]: r for r in releases.read_record(database)}
    assert set(record) == set(ids)  # removed releases stay in the record
    assert [i for i in ids if record[i]["removed_at_utc"]] == ["2026-01-01", "2026-02-01", "2026-04-01", "2026-05-01"]
    removed = releases.resolve("2026-02-01", database, "2026-07-01")
    assert removed.problem == "removed" and removed.path is None
    assert releases.resolve("2026-03-01", database, "2026-07-01").pinned  # pinned in minutes: still there
    assert releases.next_release_id(database, date(2026, 2, 1)) == "2026-02-01.2"  # ids are never reused


def test_retention_of_one_still_keeps_the_release_it_replaced_to_roll_back_to(tmp_path):
    database = tmp_path / "kent.duckdb"
    releases.commit(_synthetic_release(database, "2026-01-01"), None, keep=1)
    releases.commit(_synthetic_release(database, "2026-02-01"), "2026-01-01", keep=1)
    assert releases.kept_ids(database) == ["2026-01-01", "2026-02-01"]
    report = releases.commit(_synthetic_release(database, "2026-03-01"), "2026-02-01", keep=1)
    assert report.removed == ["2026-01-01"] and releases.kept_ids(database) == ["2026-02-01", "2026-03-01"]


def test_without_a_retention_every_release_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(releases.KEEP_ENV, raising=False)
    assert releases.retention_from_env() is None
    database = tmp_path / "kent.duckdb"
    for i, release_id in enumerate(["2026-01-01", "2026-01-01.2", "2026-01-01.3", "2026-01-02"]):
        releases.commit(_synthetic_release(database, release_id), None, keep=releases.retention_from_env())
    assert releases.kept_ids(database) == ["2026-01-01", "2026-01-01.2", "2026-01-01.3", "2026-01-02"]
    monkeypatch.setenv(releases.KEEP_ENV, "0")
    with pytest.raises(releases.ReleaseError, match="at least 1"):
        releases.retention_from_env()


def test_a_removed_release_is_named_on_the_page(serving, tmp_path):
    database, _, second = serving
    record = releases.releases_dir(database) / releases.RECORD_NAME
    original = record.read_text(encoding="utf-8")
    entries = json.loads(original)
    entries["releases"].append({"release_id": "2025-06-01", "built_at_utc": "2025-06-01T02:00:00Z", "database_sha256": "0" * 64,
                                "sources": [], "removed_at_utc": "2025-09-01T02:00:00Z"})
    record.write_text(json.dumps(entries), encoding="utf-8")
    try:
        app = _district(**PINNED_VIEW, release="2025-06-01")
    finally:
        record.write_text(original, encoding="utf-8")
    warnings = [w.value for w in app.warning if "data release" in w.value.lower()]
    assert warnings and warnings[0].startswith("Data release `2025-06-01` was removed on 2025-09-01")
    assert _gigabit_card(app) == "58.3%"


def test_embed_code_records_its_release_and_pins_it_only_when_asked():
    args = ("interactive", "https://explorer.example", THANET, "gigabit_pct_2021", "Thanet", "Gigabit")
    pinned = embed_code.snippet(*args, release_id="2026-12-02", pin=True)
    assert pinned.startswith("<!-- Kent Locality Explorer embed, pinned to data release 2026-12-02 -->")
    urls = re.findall(r'(?:src|href)="([^"#]+)"', pinned)
    assert len(urls) == 3 and all("release=2026-12-02" in u for u in urls)  # the frame, the explorer, the table
    latest = embed_code.snippet(*args, release_id="2026-12-02")
    assert "made from data release 2026-12-02; it shows the latest release" in latest and "release=" not in latest
    light = embed_code.snippet("light", *args[1:], release_id="2026-12-02")
    assert "made from data release 2026-12-02" in light and "release=" not in light
    with pytest.raises(ValueError, match="only the interactive embed"):
        embed_code.snippet("light", *args[1:], release_id="2026-12-02", pin=True)
