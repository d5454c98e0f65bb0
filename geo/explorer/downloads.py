"""Downloads: /data's planner table (CSV with CSVW metadata, GeoJSON) and the wide all-indicator CSV and GeoJSON."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd

from geo import catalogue
from geo.catalogue import format_value
from geo.config import KENT_CODE
from geo.explorer import db, metadata, text
from geo.explorer.metadata import attributions
from geo.explorer.release_view import release_id
from geo.explorer.state import LEVEL_LABELS, LEVEL_NOUN


def download_frame(level: str, district_code: str | None) -> pd.DataFrame:
    """All indicators for a level, wide, with codes, names, and one column per indicator."""
    long = db.run("all_indicator_values_at_level", level=level, district_code=district_code)
    wide = long.pivot_table(index=["area_code", "area_name", "district_code", "district_name"], columns="indicator_id",
                            values="value", aggfunc="first").reset_index()
    ordered = [i for i in metadata.catalogue().index if i in wide.columns]
    return wide[["area_code", "area_name", "district_code", "district_name"] + ordered]


@dataclass
class PlannerTable:
    """/data's table: readable columns, values at the catalogue's precision, a Kent rank, filtered and sorted."""

    frame: pd.DataFrame  # the rows that pass every filter, best ranked first
    formats: dict[str, str]  # column -> printf format at the catalogue's decimals
    columns: list[dict]  # per column: CSVW name, title, datatype and provenance
    total: int  # areas before filtering
    description: str  # what the filters keep, in words
    slug: str  # a file name stem that says what was filtered
    level: str
    district_code: str | None

    def geojson(self) -> bytes:
        """The kept areas as GeoJSON (every measure, codes as properties), with vintages and attribution."""
        frame = download_frame(self.level, self.district_code)
        return geojson_download(frame[frame.area_code.isin(set(self.frame.iloc[:, 0]))], self.level, self.district_code)

    def csv(self) -> bytes:
        """The rows as a CSV that opens cleanly in a spreadsheet: one header row, then data; provenance is in
        the companion CSVW metadata (``csvw``)."""
        return text.csv_safe(self.frame).to_csv(index=False).encode("utf-8")

    def csvw(self, generated_on: str) -> bytes:
        """W3C CSV on the Web metadata for ``csv()``: each column's title, type, unit, vintage, method, source and
        licence, the filters applied and the attribution lines."""
        metadata = {
            "@context": "http://www.w3.org/ns/csvw",
            "url": f"{self.slug}.csv",
            "dc:title": f"Kent Locality Explorer: {self.description}",
            "dc:created": generated_on,
            "dc:description": "Values at the publisher's precision. Missing values are empty, never filled. "
                              "Kent ranks are among all of Kent's areas at this level.",
            "dc:rights": attributions(),
            "kle:dataRelease": release_id(),
            "tableSchema": {"columns": self.columns, "primaryKey": self.columns[0]["name"]},
        }
        return json.dumps(metadata, indent=2, ensure_ascii=False).encode("utf-8")


def fifth_words(fifth: int, row: dict, level: str) -> str:
    """'in Kent's most deprived fifth of wards by …' (neutral measures by size: 'largest fifth')."""
    worst, best = catalogue.rank_words(row)
    areas = f"{LEVEL_NOUN[level].split(' ')[0]}s"
    if fifth in (1, 5):
        return f"in Kent's {worst if fifth == 1 else best} fifth of {areas} by {row['label']}"
    return f"in the {catalogue.ordinal(fifth)} fifth of Kent's {areas} by {row['label']}, counting from the {worst}"


