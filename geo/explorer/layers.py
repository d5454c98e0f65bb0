"""A layer: one indicator at one level (optionally one district), with Kent ranks, map classes, legend and table.

Also the level rules a layer follows (a measure published for districts only is not shown finer) and why an area
has no value. Pages call these functions and render the results; nothing here imports Streamlit.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import shapely.geometry

from geo import catalogue
from geo.catalogue import NATIVE_LEVEL, format_value
from geo.explorer import db, maps
from geo.explorer.areas import districts
from geo.explorer.metadata import indicator
from geo.explorer.state import LEVEL_LABELS, LEVEL_NOUN, LEVELS

LEVEL_ORDER = tuple(reversed(LEVELS))  # finest first


def level_for(indicator_row: dict, level: str) -> tuple[str, str | None]:
    """The level to show: an indicator published only for districts (or wards) cannot be shown finer."""
    native = NATIVE_LEVEL.get(indicator_row["geography"])
    if native and LEVEL_ORDER.index(level) < LEVEL_ORDER.index(native):
        return native, (f"{indicator_row['label']} is published for {native}s only ({indicator_row['vintage']}), "
                        f"so the map shows {native}s.")
    return level, None


def missing_reason(row: pd.Series | dict, indicator_row: dict, level: str) -> str:
    """Why an area has no value, in words that are true for it."""
    geography = indicator_row["geography"]
    n_postcodes = row.get("n_postcodes")
    if geography == "postcode" and (n_postcodes is None or pd.isna(n_postcodes) or not n_postcodes):
        return "No live postcode point lies inside this area."
    native = NATIVE_LEVEL.get(geography)
    if native and level != native:  # finer levels are not published; Kent's figure is not made from them either
        return f"Published for {native}s only."
    if geography in ("lsoa21", "lsoa11") and not (row.get("n_lsoas_with_value") or 0):
        return "Not published for any neighbourhood (LSOA) in this area."
    return "Not published for this area."


KENT_MAP_PLACES_TO_ZOOM = 11.0  # maps of all Kent (fitted near zoom 9) carry the places named up to this zoom


def place_label_zoom(n_stops: int) -> float:
    """The zoom from which a place is named: the more active stops (a proxy for size), the sooner."""
    return 10.0 if n_stops >= 40 else 11.0 if n_stops >= 15 else 12.0


@dataclass
class Layer:
    """One indicator at one level: values, Kent ranks, map classes, legend and table."""

    indicator: dict
    level: str
    district_code: str | None
    values: pd.DataFrame
    classification: maps.Classification
    notes: list[str] = field(default_factory=list)
    scope: str | None = None  # the district whose areas the values cover (None: all of Kent)
    scale: str = ""  # on a district page: "district" (classes within it) or "kent" (Kent-wide classes)

    @property
    def highlight(self) -> tuple[str, ...]:
        """Areas to outline: the district itself when its page shows a districts-only measure in Kent context."""
        return (self.district_code,) if self.district_code and self.scope is None and self.level == "district" else ()

    @property
    def scale_note(self) -> str:
        """How the colours were classed, for the legend: within the district or across Kent."""
        if not self.district_code or self.classification.scheme == "national_deciles":
            return ""
        noun = LEVEL_LABELS[self.level].lower()
        if self.scope is None or self.scale == "kent":
            return f"Colours: classes across all of Kent's {noun}, so districts can be compared."
        return f"Colours: classes within this district's {len(self.values)} {noun}; the same colour may mean a " \
               "different value in another district."

    @cached_property
    def features(self) -> list[dict]:
        """Map features for geo.explorer.maps.choropleth."""
        return [{"area_code": r.area_code, "area_name": r.area_name,
                 "value": None if pd.isna(r.value) else float(r.value),
                 "rank": None if pd.isna(r.kent_rank) else int(r.kent_rank),
                 "geometry": json.loads(r.web_geojson)} for r in self.values.itertuples()]

    def map(self, selected_codes=(), overlays=()):
        """The folium map of this layer, its boundaries the TopoJSON built for this level and district."""
        row = dict(self.indicator, rank_of=int(self.values.kent_areas_ranked.max() or 0))
        built = db.run("map_topology", level=self.level, district_code=self.scope).iloc[0]
        geometry = maps.MapGeometry(built.topojson, tuple(built.area_codes), (built.west, built.south, built.east, built.north))
        return maps.choropleth(self.features, row, self.classification, selected_codes=selected_codes, overlays=overlays,
                               geometry=geometry, labels=self.labels())

    def labels(self) -> list[maps.MapLabel]:
        """Names to draw: districts on a map of all Kent, ward names where they fit, bigger places as one zooms in."""
        return list(self._labels)

    @cached_property
    def _labels(self) -> tuple[maps.MapLabel, ...]:  # made once: a layer is shared by every session showing it
        names = db.run("map_labels", district_code=self.scope)  # a districts-only measure: Kent's district names
        labels = [maps.MapLabel(r.name, r.lon, r.lat, "district") for r in names[names.kind == "district"].itertuples()]
        if self.level == "ward" and self.district_code:
            labels += [maps.MapLabel(f["area_name"], r.label_lon, r.label_lat, "ward", 0.0,
                                     shapely.geometry.shape(f["geometry"]).bounds)
                       for f, r in zip(self.features, self.values.itertuples())]
        places = names[names.kind == "place"]
        if not self.scope:  # all of Kent: only the places named by zoom 11, to keep the map's payload small
            places = places[[place_label_zoom(n) <= KENT_MAP_PLACES_TO_ZOOM for n in places.n_stops]]
        labels += [maps.MapLabel(r.name, r.lon, r.lat, "place", place_label_zoom(r.n_stops)) for r in places.itertuples()]
        return tuple(labels)

    def codes_in(self, district_code: str) -> tuple[str, ...]:
        """The codes of this layer's areas that lie in one district."""
        return tuple(self.values.area_code[self.values.district_code == district_code])

    def legend_html(self) -> str:
        """The HTML legend with class ranges as text."""
        return maps.legend_html(self.indicator, self.classification)

    def table(self) -> pd.DataFrame:
        """The accessible table of every value on the map, ranked as in Kent."""
        level_label = LEVEL_NOUN[self.level][:1].upper() + LEVEL_NOUN[self.level][1:]  # "Neighbourhood (LSOA)"
        out_of = int(self.values.kent_areas_ranked.max() or 0)
        return pd.DataFrame({
            f"{level_label} code": self.values.area_code,
            level_label: self.values.area_name,
            "District": self.values.district_name,
            catalogue.heading(self.indicator): [format_value(v, self.indicator) for v in self.values.value],
            catalogue.rank_column(self.indicator): [("" if pd.isna(r) else f"{int(r)} of {out_of}") for r in self.values.kent_rank],
            "Map class": [self.classification.labels[c] if c is not None else maps.NO_DATA for c in self.classification.classes],
            "Note": [("" if not pd.isna(r.value) else missing_reason(pd.Series(r._asdict()), self.indicator, self.level))
                     for r in self.values.itertuples()],
        })


