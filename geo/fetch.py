"""Refresh the Kent data mirror from the official publishers (needs internet).

`python -m geo fetch` downloads each dataset, cuts it to the 12 Kent districts and writes it at the
same relative path, with the same columns, as the shared mirror, so that `python -m geo build`
reads both the same way. Every download is recorded in fetch_log.json (url, bytes, sha256,
fetched_at). Without internet, build from the local mirror with `python -m geo build`.

This module imports nothing from the rest of `geo`, so the fetch route works on its own.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import urlencode

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO_ROOT / "data" / "mirror"
FETCH_LOG_NAME = "fetch_log.json"
OFFLINE_HINT = "no internet? build from the local mirror with `python -m geo build` instead"

# Kent County Council's 12 districts. Medway (E06000035) is a separate unitary authority.
KENT_LAD_CODES = frozenset(f"E07000{n}" for n in range(105, 117))
KENT_LAD_NAMES = (
    "Ashford", "Canterbury", "Dartford", "Dover", "Gravesham", "Maidstone", "Sevenoaks",
    "Folkestone and Hythe", "Swale", "Thanet", "Tonbridge and Malling", "Tunbridge Wells",
)
# LSOA 2021 names are "<district name> <3 digits><letter>", e.g. "Ashford 006A"; the Census file
# carries no district code, so its Kent cut goes by name.
KENT_LSOA21_NAME = re.compile(r"^(?:%s) \d{3}[A-Z]$" % "|".join(map(re.escape, KENT_LAD_NAMES)))
NAPTAN_KENT_ATCO_AREA = "240"


# --- reading what the publishers serve -------------------------------------------------------


@dataclass(frozen=True)
class SourceRow:
    """One record of a downloaded table; `text` is its exact source line(s) where the source is CSV."""

    values: dict[str, str]
    text: str | None = None


@dataclass(frozen=True)
class SourceTable:
    """A downloaded table: its column names, exact header line (CSV only) and rows."""

    columns: list[str]
    rows: list[SourceRow]
    header_text: str | None = None


def decode_text(payload: bytes) -> str:
    """Publisher bytes as text: UTF-8 (with or without BOM), else Windows-1252 as ORR uses."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return payload.decode("cp1252")


def read_csv_table(payload: bytes) -> SourceTable:
    """Parse a CSV download, keeping each record's exact source text for byte-for-byte copies."""
    consumed: list[str] = []

    def lines_as_read() -> Iterator[str]:
        # csv.reader pulls lines only as far as the current record, so what it has pulled since
        # the previous record is exactly that record's source text (quoted newlines included).
        for line in io.StringIO(decode_text(payload), newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines_as_read())
    try:
        columns = next(reader)
    except StopIteration:
        raise FetchError("the download is empty") from None
    header_text = "".join(consumed)
    consumed.clear()
    rows = []
    for record in reader:
        text = "".join(consumed)
        consumed.clear()
        if not any(record):
            continue
        rows.append(SourceRow(dict(zip(columns, record)), text))
    return SourceTable(columns, rows, header_text)


def read_arcgis_json(payload: bytes) -> SourceTable:
    """Parse an ArcGIS FeatureServer `query?f=json` answer (the ONS Open Geography Portal API)."""
    answer = json.loads(decode_text(payload))
    if "error" in answer:
        raise FetchError(f"the ArcGIS service answered with an error: {answer['error']}")
    if answer.get("exceededTransferLimit"):
        # A capped answer would silently drop rows; the Kent query is far below the cap today.
        raise FetchError("the ArcGIS service capped the answer (exceededTransferLimit); page the query")
    columns = [f["name"] for f in answer.get("fields", [])]
    rows = []
    for feature in answer.get("features", []):
        attributes = feature.get("attributes", {})
        if not columns:
            columns = list(attributes)
        rows.append(SourceRow({k: "" if v is None else str(v) for k, v in attributes.items()}))
    return SourceTable(columns, rows)


# --- turning a source table into the mirror's layout -----------------------------------------


