"""Issue 14 in-process (AppTest) and unit tests on the real database: compare picker, embeds, /data table, legends."""
from __future__ import annotations

import json

import pytest

from geo import catalogue, releases
from geo.explorer import areas, downloads, layers, metadata
from tests.html_tables import map_tables


@pytest.fixture(autouse=True)
def _database(built_database):
    """Pages read the session's real database (KENT_DB_PATH is set by the fixture)."""


# --- /compare ----------------------------------------------------------------------------------

def test_compare_keeps_every_ward_picked_one_by_one_in_the_order_chosen(run_page):
    codes = list(areas.wards().ward_code[[200, 3, 120, 41, 77]])  # deliberately not in name order
    app = run_page("compare")
    for number, code in enumerate(codes, start=1):
        app.multiselect(key="compare_wards").select(code)
        app.run()
        assert app.multiselect(key="compare_wards").value == codes[:number]
        assert app.query_params["ward"] == ",".join(codes[:number])
    names = dict(zip(areas.wards().ward_code, areas.wards().ward_name))
    side_by_side = app.table[0].value  # the map's own table is HTML (tests/html_tables.py)
    assert [c for c in side_by_side.columns if c in names.values()] == [names[c] for c in codes]
    app.multiselect(key="compare_wards").unselect(codes[1])
    app.run()
    assert app.query_params["ward"] == ",".join(codes[:1] + codes[2:])


def test_compare_district_filter_narrows_the_list_and_keeps_the_chosen_wards(run_page):
    app = run_page("compare", ward="E05005093,E05005010")
    app.selectbox(key="compare_wards_of").select("E07000106").run()  # Canterbury's 21 wards
    picker = app.multiselect(key="compare_wards")
    assert picker.value == ["E05005093", "E05005010"]
    assert len(picker.options) == 2 + 21
    assert picker.options[:2] == ["Margate Central (Thanet)", "Cowden and Hever (Sevenoaks)"]
    assert all(option.endswith("(Canterbury)") for option in picker.options[2:])


def test_compare_adds_a_postcodes_ward_once_so_removing_it_sticks(run_page):
    app = run_page("compare", ward="E05005010")
    app.text_input(key="postcode").input("ct9 1ae").run()
    assert app.multiselect(key="compare_wards").value == ["E05005010", "E05005093"]
    app.multiselect(key="compare_wards").unselect("E05005093").run()
    app.run()
    assert app.multiselect(key="compare_wards").value == ["E05005010"]


def test_compare_lsoa_tables_show_residents_and_scores_at_the_catalogues_precision(run_page):
    app = run_page("compare", ward="E05005093,E05005010")
    lsoa_tables = [t.value for t in app.table if "Residents (Census 2021)" in t.value.columns]
    assert len(lsoa_tables) == 2
    margate = lsoa_tables[0]
    assert all(r.replace(",", "").isdigit() for r in margate["Residents (Census 2021)"])
    decimals = int(metadata.indicator("imd_score")["decimals"])  # MHCLG publishes three (issue 9)
    assert all(len(s.split(".")[1]) == decimals for s in margate["IMD 2025 score"])
    assert margate["Residents (Census 2021)"].str.replace(",", "").astype(int).sum() == 6_237  # Margate Central


# --- /data: the planner's table ----------------------------------------------------------------

def test_table_filters_round_trip_through_the_url_and_bad_ones_warn():
    from geo.explorer import state as url_state
    layers = list(catalogue.load().index)
    view = url_state.ViewState(layer="income_score", fifth=1, rank_max=40, scale="kent",
                               value_filters=(("imd_score", 30.0, None), ("bus_stop_400m_pct", None, 80.5)))
    params = url_state.to_params(view)
    assert params == {"layer": "income_score", "scale": "kent", "fifth": "1", "rank_max": "40", "min_imd_score": "30",
                      "max_bus_stop_400m_pct": "80.5"}
    parsed, warnings = url_state.parse(params, districts=[], wards=[], layers=layers)
    assert parsed == view and warnings == []
    parsed, warnings = url_state.parse({"fifth": "6", "rank_max": "x", "min_nope": "1", "max_imd_score": "1e9",
                                        "scale": "world"}, districts=[], wards=[], layers=layers)
    assert (parsed.fifth, parsed.rank_max, parsed.value_filters, parsed.scale) == (None, None, (), "district")
    assert len(warnings) == 5


