"""Change over time (/change): comparability rules as data, IMD 2019 -> 2025 ranks and deciles, Ofcom's series and
ORR station usage, checked against the raw mirror files, independently of the app's SQL."""
from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import catalogue
from geo.pipeline import comparability
from geo.explorer import change, maps, metadata, state as url_state
from geo.config import REPO_ROOT
from geo.pipeline.validate import DataError
from tests.html_tables import map_tables


@pytest.fixture(autouse=True)
def _database(built_database):
    """geo.explorer.change reads the session's real database (KENT_DB_PATH is set by the fixture)."""


def _raw(mirror, relative: str) -> pd.DataFrame:
    return pd.read_csv(mirror / relative, dtype={"NLC": str})


# ------------------------------------------------------------------ the rules

def test_every_catalogue_indicator_has_a_comparability_rule_in_the_database(sql):
    missing = sql("""select c.indicator_id from indicator_catalogue as c
                     left join comparability as r using (indicator_id) where r.indicator_id is null""")
    assert missing.empty
    kinds = sql("select comparison, count(*) as n from comparability group by comparison").set_index("comparison").n
    assert set(kinds.index) <= set(comparability.COMPARISONS)
    assert sql("select count(*) as n from comparability").n[0] == len(pd.read_csv(comparability.COMPARABILITY_PATH))


def test_imd_rules_compare_ranks_and_deciles_never_scores():
    rules = change.rules("imd_score")
    assert list(rules.comparison) == ["rank", "decile"] and set(rules.compared_with) == {"imd2019_score"}
    assert "not scores" in rules.caveat.iloc[0]
    assert change.view_kind(rules) == "editions"


def test_an_indicator_with_no_predecessor_says_why():
    rules = change.rules("digital_connectivity_score")
    assert list(rules.comparison) == ["none"] and change.view_kind(rules) == "none"
    assert "new in IoD 2025" in change.rules_in_words(rules)[0]


@pytest.mark.parametrize("rows, column, problem", [
    ([("no_such_indicator", "", "", "none", "why")], "indicator_id", "not in the indicator catalogue"),
    ([("population", "", "", "sometimes", "why")], "comparison", "is not one of"),
    ([("population", "imd_score", "", "none", "why")], "compared_with", "compares with nothing"),
    ([("population", "", "", "none", " ")], "caveat", "caveat in words"),
    ([("population", "station_usage", "gigabit_pct", "level", "why")], "compared_column", "is not a column"),
    ([("population", "population", "", "rank", "why")], "compared_with", "another catalogue indicator"),
    ([("population", "", "", "none", "why"), ("population", "ofcom_district_timeseries", "gigabit_pct", "level", "x")],
     "comparison", "keep one"),
    ([("imd_score", "", "", "none", "why")], "indicator_id", "'population' has no rule"),
])
def test_bad_rules_fail_naming_the_file_column_and_problem(rows, column, problem):
    frame = pd.DataFrame(rows, columns=list(comparability.COLUMNS))  # small synthetic rule tables
    with pytest.raises(DataError) as caught:
        comparability.validate(frame, ["population", "imd_score"])
    assert caught.value.file == "data/comparability.csv" and caught.value.column == column
    assert problem in str(caught.value)


def test_the_shipped_rules_pass_their_own_validation():
    rules = comparability.load(catalogue.load().index)
    assert set(rules.indicator_id) == set(catalogue.load().index)


# ------------------------------------------------------------------ IMD 2019 -> 2025, from the raw files

@pytest.fixture(scope="module")
def raw_imd(mirror):
    """Both editions on 2021 LSOAs and wards, computed here from the raw CSVs with pandas (not the app's SQL)."""
    bridge = _raw(mirror, "raw/lookups_geographr/kent_lsoa11_lsoa21_ltla22.csv")
    imd19 = _raw(mirror, "raw/iod2019/kent_imd2019_lsoa11_imd_score_nhsr.csv")
    imd25 = _raw(mirror, "raw/iod2025/kent_imd2025_lsoa21_domains.csv")
    people = _raw(mirror, "raw/population_census2021/kent_census21_lsoa21_usual_residents_age6.csv").groupby(
        "lsoa21_code").usual_residents.sum()
    wards = _raw(mirror, "raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv").set_index("lsoa21_code")
    carried = bridge.merge(imd19, left_on="lsoa11_code", right_on="lsoa_code").groupby("lsoa21_code").agg(
        score_2019=("imd_score", "mean"), deciles_2019=("imd_decile", lambda d: sorted(set(d))),
        change_code=("change_code", "first"), parents=("lsoa11_code", lambda c: sorted(c)))
    lsoa = carried.join(imd25.set_index("lsoa21_code")[["IMD_score", "IMD_decile"]].rename(
        columns={"IMD_score": "score_2025", "IMD_decile": "decile_2025"})).join(people.rename("people")).join(wards.ward24_code)
    for year in ("2019", "2025"):
        lsoa[f"rank_{year}"] = lsoa[f"score_{year}"].rank(ascending=False, method="min").astype(int)
    weighted = lsoa.assign(w19=lsoa.score_2019 * lsoa.people, w25=lsoa.score_2025 * lsoa.people).groupby("ward24_code")[
        ["w19", "w25", "people"]].sum()
    ward = pd.DataFrame({"score_2019": weighted.w19 / weighted.people, "score_2025": weighted.w25 / weighted.people})
    for year in ("2019", "2025"):
        ward[f"rank_{year}"] = ward[f"score_{year}"].rank(ascending=False, method="min").astype(int)
    return {"lsoa": lsoa, "ward": ward}