def planner_table(level: str, district_code: str | None, rank_by: str, fifth: int | None = None,
                  rank_max: int | None = None, value_filters=()) -> PlannerTable:
    """Every indicator for one level's areas (optionally one district) with their Kent rank by ``rank_by``, kept by
    Kent fifth, rank and value filters (each must hold; an area missing a filtered value is left out)."""
    wide = download_frame(level, district_code)
    rows = db.run("indicator_catalogue").set_index("indicator_id")
    ranked = db.run("area_values_for_indicator", indicator_id=rank_by, level=level, district_code=None)
    ranks = dict(zip(ranked.area_code, ranked.kent_rank))
    out_of = int(ranked.kent_areas_ranked.max() or 0)
    rank_row = rows.loc[rank_by].to_dict() | {"indicator_id": rank_by}
    noun = LEVEL_NOUN[level].capitalize()
    rank_title = f"Kent rank by {rank_row['label']} (1 = {catalogue.rank_words(rank_row)[0]}, of {out_of})"
    frame = pd.DataFrame({f"{noun} code": wide.area_code, noun: wide.area_name})
    columns = [{"name": f"{level}_code", "titles": f"{noun} code", "datatype": "string", "required": True},
               {"name": f"{level}_name", "titles": noun, "datatype": "string"}]
    if level != "district":
        frame["District"] = wide.district_name
        columns.append({"name": "district_name", "titles": "District", "datatype": "string"})
    frame[rank_title] = pd.array([ranks.get(c) for c in wide.area_code], dtype="Int64")
    columns.append({"name": f"kent_rank_{rank_by}", "titles": rank_title, "datatype": "integer",
                    "dc:description": f"Rank among Kent's {out_of} {LEVEL_NOUN[level].split(' ')[0]}s with a value; "
                                      "ties share the best rank."})
    formats = {rank_title: "%d"}
    keep = pd.Series(True, index=wide.index)
    words = []
    if fifth:
        keep &= frame[rank_title].map(lambda r: not pd.isna(r) and math.ceil(5 * r / out_of) == fifth).astype(bool)
        words.append(fifth_words(fifth, rank_row, level))
    if rank_max:
        keep &= frame[rank_title].fillna(out_of + 1) <= rank_max
        words.append(f"ranked {rank_max} or better in Kent")
    filters = {indicator_id: (low, high) for indicator_id, low, high in value_filters}
    for indicator_id in [i for i in wide.columns if i in rows.index]:
        row = rows.loc[indicator_id]
        title = catalogue.heading(row.to_dict())
        values = wide[indicator_id].astype(float).round(int(row.decimals))
        frame[title] = values.astype("Int64") if int(row.decimals) == 0 else values
        formats[title] = "localized" if int(row.decimals) == 0 else f"%.{int(row.decimals)}f"  # 0 dp: 1,576,128
        columns.append({"name": indicator_id, "titles": title, "datatype": "number",
                        "schema:unitText": row.unit, "schema:temporalCoverage": row.vintage,
                        "dc:description": row.method + (f" Caveat: {row.caveat}" if row.caveat else ""),
                        "dc:source": f"{row.publisher}, {row.source_title}", "dc:license": row.licence})
        if indicator_id in filters:
            low, high = filters[indicator_id]
            keep &= values.notna() & (values >= (low if low is not None else -math.inf)) & \
                (values <= (high if high is not None else math.inf))
            shown = lambda v: format_value(v, row.to_dict())  # noqa: E731
            words.append(f"{row.label} " + (
                f"from {shown(low)} to {shown(high)}" if low is not None and high is not None else
                f"at least {shown(low)}" if low is not None else f"at most {shown(high)}"))
    place = "Kent" if district_code is None else wide.district_name.iloc[0] if len(wide) else district_code
    description = f"{LEVEL_LABELS[level]} in {place}" + (", " + "; ".join(words) if words else "")
    kept = frame[keep.values].sort_values([rank_title, noun], na_position="last").reset_index(drop=True)
    slug_parts = ["kent", f"{level}s"] + ([_slug(place)] if district_code else []) + [f"by-{rank_by}"]
    slug_parts += ([f"fifth-{fifth}"] if fifth else []) + ([f"rank-max-{rank_max}"] if rank_max else [])
    for indicator_id, low, high in value_filters:
        slug_parts.append("-".join([indicator_id] + ([f"min-{low:g}"] if low is not None else [])
                                   + ([f"max-{high:g}"] if high is not None else [])))
    return PlannerTable(kept, formats, columns, len(frame), description, "-".join(slug_parts), level, district_code)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(text).lower()).strip("-")


def geojson_download(frame: pd.DataFrame, level: str, district_code: str | None) -> bytes:
    """GeoJSON of a download frame on the simplified boundaries, with vintages and attribution in its metadata."""
    geometry = db.run("area_values_for_indicator", indicator_id="population", level=level, district_code=district_code)
    shapes = dict(zip(geometry.area_code, geometry.web_geojson))
    rows = db.run("indicator_catalogue").set_index("indicator_id")
    features = []
    for record in frame.to_dict(orient="records"):
        properties = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        features.append({"type": "Feature", "properties": properties, "geometry": json.loads(shapes[record["area_code"]])})
    metadata = {"indicators": {c: {"label": rows.label[c], "unit": rows.unit[c], "vintage": rows.vintage[c],
                                   "method": rows.method[c]} for c in frame.columns if c in rows.index},
                "attribution": attributions(), "county_code": KENT_CODE, "data_release": release_id(),
                "geometry": "Generalised boundaries simplified for the web (shared edges kept)."}
    return json.dumps({"type": "FeatureCollection", "metadata": metadata, "features": features}).encode("utf-8")
