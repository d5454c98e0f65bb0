"""The monthly refresh end to end, on loopback: `geo fetch` from a local server speaking each publisher's format,
then `geo build` from the refreshed mirror. The payloads are the real mirror's Kent rows laid out as the publishers
serve them (File 7 headers, the ONS custom-dataset CSV, the ArcGIS JSON, NaPTAN's Stops.csv, ORR's Table 1410 with
only its latest two years), so the database built after the refresh must hold the same figures.

The refresh's build is also the next build after a killed one (issue 13, finding 12; one full build for both
claims): it goes into a copy of the session's database beside the files a killed build left, removes them and
keeps the database it replaced as kent.duckdb.previous, to roll back to."""
from __future__ import annotations

import csv
import http.server
import io
import json
import shutil
import subprocess
import sys
import threading

import duckdb
import pytest

from geo.config import REPO_ROOT
from geo.pipeline import fetch
from geo.pipeline.sources import SOURCES
from tests.conftest import digest, killed_build


class _Publishers:
    """127.0.0.1 only: path -> body."""

    def __init__(self, bodies: dict[str, bytes]):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = bodies.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _csv(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _renamed(rows, mirror_to_publisher: dict[str, str]) -> tuple[list[str], list[dict[str, str]]]:
    return list(mirror_to_publisher.values()), [{p: row[m] for m, p in mirror_to_publisher.items()} for row in rows]


def _publisher_payloads(mirror) -> dict[str, bytes]:
    """source_id -> what its publisher serves, made from the mirror's own Kent rows."""
    target = {d.source_id: mirror / d.path for d in fetch.DATASETS}
    payloads = {
        "iod2025_domains": _csv(*_renamed(_rows(target["iod2025_domains"]), SOURCES["iod2025_domains"].fetch.columns)),
        "census2021_population": _csv(*_renamed(_rows(target["census2021_population"]),
                                                SOURCES["census2021_population"].fetch.columns)),
        "naptan_localities": target["naptan_localities"].read_bytes(),
    }
    lookup = _renamed(_rows(target["lsoa21_ward_lookup"]), SOURCES["lsoa21_ward_lookup"].fetch.columns)[1]
    payloads["lsoa21_ward_lookup"] = json.dumps({"fields": [{"name": n} for n in SOURCES["lsoa21_ward_lookup"].fetch.columns.values()],
                                                 "features": [{"attributes": row} for row in lookup]}).encode()
    # ORR Table 1410: this year (2021-22) in full and last year's total and rank; no earlier years.
    district = {row["NLC"]: row["LAD25NM"] for row in _rows(mirror / "raw/transport_rail/kent_rail_stations.csv")}
    measures = {suffix: measure for measure, suffix in SOURCES["station_usage"].fetch.measures.items()}
    this_year = {f"2021_{s}": f"{measures[s]} Apr 2021 to Mar 2022" for s in ("Full", "Reduced", "Season", "Total",
                                                                               "Changes", "Rank")}
    last_year = {f"2020_{s}": f"{measures[s]} Apr 2020 to Mar 2021" for s in ("Total", "Rank")}
    usage = [row for row in _rows(target["station_usage"]) if row["NLC"] in district]
    columns = ["Station name", "National Location Code (NLC)", "Local authority: district or unitary",
               *this_year.values(), *last_year.values()]
    payloads["station_usage"] = _csv(columns, [
        {"Station name": f"Station {row['NLC']}", "National Location Code (NLC)": row["NLC"],
         "Local authority: district or unitary": district[row["NLC"]],
         **{p: row[m] for m, p in (this_year | last_year).items()}} for row in usage])
    return payloads


def _figures(database) -> dict[str, list]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        return {name: connection.execute(sql).fetchall() for name, sql in {
            "station usage": "select nlc, financial_year_start, entries_exits from station_usage order by all",
            "values": "select indicator_id, level, area_code, round(value, 9) from indicator_values order by all",
            "wards of LSOAs": "select lsoa_code, ward_code from lsoa_geography order by all",
            "places": "select place_code, ward_code, n_stops from places order by all",
        }.items()}
    finally:
        connection.close()


@pytest.mark.timeout(1800)
def test_fetch_then_build_refreshes_the_mirror_and_the_database_after_a_killed_build(built_database, mirror, mirror_copy,
                                                                                      tmp_path):
    refreshed = mirror_copy(tmp_path / "mirror")  # fetch replaces the files it refreshes
    server = _Publishers({f"/{source_id}": body for source_id, body in _publisher_payloads(mirror).items()})
    try:
        fetched = subprocess.run(
            [sys.executable, "-m", "geo", "fetch", "--out", str(refreshed), "--timeout", "60",
             *[f"--base-url={d.source_id}={server.url('/' + d.source_id)}" for d in fetch.DATASETS]],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    finally:
        server.close()
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    for dataset in fetch.DATASETS:
        assert not (refreshed / dataset.path).is_symlink(), f"{dataset.source_id} was not refreshed"
    usage = _rows(refreshed / "raw/transport_rail/kent_station_usage_orr.csv")
    assert usage and all(row["2017_Total"] for row in usage[:5])  # the earlier years kept from the mirror's copy

    database = tmp_path / "kent.duckdb"  # in service: a copy of the session's database
    shutil.copyfile(built_database, database)
    in_service = digest(database)
    leftovers = killed_build(database, tmp_path / "embed", mirror)
    assert leftovers and digest(database) == in_service  # the kill left files; the served file is untouched

    built = subprocess.run([sys.executable, "-m", "geo", "build", "--data-dir", str(refreshed), "--database",
                            str(database), "--embed-dir", str(tmp_path / "embed")],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=1500)
    assert built.returncode == 0, built.stderr[-2000:]
    assert not any(path.exists() for path in leftovers), leftovers  # the next build removed the killed one's files
    assert list(tmp_path.glob(".kent.duckdb.*.building*")) == []
    previous = tmp_path / "kent.duckdb.previous"
    assert digest(previous) == in_service  # the one it replaced, to roll back to
    assert previous.stat().st_ino != database.stat().st_ino
    assert _figures(database) == _figures(built_database)
