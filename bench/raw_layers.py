"""The naive baseline: raw source boundaries (no simplification) drawn as plain folium GeoJSON.

Shared by the payload measure and bench/baseline_app.py, so both baselines send the same thing.
Leaflet still comes from the app's static folder (geo.explorer.maps.offline_map): a CDN map never draws offline.
"""
from __future__ import annotations

import html
import json

import folium

from geo import catalogue
from geo.explorer import layers, maps
from geo.config import data_dir
from geo.pipeline.sources import SOURCES as REGISTRY

# level -> (the registry's source_id, the code column in that file)
SOURCES = {"district": ("districts_lad25", "LAD25CD"),
           "ward": ("wards_wd25", "WD25CD"),
           "lsoa": ("lsoa21_boundaries", "LSOA21CD")}


def source_path(level: str):
    """The mirror file the source registry (geo/pipeline/sources.py) gives for this level's boundaries."""
    return data_dir() / REGISTRY[SOURCES[level][0]].path


def source_geometries(level: str) -> dict[str, dict]:
    """Raw GeoJSON geometry of every area at this level, by area code, read from the mirror (no caching)."""
    _, code_column = SOURCES[level]
    with open(source_path(level), encoding="utf-8") as handle:
        collection = json.load(handle)
    return {str(f["properties"][code_column]): f["geometry"] for f in collection["features"]}


def _tip(feature: dict, indicator: dict, rank_of: int) -> str:
    value = catalogue.format_value(feature["value"], indicator, unit_style="full")
    parts = [f"<strong>{html.escape(str(feature['area_name']))}</strong>", f"{html.escape(indicator['label'])}: {html.escape(value)}"]
    if feature["rank"] is not None:
        parts.append(f"Rank {feature['rank']} of {rank_of}")
    return "<br>".join(parts)


def naive_choropleth(shown: layers.Layer, geometries: dict[str, dict]) -> folium.Map:
    """A folium map of the layer's areas on the given geometries: same properties and colours, no simplification."""
    colours = maps.class_colours(shown.indicator, shown.classification)
    rank_of = int(shown.values.kent_areas_ranked.max() or 0)
    features, fill = [], {}
    for feature, cls in zip(shown.features, shown.classification.classes):
        code = str(feature["area_code"])
        fill[code] = "#bdbdbd" if cls is None else colours[cls]
        features.append({"type": "Feature", "geometry": geometries[code],
                         "properties": {"area_code": code, "tip": _tip(feature, shown.indicator, rank_of)}})
    folium_map = maps.offline_map()
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda f: {"fillColor": fill[f["properties"]["area_code"]], "fillOpacity": 0.85,
                                  "color": "#4d4d4d", "weight": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
    ).add_to(folium_map)
    folium_map.fit_bounds(folium.GeoJson({"type": "FeatureCollection", "features": features}).get_bounds())
    return folium_map
