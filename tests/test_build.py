"""The warehouse built from the real Kent mirror: counts, totals, agreement with publishers, failures."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import shapely.geometry

from geo import catalogue
from geo.topology import decode_topology
from geo.explorer import db, layers, maps
from geo.publish import build
from geo.config import REPO_ROOT
from geo.pipeline.validate import DataError

KENT_RESIDENTS = 1_576_128


def test_kent_has_12_districts_255_wards_938_lsoas(sql):
    counts = sql("select (select count(*) from districts) d, (select count(*) from wards) w, (select count(*) from lsoas) l").iloc[0]
    assert (counts.d, counts.w, counts.l) == (12, 255, 938)


@pytest.mark.parametrize("view", ["lsoas", "wards", "districts"])
def test_residents_add_up_to_the_census_total_at_every_level(sql, view):
    assert sql(f"select sum(population) as total from {view}").total[0] == KENT_RESIDENTS


def test_district_populations_match_the_census_by_district(sql):
    by_district = sql("select district_name, population from districts").set_index("district_name").population
    assert by_district["Maidstone"] == 175_812
    assert by_district["Folkestone and Hythe"] == 109_751


def test_every_lsoa_has_one_ward_and_every_ward_one_district(sql):
    orphans = sql("""select count(*) n from lsoas l left join wards w using (ward_code)
                     where w.ward_code is null or w.district_code <> l.district_code""").n[0]
    assert orphans == 0
    assert sql("select count(distinct ward_code) n from lsoas").n[0] == 255


def test_district_imd_scores_agree_with_mhclg_summaries(sql, mirror):
    """Our Census-2021-weighted district IMD scores match MHCLG's File 10 averages to within 0.15.

    MHCLG weights LSOA scores by mid-2022 population; we weight by Census 2021 usual residents.
    The largest difference is Dartford (+0.10), the district that grew fastest between the two.
    """
    ours = sql("select district_code, imd_score from districts").set_index("district_code").imd_score
    published = pd.read_csv(mirror / "raw/iod2025/kent_imd2025_ltla24_summaries.csv").set_index("ltla24_code").imd_average_score
    difference = (ours - published).abs()
    assert len(difference) == 12
    assert difference.max() < 0.15, difference.sort_values().tail(3)
    assert ours.idxmax() == published.idxmax() == "E07000114"  # Thanet is the most deprived district on both


def test_kent_most_deprived_lsoas_are_in_thanet(sql):
    top = sql("select lsoa_code, district_code from lsoas order by imd_score desc limit 2")
    assert set(top.lsoa_code) == {"E01024667", "E01024676"}
    assert set(top.district_code) == {"E07000114"}


def test_share_in_most_deprived_deciles_matches_lsoa_counts(sql):
    # 60 Kent LSOAs are in national decile 1 (SOURCES.md); residents in them over Kent's residents
    expected = sql("""select 100.0 * sum(population) filter (where imd_decile = 1) / sum(population) as share from lsoas""").share[0]
    kent = sql("select value from indicator_values where indicator_id = 'imd_most_deprived_10pct' and level = 'county'").value[0]
    assert sql("select count(*) n from lsoas where imd_decile = 1").n[0] == 60
    assert kent == pytest.approx(expected)


def test_indicator_missing_values_stay_missing(sql):
    # every LSOA holds live postcode points since Swale 008D's polygon stopped being read as part of 008C (issue 9);
    # indicators published for districts only have no ward values rather than invented ones
    missing = sql("select count(*) n from lsoas where bus_stop_400m_pct is null").n[0]
    assert missing == 0
    assert sql("select count(*) n from wards where gigabit_pct_2021 is not null").n[0] == 0
    assert sql("select count(*) n from indicator_values where indicator_id = 'bus_stop_400m_pct' and level = 'lsoa'").n[0] == 938


def test_every_catalogue_indicator_has_values_at_its_native_level(sql):
    native = {"lsoa21": "lsoa", "lsoa11": "lsoa", "postcode": "lsoa", "ward": "ward", "district": "district"}
    catalogue = sql("select indicator_id, geography from indicators")
    counts = sql("select indicator_id, level, count(value) n from indicator_values group by all")
    for row in catalogue.itertuples():
        level = native[row.geography]
        n = counts[(counts.indicator_id == row.indicator_id) & (counts.level == level)].n
        assert len(n) == 1 and n.iloc[0] > 0, f"{row.indicator_id} has no {level} values"


def test_contract_views_have_the_documented_columns(sql):
    expected = {
        "districts": {"district_code", "district_name", "population", "imd_score"},
        "wards": {"ward_code", "ward_name", "district_code", "population", "imd_score", "is_approximate", "n_lsoas"},
        "lsoas": {"lsoa_code", "lsoa_name", "ward_code", "district_code", "population", "imd_score", "imd_decile"},
        "indicators": {"indicator_id", "label", "unit", "polarity", "geography", "source_id", "vintage", "method",
                       "caveat", "attribution", "publisher"},
        "postcodes": {"postcode", "ward_code", "lon", "lat"},
    }
    for view, columns in expected.items():
        actual = set(sql(f"select * from {view} limit 0").columns)
        assert columns <= actual, f"{view} lacks {columns - actual}"


def test_postcodes_find_their_ward(sql):
    row = sql("select ward_code, district_code from postcodes where postcode = 'CT9 1AE'")
    assert (row.ward_code[0], row.district_code[0]) == ("E05005093", "E07000114")  # Margate Central, Thanet


def test_web_geometry_keeps_neighbours_edge_to_edge(sql):
    report = sql("select * from simplification").set_index("level")
    for level in ("district", "ward", "lsoa21"):
        assert bool(report.coverage_valid[level]), level
        assert report.overlap_area_m2[level] == 0
        assert report.gap_area_m2[level] == 0
        assert report.hausdorff_max_m[level] <= 100
        assert report.geojson_bytes_after[level] < report.geojson_bytes_before[level] / 2
        assert report.topojson_bytes[level] < report.geojson_bytes_after[level] / 2  # shared edges sent once
    geometry = json.loads(sql("select web_geojson from ward_boundaries limit 1").web_geojson[0])
    assert geometry["type"] in ("Polygon", "MultiPolygon")


# ------------------------------------------------------------------ web boundaries and map payloads

MAP_LEVELS = {"district": ("district_boundaries", "district_code"), "ward": ("ward_boundaries", "ward_code"),
              "lsoa": ("lsoa21_boundaries", "lsoa_code")}


def _kent_map_shapes(sql, level):
    """(source shapes, shapes the browser decodes from the all-Kent map), by area code."""
    table, key = MAP_LEVELS[level]
    source = sql(f"select {key} as code, ST_AsWKB(geometry) as wkb from {table}")
    source_shapes = dict(zip(source.code, shapely.from_wkb(source.wkb.map(bytes))))
    topology = json.loads(sql("select topojson from map_topology where level = ? and district_code is null", [level]).topojson[0])
    return source_shapes, decode_topology(topology)


def _in_metres(shapes):
    return gpd.GeoSeries(list(shapes), crs="EPSG:4326").to_crs("EPSG:27700").values


@pytest.mark.parametrize("level", ["district", "ward", "lsoa"])
def test_every_map_boundary_is_within_100_m_of_the_source_without_gaps_or_overlaps(sql, level):
    """Measured on what the browser decodes (simplification and quantisation together), not on a report."""
    source, decoded = _kent_map_shapes(sql, level)
    assert set(decoded) == set(source)
    codes = sorted(source)
    metric_source, metric_decoded = _in_metres(source[c] for c in codes), _in_metres(decoded[c] for c in codes)
    hausdorff = shapely.hausdorff_distance(metric_source, metric_decoded)
    assert hausdorff.max() <= 100, codes[int(hausdorff.argmax())]
    assert shapely.is_valid(metric_decoded).all()
    assert shapely.coverage_is_valid(metric_decoded)  # no overlaps; shared edges match exactly

    def enclosed_gaps(shapes):  # holes in the union that no area covers
        return sum(shapely.Polygon(r).area for part in shapely.get_parts(shapely.union_all(shapes)) for r in part.interiors)
    assert enclosed_gaps(metric_decoded) <= enclosed_gaps(metric_source) + 1  # m², rounding only
    assert abs(shapely.area(metric_decoded).sum() / shapely.area(metric_source).sum() - 1) < 0.002


def test_central_harbour_keeps_its_harbour_arm(sql):
    """The ward whose thin harbour arm area-based simplification cut off (570 m away) stays within 100 m."""
    source, decoded = _kent_map_shapes(sql, "ward")
    code = sql("select ward_code from wards where ward_name = 'Central Harbour'").ward_code[0]
    assert shapely.hausdorff_distance(*_in_metres([source[code], decoded[code]])) <= 100


def test_web_geojson_is_what_the_browser_decodes(sql):
    _, decoded = _kent_map_shapes(sql, "ward")
    web = sql("select ward_code, web_geojson from ward_boundaries")
    for code, text in zip(web.ward_code, web.web_geojson):
        assert shapely.equals_exact(shapely.geometry.shape(json.loads(text)), decoded[code], tolerance=1e-9), code


def test_topojson_client_decodes_the_same_shapes_as_the_python_decoder(sql):
    """The browser's decoder (npm topojson-client, run in node) and the one the measures use agree."""
    topojson = sql("select topojson from map_topology where level = 'ward' and district_code = 'E07000114'").topojson[0]
    script = ("const t = require('topojson-client'); let s = ''; process.stdin.on('data', d => s += d);"
              "process.stdin.on('end', () => { const o = JSON.parse(s); "
              "process.stdout.write(JSON.stringify(t.feature(o, o.objects.areas))); });")
    decoded = subprocess.run(["node", "-e", script], input=topojson, capture_output=True, text=True, check=True,
                             cwd=REPO_ROOT).stdout
    in_browser = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in json.loads(decoded)["features"]}
    in_python = decode_topology(json.loads(topojson))
    assert list(in_browser) == list(in_python) and len(in_browser) == 23
    for code, shape in in_python.items():
        assert shapely.equals_exact(in_browser[code], shape, tolerance=1e-9), code


