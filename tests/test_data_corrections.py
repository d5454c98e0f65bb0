"""Corrections from the independent data audit (issue 9), each asserted on the real mirror and the built database."""
from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry

from geo.pipeline import boundaries
from tests.html_tables import metric_cards
from geo.pipeline.stages import BuildCheckError, check_postcodes_in_one_lsoa
from geo.config import spatial_extension_path
from geo.sql import read_sql
from geo.pipeline.transport import match_orr_stations, rail_stations_from_naptan

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
        check_postcodes_in_one_lsoa(unrepaired)


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


# ------------------------------------------------------------------ 7. rank stability that does not hinge on the seed

@pytest.fixture(scope="module")
def gap_inputs(built_database):
    from geo.explorer import gap_view
    return gap_view.ward_inputs()


@pytest.mark.parametrize("preset", ["balanced", "broadband_led", "transport_led", "services_led"])
def test_the_persistent_worst_ten_is_the_same_under_20_seeds(gap_inputs, preset):
    from geo import catalogue, gap
    weights = gap.Weights.of_preset(preset)
    results = [gap.compute(gap_inputs, catalogue.load(), weights, seed=seed) for seed in range(20)]
    listings = {tuple(sorted(r.persistent_worst().ward_code)) for r in results}
    assert len(listings) == 1, listings
    shares = pd.DataFrame({seed: r.wards.set_index("ward_code").worst_ten_share for seed, r in enumerate(results)})
    assert (shares.max(axis=1) - shares.min(axis=1)).max() < 0.02  # 1,000 random draws: up to 0.06 (Biddenden 0.79-0.85)
    margins = results[0].wards.set_index("ward_code").worst_ten_margin
    assert margins.max() < 0.02 and margins.notna().sum() == 255


def test_balanced_persistent_worst_ten_after_the_corrections(gap_inputs):
    from geo import catalogue, gap
    result = gap.compute(gap_inputs, catalogue.load(), gap.Weights.of_preset("balanced"))
    assert sorted(result.persistent_worst().ward_name) == [
        "Alkham & Capel-le-Ferne", "Biddenden", "Chartham & Stone Street", "Romney Marsh", "Sheppey East", "West Downs"]
    halstead = result.wards.set_index("ward_code").loc[HALSTEAD_KNOCKHOLT_BADGERS_MOUNT]
    assert 0.6 < halstead.worst_ten_share < 0.7  # 0.92 while Knockholt station was missing: it leaves the list


def test_descending_ranks_match_scipy_with_ties():
    from scipy.stats import rankdata
    from geo import gap
    synthetic = np.round(np.random.default_rng(1).random((50, 30)), 1)  # many ties
    assert (gap.descending_ranks(synthetic) == rankdata(-synthetic, axis=1, method="min")).all()


def test_the_gap_page_says_what_the_bands_vary_and_what_they_do_not(built_database):
    from streamlit.testing.v1 import AppTest
    from geo.config import REPO_ROOT
    page = AppTest.from_file(str(REPO_ROOT / "pages" / "gap.py"), default_timeout=120).run()
    assert not page.exception
    text = " ".join(m.value for m in page.markdown)
    assert "three component weights" in text and "do not vary the inputs' own weights within a component, nor the data" in text
    assert "Biddenden" in text and "± 0." in text


# ------------------------------------------------------------------ 4. dated, well-worded findings

DISTRICT_CODES = [f"E07000{n}" for n in range(105, 117)]


@pytest.mark.parametrize("district_code", DISTRICT_CODES)
def test_every_finding_states_the_date_of_its_data_and_reads_well(built_database, district_code):
    import re
    from geo.explorer.findings import district_findings
    findings = district_findings(district_code)
    assert len(findings) == 6
    for finding in findings:
        text = finding["text"]
        assert re.search(r"\b(19|20)\d{2}\b", text), text
        assert not re.search(r"\b1 of [^,.]*wards are\b|\b1st (lowest|highest|most|least)\b", text), text
        assert not re.search(r"\b12th (lowest|highest|most deprived|least deprived) of Kent's 12\b", text), text
        assert not re.search(r"\b255th\b", text), text
    gigabit = findings[-1]["text"]
    # The newest figures lead (issue 16: January 2024, by constituency), then May 2021's by district, each dated.
    assert gigabit.startswith("In January 2024, Ofcom's newest figures"), gigabit
    assert "In May 2021, gigabit-capable broadband reached" in gigabit, gigabit


def test_the_extremes_are_named_without_ordinals(built_database):
    from geo.explorer import findings
    canterbury = findings.district_findings("E07000106")[-1]["text"]  # lowest gigabit coverage of the 12 in May 2021
    assert "premises in Canterbury: the lowest of Kent's 12 districts, in Ofcom's last figures by district." in canterbury
    thanet = findings.district_findings("E07000114")
    assert "Thanet's most deprived ward is Margate Central" in thanet[2]["text"]
    assert thanet[2]["text"].endswith("the most deprived of Kent's 255 wards.")
    assert thanet[3]["text"].endswith("the most deprived of Kent's 12 districts.")