def number_or_blank(value: str) -> str:
    """A published count as plain digits ("1,234" -> "1234"); markers such as "[x]" become blank."""
    cleaned = value.replace(",", "").strip()
    try:
        float(cleaned)
    except ValueError:
        return ""
    return cleaned


ORR_PERIOD_HEADER = re.compile(r"^(?P<measure>.+?)\s+Apr (?P<year>\d{4}) to Mar \d{4}$")
ORR_SUFFIX_ORDER = ("Full", "Reduced", "Season", "Total", "Changes", "Rank", "VarYoY")


def reshape_orr_station_usage(
    table: SourceTable, rows: list[SourceRow], nlc_column: str, measure_suffixes: Mapping[str, str]
) -> tuple[list[str], list[dict[str, str]]]:
    """ORR per-station usage to the mirror's wide layout: NLC, then <year>_Full … <year>_VarYoY."""
    period_columns: dict[tuple[str, str], str] = {}
    for column in table.columns:
        match = ORR_PERIOD_HEADER.match(column.strip())
        if match and match["measure"] in measure_suffixes:
            period_columns[(match["year"], measure_suffixes[match["measure"]])] = column
    if not period_columns:
        raise FetchError("no 'Apr YYYY to Mar YYYY' usage columns found; the ORR layout has changed")
    years = sorted({year for year, _ in period_columns}, reverse=True)
    columns = ["NLC"] + [f"{year}_{suffix}" for year in years for suffix in ORR_SUFFIX_ORDER]
    out_rows = []
    for row in rows:
        out = {"NLC": row.values[nlc_column].strip()}
        for year in years:
            for suffix in ORR_SUFFIX_ORDER:
                source_column = period_columns.get((year, suffix))
                out[f"{year}_{suffix}"] = number_or_blank(row.values[source_column]) if source_column else ""
            previous_total = number_or_blank(row.values.get(period_columns.get((str(int(year) - 1), "Total"), ""), ""))
            total = out[f"{year}_Total"]
            if total and previous_total and float(previous_total) != 0:
                # The mirror's VarYoY is the percentage change of the total on the previous year.
                out[f"{year}_VarYoY"] = str((float(total) / float(previous_total) - 1) * 100)
        out_rows.append(out)
    return columns, out_rows


# --- the datasets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublisherDataset:
    """What the fetch knows about one dataset: where it is, how to read it, cut it and lay it out."""

    source_id: str  # the source_id in data/manifest.csv
    url: str | None  # None: the publisher has no fixed file; pass --base-url SOURCE_ID=URL
    target_path: str  # relative to the mirror root, as in data/manifest.csv
    read: Callable[[bytes], SourceTable]
    kent_column: str
    is_kent: Callable[[str], bool]
    # Mirror column -> source column, in the mirror's order. None: keep the source columns and the
    # Kent lines byte-for-byte, as the mirror's raw/ copies do.
    mirror_columns: Mapping[str, str] | None = None
    # For layouts a rename cannot express: (table, Kent rows) -> (columns, rows).
    reshape: Callable[[SourceTable, list[SourceRow]], tuple[list[str], list[dict[str, str]]]] | None = None
    how_to_get_url: str = ""


# MHCLG IoD2025 File 7 header -> the mirror's column name. The domain names and the
# "(where 1 is most deprived …)" wording follow MHCLG's File 7 for IoD2019 and IoD2025.
IOD_DOMAINS = (
    # mirror prefix, File 7 domain name, File 7 score label
    ("IMD", "Index of Multiple Deprivation (IMD)", "Score"),
    ("Income", "Income", "Score (rate)"),
    ("Employment", "Employment", "Score (rate)"),
    ("Education", "Education, Skills and Training", "Score"),
    ("Health", "Health Deprivation and Disability", "Score"),
    ("Crime", "Crime", "Score"),
    ("Housing_and_Services", "Barriers to Housing and Services", "Score"),
    ("Environment", "Living Environment", "Score"),
)
IOD2025_FILE7_TO_MIRROR: dict[str, str] = {
    "lsoa21_code": "LSOA code (2021)",
    "lad_code": "Local Authority District code (2024)",
    **{f"{prefix}_decile": f"{name} Decile (where 1 is most deprived 10% of LSOAs)" for prefix, name, _ in IOD_DOMAINS},
    **{f"{prefix}_rank": f"{name} Rank (where 1 is most deprived)" for prefix, name, _ in IOD_DOMAINS},
    **{f"{prefix}_score": f"{name} {score}" for prefix, name, score in IOD_DOMAINS},
}

