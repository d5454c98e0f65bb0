"""Boundaries: web geometry that keeps shared edges shared and stays within a measured distance of the source.

A level's polygons are cut into arcs, the runs of boundary between junctions, each stored once however
many areas it bounds (the TopoJSON idea). Every arc is simplified once, with Douglas-Peucker in British
National Grid metres: its tolerance bounds how far the result may stray from the source (the Hausdorff
distance), and both neighbours of an edge get the same simplified edge, so no gaps or overlaps open.
The arcs are then quantised to a fixed grid and delta-encoded as TopoJSON for the browser. What is
measured (and stored as each area's web GeoJSON) is that exact payload decoded again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.topology import MICRODEGREES, ArcCoverage, cut_into_arcs, decode_topology, encode_topology, topology_json

if TYPE_CHECKING:
    import geopandas as gpd

BRITISH_NATIONAL_GRID = "EPSG:27700"
# Douglas-Peucker tolerances in metres. Every area starts with the first; an area whose web shape comes
# out invalid (a simplified arc crossing another) has its arcs simplified with the next, down to none.
SIMPLIFY_TOLERANCES_M = (80.0, 40.0, 10.0, 0.0)
# The promise the build checks: every web boundary within this distance of the source (issue 5 allows 100 m).
MAX_HAUSDORFF_M = 90.0
_TO_METRES = Transformer.from_crs("EPSG:4326", BRITISH_NATIONAL_GRID, always_xy=True)


@dataclass(frozen=True)
class SimplificationReport:
    """Measured effect of making one level's web geometry (decoded from the TopoJSON sent to browsers)."""

    level: str
    areas: int
    vertices_before: int
    vertices_after: int
    topojson_points: int
    geojson_bytes_before: int
    geojson_bytes_after: int
    topojson_bytes: int
    simplify_tolerance_m: float
    areas_simplified_finer: int
    hausdorff_median_m: float
    hausdorff_p90_m: float
    hausdorff_max_m: float
    overlap_area_m2: float
    gap_area_m2: float
    coverage_valid: bool
    repaired_source_geometries: int


@dataclass(frozen=True)
class WebCoverage:
    """A level's web geometry: the TopoJSON for browsers, the same shapes decoded, and what was measured."""

    topology: dict
    geometries: np.ndarray
    report: SimplificationReport


def feature_collection_bytes(geometries) -> int:
    """Size of a compact GeoJSON FeatureCollection of these geometries (no properties)."""
    features = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)} for g in geometries]
    return len(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))


def geometry_json(geometry) -> str:
    """Compact GeoJSON text of one geometry."""
    return json.dumps(shapely.geometry.mapping(geometry), separators=(",", ":"))


def grid_shapes(codes, web_geojson, label_lon, label_lat) -> pd.DataFrame:
    """Web geometry in British National Grid metres, for drawings that need a flat projection (the light embed's
    SVG): per area its web GeoJSON's rings (same order, same points) and its label point, projected here so that
    the explorer never needs a projection library."""
    rings, eastings, northings = [], [], []
    for text, lon, lat in zip(web_geojson, label_lon, label_lat):
        geometry = json.loads(text)
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        projected = []
        for ring in (ring for polygon in polygons for ring in polygon):
            xs, ys = _TO_METRES.transform([p[0] for p in ring], [p[1] for p in ring])
            projected.append([[x, y] for x, y in zip(xs, ys)])
        rings.append(json.dumps(projected, separators=(",", ":")))
        easting, northing = _TO_METRES.transform(lon, lat)
        eastings.append(easting)
        northings.append(northing)
    return pd.DataFrame({"area_code": list(codes), "grid_rings": rings, "label_easting": eastings,
                         "label_northing": northings})


