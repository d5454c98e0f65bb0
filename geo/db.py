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
_connection: tuple[tuple, duckdb.DuckDBPyConnection] | None = None


def _file_identity(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


def connection(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The shared read-only connection, reopened when a new build has replaced the file."""
    global _connection
    path = Path(path or database_path())
    if not path.is_file():
        raise DatabaseMissing(f"No database at {path.name}: run `python -m geo build` first.")
    identity = _file_identity(path)
    with _connection_lock:
        if _connection is None or _connection[0] != identity:
            fresh = duckdb.connect(str(path), read_only=True)
            fresh.execute(f"LOAD '{spatial_extension_path()}'")
            _connection = (identity, fresh)  # the old connection closes when garbage-collected
        return _connection[1]


_results: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_RESULTS_MAX = 256


def run(name: str, path: Path | None = None, **parameters) -> pd.DataFrame:
    """Run queries/<name>.sql with bound parameters (exactly those its header declares); cached."""
    query = load_query(name)
    if set(parameters) != set(query.declared_parameters):
        raise TypeError(f"query {name} takes {list(query.declared_parameters)}, got {sorted(parameters)}")
    shared = connection(path)
    key = (name, _file_identity(Path(path or database_path())), tuple(sorted((k, _hashable(v)) for k, v in parameters.items())))
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


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def clear_caches() -> None:
    """Forget the connection and cached results (tests call this between databases)."""
    global _connection
    with _connection_lock:
        _connection = None
        _results.clear()
