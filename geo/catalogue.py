"""The indicator catalogue (data/indicators.csv): one row per indicator, validated on load.

Menus, legends, tooltips, downloads, the About page and the build all read this table,
so adding an indicator means adding one row.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.config import CATALOGUE_PATH

COLUMNS = {
    "indicator_id": "stable identifier used in URLs and SQL column names (lower_snake_case)",
    "theme": "menu group: context, deprivation, broadband, transport, services, gap",
    "label": "plain-English name shown to people",
    "unit": "unit of the value as shown",
    "polarity": "higher_worse, higher_better or neutral: sets the palette direction and the meaning of rank 1",
    "geography": "native geography of the published value: lsoa21, lsoa11, ward, district or postcode",
    "source_id": "the source (geo/pipeline/sources.py) the value comes from",
    "source_column": "the column in that source file (or in the build's postcode table)",
    "aggregation": "how ward, district and Kent values are made: population_weighted_mean, population_share_decile_1, population_share_decile_1_2, population_sum, postcode_share, postcode_median, none (native level only) or gap_index (made by geo/gap.py from other indicators)",
    "decimals": "decimal places to show",
    "decile_column": "for IoD measures, the source column holding England's decile (1 = most deprived), used for national-decile classes",
    "vintage": "the data's date or edition",
    "method": "how the value was made, in a sentence or two",
    "caveat": "what a reader must know before using it",
}
# The one definition of polarities, with what a higher value is (the About page says it).
HIGHER_IS = {"higher_worse": "worse", "higher_better": "better", "neutral": "neither"}
POLARITIES = tuple(HIGHER_IS)
GEOGRAPHIES = ("lsoa21", "lsoa11", "ward", "district", "postcode")
NATIVE_LEVEL = {"district": "district", "ward": "ward"}  # geographies published at one map level only
AGGREGATIONS = ("population_weighted_mean", "population_share_decile_1", "population_share_decile_1_2",
                "population_sum", "postcode_share", "postcode_median", "none", "gap_index")
THEME_LABELS = {"context": "Population", "deprivation": "Deprivation", "broadband": "Broadband",
                "transport": "Transport", "services": "Access to services", "gap": "Infrastructure gap"}
THEMES = tuple(THEME_LABELS)  # menu order
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
NO_DATA = "No data"


class CatalogueError(ValueError):
    """The catalogue file breaks one of its rules."""


def validate(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Check the catalogue's columns and accepted values; return it indexed by indicator_id."""
    if list(catalogue.columns) != list(COLUMNS):
        raise CatalogueError(f"catalogue columns must be {list(COLUMNS)}, found {list(catalogue.columns)}")
    for rule_column, allowed in (("theme", THEMES), ("polarity", POLARITIES), ("geography", GEOGRAPHIES),
                                 ("aggregation", AGGREGATIONS)):
        bad = catalogue[~catalogue[rule_column].isin(allowed)]
        if len(bad):
            raise CatalogueError(f"indicator {bad.iloc[0].indicator_id!r}: {rule_column} {bad.iloc[0][rule_column]!r} is not one of {allowed}")
    bad_ids = catalogue[~catalogue.indicator_id.str.match(IDENTIFIER)]
    if len(bad_ids):
        raise CatalogueError(f"indicator id {bad_ids.iloc[0].indicator_id!r} is not lower_snake_case")
    duplicated = catalogue.indicator_id[catalogue.indicator_id.duplicated()]
    if len(duplicated):
        raise CatalogueError(f"indicator id {duplicated.iloc[0]!r} appears twice")
    for column in ("label", "unit", "source_id", "source_column", "vintage", "method"):
        empty = catalogue[catalogue[column].fillna("").str.strip() == ""]
        if len(empty):
            raise CatalogueError(f"indicator {empty.iloc[0].indicator_id!r} has no {column}")
    return catalogue.set_index("indicator_id", drop=False)


