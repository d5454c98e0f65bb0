"""Refresh the Kent data mirror from the official publishers (needs internet).

`python -m geo fetch` downloads each source the registry (geo/pipeline/sources.py) gives a `fetch`, cuts it
to the 12 Kent districts and writes it at the source's path, with the same columns, as the shared mirror, so
that `python -m geo build` reads both the same way. Every download is recorded in fetch_log.json (url, bytes,
sha256, fetched_at). Without internet, build from the local mirror with `python -m geo build`.
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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from geo.config import DISTRICT_CODES, REPO_ROOT
from geo.pipeline.sources import FETCHED, Source

DEFAULT_OUT_DIR = REPO_ROOT / "data" / "mirror"
FETCH_LOG_NAME = "fetch_log.json"
OFFLINE_HINT = "no internet? build from the local mirror with `python -m geo build` instead"

# Kent County Council's 12 districts. Medway (E06000035) is a separate unitary authority.
KENT_LAD_CODES = frozenset(DISTRICT_CODES)
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


def reshape_orr_station_usage(table: SourceTable, rows: list[SourceRow], nlc_column: str,
                              measure_suffixes: Mapping[str, str]) -> tuple[list[str], list[dict[str, str]]]:
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


# --- what the registry's fetch entries name ---------------------------------------------------


def normalised_district_name(name: str) -> str:
    """A district name compared loosely: case, '&' for 'and', and the pre-2018 name Shepway."""
    name = " ".join(name.replace("&", "and").split()).casefold()
    return "folkestone and hythe" if name == "shepway" else name


KENT_LAD_NAMES_NORMALISED = frozenset(normalised_district_name(name) for name in KENT_LAD_NAMES)

READERS: dict[str, Callable[[bytes], SourceTable]] = {"csv": read_csv_table, "arcgis_json": read_arcgis_json}
# How a publisher's row is known to be in Kent, from the value in its `kent_column`.
KENT_RULES: dict[str, Callable[[str], bool]] = {
    "district_code": lambda value: value.strip() in KENT_LAD_CODES,
    "district_name": lambda value: normalised_district_name(value) in KENT_LAD_NAMES_NORMALISED,
    "lsoa21_name": lambda value: KENT_LSOA21_NAME.match(value.strip()) is not None,
    "naptan_area": lambda value: value.startswith(NAPTAN_KENT_ATCO_AREA),
}
RESHAPES = {
    "orr_station_usage": lambda table, rows, fetch: reshape_orr_station_usage(table, rows, fetch.columns["NLC"],
                                                                              fetch.measures),
}

DATASETS: tuple[Source, ...] = FETCHED
DATASETS_BY_ID = {source.source_id: source for source in DATASETS}


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


def retrying(session: requests.Session, retries: int, backoff_seconds: float) -> requests.Session:
    """The session with urllib3's Retry on its transport: dropped connections, read errors and 5xx answers are
    retried `retries` times with exponential backoff; a connection that never opens (refused, unresolvable) is not."""
    retry = Retry(total=retries, connect=0, read=retries, status=retries, other=retries, backoff_factor=backoff_seconds,
                  status_forcelist=range(500, 600), allowed_methods={"GET"}, raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def download(url: str, into_dir: Path, session: requests.Session, timeout: float, attempts: int) -> Download:
    """Download url to a temporary file in into_dir (the session retries: see `retrying`)."""
    try:
        with session.get(url, timeout=timeout, stream=True) as response:
            if response.status_code >= 500:
                raise FetchError(f"gave up after {attempts} attempts; last: HTTP {response.status_code}")
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}: the file may have moved; check the URL")
            return stream_to_temp_file(url, response, into_dir)
    except requests.ConnectionError as error:
        if is_unreachable_host(error):
            raise HostUnreachable(f"cannot reach the host ({type(error).__name__})") from error
        raise FetchError(f"gave up after {attempts} attempts; last: connection error: {error}") from error
    except requests.Timeout as error:
        raise FetchError(f"gave up after {attempts} attempts; last: timed out after {timeout} s: {error}") from error


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


def cut_to_kent(source: Source, payload: bytes) -> tuple[str, int]:
    """The source's Kent rows in the mirror's layout, as CSV text, and how many rows that is."""
    spec = source.fetch
    table = READERS[spec.read](payload)
    needed = {spec.kent_column, *(spec.columns or {}).values()}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise FetchError(f"the source has no column(s) {missing}; the publisher's layout has changed")
    is_kent = KENT_RULES[spec.kent_rule]
    kent_rows = [row for row in table.rows if is_kent(row.values.get(spec.kent_column, ""))]
    if not kent_rows:
        raise FetchError(f"no Kent rows among {len(table.rows)} rows; the publisher's layout has changed")

    if spec.columns is None and spec.reshape is None and table.header_text is not None:
        return table.header_text + "".join(row.text or "" for row in kent_rows), len(kent_rows)

    if spec.reshape is not None:
        columns, out_rows = RESHAPES[spec.reshape](table, kent_rows, spec)
    elif spec.columns is not None:
        columns = list(spec.columns)
        out_rows = [{mirror: row.values[published] for mirror, published in spec.columns.items()} for row in kent_rows]
    else:
        columns, out_rows = table.columns, [row.values for row in kent_rows]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(out_rows)
    return buffer.getvalue(), len(out_rows)


def over_earlier_years(existing: str, fetched: str, key: str) -> str:
    """The fetched table laid over the mirror's copy, row by key and column by name: a value the publisher gives
    now replaces the old one; a column it no longer carries (an earlier year) keeps the value it was published
    with; nothing is filled. New columns (a new year) come first after the key, as in the mirror's layout."""
    old = csv.DictReader(io.StringIO(existing))
    old_rows, old_columns = list(old), list(old.fieldnames or [])
    new = csv.DictReader(io.StringIO(fetched))
    new_rows, new_columns = list(new), list(new.fieldnames or [])
    if key not in old_columns or key not in new_columns:
        raise FetchError(f"cannot keep the earlier years: no {key!r} column in the mirror's copy or the download")
    columns = [key] + [c for c in new_columns if c != key and c not in old_columns] + [c for c in old_columns if c != key]
    merged = {row[key]: dict(row) for row in old_rows}
    for row in new_rows:
        into = merged.setdefault(row[key], {})
        into.update({column: value for column, value in row.items() if value != "" or column not in into})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(merged.values())
    return buffer.getvalue()


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
    session = retrying(session or requests.Session(), retries, backoff_seconds)
    report = FetchReport(out_dir)
    chosen = [DATASETS_BY_ID[source_id] for source_id in only] if only else list(DATASETS)

    for position, dataset in enumerate(chosen):
        url = base_urls.get(dataset.source_id, dataset.fetch.url)
        if url is None:
            message = f"{dataset.source_id}: no fixed download URL; {dataset.fetch.how_to_get_url}"
            if only:
                report.failed[dataset.source_id] = message
            else:
                report.skipped[dataset.source_id] = message
            progress(("FAILED " if only else "skipped ") + message)
            continue
        progress(f"{dataset.source_id}: downloading {url}")
        target = out_dir / dataset.path
        downloaded: Download | None = None
        try:
            downloaded = download(url, out_dir, session, timeout, retries + 1)
            text, kent_rows = cut_to_kent(dataset, downloaded.path.read_bytes())
            if dataset.fetch.keep_earlier_years_by and target.is_file():
                text = over_earlier_years(target.read_text(encoding="utf-8"), text, dataset.fetch.keep_earlier_years_by)
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
            dataset.path, kent_rows,
        )
        report.written.append(fetched)
        progress(f"{dataset.source_id}: {kent_rows} Kent rows -> {dataset.path}")

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