@pytest.mark.parametrize("level", ["district", "ward", "lsoa"])
def test_a_district_map_sends_only_its_own_areas_with_the_same_shapes(sql, level):
    table, key = MAP_LEVELS[level]
    members = sql(f"select district_code, list(distinct {key}) as codes from {table} group by district_code")
    maps_by_district = sql("select district_code, area_codes, topojson from map_topology where level = ? "
                           "and district_code is not null", [level]).set_index("district_code")
    _, kent = _kent_map_shapes(sql, level)
    assert len(maps_by_district) == 12
    for district_code, codes in zip(members.district_code, members.codes):
        topology = json.loads(maps_by_district.topojson[district_code])
        decoded = decode_topology(topology)
        assert sorted(decoded) == sorted(codes) == sorted(maps_by_district.area_codes[district_code])
        assert all(shapely.equals_exact(decoded[c], kent[c], tolerance=1e-9) for c in codes)


def _sent_to_browser(m) -> dict:
    """The data the app's map component sends the browser for this map (the JSON that goes over the websocket)."""
    return maps.mount_data(m, "Map: a title", 520)


@pytest.mark.parametrize("level, budget", [("ward", 200_000), ("lsoa", 500_000)])
def test_full_kent_map_payload_fits_its_budget(built_database, level, budget):
    """Issue 5: ward map payload <= 200 KB, LSOA map <= 500 KB, for the indicator with the longest label."""
    longest = max(catalogue.load().itertuples(), key=lambda row: len(row.label)).Index
    layer = layers.layer(longest, level, None, "quantiles")
    assert len(layer.values) == {"ward": 255, "lsoa": 938}[level]
    payload = _sent_to_browser(layer.map())
    size = len(json.dumps(payload))
    geometry = db.run("map_topology", level=level, district_code=None).topojson[0]
    print(f"{level}: {size:,} bytes sent for {longest}, of which geometry {len(geometry):,}")
    assert size <= budget
    assert geometry in payload["script"]  # the geometry is the TopoJSON as built, nothing re-encoded