def test_planner_table_has_readable_columns_publisher_precision_and_kent_rank_sorted_worst_first(sql):
    table = downloads.planner_table("ward", None, "imd_score")
    frame = table.frame
    assert list(frame.columns[:4]) == ["Ward code", "Ward", "District",
                                       "Kent rank by Index of Multiple Deprivation score (1 = worst, of 255)"]
    assert "area_code" not in frame.columns and "district_name" not in frame.columns
    assert "Patients per GP" in frame.columns and "Index of Multiple Deprivation score" in frame.columns
    assert frame.iloc[0]["Ward"] == "Margate Central" and list(frame.iloc[:, 3][:3]) == [1, 2, 3]
    top = sql("select imd_score, patient_to_gp_ratio from wards where ward_name = 'Margate Central'").iloc[0]
    decimals = catalogue.load().decimals
    assert frame.iloc[0]["Index of Multiple Deprivation score"] == round(top.imd_score, decimals["imd_score"])
    assert frame.iloc[0]["Patients per GP"] == round(top.patient_to_gp_ratio, decimals["patient_to_gp_ratio"])
    assert table.formats["Index of Multiple Deprivation score"] == f"%.{decimals['imd_score']}f"
    assert table.formats["Income deprivation (proportion of residents)"] == f"%.{decimals['income_score']}f"


def test_planner_table_keeps_kents_most_deprived_fifth_and_value_filters(sql):
    everything = downloads.planner_table("ward", None, "imd_score")
    fifth = downloads.planner_table("ward", None, "imd_score", fifth=1)
    assert len(fifth.frame) == 51 and fifth.frame.iloc[:, 3].max() <= 51  # 255 / 5
    assert "in Kent's worst fifth of wards by Index of Multiple Deprivation score" in fifth.description
    thanet = downloads.planner_table("ward", "E07000114", "imd_score", fifth=1, value_filters=(("bus_stop_400m_pct", None, 99.0),))
    expected = sql("""with r as (select ward_code, district_code, bus_stop_400m_pct,
                      rank() over (order by imd_score desc) as kent_rank from wards)
                      select ward_code from r where district_code = 'E07000114' and kent_rank <= 51
                      and round(bus_stop_400m_pct, 1) <= 99.0""").ward_code
    assert set(thanet.frame["Ward code"]) == set(expected) and len(expected) > 0
    assert thanet.slug == "kent-wards-thanet-by-imd_score-fifth-1-bus_stop_400m_pct-max-99"
    neutral = downloads.planner_table("district", None, "population", fifth=1)
    assert "largest fifth of districts by Usual residents" in neutral.description
    assert list(neutral.frame["District"]) == ["Maidstone", "Canterbury"]  # ranks 1-2 of 12: ceil(5 r / 12) = 1
    assert len(everything.frame) == 255


def test_planner_csv_has_its_header_in_row_one_and_csvw_metadata_carries_provenance():
    import csv
    import io
    import json
    table = downloads.planner_table("district", None, "imd_score")
    rows = list(csv.reader(io.StringIO(table.csv().decode("utf-8"))))
    assert rows[0][:3] == ["District code", "District", "Kent rank by Index of Multiple Deprivation score (1 = worst, of 12)"]
    assert len(rows) == 1 + 12 and rows[1][1] == "Thanet" and rows[1][2] == "1"
    metadata = json.loads(table.csvw("2026-12-01"))
    assert metadata["@context"] == "http://www.w3.org/ns/csvw" and metadata["url"] == f"{table.slug}.csv"
    titles = [c["titles"] for c in metadata["tableSchema"]["columns"]]
    assert titles == rows[0]  # CSVW: each column's title is its header cell
    imd = next(c for c in metadata["tableSchema"]["columns"] if c["name"] == "imd_score")
    assert imd["schema:temporalCoverage"] == "IoD 2025" and imd["dc:license"] == "OGL v3.0"
    assert any("Contains OS data" in line for line in metadata["dc:rights"])


def test_data_page_keeps_its_filters_in_the_url_and_announces_the_count(run_page, built_database):
    app = run_page("data", fifth="1", min_imd_score="30")
    assert not app.exception
    assert len(app.dataframe[0].value) == len(downloads.planner_table("ward", None, "imd_score", 1, None,
                                                                    (("imd_score", 30.0, None),)).frame)
    app.selectbox(key="fifth").select_index(0).run()  # "Every fifth"
    assert dict(app.query_params) == {"min_imd_score": "30", "release": releases.release_of(built_database)}
    status = [h.value for h in app.get("html") if 'role="status"' in h.value]
    assert len(status) == 1 and f"{len(app.dataframe[0].value)} of 255 match" in status[0]


# --- legends that help -------------------------------------------------------------------------

def _class_of_shown_value(classification, text: str) -> list[int]:
    """The classes whose label range holds a shown value."""
    value, hits = float(text.replace(",", "")), []
    for i, label in enumerate(classification.labels):
        low, _, high = label.partition(" to ")
        low, high = float(low.replace(",", "")), float((high or low).replace(",", ""))
        if low <= value <= high:
            hits.append(i)
    return hits


@pytest.mark.parametrize("level", ["district", "ward", "lsoa"])
@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_every_shown_value_lies_in_exactly_its_own_class_for_every_layer(level, scheme):
    for indicator_id in metadata.indicators_at_level(level):
        shown = layers.layer(indicator_id, level, None, scheme)
        classification = shown.classification
        assert len(set(classification.labels)) == classification.k  # no two classes read the same
        assert not any(label.split(" to ")[0] == label.split(" to ")[-1] and " to " in label
                       for label in classification.labels)  # never "0.0 to 0.0"
        for value, cls in zip(shown.values.value, classification.classes):
            if cls is None:
                continue
            text = catalogue.format_value(value, shown.indicator, unit_style="none")
            assert _class_of_shown_value(classification, text) == [cls], (indicator_id, text, classification.labels)