def test_a_finding_without_a_year_fails():
    from geo.explorer import findings
    synthetic = [{"text": "In the English Indices of Deprivation 2025, something dated."},
                 {"text": "Gigabit-capable broadband reached 3.7% of premises in Canterbury."}]
    with pytest.raises(findings.UndatedFindingError, match="Gigabit-capable"):
        findings.check_dated(synthetic)


def test_singular_and_plural_wards():
    from geo import catalogue
    assert catalogue.ordinal_phrase(1, 12, "lowest", "highest") == "the lowest"
    assert catalogue.ordinal_phrase(12, 12, "lowest", "highest") == "the highest"
    assert catalogue.ordinal_phrase(11, 12, "lowest", "highest") == "11th lowest"
    assert catalogue.data_date("NaPTAN July 2026 / Code-Point Open 2025.2") == "In July 2026 (NaPTAN; Code-Point Open 2025.2)"


# ------------------------------------------------------------------ 5. neutral layers are described by size

def test_population_is_ranked_by_size_not_worst(built_database):
    from geo.explorer import layers
    layer = layers.layer("population", "ward", None, "quantiles")
    table = layer.table()
    assert "Kent rank (1 = largest)" in table.columns and not any("worst" in c for c in table.columns)
    assert table.iloc[0]["Kent rank (1 = largest)"] == "1 of 255"
    assert layers.layer("imd_score", "ward", None, "quantiles").table().columns.str.contains("1 = worst").any()


def test_kent_page_names_the_largest_ward_for_population(built_database):
    from streamlit.testing.v1 import AppTest
    from geo.config import REPO_ROOT
    page = AppTest.from_file(str(REPO_ROOT / "pages" / "kent.py"), default_timeout=120)
    page.query_params["layer"] = "population"
    page.query_params["level"] = "ward"
    page.run()
    assert not page.exception
    labels = list(metric_cards(page))
    assert "Largest ward in Kent" in labels and not any("Worst" in label for label in labels)


def test_board_pack_describes_a_neutral_layer_by_size(built_database):
    from geo.explorer import boardpack, findings, layers
    shown = layers.layer("population", "ward", "E07000113", "quantiles")
    page = boardpack.board_pack_html(**boardpack.board_pack_inputs(shown, findings.district_findings("E07000113"), "2026-12-01"))
    assert "1 = largest" in page and "is largest in" in page
    assert "worst in" not in page.split("Findings")[0] and "1 = worst" not in page


# ------------------------------------------------------------------ 6. the publisher's precision and true reasons

def test_catalogue_decimals_match_the_source_files(mirror):
    from geo import catalogue
    from geo.pipeline.sources import SOURCES as sources
    checked = 0
    for indicator_id, row in catalogue.load().iterrows():
        if row.aggregation not in ("population_weighted_mean", "none"):
            continue  # made by the build (sums, shares, postcode measures, the gap index): no publisher precision
        column = pd.read_csv(mirror / sources[row.source_id].path, dtype=str, keep_default_na=False)[row.source_column]
        published = column[column.str.strip() != ""].str.split(".").str[1].fillna("").str.len().max()
        assert int(row.decimals) == published, (indicator_id, row.decimals, published)
        checked += 1
    assert checked == 26  # every indicator published in a source column
    assert int(catalogue.load().loc["below_uso_pct_2021", "decimals"]) == 1


def test_missing_values_say_the_true_reason(built_database):
    from geo.explorer import layers, metadata
    from geo.explorer.compare import compare_table
    compare = compare_table([HALSTEAD_KNOCKHOLT_BADGERS_MOUNT]).set_index("Indicator")
    ward = "Halstead, Knockholt and Badgers Mount"
    assert compare.loc["Gigabit-capable broadband available", ward] == "Published for districts only."
    assert compare.loc["Superfast available in 2013 (historical)", "Kent"] == "Published for wards only."
    lsoa_row = {"n_postcodes": float("nan"), "n_lsoas_with_value": 1}
    assert layers.missing_reason(lsoa_row, metadata.indicator("bus_stop_400m_pct"), "lsoa") == \
        "No live postcode point lies inside this area."
    assert layers.missing_reason({}, metadata.indicator("superfast_2013_pct"), "lsoa") == "Published for wards only."
    assert layers.missing_reason({}, metadata.indicator("gigabit_pct_2021"), "ward") == "Published for districts only."


def test_the_rail_overlay_states_its_edge_effect(built_database):
    from streamlit.testing.v1 import AppTest
    from geo.config import REPO_ROOT
    page = AppTest.from_file(str(REPO_ROOT / "pages" / "kent.py"), default_timeout=120)
    page.query_params["overlays"] = "rail_stations"
    page.run()
    assert not page.exception
    captions = " ".join(c.value for c in page.caption)
    assert "Stations in Medway, London and Sussex are not in the data" in captions