def test_a_district_map_payload_is_a_fraction_of_kents(built_database):
    thanet = len(json.dumps(_sent_to_browser(layers.layer("imd_score", "ward", "E07000114", "quantiles").map())))
    kent = len(json.dumps(_sent_to_browser(layers.layer("imd_score", "ward", None, "quantiles").map())))
    # 23 of 255 wards is 1/11 of the areas; the district map also carries its ward-name labels (issue 12)
    assert thanet < kent / 6


def test_source_files_are_recorded_with_checksums(sql):
    sources = sql("select source_id, sha256, rows_loaded, expected_rows from source_files")
    from geo.pipeline.sources import SOURCES
    # 21 + Ofcom's 2016-2021 files + the raw NaPTAN Stops.csv for the gazetteer
    assert sorted(sources.source_id) == sorted(SOURCES) and len(sources) == 28
    assert (sources.sha256.str.len() == 64).all()


def test_the_manifest_in_data_is_the_registry_and_what_the_database_records(sql):
    """data/manifest.csv is written from the registry (`python -m geo manifest`): it must be current, and each
    line must say what the build recorded for that file in `source_files`."""
    import csv

    from geo.config import MANIFEST_PATH
    from geo.pipeline.sources import PROVENANCE_FIELDS, manifest_csv
    text = MANIFEST_PATH.read_text(encoding="utf-8")
    assert text == manifest_csv(), "data/manifest.csv is out of date: run `python -m geo manifest`"
    recorded = sql(f"select {', '.join(PROVENANCE_FIELDS)} from source_files").set_index("source_id")
    lines = list(csv.DictReader(text.splitlines()))
    assert sorted(line["source_id"] for line in lines) == sorted(recorded.index)
    for line in lines:
        row = recorded.loc[line["source_id"]]
        assert {field: str(row[field]) for field in PROVENANCE_FIELDS[1:]} == \
            {field: line[field] for field in PROVENANCE_FIELDS[1:]}, line["source_id"]


