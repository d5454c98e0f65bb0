"""Database access for the app: a read-only connection, named SQL files from queries/, and one result cache.

This module is the single caching seam. DuckDB connections are not thread-safe, so every
query runs on its own cursor. When the database file is replaced by a new build, the next
query opens the new file; cached results are keyed on the file's identity, so they expire too.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from geo.config import QUERIES_DIR, database_path, spatial_extension_path

PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
HEADER_PARAMETERS = re.compile(r"^--\s*Parameters:\s*(.*)$", re.MULTILINE)


class DatabaseMissing(RuntimeError):
    """No built database at the expected path."""


@dataclass(frozen=True)
class Query:
    """One SQL file: its text and the parameters its header declares."""

    name: str
    sql: str
    declared_parameters: tuple[str, ...]
    used_parameters: tuple[str, ...]


@lru_cache(maxsize=None)
def load_query(name: str) -> Query:
    """Read queries/<name>.sql and the parameters named in its header."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR.name}/")
    sql = path.read_text(encoding="utf-8")
    header = HEADER_PARAMETERS.search(sql)
    declared = tuple(PARAMETER.findall(header.group(1))) if header else ()
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return Query(name, sql, declared, tuple(dict.fromkeys(PARAMETER.findall(body))))


def read_sql(name: str) -> str:
    """The text of queries/<name>.sql."""
    return load_query(name).sql


_connection_lock = threading.Lock()
_connection: tuple[tuple, "ReadOnlyDatabase"] | None = None
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

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread, reading the attached file."""
        cursor = self._connection.cursor()
        cursor.execute(USE_CATALOG)  # cursors start in the in-memory catalog
        return cursor

    def __getattr__(self, name):
        return getattr(self._connection, name)


def setup_statements(path: Path) -> list[str]:
    """The fixed statements that open a database file (the only SQL here not read from queries/)."""
    return [f"LOAD '{_sql_string(spatial_extension_path())}'", f"ATTACH '{_sql_string(path)}' AS {CATALOG} (READ_ONLY)",
            USE_CATALOG, "SET enable_external_access = false", "SET lock_configuration = true"]


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _open(path: Path | None) -> tuple[tuple, ReadOnlyDatabase]:
    global _connection
    path = Path(path or database_path())
    if not path.is_file():
        raise DatabaseMissing(f"No database at {path.name}: run `python -m geo build` first.")
    identity = _file_identity(path)
    with _connection_lock:
        if _connection is None or _connection[0] != identity:
            _connection = (identity, ReadOnlyDatabase(path))  # the old one closes when its last cursor is gone
        return _connection


def connection(path: Path | None = None) -> ReadOnlyDatabase:
    """The shared read-only database, reopened when a new build has replaced the file."""
    return _open(path)[1]


_results: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_RESULTS_MAX = 256


def run(name: str, path: Path | None = None, **parameters) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters (exactly those its header declares); cached."""
    query = load_query(name)
    if set(parameters) != set(query.declared_parameters):
        raise TypeError(f"query {name} takes {list(query.declared_parameters)}, got {sorted(parameters)}")
    identity, shared = _open(path)  # results are cached under the identity of the file they came from
    key = (name, identity, tuple(sorted((k, _hashable(v)) for k, v in parameters.items())))
    with _connection_lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key].copy()
    cursor = shared.cursor()
    try:
        result = cursor.execute(query.sql, parameters).df()
    finally:
        cursor.close()
    with _connection_lock:
        _results[key] = result
        while len(_results) > _RESULTS_MAX:
            _results.popitem(last=False)
    return result.copy()


def derived(name: str, compute, **parameters):
    """compute(), cached like query results under the current database file's identity: for work made
    from query results (e.g. the gap index at some weights). The object is shared; treat it as read-only."""
    identity, _ = _open(None)
    key = (f"derived:{name}", identity, tuple(sorted((k, _hashable(v)) for k, v in parameters.items())))
    with _connection_lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    result = compute()
    with _connection_lock:
        _results[key] = result
        while len(_results) > _RESULTS_MAX:
            _results.popitem(last=False)
    return result


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def clear_caches() -> None:
    """Forget the connection and cached results (tests call this between databases)."""
    global _connection
    with _connection_lock:
        _connection = None
        _results.clear()
