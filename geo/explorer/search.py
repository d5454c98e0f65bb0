"""One search for postcodes, NaPTAN place names, wards and districts, read from the database only.

`search(text)` answers what `/find?q=<text>` shows. Postcodes (any case or spacing) go to the ward the
database's postcodes table gives them (read once into memory per database file); a postcode district alone ('CT9') lists the wards its Kent postcodes lie in.
Names are matched with rapidfuzz's normalised Levenshtein similarity (`fuzz.ratio`, which tolerates a mistyped
letter, as in 'Tenterdon'), against the whole name and against runs of its words (see `name_scores`). Order:
exact names first, then by score, then districts before places before wards, bigger places (more active stops)
first, then by name and district — so the order is deterministic.
Nothing here imports Streamlit.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process

from geo.explorer import db
from geo.explorer.state import normalise_postcode, page_link

MAX_QUERY = 100  # characters kept from what was typed
MAX_RESULTS = 20
MIN_SCORE = 75.0  # similarity (0-100) below which a name is not shown as a match
PART_DISCOUNT = 0.9  # a match on part of a name counts for a little less than one on the whole name
MAX_SPAN_WORDS = 6
KIND_ORDER = {"district": 0, "place": 1, "ward": 2}
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
POSTCODE_SOURCE = "OS Code-Point Open 2025.2"


@dataclass(frozen=True)
class Result:
    """One thing a search found, and the page it leads to."""

    kind: str  # district | ward | place | postcode
    name: str
    district_code: str
    district_name: str
    ward_code: str | None = None
    ward_name: str | None = None
    score: float = 100.0
    exact: bool = True
    detail: str = ""

    @property
    def href(self) -> str:
        """The explorer URL this result opens (relative, so it works under any sub-path): a ward profile or district page."""
        if self.ward_code:
            return page_link("ward", {"ward": self.ward_code})
        return page_link("district", {"district": self.district_code})


@dataclass(frozen=True)
class Answer:
    """What a search found for some text: its kind, a message for people, and the results in order."""

    query: str
    kind: str  # empty | junk | postcode | postcode_district | postcode_unknown | postcode_outside_kent | names | nothing
    message: str
    results: tuple[Result, ...] = field(default_factory=tuple)


def clean_query(text) -> str:
    """What was typed, made safe to echo: printable characters only, spaces collapsed, at most MAX_QUERY long."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = "".join(c if c.isprintable() else " " for c in text)
    return re.sub(r"\s+", " ", text).strip()[:MAX_QUERY]


def name_key(text: str) -> str:
    """A name as compared: lower case, accents and apostrophes dropped, '&' as 'and', other punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['\u2019`]", "", text).replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


@dataclass(frozen=True)
class NameIndex:
    """Every searchable name (places, wards, districts), its comparison key, and its runs of whole words."""

    rows: pd.DataFrame
    keys: tuple[str, ...]
    spans: dict[int, tuple[tuple[str, ...], tuple[int, ...]]]  # words in a run -> (runs, position of each run's name)

    @classmethod
    def of(cls, rows: pd.DataFrame) -> "NameIndex":
        """The index of some rows with a `name` column."""
        rows = rows.reset_index(drop=True)
        keys = tuple(name_key(n) for n in rows["name"])
        spans: dict[int, tuple[list, list]] = {}
        for position, key in enumerate(keys):
            words = key.split()
            for length in range(1, min(len(words), MAX_SPAN_WORDS) + 1):
                for start in range(len(words) - length + 1):
                    runs, positions = spans.setdefault(length, ([], []))
                    runs.append(" ".join(words[start:start + length]))
                    positions.append(position)
        return cls(rows, keys, {n: (tuple(r), tuple(p)) for n, (r, p) in spans.items()})


def name_index() -> NameIndex:
    """The names in the current database, cached with its query results."""
    return db.derived("search_name_index", lambda: NameIndex.of(db.run("search_names")))


def _result(row, score: float, exact: bool) -> Result:
    ward_code = None if pd.isna(row["ward_code"]) else row["ward_code"]
    ward_name = None if pd.isna(row["ward_name"]) else row["ward_name"]
    detail = {"district": "District", "ward": f"Ward in {row['district_name']}",
              "place": f"Place in {row['district_name']}, in {ward_name} ward"}[row["kind"]]
    return Result(row["kind"], row["name"], row["district_code"], row["district_name"], ward_code, ward_name,
                  round(float(score), 1), exact, detail)


def name_scores(key: str, index: NameIndex) -> dict[int, float]:
    """Each matching name's score (0-100): the better of its whole-name similarity and, discounted by
    PART_DISCOUNT, the best similarity of a run of as many whole words as the query has ('tenterdon' against
    the 'tenterden' of 'Tenterden North'). Names scoring under MIN_SCORE are left out."""
    scores: dict[int, float] = {}
    for _, score, position in process.extract(key, index.keys, scorer=fuzz.ratio, processor=None,
                                              score_cutoff=MIN_SCORE, limit=None):
        scores[position] = score
    runs, positions = index.spans.get(len(key.split()), ((), ()))
    for _, score, run in process.extract(key, runs, scorer=fuzz.ratio, processor=None,
                                         score_cutoff=MIN_SCORE / PART_DISCOUNT, limit=None):
        position = positions[run]
        scores[position] = max(scores.get(position, 0.0), score * PART_DISCOUNT)
    return scores


def match_names(text: str, index: NameIndex, limit: int = MAX_RESULTS) -> list[Result]:
    """Places, wards and districts whose names match text, best first (see the module docstring for the order)."""
    key = name_key(text)
    if not key:
        return []
    ranked = []
    for position, score in name_scores(key, index).items():
        row = index.rows.iloc[position]
        exact = index.keys[position] == key
        stops = 0 if pd.isna(row["n_stops"]) else int(row["n_stops"])
        ranked.append(((not exact, -round(score, 1), KIND_ORDER[row["kind"]], -stops, row["name"], row["district_name"]),
                       row, score, exact))
    ranked.sort(key=lambda item: item[0])
    return [_result(row, score, exact) for _, row, score, exact in ranked[:limit]]


@dataclass(frozen=True)
class PostcodeIndex:
    """The postcodes table in memory: each postcode's row, and each postcode district's wards by postcode count."""

    by_postcode: dict[str, tuple[str, str, str, str]]  # postcode -> ward_code, ward_name, district_code, district_name
    by_outward: dict[str, list[tuple[str, str, str, str, int]]]  # outward code -> wards (most postcodes first)


def postcode_index() -> PostcodeIndex:
    """The current database's postcodes, read once and cached with its query results."""
    def make() -> PostcodeIndex:
        rows = db.run("postcode_wards")
        by_postcode = {r.postcode: (r.ward_code, r.ward_name, r.district_code, r.district_name) for r in rows.itertuples()}
        counts = rows.groupby(["outward_code", "ward_code", "ward_name", "district_code", "district_name"]).size()
        by_outward: dict[str, list] = {}
        for (outward, *ward), n in counts.items():
            by_outward.setdefault(outward, []).append((*ward, int(n)))
        for wards in by_outward.values():
            wards.sort(key=lambda w: (-w[4], w[1]))
        return PostcodeIndex(by_postcode, by_outward)
    return db.derived("search_postcode_index", make)


