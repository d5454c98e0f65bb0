"""Data releases: every successful `geo build` is a release, kept so that a link can pin its numbers.

Beside the database in service (``data/kent.duckdb``) the build keeps:

- ``data/kent.releases/<release id>.duckdb``: each kept release's database. It is a hard link to the file the build
  put in service (no copy); releases are never rewritten, so a link pinned to one reproduces it exactly.
- ``data/kent.releases/releases.json``: the record of every release ever built here: its id, when it was built, the
  database's SHA-256, each source's vintage and SHA-256, and, for a release retention has removed, when.
- ``data/kent.releases/pinned.txt`` (optional, written by people): release ids cited in minutes or reports, one a
  line; retention never removes them.

A release id is the build's UTC date (``2026-12-02``), with ``.2``, ``.3`` ... for later builds the same day. The
database itself carries its id in the table ``data_release``, so every page, download, light embed and board pack
can say which release it shows.

Retention (``KENT_RELEASES_KEEP`` or ``geo build --keep-releases N``): unset, every release is kept. With N, a build
keeps the N most recent releases, every release listed in pinned.txt, and the one it replaced (``.previous``, the
roll-back target); it prints each release it removes and records the removal, so a link to a removed release says
so by name instead of silently showing other numbers. No streamlit import here.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

RELEASE_ID = re.compile(r"^(20[0-9]{2}-[01][0-9]-[0-3][0-9])(?:\.([2-9]|[1-9][0-9]{1,2}))?$")
RECORD_NAME = "releases.json"
PINNED_NAME = "pinned.txt"
KEEP_ENV = "KENT_RELEASES_KEEP"


class ReleaseError(RuntimeError):
    """The release could not be recorded (the database was not put in service)."""


def is_release_id(text: object) -> bool:
    """True for a well-formed release id: a real date, optionally .2 to .999 (nothing else, no padding)."""
    if not isinstance(text, str):
        return False
    match = RELEASE_ID.match(text)
    if not match:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def sort_key(release_id: str) -> tuple[str, int]:
    """Order of release ids: by date, then by the day's build number (the first build is 1)."""
    day, _, number = release_id.partition(".")
    return day, int(number or 1)


def releases_dir(database: Path) -> Path:
    """Where a database's releases live: data/kent.duckdb -> data/kent.releases/."""
    database = Path(database)
    return database.with_name(f"{database.stem}.releases")


def release_path(database: Path, release_id: str) -> Path:
    """The kept file of one release (it may not exist)."""
    if not is_release_id(release_id):
        raise ValueError(f"not a release id: {release_id!r}")
    return releases_dir(database) / f"{release_id}.duckdb"


def read_record(database: Path) -> list[dict]:
    """Every release recorded beside `database`, oldest first ([] before the first release)."""
    path = releases_dir(database) / RECORD_NAME
    if not path.is_file():
        return []
    return sorted(json.loads(path.read_text(encoding="utf-8"))["releases"], key=lambda r: sort_key(r["release_id"]))


def kept_ids(database: Path) -> list[str]:
    """Ids of the releases whose database is kept, oldest first."""
    folder = releases_dir(database)
    if not folder.is_dir():
        return []
    return sorted((p.stem for p in folder.glob("*.duckdb") if is_release_id(p.stem)), key=sort_key)


def pinned_ids(database: Path) -> set[str]:
    """Release ids listed in pinned.txt (blank lines and # comments ignored)."""
    path = releases_dir(database) / PINNED_NAME
    if not path.is_file():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if is_release_id(line)}


def next_release_id(database: Path, today: date | None = None) -> str:
    """The id the next build gets: today's UTC date, or the next free .N after it."""
    day = (today or datetime.now(timezone.utc).date()).isoformat()
    taken = {r["release_id"] for r in read_record(database)} | set(kept_ids(database))
    if day not in taken:
        return day
    number = 2
    while f"{day}.{number}" in taken:
        number += 1
    return f"{day}.{number}"


