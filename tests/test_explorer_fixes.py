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