def test_every_wards_kent_rank_change_matches_a_recomputation_from_the_raw_files(raw_imd):
    app = change.imd_change("ward", None).values.set_index("area_code")
    expected = raw_imd["ward"].loc[app.index]
    assert len(app) == 255
    assert (app.kent_rank_2019 == expected.rank_2019).all() and (app.kent_rank_2025 == expected.rank_2025).all()
    assert (app.rank_shift == expected.rank_2019 - expected.rank_2025).all()


@pytest.mark.parametrize("ward_code, name, rank_2019, rank_2025, shift", [
    ("E05005093", "Margate Central", 1, 1, 0),
    ("E05009562", "Sheppey East", 2, 11, -9),
    ("E05010402", "Northgate", 31, 13, 18),
    ("E05009560", "Sheerness", 3, 2, 1),
])
def test_pinned_ward_rank_changes(raw_imd, ward_code, name, rank_2019, rank_2025, shift):
    # Pinned from the raw-file recomputation above (raw_imd), so a silent change in either fails.
    raw = raw_imd["ward"].loc[ward_code]
    assert (raw.rank_2019, raw.rank_2025) == (rank_2019, rank_2025)
    row = change.imd_change("ward", None).values.set_index("area_code").loc[ward_code]
    assert (row.area_name, row.kent_rank_2019, row.kent_rank_2025, row.rank_shift) == (name, rank_2019, rank_2025, shift)


def test_every_lsoas_ranks_and_deciles_match_the_raw_files(raw_imd):
    app = change.imd_change("lsoa", None).values.set_index("area_code")
    raw = raw_imd["lsoa"].loc[app.index]
    assert len(app) == 938
    assert (app.kent_rank_2019 == raw.rank_2019).all() and (app.kent_rank_2025 == raw.rank_2025).all()
    single = raw.deciles_2019.map(len) == 1
    assert (app.decile_2019[single].astype(int) == raw.deciles_2019[single].map(lambda d: d[0])).all()
    assert app.decile_2019[~single].isna().all() and list(app.index[~single]) == ["E01034990"]
    assert (app.decile_2025.astype(int) == raw.decile_2025).all()
    assert (app.decile_shift[single] == raw.deciles_2019[single].map(lambda d: d[0]) - raw.decile_2025[single]).all()


@pytest.mark.parametrize("lsoa_code, change_code, parents, decile_2019, decile_2025", [
    ("E01034991", "S", "E01033090", 3, 1),  # Maidstone 004H: split, two deciles towards the most deprived
    ("E01034985", "S", "E01024027", 4, None),  # Ashford 005F: one of two parts of Ashford 005D
    ("E01034990", "M", "E01024334,E01024338", None, None),  # Maidstone 001F: merged from deciles 8 and 9
    ("E01024667", "U", "E01024667", 1, 1),  # Thanet 016D, Kent's most deprived LSOA in 2025
])
def test_split_and_merged_lsoas_are_flagged_with_their_2011_parents(raw_imd, lsoa_code, change_code, parents,
                                                                     decile_2019, decile_2025):
    shown = change.imd_change("lsoa", None)
    row = shown.values.set_index("area_code").loc[lsoa_code]
    assert row.change_code == change_code and row.lsoa11_codes == parents
    assert raw_imd["lsoa"].loc[lsoa_code].change_code == change_code
    if decile_2019 is None:
        assert pd.isna(row.decile_2019)
    else:
        assert row.decile_2019 == decile_2019
    if decile_2025 is not None:
        assert row.decile_2025 == decile_2025
    note = shown.table().set_index("Neighbourhood (LSOA) code").loc[lsoa_code, "Boundary 2011 to 2021"]
    assert note.startswith({"U": "Unchanged", "S": "Split from", "M": "Merged from"}[change_code])
    if change_code == "M":
        assert "no single 2019 decile" in note