def retention_from_env() -> int | None:
    """KENT_RELEASES_KEEP as a whole number of at least 1, or None (keep every release)."""
    text = os.environ.get(KEEP_ENV, "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ReleaseError(f"{KEEP_ENV} must be a whole number of at least 1 (releases to keep), not {text!r}")
    return int(text)


def stamp(database_file: Path, release_id: str, built_at: datetime) -> None:
    """Write the release's id into the (not yet served) database: the table data_release."""
    connection = duckdb.connect(str(database_file))
    try:
        connection.execute("create or replace table data_release (release_id varchar, built_at_utc timestamp)")
        connection.execute("insert into data_release values (?, ?)", [release_id, built_at.replace(tzinfo=None)])
        connection.execute("checkpoint")
    finally:
        connection.close()


@dataclass
class StagedRelease:
    """A release whose database is in the releases folder but not yet in service or recorded."""

    database: Path
    release_id: str
    built_at: datetime
    path: Path
    database_sha256: str
    sources: list[dict]


def stage(new_database: Path, database: Path, release_id: str, built_at: datetime) -> StagedRelease:
    """Link the checked new database into the releases folder as <release id>.duckdb, before it is served
    (so a link to it works from the moment it is in service); its record is read from the file itself."""
    connection = duckdb.connect(str(new_database), read_only=True)
    try:
        sources = connection.execute("select source_id, path, title, publisher, vintage, sha256, rows_loaded "
                                     "from source_files order by source_id").df()
    finally:
        connection.close()
    with open(new_database, "rb") as handle:  # hashlib here: a shared module imports neither wing
        database_sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    folder = releases_dir(database)
    folder.mkdir(parents=True, exist_ok=True)
    target = release_path(database, release_id)
    if target.exists():
        raise ReleaseError(f"release {release_id} already exists in {folder.name}/; releases are never rewritten")
    link_into_place(new_database, target)
    rows = [{k: (int(v) if k == "rows_loaded" else str(v)) for k, v in row.items()}
            for row in sources.to_dict(orient="records")]
    return StagedRelease(database, release_id, built_at, target, database_sha256, rows)


def link_into_place(source: Path, target: Path) -> None:
    """Make `target` the same file as `source` (a hard link; a copy where the file system has none), atomically."""
    staged = target.with_name(f".{target.name}.staged")
    staged.unlink(missing_ok=True)
    try:
        os.link(source, staged)
    except OSError:  # a file system without hard links: copy
        shutil.copy2(source, staged)
    os.replace(staged, target)


def discard(release: StagedRelease) -> None:
    """Remove a staged release that was never put in service (the build failed after staging it)."""
    release.path.unlink(missing_ok=True)


@dataclass
class ReleaseReport:
    """What recording a release did."""

    release_id: str
    kept: list[str]
    removed: list[str]


def commit(release: StagedRelease, replaced: str | None, keep: int | None) -> ReleaseReport:
    """Record the release (now in service) in releases.json, then apply the retention: with `keep`, remove
    releases beyond the `keep` most recent unless pinned, in service or the one it replaced (`replaced`)."""
    database = release.database
    record = [r for r in read_record(database) if r["release_id"] != release.release_id]
    record.append({"release_id": release.release_id, "built_at_utc": release.built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "database_sha256": release.database_sha256, "sources": release.sources, "removed_at_utc": None})
    removed = []
    if keep is not None:
        kept = kept_ids(database)
        protected = set(kept[-keep:]) | pinned_ids(database) | {release.release_id} | ({replaced} if replaced else set())
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for release_id in kept:
            if release_id in protected:
                continue
            release_path(database, release_id).unlink(missing_ok=True)
            removed.append(release_id)
            for entry in record:
                if entry["release_id"] == release_id:
                    entry["removed_at_utc"] = now
    _write_record(database, record)
    return ReleaseReport(release.release_id, kept_ids(database), removed)


def _write_record(database: Path, record: list[dict]) -> None:
    path = releases_dir(database) / RECORD_NAME
    staged = path.with_name(f".{RECORD_NAME}.staged")
    record = sorted(record, key=lambda r: sort_key(r["release_id"]))
    staged.write_text(json.dumps({"releases": record}, indent=1) + "\n", encoding="utf-8")
    os.replace(staged, path)  # readers see the old record or the new one


def release_of(database_file: Path) -> str | None:
    """The release id stamped in a database file (None when there is none, it was built before releases, or it
    cannot be read: a build replacing a damaged file must still succeed)."""
    if not Path(database_file).is_file():
        return None
    try:
        connection = duckdb.connect(str(database_file), read_only=True)
    except (duckdb.Error, OSError):
        return None
    try:
        tables = {row[0] for row in connection.execute("select table_name from duckdb_tables()").fetchall()}
        if "data_release" not in tables:
            return None
        return connection.execute("select release_id from data_release").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        connection.close()


@dataclass(frozen=True)
class Resolution:
    """Which database a page reads for a requested release, and what to tell the reader."""

    path: Path | None  # None: the database in service
    release_id: str | None  # the release shown (None: a database built before releases)
    latest_id: str | None  # the release in service
    pinned: bool  # showing a kept release other than the one in service
    problem: str | None  # None, "malformed", "unknown" or "removed"
    removed_at: str | None = None


def resolve(requested: str | None, database: Path, latest_id: str | None) -> Resolution:
    """The database to read for ?release=<requested>: that release's kept file when it exists and is not the one
    in service; otherwise the one in service, with the reason (malformed, unknown, removed by retention)."""
    latest = Resolution(None, latest_id, latest_id, False, None)
    if requested is None or requested == "" or requested == latest_id:
        return latest
    if not is_release_id(requested):
        return Resolution(None, latest_id, latest_id, False, "malformed")
    path = release_path(database, requested)
    if path.is_file():
        return Resolution(path, requested, latest_id, True, None)
    for entry in read_record(database):
        if entry["release_id"] == requested and entry.get("removed_at_utc"):
            return Resolution(None, latest_id, latest_id, False, "removed", entry["removed_at_utc"])
    return Resolution(None, latest_id, latest_id, False, "unknown")


def is_newer(release_id: str | None, than: str | None) -> bool:
    """True when release_id is a later release than `than`."""
    return bool(release_id and than and sort_key(release_id) > sort_key(than))
