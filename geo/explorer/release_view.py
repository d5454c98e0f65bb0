"""Which data release a page shows (?release=<id>), and the words for its notice and its footer line.

`choose()` runs once at the start of every page's script run: it reads the release the database in service carries,
checks the requested one (format in geo.explorer.state, existence in geo.releases) and points geo.explorer.db at that release's kept
file for the rest of the run, or at the database in service. No streamlit import here.
"""
from __future__ import annotations

import contextvars
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from geo import releases
from geo.explorer import db, state as url_state
from geo.config import database_path


@dataclass(frozen=True)
class Shown:
    """The release a page shows and what the reader must be told about it."""

    release_id: str | None  # None: a database built before releases were recorded
    latest_id: str | None
    pinned: bool  # an older (or other) kept release than the one in service
    warnings: tuple[str, ...] = ()


def release_record(path: Path | None = None) -> dict | None:
    """{release_id, built_at_utc} of the database read (path None: the one this thread reads), or None."""
    if int(db.run("data_release_present", path=path).n_tables.iloc[0]) == 0:
        return None
    row = db.run("data_release", path=path).iloc[0]
    return {"release_id": str(row.release_id), "built_at_utc": row.built_at_utc}


def release_id() -> str | None:
    """The data release this thread reads (None for a database built before releases), for provenance."""
    record = release_record()
    return record["release_id"] if record else None


def choose(params: dict) -> Shown:
    """Resolve release=<id> from the page's URL parameters and make this run's queries read that release."""
    db.read_release_file(None)
    requested, warnings = url_state.parse_release(params)
    latest = release_record(database_path())
    latest_id = latest["release_id"] if latest else None
    resolution = releases.resolve(requested, database_path(), latest_id)
    db.read_release_file(resolution.path)
    shown = f"the latest release, {latest_id}" if latest_id else "the latest data"
    if resolution.problem == "unknown":
        warnings.append(f"There is no data release {url_state.code_span(requested)}; showing {shown}.")
    elif resolution.problem == "removed":
        warnings.append(f"Data release {url_state.code_span(requested)} was removed on {resolution.removed_at[:10]} "
                        f"under the release retention policy; showing {shown}. The sources and checksums that went "
                        "into it are still in the release record.")
    elif warnings:
        warnings = [w.replace("Showing the latest release.", f"Showing {shown}.") for w in warnings]
    shown_release = Shown(resolution.release_id, latest_id, resolution.pinned, tuple(warnings))
    remember(shown_release)
    return shown_release


def link_params(shown: Shown) -> dict[str, str]:
    """The release parameter every link the app builds carries (none for a database without a release)."""
    return {url_state.RELEASE_PARAM: shown.release_id} if shown.release_id else {}


def notice(shown: Shown, params: dict) -> tuple[str, str] | None:
    """(message, relative link to the same view on the release in service) for a pinned page, else None."""
    if not shown.pinned:
        return None
    latest_params = {k: v for k, v in params.items() if k != url_state.RELEASE_PARAM}
    if shown.latest_id:
        latest_params[url_state.RELEASE_PARAM] = shown.latest_id
    href = "?" + urlencode(latest_params)
    if releases.is_newer(shown.latest_id, shown.release_id):
        message = (f"This page shows data release {shown.release_id}, as pinned by its link. A newer release, "
                   f"{shown.latest_id}, is in service: its figures may differ.")
    else:
        message = (f"This page shows data release {shown.release_id}, as pinned by its link, not the release in "
                   f"service ({shown.latest_id or 'not recorded'}).")
    return message, href


def footer_sources() -> list[dict]:
    """The sources of the release this run reads: title, publisher, vintage, SHA-256."""
    return db.run("release_sources").to_dict(orient="records")


_shown: contextvars.ContextVar[Shown | None] = contextvars.ContextVar("kle_release_shown", default=None)


def remember(shown: Shown) -> None:
    """Keep this run's release (what its links carry) for the rest of the run."""
    _shown.set(shown)


def current() -> Shown:
    """This run's release, as chosen at its start (the database in service if none was chosen)."""
    return _shown.get() or Shown(None, None, False)


def in_this_release(make):
    """`make` wrapped to read this run's release when it is called later, e.g. a download made on click
    (Streamlit calls it outside the script run, where the run's choice of release does not apply)."""
    path = db.release_file()

    def made_in_release(*args, **kwargs):
        with db.reading_release_file(path):
            return make(*args, **kwargs)
    return made_in_release