# ONS "Create a custom dataset" CSV (LSOA 2021 x Age (6 categories)) -> the mirror's long table.
CENSUS2021_CUSTOM_TO_MIRROR: dict[str, str] = {
    "lsoa21_code": "Lower layer Super Output Areas Code",
    "lsoa21_name": "Lower layer Super Output Areas",
    "age_group": "Age (6 categories)",
    "usual_residents": "Observation",
}

# ONS LSOA21_WD24_LAD24_EW_LU fields -> the column names geographr gave them in the mirror.
LSOA21_WARD24_TO_MIRROR: dict[str, str] = {
    "lsoa21_name": "LSOA21NM",
    "lsoa21_code": "LSOA21CD",
    "ward24_name": "WD24NM",
    "ward24_code": "WD24CD",
    "ltla24_name": "LAD24NM",
    "ltla24_code": "LAD24CD",
}

# ORR Table 1410 measure (the header before "Apr YYYY to Mar YYYY") -> the mirror's column suffix.
ORR_1410_MEASURE_SUFFIXES: dict[str, str] = {
    "Entries and exits: full tickets": "Full",
    "Entries and exits: reduced tickets": "Reduced",
    "Entries and exits: season tickets": "Season",
    "Entries and exits: all tickets": "Total",
    "Interchanges": "Changes",
    "Rank": "Rank",
}

ONS_LOOKUP_QUERY = urlencode({
    "where": "LAD24CD IN (%s)" % ",".join(f"'{code}'" for code in sorted(KENT_LAD_CODES)),
    "outFields": ",".join(LSOA21_WARD24_TO_MIRROR.values()),
    "returnGeometry": "false",
    "f": "json",
})


def normalised_district_name(name: str) -> str:
    """A district name compared loosely: case, '&' for 'and', and the pre-2018 name Shepway."""
    name = " ".join(name.replace("&", "and").split()).casefold()
    return "folkestone and hythe" if name == "shepway" else name


KENT_LAD_NAMES_NORMALISED = frozenset(normalised_district_name(name) for name in KENT_LAD_NAMES)

