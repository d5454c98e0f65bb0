"""The readers that load each mirror file, validated against its registry entry (geo/pipeline/sources.py), into frames."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.pipeline.boundaries import repair_polygons
from geo.pipeline.sources import Source
from geo.pipeline.validate import Column, DataError, check_table


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, recorded in the database for provenance."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_or_fail(source: Source, data_dir: Path) -> Path:
    path = data_dir / source.path
    if not path.is_file():
        raise DataError(source.path, None, None, f"file not found in the data mirror {data_dir}")
    return path


def read_csv(source: Source, data_dir: Path, columns: list[Column], key: str | None = None,
             check_count: bool = True) -> pd.DataFrame:
    """Read a mirror CSV as text, validate it, and return it with numeric columns typed."""
    path = _file_or_fail(source, data_dir)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataError(source.path, None, None, f"cannot be read as CSV: {error}") from error
    frame = frame.replace({"": None, "NA": None})
    return check_table(frame, source.path, columns, key, source.expected_rows if check_count else None)


def read_geojson(source: Source, data_dir: Path, columns: list[Column], key: str) -> gpd.GeoDataFrame:
    """Read a mirror GeoJSON (lon/lat), validate its properties and geometry, return a GeoDataFrame."""
    path = _file_or_fail(source, data_dir)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DataError(source.path, None, error.lineno,
                        f"truncated or invalid GeoJSON (JSON error at line {error.lineno}, character {error.colno}: {error.msg})") from error
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise DataError(source.path, None, None, "not a GeoJSON FeatureCollection")
    properties = pd.DataFrame([feature.get("properties") or {} for feature in features])
    properties = properties.astype(object).where(properties.notna(), None)
    feature_row = lambda index: index + 1  # noqa: E731 - rows of a GeoJSON are its features, counted from 1
    typed = check_table(properties, source.path, columns, key, source.expected_rows, row_of=feature_row)
    geometries = []
    for index, feature in enumerate(features):
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DataError(source.path, "geometry", index + 1, f"unreadable geometry: {error}") from error
        if geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataError(source.path, "geometry", index + 1, f"expected a polygon, found {geometry.geom_type}")
        geometries.append(geometry)
    try:
        geometries, repaired = repair_polygons(geometries)
    except ValueError as error:
        raise DataError(source.path, "geometry", None, str(error)) from error
    frame = gpd.GeoDataFrame(typed, geometry=list(geometries), crs="EPSG:4326")
    # which features were invalid in the file and rebuilt (holes kept as holes), for the build's report
    frame.attrs["repaired"] = typed[key].iloc[repaired].astype(str).tolist()
    minx, miny, maxx, maxy = frame.total_bounds
    if not (-1.0 < minx and maxx < 2.0 and 50.5 < miny and maxy < 51.7):
        raise DataError(source.path, "geometry", None, f"coordinates {frame.total_bounds.round(3).tolist()} are not lon/lat in Kent")
    return frame
