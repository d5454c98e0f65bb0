"""Checks on input files. A failure names the file, the column and the first offending row."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

CODE_PATTERNS = {
    "district": re.compile(r"^E0[67]\d{6}$"),
    "ward": re.compile(r"^E05\d{6}$"),
    "lsoa": re.compile(r"^E01\d{6}$"),
    "constituency": re.compile(r"^E14\d{6}$"),
    "postcode": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$"),
}


class DataError(Exception):
    """An input file that cannot be built from: says file, column, row and what is wrong."""

    def __init__(self, file: str, column: str | None, row: int | None, problem: str):
        self.file, self.column, self.row, self.problem = file, column, row, problem
        where = [f"file {file}"]
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {problem}")


@dataclass(frozen=True)
class Column:
    """What one input column must hold."""

    name: str
    kind: str = "text"  # text | name | code:<pattern> | number | integer
    low: float | None = None
    high: float | None = None
    nullable: bool = False
    accepted: tuple[str, ...] | None = None  # the only values allowed
    references: str | None = None  # "source_id.COLUMN": every value must be one of that source's (inputs.py checks)


# A place or stop name as publishers write them: letters (any script), digits, spaces and . , ' ’ & ( ) - /.
# Nothing Markdown or HTML gives a meaning to (< > [ ] * _ ` | ! # $ ...), no control characters: a name
# like "![m](http://host/x.png)" from a refreshed file stops the build instead of reaching a page.
NAME = re.compile(r"^(?:[^\W_]|[ .,'\u2019&()\-/])+$")


def file_row(index: int) -> int:
    """Line number in a CSV with a header for a 0-based data index (the header is line 1)."""
    return index + 2


def check_table(frame: pd.DataFrame, file: str, columns: list[Column], key: str | None = None,
                expected_rows: int | None = None, row_of=file_row) -> pd.DataFrame:
    """Validate columns, codes, numbers, ranges, keys and row count; return typed values."""
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise DataError(file, missing[0], None, f"expected column is missing (found: {', '.join(map(str, frame.columns[:12]))})")
    typed = frame.copy()
    for column in columns:
        values = frame[column.name]
        blank = values.isna() | (values.astype(str).str.strip().isin(["", "NA", "NaN"]))
        if not column.nullable and blank.any():
            raise DataError(file, column.name, row_of(int(blank.to_numpy().nonzero()[0][0])), "value is missing")
        if column.kind.startswith("code:"):
            pattern = CODE_PATTERNS[column.kind.split(":", 1)[1]]
            bad = ~blank & ~values.astype(str).str.match(pattern)
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise DataError(file, column.name, row_of(i), f"{values.iloc[i]!r} is not a {column.kind[5:]} code")
        elif column.kind == "name":
            bad = ~blank & ~values.astype(str).map(lambda v: bool(NAME.match(v)))
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise DataError(file, column.name, row_of(i), f"{values.iloc[i]!r} is not a plain name (letters, digits, "
                                "spaces and . , ' & ( ) - / only)")
        elif column.accepted is not None:
            bad = ~blank & ~values.isin(column.accepted)
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise DataError(file, column.name, row_of(i), f"{values.iloc[i]!r} is not one of {', '.join(column.accepted)}")
        if column.kind in ("number", "integer"):
            numbers = pd.to_numeric(values.where(~blank), errors="coerce")
            bad = ~blank & numbers.isna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise DataError(file, column.name, row_of(i), f"{values.iloc[i]!r} is not a number")
            if column.kind == "integer":
                fractional = numbers.notna() & (numbers % 1 != 0)
                if fractional.any():
                    i = int(fractional.to_numpy().nonzero()[0][0])
                    raise DataError(file, column.name, row_of(i), f"{values.iloc[i]!r} is not a whole number")
            out_of_range = numbers.notna() & (
                ((numbers < column.low) if column.low is not None else False)
                | ((numbers > column.high) if column.high is not None else False)
            )
            if out_of_range.any():
                i = int(out_of_range.to_numpy().nonzero()[0][0])
                raise DataError(file, column.name, row_of(i),
                                f"{values.iloc[i]} is outside the plausible range {column.low} to {column.high}")
            typed[column.name] = numbers.astype("float64")
    if key is not None:
        duplicated = frame[key].duplicated()
        if duplicated.any():
            i = int(duplicated.to_numpy().nonzero()[0][0])
            raise DataError(file, key, row_of(i), f"duplicate key {frame[key].iloc[i]!r}")
    if expected_rows is not None and len(frame) != expected_rows:
        raise DataError(file, None, None, f"expected {expected_rows} rows, found {len(frame)} (truncated or wrong file?)")
    return typed


def check_members(child: pd.Series, parent_codes: set, file: str, column: str, parent_name: str, row_of=file_row) -> None:
    """Every code in `child` must exist among `parent_codes`."""
    unknown = ~child.isin(parent_codes)
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(file, column, row_of(i), f"{child.iloc[i]!r} is not a known {parent_name}")