DATASETS: tuple[PublisherDataset, ...] = (
    PublisherDataset(
        source_id="iod2025_domains",
        # Best-known direct link to File 7 from the IoD2025 release page (the manifest's
        # official_url is that page). Unchecked here: check it on a connected machine.
        url="https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        target_path="raw/iod2025/kent_imd2025_lsoa21_domains.csv",
        read=read_csv_table,
        kent_column="Local Authority District code (2024)",
        is_kent=lambda value: value.strip() in KENT_LAD_CODES,
        mirror_columns=IOD2025_FILE7_TO_MIRROR,
    ),
    PublisherDataset(
        source_id="census2021_population",
        # ONS serves this table only through "Create a custom dataset", whose download link is
        # made per request, so there is no fixed URL to put here.
        url=None,
        target_path="raw/population_census2021/kent_census21_lsoa21_usual_residents_age6.csv",
        read=read_csv_table,
        kent_column="Lower layer Super Output Areas",
        is_kent=lambda value: KENT_LSOA21_NAME.match(value.strip()) is not None,
        mirror_columns=CENSUS2021_CUSTOM_TO_MIRROR,
        how_to_get_url="at https://www.ons.gov.uk/datasets/create choose Census 2021 usual residents, "
        "Lower layer Super Output Areas and Age (6 categories), then pass the CSV link as "
        "--base-url census2021_population=URL",
    ),
    PublisherDataset(
        source_id="naptan_stops",
        # The manifest's official_url (DfT NaPTAN API). Unchecked here: check it on a connected machine.
        url="https://naptan.api.dft.gov.uk/v1/access-nodes?dataFormat=csv&atcoAreaCodes=240",
        # The mirror's processed file needs a ward from a spatial join, which is the build's job;
        # the fetch refreshes the raw Stops.csv it is made from.
        target_path="raw/transport_naptan/kent_naptan_240Stops.csv",
        read=read_csv_table,
        kent_column="ATCOCode",
        is_kent=lambda value: value.startswith(NAPTAN_KENT_ATCO_AREA),
    ),
    PublisherDataset(
        source_id="lsoa21_ward_lookup",
        # ONS Open Geography Portal API for "LSOA (2021) to Electoral Ward (2024) to LAD (2024)
        # Best Fit Lookup in EW" (the manifest's official_url is its portal page), asked for the
        # Kent rows only. Unchecked here: check it on a connected machine.
        url="https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
        "LSOA21_WD24_LAD24_EW_LU/FeatureServer/0/query?" + ONS_LOOKUP_QUERY,
        target_path="raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv",
        read=read_arcgis_json,
        kent_column="LAD24CD",
        is_kent=lambda value: value.strip() in KENT_LAD_CODES,
        mirror_columns=LSOA21_WARD24_TO_MIRROR,
    ),
    PublisherDataset(
        source_id="station_usage",
        # Best-known direct link to ORR Table 1410 (latest year, by station) as CSV. Both the URL
        # and the header names in ORR_1410_MEASURE_SUFFIXES are unchecked here: check them on a
        # connected machine. Table 1410 has one year (plus last year's total and rank), so the
        # mirror's 1997-2021 history is not refreshed by this.
        url="https://dataportal.orr.gov.uk/media/1909/"
        "table-1410-passenger-entries-and-exits-and-interchanges-by-station.csv",
        target_path="raw/transport_rail/kent_station_usage_orr.csv",
        read=read_csv_table,
        kent_column="Local authority: district or unitary",
        is_kent=lambda value: normalised_district_name(value) in KENT_LAD_NAMES_NORMALISED,
        reshape=lambda table, rows: reshape_orr_station_usage(
            table, rows, "National Location Code (NLC)", ORR_1410_MEASURE_SUFFIXES
        ),
    ),
)
DATASETS_BY_ID = {dataset.source_id: dataset for dataset in DATASETS}


# --- downloading -----------------------------------------------------------------------------


class FetchError(Exception):
    """A dataset could not be fetched or did not look as expected."""


class HostUnreachable(FetchError):
    """The publisher's host did not resolve or refused the connection: most likely no internet."""


@dataclass(frozen=True)
class Download:
    """A finished download held in a temporary file."""

    url: str
    path: Path
    bytes: int
    sha256: str
    fetched_at: str


def is_unreachable_host(error: requests.ConnectionError) -> bool:
    """True when the connection never opened (DNS failure, refused): retrying will not help."""
    # urllib3 raises NewConnectionError (NameResolutionError is a subclass) only before a
    # connection exists; resets and broken reads are other errors and are worth a retry.
    from urllib3.exceptions import NewConnectionError

    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectionRefusedError)):
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def download(
    url: str, into_dir: Path, session: requests.Session, timeout: float, retries: int, backoff_seconds: float
) -> Download:
    """Download url to a temporary file in into_dir, retrying connection drops and 5xx answers."""
    attempts = retries + 1
    last_problem = ""
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            time.sleep(backoff_seconds * 2 ** (attempt - 2))
        try:
            with session.get(url, timeout=timeout, stream=True) as response:
                if response.status_code >= 500:
                    last_problem = f"HTTP {response.status_code}"
                    continue
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code}: the file may have moved; check the URL")
                return stream_to_temp_file(url, response, into_dir)
        except requests.ConnectionError as error:
            if is_unreachable_host(error):
                raise HostUnreachable(f"cannot reach the host ({type(error).__name__})") from error
            last_problem = f"connection error: {error}"
        except requests.Timeout as error:
            last_problem = f"timed out after {timeout} s: {error}"
    raise FetchError(f"gave up after {attempts} attempts; last: {last_problem}")


