"""Shared-arc geometry (the TopoJSON idea): areas cut into arcs, each edge between neighbours stored once,
quantised and delta-encoded for the browser, and decoded again exactly as topojson-client does.

Pure geometry (shapely and numpy, no projection): the pipeline builds each level's topology with it and the
explorer decodes, subsets and, for areas with no built topology, encodes it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely

MICRODEGREES = 1_000_000  # coordinates are handled as integer millionths of a degree (about 0.1 m)
# The TopoJSON grid in millionths of a degree, x then y: about 0.3 m each way at Kent's latitude.
# Measured: a grid twice as coarse cannot keep two Swale wards' sub-metre islands valid.
GRID_MICRODEGREES = (4, 3)
TOPOLOGY_OBJECT = "areas"  # the one GeometryCollection in every topology; geometry ids are area codes


@dataclass(frozen=True)
class ArcCoverage:
    """Polygons as shared arcs: each run of boundary between junctions is stored once."""

    codes: list[str]
    arcs: list[np.ndarray]  # (n, 2) integer microdegrees; an arc that is a whole ring starts and ends on one point
    owners: list[np.ndarray]  # the areas (indexes into codes) each arc bounds: one on the coast, two inland
    polygons: list[list[list[list[int]]]]  # per area, polygon, ring: arc ids in order, ~id for an arc walked backwards


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