def _to_metres(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.column_stack(_TO_METRES.transform(x, y))


def douglas_peucker_keep(coverage: ArcCoverage, tolerance_m: float) -> list[np.ndarray]:
    """Per arc, which points Douglas-Peucker keeps at this tolerance in metres (arc ends always kept).

    All arcs are simplified together by GEOS's topology-preserving simplifier, which keeps rings at
    least triangles and avoids making arcs cross; web_coverage still checks every shape it makes.
    """
    if tolerance_m == 0:
        return [np.ones(len(arc), dtype=bool) for arc in coverage.arcs]
    lengths = [len(arc) for arc in coverage.arcs]
    lon_lat = np.concatenate(coverage.arcs) / MICRODEGREES
    metres = np.split(_to_metres(lon_lat[:, 0], lon_lat[:, 1]), np.cumsum(lengths)[:-1])
    lines = shapely.linestrings(np.concatenate(metres), indices=np.repeat(np.arange(len(lengths)), lengths))
    simplified = shapely.get_parts(shapely.simplify(shapely.multilinestrings(lines), tolerance_m, preserve_topology=True))
    if len(simplified) != len(metres):
        raise ValueError(f"simplifying {len(metres)} arcs returned {len(simplified)}")
    keep = []
    for points, line in zip(metres, simplified):
        kept = set(map(tuple, shapely.get_coordinates(line).tolist()))  # simplification only drops points
        keep.append(np.array([tuple(p) in kept for p in points.tolist()]))
    return keep


# ---------------------------------------------------------------- measuring

def _interior_gap_area(union) -> float:
    return float(sum(shapely.Polygon(ring).area for part in shapely.get_parts(union) for ring in part.interiors))


def _overlap_area(geometries) -> float:
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left < right
    overlaps = shapely.intersection(geometries[left[keep]], geometries[right[keep]])
    return float(shapely.area(overlaps).sum())


def _in_metres(geometries: np.ndarray) -> np.ndarray:
    return shapely.transform(geometries, lambda c: _to_metres(c[:, 0], c[:, 1]))


def _repaired(source: np.ndarray) -> np.ndarray:
    """Source polygons made valid, keeping only their polygonal parts."""
    fixed = np.where(shapely.is_valid(source), source, shapely.make_valid(source))
    return np.array([shapely.union_all(shapely.get_parts(g)[shapely.area(shapely.get_parts(g)) > 0])
                     if g.geom_type == "GeometryCollection" else g for g in fixed], dtype=object)


# A repaired polygon may differ from the area its rings enclose (even-odd rule) by at most this share.
REPAIR_AREA_TOLERANCE = 0.001


def even_odd_area(geometry) -> float:
    """Area enclosed by a polygon's rings under the even-odd rule: a ring inside another ring is a hole, whichever
    polygon part the file put it in. The independent measure a repaired polygon is checked against."""
    rings = [ring for part in shapely.get_parts(geometry) for ring in (part.exterior, *part.interiors)]
    enclosed = shapely.Polygon()
    for ring in rings:
        enclosed = shapely.symmetric_difference(enclosed, shapely.Polygon(ring))
    return float(enclosed.area)


def repair_polygons(geometries: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Invalid source polygons rebuilt from their linework so that holes stay holes (a shell nested in another
    part's shell becomes a hole, as the even-odd rule reads it); returns the geometries and the repaired positions.

    Raises ValueError when a repaired polygon's area is not the area its rings enclose.
    """
    geometries = np.asarray(geometries, dtype=object).copy()
    repaired = [int(i) for i in np.flatnonzero(~shapely.is_valid(geometries))]
    for i in repaired:
        fixed = shapely.make_valid(geometries[i], method="linework")
        parts = shapely.get_parts(fixed)
        fixed = shapely.union_all(parts[shapely.area(parts) > 0])
        expected = even_odd_area(geometries[i])
        if not fixed.is_valid or abs(fixed.area - expected) > REPAIR_AREA_TOLERANCE * expected:
            raise ValueError(f"polygon {i + 1} could not be repaired: area {fixed.area:.6g} after repair, "
                             f"{expected:.6g} enclosed by its rings")
        geometries[i] = fixed
    return geometries, repaired


def _with_neighbours(coverage: ArcCoverage, areas: np.ndarray) -> np.ndarray:
    """These areas (a boolean mask) and every area sharing an arc with one of them."""
    out = areas.copy()
    for owners in coverage.owners:
        if areas[owners].any():
            out[owners] = True
    return out


def web_coverage(frame: gpd.GeoDataFrame, key: str, level: str) -> WebCoverage:
    """Make a level's web geometry (TopoJSON and decoded shapes), refined until every area is valid and close.

    Fails if an area cannot be drawn validly within MAX_HAUSDORFF_M even unsimplified.
    """
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise ValueError(f"{level}: boundaries must be in longitude/latitude (EPSG:4326), not {frame.crs}")
    source = np.asarray(frame.geometry.values, dtype=object)
    codes = frame[key].astype(str).tolist()
    repaired = _repaired(source)
    coverage = cut_into_arcs(codes, repaired)
    metric_source = _in_metres(source)
    keep_at = cache(lambda index: douglas_peucker_keep(coverage, SIMPLIFY_TOLERANCES_M[index]))
    tolerance_of_area = np.zeros(len(codes), dtype=int)  # index into SIMPLIFY_TOLERANCES_M
    hausdorff, measured_wkb = np.zeros(len(codes)), np.full(len(codes), None, dtype=object)
    while True:
        # An arc takes the finest tolerance any of its areas needs, so both sides still share it.
        arcs = [arc[keep_at(int(tolerance_of_area[owners].max()))[i]]
                for i, (arc, owners) in enumerate(zip(coverage.arcs, coverage.owners))]
        topology = encode_topology(codes, coverage.polygons, arcs)
        web = np.array(list(decode_topology(topology).values()), dtype=object)
        metric_web = _in_metres(web)
        wkb = shapely.to_wkb(web)
        changed = wkb != measured_wkb  # Hausdorff is the slow measure: only where a shape changed
        hausdorff[changed] = shapely.hausdorff_distance(metric_source[changed], metric_web[changed])
        measured_wkb = wkb
        bad = (hausdorff > MAX_HAUSDORFF_M) | ~shapely.is_valid(web) | ~shapely.is_empty(shapely.coverage_invalid_edges(web))
        if not bad.any():
            break
        finest = tolerance_of_area == len(SIMPLIFY_TOLERANCES_M) - 1
        # An unsimplified area can still be crossed by a neighbour's other arcs: refine the neighbours too.
        refine = _with_neighbours(coverage, bad & finest) | bad
        refine &= ~finest
        if not refine.any():
            raise ValueError(f"{level}: {', '.join(np.array(codes)[bad])} cannot be drawn validly within "
                             f"{MAX_HAUSDORFF_M:g} m of the source")
        tolerance_of_area[refine] += 1

    gap = _interior_gap_area(shapely.union_all(metric_web)) - _interior_gap_area(shapely.union_all(metric_source))
    report = SimplificationReport(
        level=level,
        areas=len(codes),
        vertices_before=int(shapely.get_num_coordinates(source).sum()),
        vertices_after=int(shapely.get_num_coordinates(web).sum()),
        topojson_points=sum(len(arc) for arc in topology["arcs"]),
        geojson_bytes_before=feature_collection_bytes(source),
        geojson_bytes_after=feature_collection_bytes(web),
        topojson_bytes=len(topology_json(topology)),
        simplify_tolerance_m=SIMPLIFY_TOLERANCES_M[0],
        areas_simplified_finer=int((tolerance_of_area > 0).sum()),
        hausdorff_median_m=round(float(np.median(hausdorff)), 1),
        hausdorff_p90_m=round(float(np.quantile(hausdorff, 0.9)), 1),
        hausdorff_max_m=round(float(hausdorff.max()), 1),
        overlap_area_m2=round(_overlap_area(metric_web), 3),
        gap_area_m2=round(max(gap, 0.0), 3),
        coverage_valid=bool(shapely.coverage_is_valid(web)),
        repaired_source_geometries=int((~shapely.is_valid(source)).sum()),
    )
    return WebCoverage(topology, web, report)
