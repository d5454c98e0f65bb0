"""Database access for the app: a read-only connection, named SQL files from queries/, and one result cache.

This module is the single caching seam. DuckDB connections are not thread-safe, so every
query runs on its own cursor. When the database file is replaced by a new build, the next
query opens the new file; cached results are keyed on the file's identity, so they expire too.

A bad file (truncated, random bytes, empty, unreadable, in an unreadable folder) never reaches a visitor:
the last good opening keeps serving, `fault()` says so in fixed words (no path, no traceback; the
detail goes to the server log) and `health()` reports it for the replica's health check.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from pathlib import Path

import duckdb
import pandas as pd
from cachetools import LRUCache

from geo.config import database_path
from geo.sql import load_query
from geo.explorer.worker import Worker


class DatabaseMissing(RuntimeError):
    """No built database at the expected path."""


class DatabaseUnavailable(DatabaseMissing):
    """The database file cannot be read and no good opening of it is left to serve."""


UNAVAILABLE_MESSAGE = "The explorer's data cannot be read at the moment. Please try again later."
FAULT_MESSAGE = ("The latest data update could not be read, so the explorer is showing the data it loaded "
                 "before. The team has been alerted by the health check.")
HEALTH_FAULT = "database fault: the file in service cannot be read; serving the last good database"
HEALTH_UNAVAILABLE = "database fault: the file in service cannot be read and there is no good database to serve"
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_log = logging.getLogger(__name__)


_connection_lock = threading.Lock()
_connection: tuple[tuple, "ReadOnlyDatabase"] | None = None  # the last good opening
_previous: tuple[tuple, "ReadOnlyDatabase"] | None = None  # the opening before it, for a fault met mid-query
_failed: tuple | None = None  # (path, identity or None) of the file that could not be read, while it lasts
CATALOG = "kent"  # the name the database file is attached under
USE_CATALOG = f"USE {CATALOG}"


def _file_identity(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


class ReadOnlyDatabase:
    """One opening of the database file, read-only, in its own DuckDB instance.

    `duckdb.connect(path)` returns the instance already open on that path while any connection or
    cursor to it lives, so after a build has replaced the file it would keep serving the old one.
    An in-memory instance is never shared: the file is attached to it READ_ONLY, and file access
    is then switched off, so nothing run here can write the file or touch any other.
    """

    def __init__(self, path: Path):
        self._connection = duckdb.connect(":memory:")
        for statement in setup_statements(path):
            self._connection.execute(statement)
        self._connection.execute(OPEN_CHECK).fetchall()  # the catalogue and a table read, or the file is bad

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread, reading the attached file."""
        cursor = self._connection.cursor()
        cursor.execute(USE_CATALOG)  # cursors start in the in-memory catalog
        return cursor

    def __getattr__(self, name):
        return getattr(self._connection, name)


def setup_statements(path: Path) -> list[str]:
    """The fixed statements that open a database file (the only SQL here not read from queries/). No extension is
    loaded: no explorer query uses DuckDB spatial (the boundary tables' GEOMETRY type is DuckDB's own)."""
    return [f"ATTACH '{_sql_string(path)}' AS {CATALOG} (READ_ONLY)", USE_CATALOG, "SET enable_external_access = false",
            "SET lock_configuration = true"]


OPEN_CHECK = "SELECT count(*) FROM districts"


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _fallback(path: Path, identity: tuple | None, error: BaseException) -> tuple[tuple, ReadOnlyDatabase]:
    """Remember that this file cannot be read; the last good opening of the same path, else DatabaseUnavailable.
    Call with _connection_lock held."""
    global _failed
    if _failed != (str(path), identity):
        _log.error("database %s cannot be read (%s: %s); %s", path, type(error).__name__, error,
                   "serving the last good one" if _connection and _connection[0][0] == str(path) else "nothing to serve")
    _failed = (str(path), identity)
    if _connection is not None and _connection[0][0] == str(path):
        return _connection
    raise DatabaseUnavailable(UNAVAILABLE_MESSAGE) from None


# A page pinned to an older data release (?release=<id>) reads that release's kept file: set once per script run
# (geo.explorer.release_view), it applies to every query the run makes without a path. Kept releases are never rewritten.
_release_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("kle_release_file", default=None)
_kept: LRUCache = LRUCache(maxsize=4)  # openings of kept release files; the least recently used closes with its last cursor


