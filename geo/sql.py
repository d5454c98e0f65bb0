"""SQL files from queries/: one question per file, its header naming the parameters it binds.

Shared by both wings: the pipeline runs queries/build/*.sql, the explorer queries/*.sql.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from geo.config import QUERIES_DIR

PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
HEADER_PARAMETERS = re.compile(r"^--\s*Parameters:\s*(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Query:
    """One SQL file: its text and the parameters its header declares."""

    name: str
    sql: str
    declared_parameters: tuple[str, ...]


@cache
def load_query(name: str) -> Query:
    """Read queries/<name>.sql and the parameters named in its header."""
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR.name}/")
    sql = path.read_text(encoding="utf-8")
    header = HEADER_PARAMETERS.search(sql)
    return Query(name, sql, tuple(PARAMETER.findall(header.group(1))) if header else ())


def read_sql(name: str) -> str:
    """The text of queries/<name>.sql."""
    return load_query(name).sql
