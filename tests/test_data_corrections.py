"""Corrections from the independent data audit (issue 9), each asserted on the real mirror and the built database."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry

from geo import boundaries
from geo.build import BuildCheckError, _check_postcodes_in_one_lsoa
from geo.config import spatial_extension_path
from geo.db import read_sql
from geo.transport import match_orr_stations, rail_stations_from_naptan

CLIFFSEND_AND_PEGWELL = "E05005086"
HALSTEAD_KNOCKHOLT_BADGERS_MOUNT = "E05005018"
SWALE_008C, SWALE_008D = "E01024572", "E01024573"


def _value(sql, indicator_id: str, level: str, area_code: str):
    rows = sql("select value, n_postcodes from indicator_values where indicator_id = ? and level = ? and area_code = ?",
               [indicator_id, level, area_code])
    return (None, None) if rows.empty else (rows.value[0], rows.n_postcodes[0])


# ------------------------------------------------------------------ 1. rail stations from NaPTAN

def test_thanet_parkway_puts_every_cliffsend_and_pegwell_postcode_within_2_km_of_a_station(sql):
    value, n_postcodes = _value(sql, "rail_station_2km_pct", "ward", CLIFFSEND_AND_PEGWELL)
    assert value == 100.0 and n_postcodes > 100  # 62.6% with ORR's December 2022 list, which predates the station
    assert "Thanet Parkway" in set(sql("select station_name from rail_stations where ward_code = ?",
                                       [CLIFFSEND_AND_PEGWELL]).station_name)


def test_knockholt_station_over_the_london_border_counts_for_halstead(sql):
    value, _ = _value(sql, "rail_station_2km_pct", "ward", HALSTEAD_KNOCKHOLT_BADGERS_MOUNT)
    assert round(value, 1) == 38.0  # 0% without Knockholt
    knockholt = sql("select in_kent, nlc, district_code from rail_stations where station_name = 'Knockholt'")
    assert len(knockholt) == 1 and not knockholt.in_kent[0] and knockholt.nlc.isna()[0]


def test_one_station_per_naptan_station_and_every_orr_station_matched(sql, mirror):
    stations = sql("select * from rail_stations")
    assert len(stations) == 100 and stations.naptan_station.is_unique and stations.station_name.is_unique
    orr = pd.read_csv(mirror / "raw/transport_rail/kent_rail_stations.csv", dtype=str)
    assert set(stations.nlc.dropna()) == set(orr.NLC)  # all 98 ORR stations keep their usage figures
    assert sorted(stations.station_name[stations.nlc.isna()]) == ["Knockholt", "Thanet Parkway"]
    ashford = stations[stations.station_name == "Ashford International"].iloc[0]
    assert ashford.crs_code == "AFK" and ashford.n_entrances == 2 and ashford.entries_exits_2021_22 > 1_000_000


def test_inactive_entrances_are_not_stations(mirror):
    stops = pd.read_csv(mirror / "processed/kent_naptan_active_stops_with_ward.csv", dtype={"Easting": float, "Northing": float})
    stations = rail_stations_from_naptan(stops)
    # Ebbsfleet International's old 2009 entrance (2400EBSFLTI0) is inactive: one station, three active entrances
    ebbsfleet = stations[stations.station_name == "Ebbsfleet International"]
    assert ebbsfleet.naptan_station.tolist() == ["EBSFDOM"] and ebbsfleet.n_entrances.tolist() == [3]
    orr = pd.read_csv(mirror / "raw/transport_rail/kent_rail_stations.csv", dtype=str)
    assert match_orr_stations(stations, orr).nlc.notna().sum() == 98


def test_the_edge_effect_is_stated_in_the_catalogue(sql):
    caveats = sql("select indicator_id, caveat from indicators where indicator_id in "
                  "('rail_station_2km_pct', 'nearest_station_km')")
    assert len(caveats) == 2
    for caveat in caveats.caveat:
        assert all(place in caveat for place in ("Medway", "London", "Sussex"))


# ------------------------------------------------------------------ 2. the invalid LSOA polygon

def _lsoa_feature(mirror, code: str) -> dict:
    document = json.loads((mirror / "processed/kent_lsoa21_bgc.geojson").read_text(encoding="utf-8"))
    return next(f for f in document["features"] if f["properties"]["LSOA21CD"] == code)


def test_swale_008d_gets_its_own_postcodes_and_008c_loses_them(sql):
    for indicator_id in ("bus_stop_400m_pct", "rail_station_2km_pct", "nearest_station_km"):
        value, n_postcodes = _value(sql, indicator_id, "lsoa", SWALE_008D)
        assert value is not None and n_postcodes == 27, indicator_id
    bus, n_postcodes = _value(sql, "bus_stop_400m_pct", "lsoa", SWALE_008C)
    assert round(bus, 1) == 61.1 and n_postcodes == 54  # 72.8% over 81 postcodes while 008D's were counted in it


def test_repaired_polygon_keeps_its_hole_and_its_area(sql, mirror):
    source = shapely.geometry.shape(_lsoa_feature(mirror, SWALE_008C)["geometry"])
    inner = shapely.geometry.shape(_lsoa_feature(mirror, SWALE_008D)["geometry"])
    assert shapely.is_valid_reason(source).startswith("Nested shells")
    repaired, positions = boundaries.repair_polygons(np.array([source, inner], dtype=object))
    assert positions == [0]
    assert repaired[0].is_valid and shapely.intersection(repaired[0], inner).area < 1e-12
    assert repaired[0].area == pytest.approx(source.area - 2 * inner.area, rel=1e-6)  # the file counts the hole once as land
    stored = sql("select ST_AsWKB(geometry) as wkb from lsoa21_boundaries where lsoa_code = ?", [SWALE_008C]).wkb[0]
    assert shapely.from_wkb(bytes(stored)).area == pytest.approx(repaired[0].area, rel=1e-9)


def test_a_repair_that_fills_the_hole_is_refused(mirror):
    source = shapely.geometry.shape(_lsoa_feature(mirror, SWALE_008C)["geometry"])
    filled = shapely.make_valid(source, method="structure")  # unions the nested shell into land
    assert boundaries.even_odd_area(source) == pytest.approx(shapely.make_valid(source, method="linework").area, rel=1e-9)
    assert abs(filled.area - boundaries.even_odd_area(source)) > boundaries.REPAIR_AREA_TOLERANCE * filled.area


def test_the_build_refuses_postcodes_that_fall_in_two_lsoas(sql, mirror):
    """With the source polygon unrepaired, 008D's postcodes fall in 008C too, and the build check stops it."""
    postcodes = sql("select postcode, lon, lat from postcodes where lsoa_code in (?, ?)", [SWALE_008C, SWALE_008D])
    connection = duckdb.connect()
    connection.execute(f"LOAD '{spatial_extension_path()}'")
    boundaries_frame = pd.DataFrame({"lsoa_code": [SWALE_008C, SWALE_008D], "wkb": [
        shapely.to_wkb(shapely.geometry.shape(_lsoa_feature(mirror, code)["geometry"])) for code in (SWALE_008C, SWALE_008D)]})
    connection.register("frame", boundaries_frame)
    connection.execute("create table lsoa21_boundaries as select lsoa_code, ST_GeomFromWKB(wkb) as geometry from frame")
    connection.register("postcode_points", postcodes)
    unrepaired = connection.execute(read_sql("build/postcode_lsoa")).df()
    assert (unrepaired.n_lsoas_containing == 2).sum() == 27
    with pytest.raises(BuildCheckError, match="27 postcodes lie in more than one LSOA"):
        _check_postcodes_in_one_lsoa(unrepaired)


# ------------------------------------------------------------------ 3. the publisher's ward and district

@pytest.mark.parametrize("postcode, district_name", [("ME13 0JX", "Ashford"), ("TN11 8BA", "Tunbridge Wells"),
                                                     ("TN11 9QE", "Sevenoaks"), ("TN12 6PU", "Maidstone")])
def test_a_postcode_gets_the_district_code_point_open_assigns(query, postcode, district_name):
    found = query("postcode_area", postcode=postcode)
    assert found.district_name[0] == district_name


def test_every_postcode_has_code_point_opens_ward_and_district(sql, mirror):
    published = pd.read_csv(mirror / "processed/kent_postcodes_cpo2025_to_wd25.csv", dtype=str)
    built = sql("select postcode, ward_code, district_code from postcodes").merge(published, on="postcode")
    assert len(built) == 45_828
    assert (built.ward_code == built.cpo_admin_ward).all() and (built.district_code == built.cpo_admin_district).all()
    assert (built.ward_code != built.WD25CD).sum() == 35 and (built.district_code != built.LAD25CD).sum() == 4
