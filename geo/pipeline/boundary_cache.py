"""The boundaries stage's remembered results: a level's web coverage, kept on disk under the SHA-256 of everything it
is made from, so a build whose boundaries and code are unchanged (a monthly refresh of indicator tables, a rebuild)
reuses it instead of simplifying and measuring every level again.

The key covers the level, its codes and exact source geometry (WKB), the source of the modules that make web
geometry (geo/pipeline/boundaries.py, geo/topology.py) and the shapely, GEOS and numpy versions, so any change to
what could change the result is a miss. Entries are JSON and WKB, not pickles, and are written atomically; a cache
that cannot be read or written is a miss, never an error. Location: $KENT_BUILD_CACHE, else data/cache/boundaries.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import shapely

from geo import topology
from geo.config import REPO_ROOT
from geo.pipeline import boundaries
from geo.pipeline.boundaries import SimplificationReport, WebCoverage

if TYPE_CHECKING:
    import geopandas as gpd

KEEP_PER_LEVEL = 3  # entries kept for each level; older keys are deleted as new ones are written


def cache_dir() -> Path:
    """Where the entries live: $KENT_BUILD_CACHE, else data/cache/boundaries (ignored by git)."""
    return Path(os.environ.get("KENT_BUILD_CACHE") or REPO_ROOT / "data" / "cache" / "boundaries")


def coverage_key(frame: gpd.GeoDataFrame, key: str, level: str) -> str:
    """The SHA-256 of what web_coverage(frame, key, level) is made from."""
    digest = hashlib.sha256()
    for part in (level, key, str(frame.crs), shapely.__version__, shapely.geos_version_string, np.__version__,
                 Path(boundaries.__file__).read_text(), Path(topology.__file__).read_text(),
                 "\n".join(frame[key].astype(str))):
        digest.update(part.encode())
        digest.update(b"\0")
    for wkb in shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object)):
        digest.update(wkb)
    return digest.hexdigest()


def cached_web_coverage(frame: gpd.GeoDataFrame, key: str, level: str,
                        make: Callable[..., WebCoverage] = boundaries.web_coverage) -> tuple[WebCoverage, bool]:
    """web_coverage(frame, key, level), from the cache when it holds this exact input; and whether it did."""
    path = cache_dir() / f"{level}-{coverage_key(frame, key, level)}.json"
    remembered = _read(path)
    if remembered is not None:
        return remembered, True
    coverage = make(frame, key, level)
    _write(path, coverage)
    return coverage, False


def _read(path: Path) -> WebCoverage | None:
    try:
        entry = json.loads(path.read_text())
        geometries = shapely.from_wkb([bytes.fromhex(wkb) for wkb in entry["geometries_wkb"]])
        return WebCoverage(entry["topology"], np.asarray(geometries, dtype=object),
                           SimplificationReport(**entry["report"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, coverage: WebCoverage) -> None:
    entry = {"topology": coverage.topology, "report": asdict(coverage.report),
             "geometries_wkb": [wkb.hex() for wkb in shapely.to_wkb(coverage.geometries)]}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".partial", delete=False) as partial:
            json.dump(entry, partial)
        os.replace(partial.name, path)
        older = sorted(path.parent.glob(f"{path.name.split('-')[0]}-*.json"), key=lambda p: p.stat().st_mtime)
        for stale in older[:-KEEP_PER_LEVEL]:
            stale.unlink(missing_ok=True)
    except OSError:
        return