def stream_to_temp_file(url: str, response: requests.Response, into_dir: Path) -> Download:
    """Write a response body to a temporary file, hashing it on the way."""
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=into_dir, prefix=".download-", suffix=".part", delete=False)
    path = Path(handle.name)
    try:
        with handle:
            for chunk in response.iter_content(chunk_size=1 << 16):
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return Download(url, path, size, digest.hexdigest(), fetched_at)


# --- cutting and writing ---------------------------------------------------------------------


def cut_to_kent(dataset: PublisherDataset, payload: bytes) -> tuple[str, int]:
    """The dataset's Kent rows in the mirror's layout, as CSV text, and how many rows that is."""
    table = dataset.read(payload)
    needed = {dataset.kent_column, *(dataset.mirror_columns or {}).values()}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise FetchError(f"the source has no column(s) {missing}; the publisher's layout has changed")
    kent_rows = [row for row in table.rows if dataset.is_kent(row.values.get(dataset.kent_column, ""))]
    if not kent_rows:
        raise FetchError(f"no Kent rows among {len(table.rows)} rows; the publisher's layout has changed")

    if dataset.mirror_columns is None and dataset.reshape is None and table.header_text is not None:
        return table.header_text + "".join(row.text or "" for row in kent_rows), len(kent_rows)

    if dataset.reshape is not None:
        columns, out_rows = dataset.reshape(table, kent_rows)
    elif dataset.mirror_columns is not None:
        columns = list(dataset.mirror_columns)
        out_rows = [{mirror: row.values[source] for mirror, source in dataset.mirror_columns.items()} for row in kent_rows]
    else:
        columns, out_rows = table.columns, [row.values for row in kent_rows]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(out_rows)
    return buffer.getvalue(), len(out_rows)


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename, so no partial file is ever seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False, encoding="utf-8", newline=""
    )
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedFile:
    """One dataset written to the mirror, with the download it came from."""

    source_id: str
    url: str
    bytes: int
    sha256: str
    fetched_at: str
    target_path: str
    kent_rows: int


@dataclass
class FetchReport:
    """What a fetch wrote, what failed (with the message shown) and what it skipped."""

    out_dir: Path
    written: list[FetchedFile] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