def test_split_and_merge_counts_match_the_ons_lookup(mirror):
    lookup = _raw(mirror, "raw/lookups_geographr/kent_lsoa11_lsoa21_ltla22.csv")
    app = change.imd_change("lsoa", None).values
    for code in ("U", "S", "M"):
        assert (app.change_code == code).sum() == lookup[lookup.change_code == code].lsoa21_code.nunique()


def test_ward_shares_in_the_most_deprived_20pct_match_the_stored_2025_indicator(query):
    shown = change.imd_change("ward", None).values.set_index("area_code")
    stored = query("area_values_for_indicator", indicator_id="imd_most_deprived_20pct", level="ward",
                   district_code=None).set_index("area_code").value
    assert (shown.most_deprived_20pct_2025 - stored.loc[shown.index]).abs().max() < 1e-9
    assert shown.most_deprived_20pct_2019.notna().all()  # the merged LSOA's parents (8, 9) are both outside 20%


def test_rank_change_classes_are_symmetric_and_cover_every_area():
    shown = change.imd_change("ward", "E07000114")
    assert len(shown.values) == 23 and shown.out_of == 255
    assert change.shift_thresholds(255) == (5, 20, 51)
    assert shown.classification.labels[3] == "Within 5 places either way"
    assert None not in shown.classification.classes
    assert shown.colours == maps.diverging_palette(7)
    html = shown.map().get_root().render()
    assert all(colour in html for colour in {shown.colours[c] for c in shown.classification.classes})


# ------------------------------------------------------------------ Ofcom and ORR: the charts hold the published points

@pytest.mark.parametrize("relative, snapshot, header, column", [
    ("raw/broadband_ofcom_laua/kent_202105_fixed_laua_coverage_r01.csv", "May 2021", "Gigabit availability (% premises)", "gigabit_pct"),
    ("raw/broadband_ofcom_laua/kent_2021_data.csv", "2021 (earlier file)", "Gigabit availability (% premises)", "gigabit_pct"),
    ("raw/broadband_ofcom_laua/kent_2020_data.csv", "2020", "SFBB availability (% premises)", "sfbb_or_better_pct"),
    ("raw/broadband_ofcom_laua/kent_2018_data.csv", "2018", "% of premises below the USO", "below_uso_pct"),
])
def test_district_chart_points_are_ofcoms_published_values(mirror, relative, snapshot, header, column):
    raw = _raw(mirror, relative).set_index("laua")[header]
    data, spec = change.ofcom_series("ofcom_district_timeseries", column, metadata.indicator("gigabit_pct_2021")).chart()
    points = data[data.snapshot == snapshot].set_index("area_code").shown
    assert len(points) == 12 and (points - raw.loc[points.index]).abs().max() < 1e-9
    assert spec["encoding"]["x"]["sort"][-1] == "May 2021"


def test_superfast_before_2020_adds_the_ufbb_band_as_sourcesmd_says(mirror):
    raw = _raw(mirror, "raw/broadband_ofcom_laua/kent_2019_data.csv").set_index("laua")
    series = change.ofcom_series("ofcom_district_timeseries", "sfbb_or_better_pct", metadata.indicator("superfast_pct_2021"))
    points = series.points[series.points.snapshot == "2019"].set_index("area_code").value
    expected = raw["SFBB availability (% premises)"] + raw["UFBB availability (% premises)"]
    assert (points - expected.loc[points.index]).abs().max() < 1e-9


def test_constituency_chart_holds_ofcoms_january_2024_gigabit_points(mirror):
    raw = _raw(mirror, "raw/broadband_ofcom_pcon/kent_202401_fixed_pcon_coverage_r01.csv").set_index("parl_const")
    series = change.ofcom_series("ofcom_constituency_timeseries", "gigabit_pct", metadata.indicator("gigabit_pct_2021"))
    data, _ = series.chart()
    latest = data[data.snapshot == "Jan 2024"].set_index("area_code")
    assert len(latest) == 15
    assert (latest.shown - raw["Gigabit availability (% premises)"].loc[latest.index]).abs().max() < 1e-9
    assert latest.shown.min() == 47.9 and latest.loc["E14000619", "area"] == "Canterbury"  # SOURCES.md section 9
    assert latest.loc["E14000626", "area"] == "Chatham and Aylesford (mostly Medway)"
    table = series.table().set_index("Code")
    assert table.loc["E14000715", "Jan 2024"] == "78.0" and table.loc["E14000715", "Sep 2018"] == "Not published"


