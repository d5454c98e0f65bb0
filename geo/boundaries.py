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
import shapely
from pyproj import Transformer

if TYPE_CHECKING:
    import geopandas as gpd

BRITISH_NATIONAL_GRID = "EPSG:27700"
MICRODEGREES = 1_000_000  # coordinates are handled as integer millionths of a degree (about 0.1 m)
# Douglas-Peucker tolerances in metres. Every area starts with the first; an area whose web shape comes
# out invalid (a simplified arc crossing another) has its arcs simplified with the next, down to none.
SIMPLIFY_TOLERANCES_M = (80.0, 40.0, 10.0, 0.0)
# The promise the build checks: every web boundary within this distance of the source (issue 5 allows 100 m).
MAX_HAUSDORFF_M = 90.0
# The TopoJSON grid in millionths of a degree, x then y: about 0.3 m each way at Kent's latitude.
# Measured: a grid twice as coarse cannot keep two Swale wards' sub-metre islands valid.
GRID_MICRODEGREES = (4, 3)
TOPOLOGY_OBJECT = "areas"  # the one GeometryCollection in every topology; geometry ids are area codes

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


@dataclass(frozen=True)
class ArcCoverage:
    """Polygons as shared arcs: each run of boundary between junctions is stored once."""

    codes: list[str]
    arcs: list[np.ndarray]  # (n, 2) integer microdegrees; an arc that is a whole ring starts and ends on one point
    owners: list[np.ndarray]  # the areas (indexes into codes) each arc bounds: one on the coast, two inland
    polygons: list[list[list[list[int]]]]  # per area, polygon, ring: arc ids in order, ~id for an arc walked backwards


def feature_collection_bytes(geometries) -> int:
    """Size of a compact GeoJSON FeatureCollection of these geometries (no properties)."""
    features = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)} for g in geometries]
    return len(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))


def geometry_json(geometry) -> str:
    """Compact GeoJSON text of one geometry."""
    return json.dumps(shapely.geometry.mapping(geometry), separators=(",", ":"))


def topology_json(topology: dict) -> str:
    """Compact TopoJSON text, as sent to the browser."""
    return json.dumps(topology, separators=(",", ":"))


# ---------------------------------------------------------------- arcs

def _rings(geometry) -> list[list[np.ndarray]]:
    """Per polygon, its rings as integer microdegree points without the closing repeat."""
    return [[np.rint(np.asarray(ring.coords)[:-1] * MICRODEGREES).astype(np.int64) for ring in (p.exterior, *p.interiors)]
            for p in shapely.get_parts(geometry)]


def _junction_keys(polygons_of: list[list[list[np.ndarray]]], key) -> set[int]:
    """Points where boundaries meet: any point with other than two distinct neighbours along the rings."""
    rings = [ring for polygons in polygons_of for polygon in polygons for ring in polygon]
    here = np.concatenate([key(r) for r in rings])
    after = np.concatenate([np.roll(key(r), -1) for r in rings])
    edges = np.unique(np.column_stack([np.minimum(here, after), np.maximum(here, after)]), axis=0)
    points, degree = np.unique(edges.ravel(), return_counts=True)
    return set(points[degree != 2].tolist())


def cut_into_arcs(codes, geometries) -> ArcCoverage:
    """Cut a coverage's rings at junctions into arcs, each shared edge once (coordinates rounded to microdegrees)."""
    polygons_of = [_rings(g) for g in geometries]
    everything = np.concatenate([r for polygons in polygons_of for polygon in polygons for r in polygon])
    low, span = everything.min(axis=0), everything.max(axis=0) - everything.min(axis=0) + 1

    def key(points: np.ndarray) -> np.ndarray:
        return (points[:, 0] - low[0]) * span[1] + (points[:, 1] - low[1])

    junctions = _junction_keys(polygons_of, key)
    arcs: list[np.ndarray] = []
    owners: list[set[int]] = []
    arc_id_of: dict[bytes, int] = {}

    def arc_id(points: np.ndarray, area: int) -> int:
        forward, backward = points.tobytes(), points[::-1].tobytes()
        if forward in arc_id_of:
            found = arc_id_of[forward]
        elif backward in arc_id_of:
            found = ~arc_id_of[backward]
        else:
            found = arc_id_of[forward] = len(arcs)
            arcs.append(points)
            owners.append(set())
        owners[found if found >= 0 else ~found].add(area)
        return found

    polygons_as_arcs = []
    for area, polygons in enumerate(polygons_of):
        area_polygons = []
        for polygon in polygons:
            polygon_rings = []
            for ring in polygon:
                keys = key(ring)
                cuts = [i for i, k in enumerate(keys.tolist()) if k in junctions]
                # A ring with no junction (an island, or an enclave and its hole) starts at its lowest point,
                # so that both sides of it find the same arc.
                start = cuts[0] if cuts else int(np.argmin(keys))
                rotated = np.concatenate([ring[start:], ring[:start], ring[start:start + 1]])
                ends = [c - start for c in cuts] + [len(ring)] if cuts else [0, len(ring)]
                polygon_rings.append([arc_id(rotated[a:b + 1], area) for a, b in zip(ends, ends[1:])])
            area_polygons.append(polygon_rings)
        polygons_as_arcs.append(area_polygons)
    return ArcCoverage(list(codes), arcs, [np.array(sorted(o)) for o in owners], polygons_as_arcs)


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