def fetch(
    out_dir: Path,
    base_urls: dict[str, str] | None = None,
    session: requests.Session | None = None,
    progress: Callable[[str], object] = print,
    timeout: float = 30,
    retries: int = 3,
    only: list[str] | None = None,
    backoff_seconds: float = 1.0,
) -> FetchReport:
    """Download the datasets (all, or `only`), cut them to Kent and write them into out_dir."""
    base_urls = dict(base_urls or {})
    unknown = sorted((set(base_urls) | set(only or [])) - set(DATASETS_BY_ID))
    if unknown:
        raise ValueError(f"unknown source_id(s) {unknown}; known: {sorted(DATASETS_BY_ID)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    session = session or requests.Session()
    report = FetchReport(out_dir)
    chosen = [DATASETS_BY_ID[source_id] for source_id in only] if only else list(DATASETS)

    for position, dataset in enumerate(chosen):
        url = base_urls.get(dataset.source_id, dataset.url)
        if url is None:
            message = f"{dataset.source_id}: no fixed download URL; {dataset.how_to_get_url}"
            if only:
                report.failed[dataset.source_id] = message
            else:
                report.skipped[dataset.source_id] = message
            progress(("FAILED " if only else "skipped ") + message)
            continue
        progress(f"{dataset.source_id}: downloading {url}")
        target = out_dir / dataset.target_path
        downloaded: Download | None = None
        try:
            downloaded = download(url, out_dir, session, timeout, retries, backoff_seconds)
            text, kent_rows = cut_to_kent(dataset, downloaded.path.read_bytes())
            write_atomically(target, text)
        except HostUnreachable as error:
            message = f"FAILED {dataset.source_id}: {url}: {error}. {OFFLINE_HINT}"
            report.failed[dataset.source_id] = message
            progress(message)
            # An unreachable publisher almost always means no internet at all: stop here with one
            # message rather than one per dataset.
            for later in chosen[position + 1:]:
                report.skipped[later.source_id] = "not tried: an earlier publisher was unreachable"
            break
        except (FetchError, requests.RequestException, ValueError, KeyError) as error:
            message = f"FAILED {dataset.source_id}: {url}: {error}"
            report.failed[dataset.source_id] = message
            progress(message)
            continue
        finally:
            if downloaded is not None:
                downloaded.path.unlink(missing_ok=True)
        fetched = FetchedFile(
            dataset.source_id, url, downloaded.bytes, downloaded.sha256, downloaded.fetched_at,
            dataset.target_path, kent_rows,
        )
        report.written.append(fetched)
        progress(f"{dataset.source_id}: {kent_rows} Kent rows -> {dataset.target_path}")

    if report.written:
        update_fetch_log(out_dir, report.written)
    return report


def update_fetch_log(out_dir: Path, written: list[FetchedFile]) -> None:
    """Record this run's downloads in out_dir/fetch_log.json, keeping other datasets' entries."""
    log_path = out_dir / FETCH_LOG_NAME
    entries: dict[str, dict] = {}
    if log_path.exists():
        try:
            entries = json.loads(log_path.read_text(encoding="utf-8")).get("datasets", {})
        except (ValueError, AttributeError):
            entries = {}  # a damaged log is rewritten rather than blocking a refresh
    for fetched in written:
        entries[fetched.source_id] = {
            "url": fetched.url,
            "bytes": fetched.bytes,
            "sha256": fetched.sha256,
            "fetched_at": fetched.fetched_at,
            "path": fetched.target_path,
            "kent_rows": fetched.kent_rows,
        }
    write_atomically(log_path, json.dumps({"datasets": entries}, indent=2, sort_keys=True) + "\n")


def parse_base_url(text: str) -> tuple[str, str]:
    """'SOURCE_ID=URL' as a pair, for argparse."""
    source_id, sep, url = text.partition("=")
    if not sep or not source_id or not url:
        raise argparse.ArgumentTypeError(f"expected SOURCE_ID=URL, got {text!r}")
    return source_id, url


def main(argv: list[str]) -> int:
    """`python -m geo fetch`: refresh the Kent mirror from the publishers; 0 when nothing failed."""
    parser = argparse.ArgumentParser(
        prog="python -m geo fetch",
        description="Download the datasets from the official publishers, cut them to Kent and write "
        "them in the mirror's layout. Needs internet; without it use `python -m geo build`.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR,
                        help="where to write (default: data/mirror in the repo, a writable staging folder)")
    parser.add_argument("--base-url", dest="base_urls", action="append", type=parse_base_url, default=[],
                        metavar="SOURCE_ID=URL", help="download SOURCE_ID from this full URL instead of the official one (repeatable)")
    parser.add_argument("--only", action="append", choices=sorted(DATASETS_BY_ID), metavar="SOURCE_ID",
                        help=f"fetch only this dataset (repeatable): {', '.join(sorted(DATASETS_BY_ID))}")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per request (default 30)")
    parser.add_argument("--retries", type=int, default=3, help="retries after a 5xx or a dropped connection (default 3)")
    args = parser.parse_args(argv)

    def show(message: str) -> None:
        print(message, file=sys.stderr if message.startswith("FAILED") else sys.stdout)

    try:
        report = fetch(args.out, dict(args.base_urls), progress=show, timeout=args.timeout,
                       retries=args.retries, only=args.only)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{len(report.written)} written, {len(report.failed)} failed, {len(report.skipped)} skipped; "
          f"log: {report.out_dir / FETCH_LOG_NAME}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