@lru_cache(maxsize=4)
def load(path: Path = CATALOGUE_PATH) -> pd.DataFrame:
    """The validated catalogue, in menu order, indexed by indicator_id."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    try:
        frame["decimals"] = frame["decimals"].astype(int)
        return validate(frame)
    except (CatalogueError, KeyError, ValueError) as error:
        raise CatalogueError(f"file {path.name}: {error}") from None


def is_missing(value) -> bool:
    """True for None and NaN: a value that was never published, which is never shown as 0."""
    if value is None:
        return True
    try:
        return isinstance(value, float) and math.isnan(value)
    except TypeError:
        return False


def heading(indicator) -> str:
    """The label with its unit in brackets, unless the label already says it ("Patients per GP", not
    "Patients per GP (patients per GP)"; "Usual residents (people)")."""
    label, unit = str(indicator["label"]).strip(), str(indicator.get("unit") or "").strip()
    if not unit or unit.lower() in label.lower():
        return label
    return f"{label[:-1]}; {unit})" if label.endswith(")") else f"{label} ({unit})"


def format_value(value, indicator, unit_style: str = "percent_sign") -> str:
    """A value as shown to people, at the indicator's decimals; missing is "No data".

    unit_style "percent_sign" adds only a % sign for percentage units (tables and cards whose
    label names the unit), "full" adds the whole unit (tooltips, the board pack), "none" nothing.
    """
    if is_missing(value):
        return NO_DATA
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    try:
        decimals = max(0, int(indicator.get("decimals", 1)))
    except (TypeError, ValueError):
        decimals = 1
    text = f"{number:,.{decimals}f}"
    unit = str(indicator.get("unit") or "").strip()
    if unit_style == "none" or not unit:
        return text
    if unit.startswith("%"):
        return text + ("%" if unit_style == "percent_sign" else unit)
    return text if unit_style == "percent_sign" else f"{text} {unit}"


def rank_words(indicator) -> tuple[str, str]:
    """What Kent rank 1 and the last rank mean for this indicator: ("worst", "best"), or for a neutral measure
    (population), which is neither worse nor better, ("largest", "smallest")."""
    return ("largest", "smallest") if indicator.get("polarity") == "neutral" else ("worst", "best")


def rank_column(indicator) -> str:
    """The heading of a Kent rank column: "Kent rank (1 = worst)" or, for neutral measures, "(1 = largest)"."""
    return f"Kent rank (1 = {rank_words(indicator)[0]})"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ordinal_phrase(rank: int, out_of: int, first: str, last: str) -> str:
    """A rank in words with no "1st lowest" or "12th lowest of 12": "the lowest", "the highest", "3rd lowest"."""
    if rank == 1:
        return f"the {first}"
    if rank == out_of:
        return f"the {last}"
    return f"{ordinal(rank)} {first}"


_MONTH_YEAR = re.compile(r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|December) )?"
                         r"(?:19|20)\d{2}")


def data_date(vintage: str) -> str:
    """The opening of a sentence that dates its data, from a catalogue vintage: "In May 2021",
    "In the English Indices of Deprivation 2025", "In July 2026 (NaPTAN July 2026 / Code-Point Open 2025.2)"."""
    vintage = str(vintage).strip()
    iod = re.fullmatch(r"IoD ((?:19|20)\d{2})", vintage)
    if iod:
        return f"In the English Indices of Deprivation {iod.group(1)}"
    found = _MONTH_YEAR.search(vintage)
    if not found:
        raise ValueError(f"vintage {vintage!r} has no year to date a sentence with")
    if " / " not in vintage:
        return f"In {found.group(0)}"
    first, *others = vintage.split(" / ")
    named = [first.replace(found.group(0), "").strip()] + others  # "NaPTAN July 2026" -> "NaPTAN"
    return f"In {found.group(0)} ({'; '.join(n for n in named if n)})"


def unpublished_reason(indicator, level: str) -> str:
    """Why an indicator has no value at a level: "Published for districts only" (or wards) where that is the
    reason, else "Not published"."""
    native = NATIVE_LEVEL.get(indicator.get("geography"))
    return f"Published for {native}s only" if native and level != native else "Not published"