def read_release_file(path: Path | None) -> None:
    """From now on in this thread, queries without a path read this kept release file (None: the one in service)."""
    _release_file.set(Path(path) if path is not None else None)


@contextlib.contextmanager
def reading_release_file(path: Path | None):
    """Within the block, queries without a path read this kept release file (None: the one in service)."""
    token = _release_file.set(Path(path) if path is not None else None)
    try:
        yield
    finally:
        _release_file.reset(token)


def release_file() -> Path | None:
    """The kept release file this thread's queries read, or None for the database in service."""
    return _release_file.get()


def _open_kept(path: Path) -> tuple[tuple, ReadOnlyDatabase]:
    """An opening of a kept release file (immutable, so no fallback logic: unreadable means unavailable)."""
    try:
        identity = _file_identity(path)
        with _connection_lock:
            if identity in _kept:
                return identity, _kept[identity]
        opened = ReadOnlyDatabase(path)
    except (duckdb.Error, OSError) as error:
        _log.error("kept release %s cannot be read (%s: %s)", path, type(error).__name__, error)
        raise DatabaseUnavailable(UNAVAILABLE_MESSAGE) from None
    with _connection_lock:
        _kept[identity] = opened
    return identity, opened


def _open(path: Path | None) -> tuple[tuple, ReadOnlyDatabase]:
    global _connection, _previous, _failed
    if path is None and _release_file.get() is not None:
        return _open_kept(_release_file.get())
    path = Path(path or database_path())
    try:
        identity = _file_identity(path)
    except FileNotFoundError as error:
        with _connection_lock:
            if _connection is None or _connection[0][0] != str(path):
                raise DatabaseMissing(f"No database at {path.name}: run `python -m geo build` first.") from None
            return _fallback(path, None, error)
    except OSError as error:  # e.g. an unreadable folder
        with _connection_lock:
            return _fallback(path, None, error)
    with _connection_lock:
        if _connection is not None and _connection[0] == identity:
            if _failed is not None and _failed[1] != identity:  # the bad file is gone: the good one is back
                _failed = None
            return _connection
        if _failed == (str(path), identity):
            return _fallback(path, identity, RuntimeError("still the file that failed"))
        try:
            opened = ReadOnlyDatabase(path)
        except (duckdb.Error, OSError) as error:
            return _fallback(path, identity, error)
        _previous, _connection, _failed = _connection, (identity, opened), None  # older ones close with their last cursor
        return _connection


def _file_fault(error: duckdb.Error) -> bool:
    """A query error that comes from the file (unreadable blocks, a lost catalogue), not from the query."""
    return not isinstance(error, (duckdb.ParserException, duckdb.BinderException, duckdb.InvalidInputException,
                                  duckdb.ConversionException, duckdb.TypeMismatchException))


def _query_failed(identity: tuple, error: duckdb.Error) -> tuple[tuple, ReadOnlyDatabase]:
    """A file fault met mid-query on the opening of `identity`: go back to the opening before it."""
    global _connection
    with _connection_lock:
        if _connection is not None and _connection[0] == identity:
            _connection = _previous if _previous is not None and _previous[0][0] == identity[0] else None
        return _fallback(Path(identity[0]), identity, error)


def fault() -> str | None:
    """FAULT_MESSAGE while the database file cannot be read and the last good opening is serving, else None."""
    with _connection_lock:
        return FAULT_MESSAGE if _failed is not None and _connection is not None else None


def health(path: Path | None = None) -> tuple[bool, str]:
    """(ok, message) for the health check: can the file in service be read (and is it a database)?"""
    global _failed
    path = Path(path or database_path())
    try:
        _open(path)
        with open(path, "rb") as handle:
            readable = handle.read(12)[8:12] == DUCKDB_MAGIC
        if not readable:
            raise OSError("not a DuckDB file")
    except DatabaseUnavailable:
        return False, HEALTH_UNAVAILABLE
    except DatabaseMissing:
        return False, "database fault: no database has been built"
    except OSError as error:
        with _connection_lock:
            try:
                _fallback(path, _connection[0] if _connection else None, error)
            except DatabaseUnavailable:
                return False, HEALTH_UNAVAILABLE
        return False, HEALTH_FAULT
    with _connection_lock:
        if _failed is not None and _connection is not None and _failed[1] == _connection[0]:
            _failed = None  # the file in service is readable again (its permissions were put right)
        if _failed is not None:
            return False, HEALTH_FAULT if _connection is not None else HEALTH_UNAVAILABLE
    return True, "ok"


