"""Comparability rules (data/comparability.csv): for each indicator, what it may be compared with over time, and how.

The build validates the file against the catalogue and writes it to the database (table ``comparability``);
the explorer reads it from there only. Every catalogue indicator has at least one row; an indicator with no
comparable predecessor has a ``none`` row whose caveat says why.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.config import REPO_ROOT
from geo.pipeline.validate import DataError

COMPARABILITY_PATH = REPO_ROOT / "data" / "comparability.csv"
COLUMNS = {
    "indicator_id": "the catalogue indicator the rule is about",
    "compared_with": "the other edition (a catalogue indicator_id) or series (a database table) it may be compared with; "
                     "empty for none",
    "compared_column": "for a series, the column of that table holding the comparable values",
    "comparison": "how: rank (Kent rank in each edition), decile (England's decile in each edition), level (the values "
                  "themselves, same measure over time), related (a different measure shown for context only) or none",
    "caveat": "what a reader must know before comparing, in words (shown on the change page)",
}
COMPARISONS = ("rank", "decile", "level", "related", "none")
EDITION_COMPARISONS = ("rank", "decile")  # compared_with is another catalogue indicator
# The series a level or related rule may point to, and the columns each may compare.
SERIES_COLUMNS = {
    "ofcom_district_timeseries": ("sfbb_or_better_pct", "ufbb_pct", "full_fibre_pct", "gigabit_pct", "below_uso_pct",
                                  "unable_30mbit_pct"),
    "ofcom_constituency_timeseries": ("sfbb_or_better_pct", "ufbb_pct", "full_fibre_pct", "gigabit_pct", "below_uso_pct",
                                      "unable_30mbit_pct"),
    "station_usage": ("entries_exits",),
}


def validate(rules: pd.DataFrame, indicator_ids, where: str = "data/comparability.csv") -> pd.DataFrame:
    """Check the rules against the catalogue's indicator ids; a failure names the file, column and row."""
    indicator_ids = list(indicator_ids)
    if list(rules.columns) != list(COLUMNS):
        raise DataError(where, None, None, f"columns must be {list(COLUMNS)}, found {list(rules.columns)}")
    for position, rule in enumerate(rules.itertuples(index=False)):
        row = position + 2  # the header is line 1

        def fail(column: str, problem: str):
            raise DataError(where, column, row, problem)

        if rule.indicator_id not in indicator_ids:
            fail("indicator_id", f"{rule.indicator_id!r} is not in the indicator catalogue")
        if rule.comparison not in COMPARISONS:
            fail("comparison", f"{rule.comparison!r} is not one of {', '.join(COMPARISONS)}")
        if not rule.caveat.strip():
            fail("caveat", f"the rule for {rule.indicator_id!r} needs its caveat in words")
        if rule.comparison == "none":
            if rule.compared_with or rule.compared_column:
                fail("compared_with", "a 'none' rule compares with nothing: leave compared_with and compared_column empty")
        elif rule.comparison in EDITION_COMPARISONS:
            if rule.compared_with not in indicator_ids or rule.compared_with == rule.indicator_id:
                fail("compared_with", f"a {rule.comparison} rule needs another catalogue indicator, not {rule.compared_with!r}")
        else:
            if rule.compared_with not in SERIES_COLUMNS:
                fail("compared_with", f"a {rule.comparison} rule needs a series: one of {', '.join(SERIES_COLUMNS)}")
            if rule.compared_column not in SERIES_COLUMNS[rule.compared_with]:
                fail("compared_column", f"{rule.compared_column!r} is not a column of {rule.compared_with}: "
                                        f"use one of {', '.join(SERIES_COLUMNS[rule.compared_with])}")
    duplicated = rules.duplicated(["indicator_id", "compared_with", "compared_column", "comparison"])
    if duplicated.any():
        fail_row = int(duplicated.to_numpy().nonzero()[0][0]) + 2
        raise DataError(where, "indicator_id", fail_row, "the same rule appears twice")
    kinds = rules.groupby("indicator_id").comparison.agg(set)
    for indicator_id in indicator_ids:
        if indicator_id not in kinds.index:
            raise DataError(where, "indicator_id", None,
                            f"indicator {indicator_id!r} has no rule: add one (comparison 'none' if nothing is comparable)")
        if "none" in kinds[indicator_id] and kinds[indicator_id] & {"rank", "decile", "level"}:
            raise DataError(where, "comparison", None,
                            f"indicator {indicator_id!r} has a 'none' rule and a comparable series: keep one")
    return rules


def load(indicator_ids, path: Path = COMPARABILITY_PATH) -> pd.DataFrame:
    """The validated rules in file order (the build's reader; the explorer reads the database table)."""
    rules = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return validate(rules, indicator_ids, where=f"data/{path.name}")
