"""The build's checks on the new database, after its views and before it is served.

Declared data tests (queries/warehouse/tests.toml, dbt-style): unique, not_null, relationships, accepted_values on
a table's column. Then the checks that are not of those kinds, as code: areas per level, residents adding up.
A failure is a BuildCheckError naming the table, the column and the test; the database is not put in service.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from geo.pipeline.stages import VIEWS_DIR, BuildCheckError

TESTS_PATH = VIEWS_DIR / "tests.toml"
KINDS = ("unique", "not_null", "relationships", "accepted_values")
KENT_RESIDENTS_CENSUS_2021 = 1_576_128
EXPECTED_AREAS = {"district": 12, "ward": 255, "lsoa": 938, "lsoa11": 902, "constituency": 15}
BOUNDARY_TABLES = {"district": "district_boundaries", "ward": "ward_boundaries", "lsoa": "lsoa21_boundaries",
                   "lsoa11": "lsoa11_boundaries", "constituency": "constituency_boundaries"}


@dataclass(frozen=True)
class DataTest:
    """One declared test: a kind (KINDS) on a table's column, with its argument (the referenced table.column, or
    the accepted values)."""

    table: str
    column: str
    kind: str
    argument: object = None

    def __str__(self) -> str:
        detail = {"relationships": f" to {self.argument}",
                  "accepted_values": f" {list(self.argument or [])}"}.get(self.kind, "")
        return f"table {self.table}, column {self.column}: {self.kind}{detail}"


def load_tests(path: Path = TESTS_PATH) -> list[DataTest]:
    """Every test declared in the file, in its order; a malformed declaration is itself a build failure."""
    try:
        declared = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BuildCheckError(f"data tests: {path.name} cannot be read: {error}") from error
    tests = []
    for table, columns in declared.items():
        for column, entries in columns.items():
            for entry in entries if isinstance(entries, list) else [entries]:
                kind, argument = (entry, None) if isinstance(entry, str) else next(iter(entry.items()), (None, None))
                if kind not in KINDS or (kind == "relationships") != isinstance(argument, str) \
                        or (kind == "accepted_values" and not isinstance(argument, list)):
                    raise BuildCheckError(f"data tests: {path.name}, table {table}, column {column}: {entry!r} is not "
                                          f"a test (one of {', '.join(KINDS)})")
                tests.append(DataTest(table, column, kind, tuple(argument) if isinstance(argument, list) else argument))
    return tests


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _failure(connection: duckdb.DuckDBPyConnection, test: DataTest, columns: set[tuple[str, str]]) -> str | None:
    """What is wrong (how many rows, an example), or None when the test passes; `columns`: the database's
    (table, column) pairs."""
    targets = [(test.table, test.column)]
    if test.kind == "relationships":
        targets.append(tuple(test.argument.split(".", 1)) if "." in test.argument else (test.argument, ""))
    for table, column in targets:
        if (table, column) not in columns:
            return f"the database has no column {column!r} in {table!r}"
    table, column = _identifier(test.table), _identifier(test.column)
    if test.kind == "unique":
        sql = (f"select count(*), min(value) from (select {column} as value from {table} where {column} is not null "
               f"group by {column} having count(*) > 1)")
        what = "values appear more than once"
    elif test.kind == "not_null":
        sql, what = f"select count(*), null from {table} where {column} is null", "rows are null"
    elif test.kind == "relationships":
        parent_table, parent_column = map(_identifier, test.argument.split(".", 1))
        sql = (f"select count(*), min(child.{column}) from {table} as child where child.{column} is not null and not "
               f"exists (select 1 from {parent_table} as parent where parent.{parent_column} = child.{column})")
        what = f"values are not in {test.argument}"
    else:
        sql = (f"select count(*), min({column}) from {table} where {column} is not null "
               f"and not list_contains($accepted, {column}::varchar)")
        what = "values are not accepted"
    parameters = {"accepted": [str(value) for value in test.argument]} if test.kind == "accepted_values" else {}
    count, example = connection.execute(sql, parameters).fetchone()
    if not count:
        return None
    return f"{count:,} {what}" + (f", e.g. {example!r}" if example is not None else "")


def run_data_tests(connection: duckdb.DuckDBPyConnection, tests: list[DataTest] | None = None) -> int:
    """Run the declared tests; raise BuildCheckError naming the first failing one (and how many others failed).
    Returns how many ran."""
    tests = load_tests() if tests is None else tests
    columns = set(connection.execute("select table_name, column_name from information_schema.columns").fetchall())
    failed = [(test, problem) for test in tests if (problem := _failure(connection, test, columns)) is not None]
    if failed:
        (test, problem), others = failed[0], len(failed) - 1
        raise BuildCheckError(f"data test failed: {test}: {problem}"
                              + (f" (and {others} more failing data test{'s' * (others > 1)})" if others else ""))
    return len(tests)


def check_database(connection: duckdb.DuckDBPyConnection, tests: list[DataTest] | None = None) -> tuple[int, dict[str, int]]:
    """The declared data tests, then the checks that are code: the areas per level, residents adding up to Kent's
    Census 2021 total at every level. Returns how many declared tests ran, and the counts for the build's report."""
    n_tests = run_data_tests(connection, tests)
    counts = {level: connection.execute(f"select count(*) from {table}").fetchone()[0]
              for level, table in BOUNDARY_TABLES.items()}
    for level, expected in EXPECTED_AREAS.items():
        if counts[level] != expected:
            raise BuildCheckError(f"{level}: expected {expected} areas, built {counts[level]}")
    for level in ("lsoa", "ward", "district", "county"):
        total = connection.execute("select sum(value) from indicator_values where indicator_id = 'population' and level = ?",
                                   [level]).fetchone()[0]
        if total != KENT_RESIDENTS_CENSUS_2021:
            raise BuildCheckError(f"residents at {level} level add up to {total:,}, not {KENT_RESIDENTS_CENSUS_2021:,}")
    for name, table in (("places", "places"), ("indicator_values", "indicator_values"), ("postcodes", "postcodes")):
        counts[name] = connection.execute(f"select count(*) from {table}").fetchone()[0]
    return n_tests, counts