def test_a_skewed_layer_gets_distinct_classes_not_zero_to_zero():
    shown = layers.layer("imd_most_deprived_10pct", "ward", None, "quantiles")
    assert shown.classification.labels[0] == "0.0" and shown.classification.k == 5
    assert any("natural breaks" in note for note in shown.notes)


def test_district_map_classes_within_the_district_or_across_kent_and_says_which(run_page):
    within = layers.layer("imd_score", "ward", "E07000105", "quantiles")
    across = layers.layer("imd_score", "ward", "E07000105", "quantiles", scale="kent")
    kent = layers.layer("imd_score", "ward", None, "quantiles")
    assert across.classification.labels == kent.classification.labels != within.classification.labels
    by_code = dict(zip(kent.values.area_code, kent.classification.classes))
    assert list(across.classification.classes) == [by_code[c] for c in across.values.area_code]
    assert "within this district's 39 wards" in within.scale_note
    assert "across all of Kent's wards" in across.scale_note
    app = run_page("district", district="E07000105", scale="kent")
    assert any("across all of Kent's wards" in c.value for c in app.caption)
    assert app.radio(key="scale").value == "kent"


def test_a_districts_only_layer_on_a_district_page_shows_all_12_districts_with_it_outlined(run_page):
    shown = layers.layer("gigabit_pct_2021", "ward", "E07000105", "quantiles")
    assert len(shown.values) == 12 and shown.highlight == ("E07000105",) and shown.classification.k == 5
    assert len(shown.map()._children)  # the Kent-wide district topology matches its 12 areas
    app = run_page("district", district="E07000105", layer="gigabit_pct_2021")
    assert any("with Ashford outlined" in i.value for i in app.info)
    assert len(map_tables(app)[0]) == 12


def test_no_repeated_units_in_legends_tables_and_headings():
    from geo import catalogue
    from geo.explorer import maps
    for row in catalogue.load().to_dict("records"):
        heading = catalogue.heading(row)
        assert f"({row['unit']})" not in heading or row["unit"].lower() not in row["label"].lower()
    assert catalogue.heading(metadata.indicator("imd_score")) == "Index of Multiple Deprivation score"
    assert catalogue.heading(metadata.indicator("patient_to_gp_ratio")) == "Patients per GP"
    shown = layers.layer("patient_to_gp_ratio", "ward", None, "quantiles")
    assert "Patients per GP (patients per GP)" not in shown.legend_html() + " ".join(shown.table().columns)
    assert "score (score)" not in layers.layer("imd_score", "ward", None, "quantiles").legend_html()
    assert "Rail stations" in maps.overlay_legend_html(["rail_stations"]) and "kle-marker" in maps.overlay_legend_html(["bus_stops"])


def test_bus_stops_are_offered_on_district_maps_not_on_the_kent_map(run_page):
    kent = run_page("kent", overlays="bus_stops,rail_stations")
    assert "Bus stops" not in kent.multiselect(key="overlays").options
    assert kent.multiselect(key="overlays").value == ["rail_stations"]
    assert any("Bus stops are shown on district maps" in i.value for i in kent.info)
    district = run_page("district", district="E07000114", overlays="bus_stops")
    assert "Bus stops" in district.multiselect(key="overlays").options
    assert any("kle-overlay-legend" in h.value and "Bus stops" in h.value for h in district.get("html"))


@pytest.mark.parametrize("page, params", [("district", {"district": "E07000114"}), ("kent", {})])
def test_a_picker_change_reaches_the_map_sent_before_the_pickers_in_the_same_run(run_page, page, params):
    # The map is sent before the pickers above it (issue 15): the view is read from the widgets' values first.
    app = run_page(page, **params)
    assert app.query_params.get("layer") is None  # the default layer
    app.selectbox(key="layer").set_value("income_score")
    app.radio(key="level").set_value("lsoa").run()
    app.selectbox(key="classes").set_value("equal_interval").run()
    app.multiselect(key="overlays").select("rail_stations").run()
    assert not app.exception
    assert app.query_params["layer"] == "income_score" and app.query_params["level"] == "lsoa"
    assert app.query_params["classes"] == "equal_interval" and app.query_params["overlays"] == "rail_stations"
    shown = layers.layer("income_score", "lsoa", params.get("district"), "equal_interval")
    assert len(map_tables(app)[0]) == len(shown.values)
    # the map's own title: the accessible name its component gives the map in the page
    assert any(json.loads(m.proto.json)["title"].startswith("Map: Income deprivation") for m in app.get("bidi_component"))
    assert any("Rail stations" in h.value for h in app.get("html"))
    assert app.selectbox(key="layer").value == "income_score" and app.radio(key="level").value == "lsoa"
