"""The gazetteer (`places`, built from NaPTAN localities) and the one search behind /find, on the real data."""
from __future__ import annotations


import pandas as pd
import pytest

from geo.explorer import search, state as url_state
from geo.config import data_dir


@pytest.fixture(scope="module")
def naptan():
    """Active Kent stops (processed file: district per stop) joined to their NPTG locality (raw Stops.csv)."""
    root = data_dir()
    stops = pd.read_csv(root / "processed/kent_naptan_active_stops_with_ward.csv", dtype=str)
    raw = pd.read_csv(root / "raw/transport_naptan/kent_naptan_240Stops.csv", dtype=str, keep_default_na=False)
    return stops.drop(columns="LocalityName").merge(raw[["ATCOCode", "NptgLocalityCode", "LocalityName"]], on="ATCOCode")


@pytest.fixture()
def places(sql):
    return sql("select * from places order by place_code")


def test_every_naptan_locality_is_a_place_once(places, naptan):
    assert sorted(places.place_code) == sorted(naptan.NptgLocalityCode.unique())
    assert len(places) == 679
    assert places.place_name.nunique() == naptan.LocalityName.nunique() == 664
    counts = naptan.groupby("NptgLocalityCode").size()
    assert (places.set_index("place_code").n_stops == counts).all()


def test_every_place_lies_in_its_ward_and_its_stops_district(places, naptan, sql):
    # the ward really contains the point (DuckDB spatial on the full ward polygons)
    inside = sql("""select p.place_code from places p join ward_boundaries w using (ward_code)
                    where ST_Contains(w.geometry, ST_Point(p.lon, p.lat))""")
    assert set(inside.place_code) == set(places.place_code)
    wards = sql("select ward_code, district_code from wards")
    assert (places.district_code == places.ward_code.map(dict(zip(wards.ward_code, wards.district_code)))).all()
    # the district is the one holding most of the locality's own stops (ties: any of the tied districts)
    by_district = naptan.groupby(["NptgLocalityCode", "LAD25CD"]).size().rename("n").reset_index()
    most = by_district[by_district.n == by_district.groupby("NptgLocalityCode").n.transform("max")]
    allowed = most.groupby("NptgLocalityCode").LAD25CD.agg(set)
    wrong = [code for code, district in zip(places.place_code, places.district_code) if district not in allowed[code]]
    assert wrong == []
    # the point is one of the locality's own stops, and that stop's published ward is the ward given
    own = places.merge(naptan.astype({"Longitude": float, "Latitude": float}), left_on="place_code",
                       right_on="NptgLocalityCode")
    at_point = own[((own.lon - own.Longitude).abs() < 1e-9) & ((own.lat - own.Latitude).abs() < 1e-9)]
    assert set(at_point.place_code) == set(places.place_code)
    assert (at_point.ward_code == at_point.WD25CD).all()


def test_ambiguous_names_stay_apart_each_with_its_district(places):
    shared = places.groupby("place_name").filter(lambda g: len(g) > 1)
    assert shared.place_name.nunique() == 14
    minster = places[places.place_name == "Minster"]
    assert sorted(minster.district_code) == ["E07000113", "E07000114"]  # Swale (Sheppey) and Thanet
    for name, group in shared.groupby("place_name"):
        exact = [r for r in search.search(name).results if r.exact and r.kind == "place"]
        assert sorted(r.ward_code for r in exact) == sorted(group.ward_code), name


def test_every_place_ward_and_district_is_found_by_its_own_name(sql):
    names = sql("""select 'place' as kind, place_name as name, ward_code from places union all
                   select 'ward', ward_name, ward_code from wards union all
                   select 'district', district_name, null from districts""")
    index = search.name_index()
    for row in names.itertuples():
        found = search.match_names(row.name, index, limit=50)
        assert any(r.exact and r.kind == row.kind and (row.kind == "district" or r.ward_code == row.ward_code)
                   for r in found), row.name
        assert all(r.exact for r in found[:1]), row.name


@pytest.mark.parametrize("typed, expected, district", [
    ("Tenterdon", "Tenterden", "Ashford"),
    ("tenterden", "Tenterden", "Ashford"),
    ("Folkstone", "Folkestone", "Folkestone and Hythe"),
    ("Brodstairs", "Broadstairs", "Thanet"),
    ("sevenoakes", "Sevenoaks", "Sevenoaks"),
    ("Westgate on Sea", "Westgate-on-Sea", "Thanet"),
    ("st margarets at cliffe", "St Margarets at Cliffe", "Dover"),
])
def test_misspelt_and_differently_written_names_find_the_place_first(typed, expected, district):
    first = search.search(typed).results[0]
    assert (first.name, first.district_name) == (expected, district)


