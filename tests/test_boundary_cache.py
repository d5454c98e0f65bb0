"""The boundaries stage's cache (geo/pipeline/boundary_cache.py) on Kent's real district boundaries: a hit gives
exactly what making the web geometry gives, any change to the input is a miss, and a cache that cannot be read or
written only costs the time."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.pipeline import boundary_cache
from geo.pipeline.boundaries import web_coverage
from geo.pipeline.sources import SOURCES


@pytest.fixture(scope="module")
def districts(mirror) -> gpd.GeoDataFrame:
    """Kent's twelve districts as the mirror has them."""
    return gpd.read_file(mirror / SOURCES["districts_lad25"].path)[["LAD25CD", "geometry"]]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KENT_BUILD_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _made_count(calls: list):
    def make(frame, key, level):
        calls.append(level)
        return web_coverage(frame, key, level)
    return make


def test_a_hit_is_exactly_what_making_the_web_geometry_gives(districts, cache):
    calls = []
    made, reused_first = boundary_cache.cached_web_coverage(districts, "LAD25CD", "district", make=_made_count(calls))
    remembered, reused_second = boundary_cache.cached_web_coverage(districts, "LAD25CD", "district",
                                                                   make=_made_count(calls))
    assert (reused_first, reused_second, calls) == (False, True, ["district"])
    assert remembered.topology == made.topology
    assert remembered.report == made.report
    assert list(shapely.to_wkb(remembered.geometries)) == list(shapely.to_wkb(made.geometries))
    assert len(list(cache.glob("district-*.json"))) == 1


def test_a_moved_boundary_or_another_level_name_is_a_miss(districts, cache):
    made, _ = boundary_cache.cached_web_coverage(districts, "LAD25CD", "district")
    moved = districts.assign(geometry=districts.geometry.translate(xoff=1e-6))  # all of Kent, a tenth of a metre east
    keys = {boundary_cache.coverage_key(districts, "LAD25CD", "district"),
            boundary_cache.coverage_key(moved, "LAD25CD", "district"),
            boundary_cache.coverage_key(districts, "LAD25CD", "district-copy")}
    assert len(keys) == 3
    calls = []
    _, reused = boundary_cache.cached_web_coverage(moved, "LAD25CD", "district",
                                                   make=lambda *args: calls.append(args[2]) or made)
    assert (reused, calls) == (False, ["district"])


def test_a_corrupt_entry_is_made_again_and_replaced(districts, cache):
    boundary_cache.cached_web_coverage(districts, "LAD25CD", "district")
    (entry,) = cache.glob("district-*.json")
    entry.write_text('{"topology": ')
    calls = []
    coverage, reused = boundary_cache.cached_web_coverage(districts, "LAD25CD", "district", make=_made_count(calls))
    assert (reused, calls) == (False, ["district"])
    assert boundary_cache.cached_web_coverage(districts, "LAD25CD", "district")[1]  # the rewritten entry is read
    assert np.array_equal(shapely.to_wkb(coverage.geometries),
                          shapely.to_wkb(web_coverage(districts, "LAD25CD", "district").geometries))


def test_a_cache_that_cannot_be_written_still_gives_the_web_geometry(districts, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("KENT_BUILD_CACHE", str(blocker / "cache"))
    coverage, reused = boundary_cache.cached_web_coverage(districts, "LAD25CD", "district")
    assert not reused and coverage.report.areas == 12
