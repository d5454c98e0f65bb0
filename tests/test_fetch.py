"""`python -m geo fetch` against a local HTTP server serving hand-written publisher samples.

All traffic goes to 127.0.0.1; nothing here reaches the internet.
"""
from __future__ import annotations

import csv
import hashlib
import http.server
import io
import json
import socket
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    # The repo has no pytest config putting its root on sys.path, and a bare `pytest` needs it.
    sys.path.insert(0, str(REPO_ROOT))

from geo.pipeline import fetch as geo_fetch  # noqa: E402

pytestmark = pytest.mark.timeout(60)

FIXTURES = Path(__file__).parent / "fixtures" / "publishers"
SHARED_MIRROR = REPO_ROOT.parent / "shared" / "data"

SAMPLE_FOR = {
    "iod2025_domains": "mhclg_iod2025_file7_sample.csv",
    "census2021_population": "ons_census2021_custom_lsoa21_age6_sample.csv",
    "naptan_localities": "dft_naptan_stops_sample.csv",
    "lsoa21_ward_lookup": "ons_lsoa21_ward24_lad24_arcgis_sample.json",
    "station_usage": "orr_table1410_station_usage_sample.csv",
}

# The mirror's headers, copied from the shared mirror (checked against it when it is present).
MIRROR_HEADERS = {
    "iod2025_domains": (
        "lsoa21_code,lad_code,IMD_decile,Income_decile,Employment_decile,Education_decile,Health_decile,"
        "Crime_decile,Housing_and_Services_decile,Environment_decile,IMD_rank,Income_rank,Employment_rank,"
        "Education_rank,Health_rank,Crime_rank,Housing_and_Services_rank,Environment_rank,IMD_score,"
        "Income_score,Employment_score,Education_score,Health_score,Crime_score,Housing_and_Services_score,"
        "Environment_score"
    ).split(","),
    "census2021_population": ["lsoa21_code", "lsoa21_name", "age_group", "usual_residents"],
    "lsoa21_ward_lookup": ["lsoa21_name", "lsoa21_code", "ward24_name", "ward24_code", "ltla24_name", "ltla24_code"],
}
KENT_LSOAS_IN_SAMPLES = {"E01023972", "E01024667"}


