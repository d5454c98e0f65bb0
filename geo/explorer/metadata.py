"""What the database says about its own data: the indicator catalogue, its attribution lines and the gap index's
inputs, as built.

The explorer reads these from the database only (never data/*.csv), so a catalogue edit changes nothing until
the next build puts a new database, and its catalogue, in service together.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.catalogue import THEME_LABELS
from geo.explorer import db


def catalogue(path: Path | None = None) -> pd.DataFrame:
    """The catalogue the database was built with, in menu order, indexed by indicator_id, with each source's
    publisher and attribution (queries/indicator_catalogue.sql; path: another database file)."""
    rows = db.run("indicator_catalogue", path=path)
    return rows.set_index("indicator_id", drop=False)


def gap_components(path: Path | None = None) -> pd.DataFrame:
    """The gap index's inputs as the build validated them (data/gap_components.csv at build time)."""
    return db.run("gap_components", path=path)


def indicator(indicator_id: str, path=None) -> dict:
    """One catalogue row joined with its source's publisher and attribution (path: another database file)."""
    if path is None:  # a copy: callers may add keys to it
        return dict(db.derived("indicator", lambda: _indicator(indicator_id, None), db.VIEW_POOL,
                               indicator_id=indicator_id))
    return _indicator(indicator_id, path)


def _indicator(indicator_id: str, path) -> dict:
    rows = db.run("indicator_catalogue", path=path)
    row = rows[rows.indicator_id == indicator_id]
    if row.empty:
        raise KeyError(f"unknown indicator {indicator_id!r}")
    return row.iloc[0].to_dict()


def layer_choices() -> pd.DataFrame:
    """Catalogue rows in menu order with their theme labels, for the layer picker (made once per database file;
    read-only)."""
    return db.derived("layer_choices", _layer_choices)


def _layer_choices() -> pd.DataFrame:
    rows = catalogue().reset_index(drop=True)
    return rows.assign(theme_label=rows.theme.map(THEME_LABELS))[["indicator_id", "theme", "theme_label", "label", "unit"]]


def indicators_at_level(level: str) -> list[str]:
    """Catalogue indicators (menu order) that have values at a level."""
    present = set(db.run("all_indicator_values_at_level", level=level, district_code=None).indicator_id)
    return [i for i in catalogue().index if i in present]


def attributions() -> list[str]:
    """Every attribution line the data on these pages requires."""
    return db.run("source_attributions").attribution.tolist()
