"""Issue 14 in-process (AppTest) and unit tests on the real database: compare picker, embeds, /data table, legends."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo import catalogue, explore
from geo.config import REPO_ROOT


def run_page(page: str, **params) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


@pytest.fixture(autouse=True)
def _database(built_database):
    """Pages read the session's real database (KENT_DB_PATH is set by the fixture)."""


# --- /compare ----------------------------------------------------------------------------------

def test_compare_keeps_every_ward_picked_one_by_one_in_the_order_chosen():
    codes = list(explore.wards().ward_code[[200, 3, 120, 41, 77]])  # deliberately not in name order
    app = run_page("compare")
    for number, code in enumerate(codes, start=1):
        app.multiselect(key="compare_wards").select(code)
        app.run()
        assert app.multiselect(key="compare_wards").value == codes[:number]
        assert app.query_params["ward"] == ",".join(codes[:number])
    names = dict(zip(explore.wards().ward_code, explore.wards().ward_name))
    side_by_side = app.table[1].value
    assert [c for c in side_by_side.columns if c in names.values()] == [names[c] for c in codes]
    app.multiselect(key="compare_wards").unselect(codes[1])
    app.run()
    assert app.query_params["ward"] == ",".join(codes[:1] + codes[2:])


def test_compare_district_filter_narrows_the_list_and_keeps_the_chosen_wards():
    app = run_page("compare", ward="E05005093,E05005010")
    app.selectbox(key="compare_wards_of").select("E07000106").run()  # Canterbury's 21 wards
    picker = app.multiselect(key="compare_wards")
    assert picker.value == ["E05005093", "E05005010"]
    assert len(picker.options) == 2 + 21
    assert picker.options[:2] == ["Margate Central (Thanet)", "Cowden and Hever (Sevenoaks)"]
    assert all(option.endswith("(Canterbury)") for option in picker.options[2:])


def test_compare_adds_a_postcodes_ward_once_so_removing_it_sticks():
    app = run_page("compare", ward="E05005010")
    app.text_input(key="postcode").input("ct9 1ae").run()
    assert app.multiselect(key="compare_wards").value == ["E05005010", "E05005093"]
    app.multiselect(key="compare_wards").unselect("E05005093").run()
    app.run()
    assert app.multiselect(key="compare_wards").value == ["E05005010"]


def test_compare_lsoa_tables_show_residents_and_scores_at_the_catalogues_precision():
    app = run_page("compare", ward="E05005093,E05005010")
    lsoa_tables = [t.value for t in app.table if "Residents (Census 2021)" in t.value.columns]
    assert len(lsoa_tables) == 2
    margate = lsoa_tables[0]
    assert all(r.replace(",", "").isdigit() for r in margate["Residents (Census 2021)"])
    decimals = int(catalogue.indicator("imd_score")["decimals"])  # MHCLG publishes three (issue 9)
    assert all(len(s.split(".")[1]) == decimals for s in margate["IMD 2025 score"])
    assert margate["Residents (Census 2021)"].str.replace(",", "").astype(int).sum() == 6_237  # Margate Central


# --- /data: the planner's table ----------------------------------------------------------------

def test_table_filters_round_trip_through_the_url_and_bad_ones_warn():
    from geo import state as url_state
    layers = list(explore.catalogue.load().index)
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
    table = explore.planner_table("ward", None, "imd_score")
    frame = table.frame
    assert list(frame.columns[:4]) == ["Ward code", "Ward", "District",
                                       "Kent rank by Index of Multiple Deprivation score (1 = worst, of 255)"]
    assert "area_code" not in frame.columns and "district_name" not in frame.columns
    assert "Patients per GP" in frame.columns and "Index of Multiple Deprivation score" in frame.columns
    assert frame.iloc[0]["Ward"] == "Margate Central" and list(frame.iloc[:, 3][:3]) == [1, 2, 3]
    top = sql("select imd_score, patient_to_gp_ratio from wards where ward_name = 'Margate Central'").iloc[0]
    decimals = explore.catalogue.load().decimals
    assert frame.iloc[0]["Index of Multiple Deprivation score"] == round(top.imd_score, decimals["imd_score"])
    assert frame.iloc[0]["Patients per GP"] == round(top.patient_to_gp_ratio, decimals["patient_to_gp_ratio"])
    assert table.formats["Index of Multiple Deprivation score"] == f"%.{decimals['imd_score']}f"
    assert table.formats["Income deprivation (proportion of residents)"] == f"%.{decimals['income_score']}f"


def test_planner_table_keeps_kents_most_deprived_fifth_and_value_filters(sql):
    everything = explore.planner_table("ward", None, "imd_score")
    fifth = explore.planner_table("ward", None, "imd_score", fifth=1)
    assert len(fifth.frame) == 51 and fifth.frame.iloc[:, 3].max() <= 51  # 255 / 5
    assert "in Kent's worst fifth of wards by Index of Multiple Deprivation score" in fifth.description
    thanet = explore.planner_table("ward", "E07000114", "imd_score", fifth=1, value_filters=(("bus_stop_400m_pct", None, 99.0),))
    expected = sql("""with r as (select ward_code, district_code, bus_stop_400m_pct,
                      rank() over (order by imd_score desc) as kent_rank from wards)
                      select ward_code from r where district_code = 'E07000114' and kent_rank <= 51
                      and round(bus_stop_400m_pct, 1) <= 99.0""").ward_code
    assert set(thanet.frame["Ward code"]) == set(expected) and len(expected) > 0
    assert thanet.slug == "kent-wards-thanet-by-imd_score-fifth-1-bus_stop_400m_pct-max-99"
    neutral = explore.planner_table("district", None, "population", fifth=1)
    assert "largest fifth of districts by Usual residents" in neutral.description
    assert list(neutral.frame["District"]) == ["Maidstone", "Canterbury"]  # ranks 1-2 of 12: ceil(5 r / 12) = 1
    assert len(everything.frame) == 255


def test_planner_csv_has_its_header_in_row_one_and_csvw_metadata_carries_provenance():
    import csv
    import io
    import json
    table = explore.planner_table("district", None, "imd_score")
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


def test_data_page_keeps_its_filters_in_the_url_and_announces_the_count():
    app = run_page("data", fifth="1", min_imd_score="30")
    assert not app.exception
    assert len(app.dataframe[0].value) == len(explore.planner_table("ward", None, "imd_score", 1, None,
                                                                    (("imd_score", 30.0, None),)).frame)
    app.selectbox(key="fifth").select_index(0).run()  # "Every fifth"
    assert dict(app.query_params) == {"min_imd_score": "30"}
    status = [h.value for h in app.get("html") if 'role="status"' in h.value]
    assert len(status) == 1 and f"{len(app.dataframe[0].value)} of 255 match" in status[0]