# ---------------------------------------------------------------- TopoJSON

def _quantised(points: np.ndarray, origin: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Points on the grid, without the repeats that snapping close points together makes."""
    grid = np.floor_divide(points - origin + step // 2, step)
    moved = np.r_[True, (np.diff(grid, axis=0) != 0).any(axis=1)]
    grid = grid[moved]
    return grid if len(grid) > 1 else np.vstack([grid, grid])


def encode_topology(codes, polygons_as_arcs, arcs: list[np.ndarray], step=GRID_MICRODEGREES) -> dict:
    """TopoJSON of areas made of these arcs (integer microdegrees): quantised to the grid, delta-encoded."""
    step = np.asarray(step, dtype=np.int64)
    # The grid is anchored at multiples of the step, not at these arcs' corner, so a point lands on the
    # same grid point whatever else is simplified away or left out.
    origin = np.concatenate(arcs).min(axis=0) // step * step
    quantised = [_quantised(arc, origin, step) for arc in arcs]
    geometries = [{"type": "Polygon", "arcs": polygons[0], "id": str(code)} if len(polygons) == 1 else
                  {"type": "MultiPolygon", "arcs": polygons, "id": str(code)}
                  for code, polygons in zip(codes, polygons_as_arcs)]
    topology = {
        "type": "Topology",
        "transform": {"scale": (step / MICRODEGREES).tolist(), "translate": (origin / MICRODEGREES).tolist()},
        "objects": {TOPOLOGY_OBJECT: {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": [np.vstack([q[:1], np.diff(q, axis=0)]).tolist() for q in quantised],
    }
    topology["bbox"] = _bbox(topology)
    return topology


def _decoded_arcs(topology: dict) -> list[np.ndarray]:
    (scale_x, scale_y), (x0, y0) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        grid = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        decoded.append(np.column_stack([np.round(grid[:, 0] * scale_x + x0, 6), np.round(grid[:, 1] * scale_y + y0, 6)]))
    return decoded


def _bbox(topology: dict) -> list[float]:
    points = np.concatenate(_decoded_arcs(topology))
    return [*points.min(axis=0).tolist(), *points.max(axis=0).tolist()]


def decode_topology(topology: dict) -> dict[str, shapely.Geometry]:
    """Each area's shape as a browser decodes it (topojson-client), keyed by area code, in topology order."""
    arcs = _decoded_arcs(topology)

    def ring(arc_ids: list[int]) -> np.ndarray:
        pieces = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in arc_ids]
        return np.vstack([pieces[0]] + [piece[1:] for piece in pieces[1:]])  # consecutive arcs share an end

    shapes = {}
    for geometry in topology["objects"][TOPOLOGY_OBJECT]["geometries"]:
        polygons = [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        parts = [shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]) for rings in polygons]
        shapes[geometry["id"]] = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return shapes


def subset_topology(topology: dict, codes) -> dict:
    """The topology of some of its areas only, without the arcs they do not use."""
    wanted = set(codes)
    geometries = [g for g in topology["objects"][TOPOLOGY_OBJECT]["geometries"] if g["id"] in wanted]

    def arc_ids(nested):
        for item in nested:
            if isinstance(item, list):
                yield from arc_ids(item)
            else:
                yield item if item >= 0 else ~item

    used = sorted({i for g in geometries for i in arc_ids(g["arcs"])})
    new_id = {old: new for new, old in enumerate(used)}

    def renumber(nested):
        return [renumber(item) if isinstance(item, list) else (new_id[item] if item >= 0 else ~new_id[~item])
                for item in nested]

    subset = {
        "type": "Topology",
        "transform": topology["transform"],
        "objects": {TOPOLOGY_OBJECT: {"type": "GeometryCollection",
                                      "geometries": [dict(g, arcs=renumber(g["arcs"])) for g in geometries]}},
        "arcs": [topology["arcs"][i] for i in used],
    }
    subset["bbox"] = _bbox(subset)
    return subset


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