class PublisherServer:
    """A real HTTP server on 127.0.0.1 answering each path with a scripted list of responses."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes]]] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                responses = server.routes.get(path, [(404, b"not found")])
                status, body = responses[min(server.hits[path], len(responses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def serve(self, path: str, *responses: tuple[int, bytes]) -> str:
        """Answer path with these (status, body) responses in turn, repeating the last; its URL."""
        self.routes[path] = list(responses)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def publisher_server():
    server = PublisherServer()
    yield server
    server.close()


def sample_bytes(source_id: str) -> bytes:
    return (FIXTURES / SAMPLE_FOR[source_id]).read_bytes()


def serve_all_samples(server: PublisherServer) -> dict[str, str]:
    return {source_id: server.serve(f"/{name}", (200, sample_bytes(source_id))) for source_id, name in SAMPLE_FOR.items()}


def read_written(out_dir: Path, source_id: str) -> tuple[list[str], list[dict[str, str]]]:
    path = out_dir / geo_fetch.DATASETS_BY_ID[source_id].path
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def test_only_kent_rows_are_written_with_the_mirror_columns(publisher_server, tmp_path):
    messages: list[str] = []
    report = geo_fetch.fetch(tmp_path, base_urls=serve_all_samples(publisher_server), progress=messages.append,
                             backoff_seconds=0)
    assert report.ok, report.failed
    assert {fetched.source_id for fetched in report.written} == set(SAMPLE_FOR)

    columns, rows = read_written(tmp_path, "iod2025_domains")
    assert columns == MIRROR_HEADERS["iod2025_domains"]
    assert {row["lsoa21_code"] for row in rows} == KENT_LSOAS_IN_SAMPLES
    ashford = next(row for row in rows if row["lsoa21_code"] == "E01023972")
    assert (ashford["lad_code"], ashford["IMD_score"], ashford["IMD_rank"], ashford["IMD_decile"]) == (
        "E07000105", "28.562", "9005", "3")
    assert (ashford["Housing_and_Services_rank"], ashford["Environment_score"]) == ("11567", "4.583")

    columns, rows = read_written(tmp_path, "census2021_population")
    assert columns == MIRROR_HEADERS["census2021_population"]
    assert {row["lsoa21_code"] for row in rows} == KENT_LSOAS_IN_SAMPLES
    assert len(rows) == 12
    assert sum(int(row["usual_residents"]) for row in rows if row["lsoa21_code"] == "E01023972") == 1434

    columns, rows = read_written(tmp_path, "lsoa21_ward_lookup")
    assert columns == MIRROR_HEADERS["lsoa21_ward_lookup"]
    assert [(row["lsoa21_code"], row["ward24_code"], row["ltla24_code"]) for row in rows] == [
        ("E01023972", "E05011780", "E07000105"), ("E01024667", "E05005090", "E07000114")]

    columns, rows = read_written(tmp_path, "station_usage")
    assert {row["NLC"] for row in rows} == {"5003", "5004", "5035"}  # Ashford and Folkestone & Hythe, not Medway
    assert columns[:8] == ["NLC", "2021_Full", "2021_Reduced", "2021_Season", "2021_Total", "2021_Changes",
                           "2021_Rank", "2021_VarYoY"]
    ashford_international = next(row for row in rows if row["NLC"] == "5004")
    assert ashford_international["2021_Total"] == "2656922"
    assert ashford_international["2020_Total"] == "1064288"
    assert float(ashford_international["2021_VarYoY"]) == pytest.approx(149.64314170600437)


def test_lines_kept_unchanged_where_the_mirror_keeps_source_bytes(publisher_server, tmp_path):
    url = publisher_server.serve("/stops.csv", (200, sample_bytes("naptan_localities")))
    report = geo_fetch.fetch(tmp_path, base_urls={"naptan_localities": url}, only=["naptan_localities"], progress=lambda m: None)
    assert report.ok, report.failed
    served_lines = sample_bytes("naptan_localities").decode().splitlines(keepends=True)
    expected = served_lines[0] + "".join(line for line in served_lines[1:] if line.startswith("240"))
    written = (tmp_path / "raw/transport_naptan/kent_naptan_240Stops.csv").read_text(encoding="utf-8")
    assert written == expected
    assert '," Castle Road",' in written  # the source's own quoting survives


def test_fetch_log_records_the_sha256_of_the_served_bytes(publisher_server, tmp_path):
    base_urls = serve_all_samples(publisher_server)
    geo_fetch.fetch(tmp_path, base_urls=base_urls, progress=lambda m: None, backoff_seconds=0)
    log = json.loads((tmp_path / "fetch_log.json").read_text(encoding="utf-8"))["datasets"]
    assert set(log) == set(SAMPLE_FOR)
    for source_id, entry in log.items():
        served = sample_bytes(source_id)
        assert entry["sha256"] == hashlib.sha256(served).hexdigest()
        assert entry["bytes"] == len(served)
        assert entry["url"] == base_urls[source_id]
        assert datetime.fromisoformat(entry["fetched_at"]).tzinfo is not None


def test_a_500_then_200_is_retried_and_succeeds(publisher_server, tmp_path):
    url = publisher_server.serve("/file7.csv", (500, b"busy"), (200, sample_bytes("iod2025_domains")))
    report = geo_fetch.fetch(tmp_path, base_urls={"iod2025_domains": url}, only=["iod2025_domains"],
                             progress=lambda m: None, retries=3, backoff_seconds=0)
    assert report.ok, report.failed
    assert publisher_server.hits["/file7.csv"] == 2
    assert (tmp_path / "raw/iod2025/kent_imd2025_lsoa21_domains.csv").exists()


def test_a_server_that_always_fails_gives_nonzero_exit_and_no_file(publisher_server, tmp_path, capsys):
    url = publisher_server.serve("/file7.csv", (503, b"down"))
    exit_code = geo_fetch.main(["--out", str(tmp_path), "--only", "iod2025_domains", "--retries", "1",
                                "--base-url", f"iod2025_domains={url}"])
    assert exit_code != 0
    assert publisher_server.hits["/file7.csv"] == 2
    assert files_under(tmp_path) == []
    assert "iod2025_domains" in capsys.readouterr().err


def test_a_source_that_lost_its_columns_fails_and_writes_nothing(publisher_server, tmp_path):
    url = publisher_server.serve("/file7.csv", (200, b"LSOA code (2021),Something else\nE01023972,1\n"))
    report = geo_fetch.fetch(tmp_path, base_urls={"iod2025_domains": url}, only=["iod2025_domains"],
                             progress=lambda m: None)
    assert not report.ok
    assert "Local Authority District code (2024)" in report.failed["iod2025_domains"]
    assert files_under(tmp_path) == []


@pytest.mark.serial  # asserts it fails within 3 s
def test_an_unreachable_host_fails_fast_with_one_clear_message(tmp_path, capsys):
    url = f"http://127.0.0.1:{closed_port()}/File_7.csv"
    started = time.monotonic()
    exit_code = geo_fetch.main(["--out", str(tmp_path), "--timeout", "30", "--retries", "3",
                                *[f"--base-url={source_id}={url}" for source_id in SAMPLE_FOR]])
    elapsed = time.monotonic() - started
    assert exit_code != 0
    assert elapsed < 3
    failures = [line for line in capsys.readouterr().err.splitlines() if line.startswith("FAILED")]
    assert len(failures) == 1
    first_fetched = next(source for source in geo_fetch.DATASETS if source.fetch.url)  # in the registry's order
    assert first_fetched.source_id in failures[0]
    assert url in failures[0]
    assert "no internet? build from the local mirror with `python -m geo build` instead" in failures[0]
    assert files_under(tmp_path) == []


@pytest.mark.serial  # asserts it fails within 2 s
def test_a_name_that_does_not_resolve_is_not_retried(tmp_path):
    class UnresolvableSession(requests.Session):
        calls = 0

        def get(self, url, **kwargs):
            UnresolvableSession.calls += 1
            reason = NameResolutionError("publisher.invalid", None, socket.gaierror("Name or service not known"))
            raise requests.ConnectionError(MaxRetryError(None, url, reason))

    started = time.monotonic()
    report = geo_fetch.fetch(tmp_path, session=UnresolvableSession(), progress=lambda m: None, retries=3,
                             only=["naptan_localities", "iod2025_domains"])
    assert time.monotonic() - started < 2
    assert UnresolvableSession.calls == 1
    assert geo_fetch.OFFLINE_HINT in report.failed["naptan_localities"]
    assert "iod2025_domains" in report.skipped


def test_census_has_no_fixed_url_so_a_full_run_skips_it_and_says_how(publisher_server, tmp_path):
    base_urls = serve_all_samples(publisher_server)
    del base_urls["census2021_population"]
    report = geo_fetch.fetch(tmp_path, base_urls=base_urls, progress=lambda m: None)
    assert report.ok
    assert "--base-url census2021_population=URL" in report.skipped["census2021_population"]
    asked = geo_fetch.fetch(tmp_path, only=["census2021_population"], progress=lambda m: None)
    assert not asked.ok


def test_unknown_source_ids_are_refused(tmp_path, capsys):
    assert geo_fetch.main(["--out", str(tmp_path), "--base-url", "nope=http://127.0.0.1:1/x"]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.skipif(not SHARED_MIRROR.is_dir(), reason="the shared data mirror is not beside the checkout")
def test_written_columns_match_the_shared_mirror(publisher_server, tmp_path):
    geo_fetch.fetch(tmp_path, base_urls=serve_all_samples(publisher_server), progress=lambda m: None)
    for dataset in geo_fetch.DATASETS:
        with open(SHARED_MIRROR / dataset.path, newline="", encoding="utf-8") as handle:
            mirror_columns = next(csv.reader(handle))
        written_columns, _ = read_written(tmp_path, dataset.source_id)
        if dataset.source_id == "station_usage":
            # The years differ with the vintage; every column written must exist in the mirror's layout.
            assert set(written_columns) <= set(mirror_columns)
        else:
            assert written_columns == mirror_columns, dataset.source_id
    mirror_iod = {row["lsoa21_code"]: row for row in csv.DictReader(
        io.StringIO((SHARED_MIRROR / "raw/iod2025/kent_imd2025_lsoa21_domains.csv").read_text(encoding="utf-8")))}
    _, written_iod = read_written(tmp_path, "iod2025_domains")
    for row in written_iod:
        assert row == mirror_iod[row["lsoa21_code"]]


def test_orr_latest_years_are_laid_over_the_mirrors_earlier_years(publisher_server, tmp_path):
    """Table 1410 carries this year and last year's total: the refreshed file keeps the mirror's earlier years
    (the build reads 2017-2021), takes the publisher's values where it gives them, and fills nothing."""
    target = tmp_path / geo_fetch.DATASETS_BY_ID["station_usage"].path
    target.parent.mkdir(parents=True)
    target.write_text("NLC,2021_Total,2020_Total,2019_Total\n5003,1,2,40656.0\n9999,7,8,9\n", encoding="utf-8")
    url = publisher_server.serve("/table1410.csv", (200, sample_bytes("station_usage")))
    report = geo_fetch.fetch(tmp_path, base_urls={"station_usage": url}, only=["station_usage"], progress=lambda m: None)
    assert report.ok, report.failed
    rows = {row["NLC"]: row for row in csv.DictReader(io.StringIO(target.read_text(encoding="utf-8")))}
    assert rows["5003"]["2021_Total"] == "24818" and rows["5003"]["2020_Total"] == "9492"  # the publisher's
    assert rows["5003"]["2019_Total"] == "40656.0"  # kept from the mirror's copy
    assert rows["9999"] == {**{c: "" for c in rows["9999"]}, "NLC": "9999", "2021_Total": "7", "2020_Total": "8",
                            "2019_Total": "9"}  # a station the table no longer lists keeps its history
    assert rows["5004"]["2019_Total"] == ""  # new in the table: no earlier year is invented