def test_station_usage_by_station_and_district_are_orrs_totals(mirror):
    raw = _raw(mirror, "raw/transport_rail/kent_station_usage_orr.csv").set_index("NLC")
    stations = _raw(mirror, "raw/transport_rail/kent_rail_stations.csv").set_index("NLC")
    by_district, by_station = change.station_usage("E07000114")
    margate = stations.index[stations.name == "Margate"][0]
    points = by_station.points.set_index(["area_code", "snapshot_order"]).value
    assert points.loc[(margate, 2019)] == pytest.approx(raw.loc[margate, "2019_Total"] / 1e3)
    thanet = stations[stations.LAD25CD == "E07000114"].index
    totals = by_district.points.set_index(["area_code", "snapshot_order"]).value
    assert totals.loc[("E07000114", 2021)] == pytest.approx(raw.loc[thanet, "2021_Total"].sum() / 1e3)
    assert set(by_station.points.area_code) == set(thanet.astype(str))  # station names now come from NaPTAN
    assert by_district.points.area_code.nunique() == 12 and by_district.snapshots[0] == "1997-98"


# ------------------------------------------------------------------ URL state and the page

def test_change_view_round_trips_through_the_url():
    view = url_state.ChangeView(district="E07000114", layer="gigabit_pct_2021", level="lsoa")
    params = url_state.change_params(view)
    assert params == {"district": "E07000114", "layer": "gigabit_pct_2021", "level": "lsoa"}
    parsed, warnings = url_state.parse_change(params, districts=["E07000114"], layers=["gigabit_pct_2021", "imd_score"])
    assert parsed == view and warnings == []
    assert url_state.change_params(url_state.ChangeView()) == {}


def _run(**params) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "pages" / "change.py"), default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def _footer_ok(app: AppTest) -> None:
    captions = " ".join(c.value for c in app.caption)
    assert "Contains Ofcom Connected Nations data" in captions and "Office of Rail and Road" in captions
    assert "Contains OS data © Crown copyright" in captions


def test_change_page_defaults_to_ward_imd_ranks_with_a_table_of_255_wards():
    app = _run()
    assert not app.exception and not app.warning
    table = map_tables(app)[0]
    assert len(table) == 255 and table.iloc[0]["Ward"] == "Margate Central"
    assert table.iloc[0]["Kent rank, IMD 2019"] == "1 of 255"
    text = " ".join(m.value for m in app.markdown)
    assert "Compare Kent ranks, not scores" in text and "IMD 2019 (September 2019) and IMD 2025 (October 2025)" in text
    _footer_ok(app)


def test_change_page_for_one_districts_lsoas_flags_split_lsoas():
    app = _run(level="lsoa", district="E07000110")
    table = map_tables(app)[0]
    assert not app.exception and len(table) == 99
    assert (table["Boundary 2011 to 2021"].str.startswith("Merged from")).sum() == 1
    assert (table["Boundary 2011 to 2021"].str.startswith("Split from")).sum() == 9


def test_change_page_for_broadband_charts_both_geographies_with_tables():
    app = _run(layer="gigabit_pct_2021", district="E07000114")
    assert not app.exception
    assert [len(t.value) for t in app.table] == [12, 15]
    assert any("two different geographies" in i.value for i in app.info)
    assert "SFBB" not in " ".join(m.value for m in app.markdown)  # the SFBB caveat belongs to the superfast layer
    sfbb = _run(layer="superfast_pct_2021")
    assert "changed meaning in 2020" in " ".join(m.value for m in sfbb.markdown)
    _footer_ok(app)


def test_change_page_for_rail_access_says_no_predecessor_and_shows_station_usage():
    app = _run(layer="rail_station_2km_pct", district="E07000114")
    assert not app.exception
    assert any("has no comparable predecessor" in i.value for i in app.info)
    assert [len(t.value) for t in app.table] == [12, 7]  # 12 districts; Thanet's 7 stations


@pytest.mark.parametrize("layer", ["digital_connectivity_score", "gap_index", "population", "road_distance_gp_km"])
def test_change_page_for_an_indicator_without_a_predecessor_shows_the_rules_reason(layer, query):
    app = _run(layer=layer)
    assert not app.exception and not app.table and not map_tables(app)
    assert any("has no comparable predecessor" in i.value for i in app.info)
    reason = query("comparability_rules", indicator_id=layer).caveat.iloc[0]
    assert any(reason in m.value for m in app.markdown)


def test_change_page_with_bad_parameters_warns_and_shows_the_default():
    app = _run(layer="<b>nope</b>", level="county", district="E99999999")
    assert not app.exception
    warnings = " ".join(w.value for w in app.warning)
    assert "Unknown layer" in warnings and "Unknown level" in warnings and "Unknown district" in warnings
    assert len(map_tables(app)[0]) == 255