def test_tenterden_leads_to_its_ward_in_ashford():
    first = search.search("Tenterden").results[0]
    assert (first.kind, first.exact, first.ward_name, first.district_name) == ("place", True, "Tenterden North", "Ashford")
    assert first.href == "ward?ward=E05011771"
    wards = [r.ward_name for r in search.search("Tenterden").results if r.kind == "ward"]
    assert {"Tenterden North", "Tenterden South", "Tenterden St Michael's"} <= set(wards)


def test_district_names_come_first_and_link_to_the_district_page():
    answer = search.search("thanet")
    assert answer.results[0].kind == "district" and answer.results[0].href == "district?district=E07000114"


@pytest.mark.parametrize("typed", ["ct91ae", "CT9 1AE", "  ct9   1ae ", "Ct91Ae"])
def test_postcodes_in_any_case_or_spacing_reach_their_ward(typed):
    answer = search.search(typed)
    assert answer.kind == "postcode"
    assert [(r.ward_name, r.district_name, r.href) for r in answer.results] == [
        ("Margate Central", "Thanet", "ward?ward=E05005093")]


def test_a_postcode_outside_kent_and_one_that_does_not_exist_get_their_own_messages(sql):
    outside = search.search("SW1A 1AA")
    assert outside.kind == "postcode_outside_kent" and "not in Kent" in outside.message and not outside.results
    assert sql("select count(*) as n from postcodes where postcode = 'CT9 9QQ'").n[0] == 0
    unknown = search.search("ct9 9qq")
    assert unknown.kind == "postcode_unknown" and "not one of Kent's live postcodes" in unknown.message
    assert not unknown.results


def test_a_postcode_district_lists_the_wards_its_postcodes_lie_in(sql):
    answer = search.search("ct9")
    expected = sql("""select ward_code from postcodes where postcode like 'CT9 %' group by ward_code
                      order by count(*) desc, any_value(ward_code)""")
    assert answer.kind == "postcode_district"
    assert set(r.ward_code for r in answer.results) == set(expected.ward_code)


@pytest.mark.parametrize("typed, kind", [
    ("", "empty"), ("   ", "empty"), (None, "empty"), ("%%%", "junk"), ("!!! ???", "junk"),
    ("zzzqqqxxv", "nothing"), ("<script>alert(1)</script>", "nothing"), ("'; drop table places; --", "nothing"),
    ("\x00\x1b\x07", "empty"), ("\x00\x1b[31m", "nothing"), ("a" * 5000, "nothing"), ("🏠🏠", "junk"),
])
def test_hostile_or_empty_input_gets_a_message_never_an_error(typed, kind):
    answer = search.search(typed)
    assert answer.kind == kind and answer.message
    assert len(answer.query) <= search.MAX_QUERY
    assert all(c.isprintable() for c in answer.query)


def test_results_are_deterministic_and_ordered():
    first, second = search.search("Newington"), search.search("Newington")
    assert first == second
    exact = [r for r in first.results if r.exact]
    assert [r.district_name for r in exact] == sorted(r.district_name for r in exact) or len(
        {r.score for r in exact}) == 1
    assert len({(r.kind, r.name, r.district_name, r.ward_code) for r in first.results}) == len(first.results)


def test_name_index_order_on_synthetic_names():
    """Synthetic rows made here: exact first, then score, then districts before places before wards."""
    rows = pd.DataFrame([
        {"kind": "ward", "code": "W1", "name": "Oakham North", "ward_code": "W1", "ward_name": "Oakham North",
         "district_code": "D1", "district_name": "Dale", "n_stops": None},
        {"kind": "place", "code": "P1", "name": "Oakham", "ward_code": "W1", "ward_name": "Oakham North",
         "district_code": "D1", "district_name": "Dale", "n_stops": 3},
        {"kind": "district", "code": "D1", "name": "Oakhams", "ward_code": None, "ward_name": None,
         "district_code": "D1", "district_name": "Oakhams", "n_stops": None},
        {"kind": "place", "code": "P2", "name": "Zebra", "ward_code": "W1", "ward_name": "Oakham North",
         "district_code": "D1", "district_name": "Dale", "n_stops": 1},
    ])
    index = search.NameIndex.of(rows)
    assert [r.name for r in search.match_names("oakham", index)] == ["Oakham", "Oakhams", "Oakham North"]
    assert [r.name for r in search.match_names("okham", index)][0] == "Oakham"
    assert search.match_names("zebra", index)[0].exact
    assert search.match_names("", index) == []


def test_find_links_keep_the_text():
    assert url_state.page_link("find", {"q": search.clean_query(" CT9 1AE ")}) == "find?q=CT9%201AE"
    assert url_state.page_link("find", {"q": search.clean_query("St Margaret's & Cliffe")}) == \
        "find?q=St%20Margaret%27s%20%26%20Cliffe"
