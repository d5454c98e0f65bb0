"""Boundaries: reading each level, and web-ready geometry that keeps shared edges shared."""
from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

BRITISH_NATIONAL_GRID = "EPSG:27700"
# 6 decimal places of a degree is about 0.1 m: finer than any screen shows, and
# coarse enough that rounding never moves a shared vertex differently on either side.
WEB_DECIMALS = 6
# Visvalingam-Whyatt tolerance in degrees for shapely.coverage_simplify, per level.
SIMPLIFY_TOLERANCE_DEGREES = {"district": 0.0005, "ward": 0.0009, "lsoa21": 0.0009, "lsoa11": 0.0009,
                              "constituency": 0.0012}


@dataclass(frozen=True)
class SimplificationReport:
    """Measured effect of simplifying one level's coverage."""

    level: str
    areas: int
    vertices_before: int
    vertices_after: int
    geojson_bytes_before: int
    geojson_bytes_after: int
    hausdorff_median_m: float
    hausdorff_p90_m: float
    hausdorff_max_m: float
    overlap_area_m2: float
    gap_area_m2: float
    coverage_valid: bool
    repaired_source_geometries: int


def feature_collection_bytes(geometries) -> int:
    """Size of a compact GeoJSON FeatureCollection of these geometries (no properties)."""
    features = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)} for g in geometries]
    return len(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))


def geometry_json(geometry) -> str:
    """Compact GeoJSON text of one geometry."""
    return json.dumps(shapely.geometry.mapping(geometry), separators=(",", ":"))


def _interior_gap_area(union) -> float:
    return float(sum(shapely.Polygon(ring).area for part in shapely.get_parts(union) for ring in part.interiors))


def _overlap_area(geometries) -> float:
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left < right
    overlaps = shapely.intersection(geometries[left[keep]], geometries[right[keep]])
    return float(shapely.area(overlaps).sum())


def simplify_coverage(frame: gpd.GeoDataFrame, level: str) -> tuple[np.ndarray, SimplificationReport]:
    """Simplify a level's polygons as one coverage (no gaps, no overlaps) and measure the result.

    Coordinates are rounded to WEB_DECIMALS first; the simplifier only drops vertices,
    so the output stays on that grid and neighbours keep identical shared edges.
    """
    source = frame.geometry.values
    invalid = ~shapely.is_valid(source)
    repaired = np.where(invalid, shapely.make_valid(source), source)
    repaired = np.array([shapely.union_all(shapely.get_parts(g)[shapely.area(shapely.get_parts(g)) > 0])
                         if g.geom_type == "GeometryCollection" else g for g in repaired], dtype=object)
    rounded = shapely.transform(repaired, lambda coords: np.round(coords, WEB_DECIMALS))
    simplified = shapely.coverage_simplify(rounded, SIMPLIFY_TOLERANCE_DEGREES[level])

    metric_source = gpd.GeoSeries(source, crs=frame.crs).to_crs(BRITISH_NATIONAL_GRID).values
    metric_simplified = gpd.GeoSeries(simplified, crs=frame.crs).to_crs(BRITISH_NATIONAL_GRID).values
    hausdorff = shapely.hausdorff_distance(metric_source, metric_simplified)
    gap = _interior_gap_area(shapely.union_all(metric_simplified)) - _interior_gap_area(shapely.union_all(metric_source))
    report = SimplificationReport(
        level=level,
        areas=len(frame),
        vertices_before=int(shapely.get_num_coordinates(source).sum()),
        vertices_after=int(shapely.get_num_coordinates(simplified).sum()),
        geojson_bytes_before=feature_collection_bytes(source),
        geojson_bytes_after=feature_collection_bytes(simplified),
        hausdorff_median_m=round(float(np.median(hausdorff)), 1),
        hausdorff_p90_m=round(float(np.quantile(hausdorff, 0.9)), 1),
        hausdorff_max_m=round(float(hausdorff.max()), 1),
        overlap_area_m2=round(_overlap_area(metric_simplified), 3),
        gap_area_m2=round(max(gap, 0.0), 3),
        coverage_valid=bool(shapely.coverage_is_valid(simplified)),
        repaired_source_geometries=int(invalid.sum()),
    )
    return simplified, report