def layer(indicator_id: str, level: str, district_code: str | None, scheme: str, path=None,
          scale: str = "district") -> Layer:
    """Values, ranks and classes of one indicator for a level (optionally one district); path: another
    database file (the build makes the light embed from the database it has just written).

    For a district, ``scale`` "kent" classes its areas with Kent-wide classes (comparable between districts). A
    measure published for districts only is shown in its Kent context: all 12 districts, this one outlined.
    Made once per database file and view, and shared by every session: treat it as read-only.
    """
    if path is None:
        return db.derived("layer", lambda: _layer(indicator_id, level, district_code, scheme, None, scale), db.VIEW_POOL,
                          indicator_id=indicator_id, level=level, district_code=district_code, scheme=scheme,
                          scale=scale)
    return _layer(indicator_id, level, district_code, scheme, path, scale)


def _layer(indicator_id: str, level: str, district_code: str | None, scheme: str, path, scale: str) -> Layer:
    row = indicator(indicator_id, path)
    shown_level, note = level_for(row, level)
    if district_code and shown_level == "district":
        name = districts().set_index("district_code").district_name.get(district_code, district_code)
        values = db.run("area_values_for_indicator", path=path, indicator_id=indicator_id, level="district",
                        district_code=None)
        note = (f"{row['label']} is published for districts only ({row['vintage']}), so the map shows Kent's 12 "
                f"districts with {name} outlined.")
        return classified_layer(row, "district", district_code, values, scheme, [note], scope=None, scale="kent")
    values = db.run("area_values_for_indicator", path=path, indicator_id=indicator_id, level=shown_level,
                    district_code=district_code)
    classes_from = None
    if district_code and scale == "kent" and scheme != "national_deciles":
        classes_from = layer(indicator_id, shown_level, None, scheme, path).classification
    return classified_layer(row, shown_level, district_code, values, scheme, [note] if note else [],
                             classes_from=classes_from, scale=scale if district_code else "")