def connection(path: Path | None = None) -> ReadOnlyDatabase:
    """The shared read-only database, reopened when a new build has replaced the file."""
    return _open(path)[1]


_results: LRUCache = LRUCache(maxsize=256)  # query results (and light derived ones), least recently used dropped


def run(name: str, path: Path | None = None, **parameters) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters (exactly those its header declares); cached."""
    query = load_query(name)
    if set(parameters) != set(query.declared_parameters):
        raise TypeError(f"query {name} takes {list(query.declared_parameters)}, got {sorted(parameters)}")
    identity, shared = _open(path)  # results are cached under the identity of the file they came from
    key = (name, identity, tuple(sorted((k, _hashable(v)) for k, v in parameters.items())))
    with _connection_lock:
        if key in _results:
            return _results[key].copy()
    try:
        result = _read(shared, query.sql, parameters)
    except duckdb.Error as error:
        if not _file_fault(error):
            raise
        identity, shared = _query_failed(identity, error)  # once, on the last good opening
        key = (name, identity, key[2])
        result = _read(shared, query.sql, parameters)
    with _connection_lock:
        _results[key] = result
    return result.copy()


def _read(shared: ReadOnlyDatabase, sql: str, parameters: dict) -> pd.DataFrame:
    cursor = shared.cursor()
    try:
        return cursor.execute(sql, parameters).df()
    finally:
        cursor.close()


class DerivedPool:
    """A cache of its own for CPU-heavy derived results, computed one at a time: churning through them
    (new gap weights or seeds) can neither evict query results nor occupy more than one thread. With a worker,
    `call` runs the pure maths in that low-priority process (geo.explorer.worker), out of the server's CPU share."""

    def __init__(self, max_entries: int, one_at_a_time: bool = True, worker: Worker | None = None):
        self.results: LRUCache = LRUCache(maxsize=max_entries)
        self.compute_lock = threading.Lock() if one_at_a_time else None
        self.worker = worker

    def call(self, function, *args):
        """function(*args): in the pool's worker process if it has one (arguments and result pickled; may raise
        WorkerUnavailable), else here."""
        return self.worker.call(function, *args) if self.worker is not None else function(*args)


# Gap results: 4 presets x the allowed seeds fit, with room for custom weights; the maths runs in a worker at nice 19.
# Nice 19 alone did not keep a busy worker from slowing the server on 2 cores: a nice-19 loop in another process made
# the district page's script run 2x slower (0.043 -> 0.086 s, medians of 100), as if the server lost its second
# core; so after each result the worker rests GAP_REST_FACTOR times as long, busy at most a quarter of the time.
GAP_REST_FACTOR = 3.0
GAP_POOL = DerivedPool(64, worker=Worker(preload=("geo.gap",), rest_factor=GAP_REST_FACTOR))
# What a page shows for a view (a layer, a district's overview), made once per database file instead of once per
# session. Not one at a time: these are quick, and one may be made from another (an overview from layers).
VIEW_POOL = DerivedPool(160, one_at_a_time=False)
_POOLS = (GAP_POOL, VIEW_POOL)


def derived(name: str, compute, pool: DerivedPool | None = None, **parameters):
    """compute(), cached like query results under the current database file's identity: for work made
    from query results (e.g. the gap index at some weights). The object is shared; treat it as read-only.
    With a pool: cached there, and computed while holding the pool's lock (one computation at a time)."""
    identity, _ = _open(None)
    key = (f"derived:{name}", identity, tuple(sorted((k, _hashable(v)) for k, v in parameters.items())))
    store = _results if pool is None else pool.results
    with _connection_lock:
        if key in store:
            return store[key]
    if pool is None or pool.compute_lock is None:
        result = compute()
    else:
        with pool.compute_lock:
            with _connection_lock:  # another session may have made it while this one waited
                if key in store:
                    return store[key]
            result = compute()
    with _connection_lock:
        store[key] = result
    return result


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def clear_caches() -> None:
    """Forget the connection and cached results (tests call this between databases)."""
    global _connection, _previous, _failed
    with _connection_lock:
        _connection = _previous = _failed = None
        _results.clear()
        _kept.clear()
        for pool in _POOLS:
            pool.results.clear()