def _postcode_answer(postcode: str, shown: str) -> Answer:
    index = postcode_index()
    found = index.by_postcode.get(postcode)
    if found:
        ward_code, ward_name, district_code, district_name = found
        result = Result("postcode", postcode, district_code, district_name, ward_code, ward_name,
                        detail=f"Postcode in {ward_name} ward, {district_name}")
        return Answer(shown, "postcode", f"{postcode} is in {ward_name} ward, {district_name} ({POSTCODE_SOURCE}).",
                      (result,))
    outward = postcode.split(" ")[0]
    if outward not in index.by_outward:
        return Answer(shown, "postcode_outside_kent",
                      f"{postcode} is written like a postcode, but it is not in Kent: no Kent postcode starts "
                      f"{outward}. This explorer covers Kent County Council's 12 districts (Medway is not one of "
                      f"them). Try a Kent postcode, town or village.")
    return Answer(shown, "postcode_unknown",
                  f"{postcode} is not one of Kent's live postcodes ({POSTCODE_SOURCE}): check it for a typing "
                  f"mistake. It may not exist or may have been retired; a few {outward} postcodes lie just outside "
                  f"Kent. Kent postcodes starting {outward} do exist, so try your town or village name too.")


def _outward_answer(outward: str, shown: str) -> Answer | None:
    wards = postcode_index().by_outward.get(outward)
    if not wards:
        return None
    results = tuple(Result("ward", ward_name, district_code, district_name, ward_code, ward_name,
                           detail=f"Ward in {district_name}: {n:,} of the {outward} postcodes")
                    for ward_code, ward_name, district_code, district_name, n in wards)
    return Answer(shown, "postcode_district",
                  f"Kent postcodes starting {outward} lie in {len(results)} ward{'s' if len(results) != 1 else ''} "
                  f"({POSTCODE_SOURCE}). Give the full postcode to find one ward.", results)


def search(text) -> Answer:
    """What /find shows for some text: a postcode's ward, matching names, or a clear message (never an error)."""
    shown = clean_query(text)
    if not shown:
        return Answer(shown, "empty", "Type a postcode (such as CT9 1AE), a town or village, a ward or a district.")
    postcode = normalise_postcode(shown)
    if postcode:
        return _postcode_answer(postcode, shown)
    compact = shown.upper().replace(" ", "")
    if OUTWARD_CODE.match(compact):
        answer = _outward_answer(compact, shown)
        if answer:
            return answer
    if not name_key(shown):
        return Answer(shown, "junk", "That has no letters or numbers to search for. Type a postcode (such as "
                                     "CT9 1AE), a town or village, a ward or a district.")
    results = tuple(match_names(shown, name_index()))
    if not results:
        return Answer(shown, "nothing", "No Kent postcode, place, ward or district matches that. Check the spelling, "
                                        "or try a postcode (such as CT9 1AE) or a nearby town.")
    exact = sum(r.exact for r in results)
    message = (f"{exact} exact match{'es' if exact != 1 else ''}, then similar names." if exact else
               "No exact match; these are the closest names.")
    return Answer(shown, "names", message, results)