# ------------------------------------------------------------------ failures

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def previous_database(tmp_path_factory, built_database) -> Path:
    """A good database standing where a failed build would write: a copy of the session's (built once, not twice)."""
    path = tmp_path_factory.mktemp("previous") / "kent.duckdb"
    shutil.copyfile(built_database, path)
    return path


def _drop_column(text: str, column: str) -> str:
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    return frame.drop(columns=column).to_csv(index=False)


CORRUPTIONS = {
    "missing column": ("raw/iod2025/kent_imd2025_lsoa21_domains.csv", lambda t: _drop_column(t, "IMD_score"),
                       ["kent_imd2025_lsoa21_domains.csv", "'IMD_score'", "missing"]),
    "bad code": ("raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv", lambda t: t.replace(",E05011780,", ",X05011780,", 1),
                 ["kent_lsoa21_ward24_ltla24.csv", "'ward24_code'", "row 2", "not a ward code"]),
    "duplicate key": ("raw/iod2025/kent_imd2025_lsoa21_domains.csv",
                      lambda t: t + t.splitlines()[5] + "\n",
                      ["kent_imd2025_lsoa21_domains.csv", "'lsoa21_code'", "row 940", "duplicate"]),
    "truncated GeoJSON": ("raw/boundaries_wards_wd25_bgc/kent_wards_wd25_bgc.geojson", lambda t: t[: len(t) // 2],
                          ["kent_wards_wd25_bgc.geojson", "truncated or invalid GeoJSON"]),
    "implausible value": ("raw/iod2025/kent_imd2025_lsoa21_domains.csv",
                          lambda t: t.replace("E01023973,E07000105,2,", "E01023973,E07000105,12,", 1),
                          ["'IMD_decile'", "row 3", "outside the plausible range"]),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_input_fails_clearly_and_leaves_the_database_alone(case, tmp_path, mirror_with, previous_database):
    relative, change, expected_phrases = CORRUPTIONS[case]
    broken_mirror = mirror_with(tmp_path / "mirror", relative, change)
    before = _digest(previous_database)
    with pytest.raises(DataError) as failure:
        build(broken_mirror, previous_database)
    message = str(failure.value)
    for phrase in expected_phrases:
        assert phrase in message, message
    assert _digest(previous_database) == before
    assert not list(previous_database.parent.glob("*.building*")), "temporary build file left behind"


def test_cli_reports_the_failure_and_exits_non_zero(tmp_path, mirror_with, previous_database):
    broken_mirror = mirror_with(tmp_path / "mirror", "raw/iod2025/kent_imd2025_lsoa21_domains.csv",
                                lambda t: _drop_column(t, "IMD_score"))
    result = subprocess.run([sys.executable, "-m", "geo", "build", "--data-dir", str(broken_mirror),
                             "--database", str(previous_database)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 1
    assert "column 'IMD_score'" in result.stderr and "previous database, if any, is unchanged" in result.stderr
    assert re.search(r"\[1/\d+\] reading and validating", result.stderr)  # progress is shown


def test_missing_mirror_file_is_named(tmp_path, mirror_with):
    broken_mirror = mirror_with(tmp_path / "mirror", "processed/kent_postcodes_cpo2025_to_wd25.csv", None)
    with pytest.raises(DataError, match="kent_postcodes_cpo2025_to_wd25.csv.*file not found"):
        build(broken_mirror, tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()