def within_district(kent: Layer, district_code: str, scheme: str) -> Layer:
    """A Kent layer cut to one district's areas (Kent ranks kept) and classed as layer(..., district_code) classes
    them, without another query: the light embed makes 12 district pages per Kent layer."""
    values = kent.values[kent.values.district_code == district_code].reset_index(drop=True)
    return classified_layer(kent.indicator, kent.level, district_code, values, scheme, [])


def classified_layer(row: dict, level: str, district_code: str | None, values: pd.DataFrame, scheme: str,
                     notes: list[str], classes_from: maps.Classification | None = None, scope: str | None = "",
                     scale: str = "") -> Layer:
    """A Layer of these values, classed by ``scheme`` (or with ``classes_from``'s classes), with its notes."""
    deciles = None
    if scheme == "national_deciles":
        if level == "lsoa" and row["decile_column"]:
            by_area = db.run("lsoa_deciles_for_area", indicator_id=row["indicator_id"], district_code=district_code)
            deciles = values.area_code.map(dict(zip(by_area.area_code, by_area.decile))).tolist()
        else:
            notes.append("England's deciles are published for IoD measures on neighbourhoods (LSOAs) only; "
                         "classes are quantiles instead.")
            scheme = "quantiles"
    present = values.value.notna().sum()
    k = 10 if scheme == "national_deciles" else max(1, min(5, int(present)))
    decimals = int(row["decimals"])
    numbers = [None if pd.isna(v) else float(v) for v in values.value]
    if classes_from is not None:  # another set's classes (Kent-wide classes on a district map)
        classification = maps.classify_with(numbers, classes_from, decimals)
    else:
        classification = maps.classify(numbers, scheme, k=k, national_deciles=deciles, decimals=decimals)
        distinct = values.value.dropna().round(decimals).nunique()
        if scheme == "quantiles" and classification.k < min(k, distinct):
            # Many equal values (e.g. 0% in most wards) collapse quantiles; natural breaks still separate the rest.
            classification = maps.classify(numbers, "natural_breaks", k=k, decimals=decimals)
            notes.append(f"Many areas share the same value, so equal-count classes would merge: the map uses natural "
                         f"breaks ({classification.k} classes) instead.")
    missing = len(values) - present
    if missing:
        notes.append(f"{missing} of {len(values)} areas have no value; they are hatched on the map and say why in the table.")
    return Layer(row, level, district_code, values, classification, notes,
                 scope=district_code if scope == "" else scope, scale=scale)


def benchmarks(indicator_id: str, district_code: str | None) -> pd.DataFrame:
    """The district's and Kent's values of an indicator."""
    return db.run("benchmarks_for_indicator", indicator_id=indicator_id, district_code=district_code)
