"""Every page runs in-process (streamlit AppTest) against the real database: logic, widgets and bad parameters."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo.explorer import state as url_state
from tests.html_tables import map_tables


@pytest.fixture(autouse=True)
def _database(built_database):
    """Pages read the session's real database (KENT_DB_PATH is set by the fixture)."""


def _table_text(app: AppTest, index: int = 0):
    """The map's table of values (one st.html table) as a frame."""
    return map_tables(app)[index]


def test_kent_page_defaults_to_the_ward_imd_map_with_a_table_of_all_255_wards(run_page):
    app = run_page("kent")
    assert not app.exception
    table = _table_text(app)
    assert len(table) == 255
    assert table.iloc[0]["Kent rank (1 = worst)"] == "1 of 255"
    assert table.iloc[0]["Ward"] == "Margate Central"


def test_kent_page_at_district_level_lists_12_districts_with_thanet_first(run_page):
    app = run_page("kent", level="district")
    table = _table_text(app)
    assert len(table) == 12 and table.iloc[0]["District"] == "Thanet"


def test_unknown_layer_and_level_warn_and_fall_back_without_a_traceback(run_page):
    app = run_page("kent", layer="bogus'; drop table wards;--", level="<script>alert(1)</script>", classes="nope")
    assert not app.exception
    warnings = " ".join(w.value for w in app.warning)
    assert "Unknown layer" in warnings and "Unknown level" in warnings and "Unknown classes" in warnings
    assert len(_table_text(app)) == 255  # the default view still shows


def test_district_page_shows_thanets_23_wards_findings_and_a_board_pack(run_page):
    app = run_page("district", district="E07000114")
    assert not app.exception
    assert app.title[0].value == "Thanet"
    assert len(_table_text(app)) == 23
    findings = [m.value for m in app.markdown if m.value.startswith("- ")]
    assert any("of Thanet's 23 wards" in f and "Source:" in f for f in findings)
    assert any("Margate Central" in f for f in findings)


def test_district_page_with_unknown_district_warns_and_asks_for_a_choice(run_page):
    app = run_page("district", district="E07999999")
    assert not app.exception
    assert any("Unknown district" in w.value for w in app.warning)
    assert any("Choose a district" in i.value for i in app.info)


def test_district_only_indicator_falls_back_to_districts_with_a_note(run_page):
    app = run_page("kent", layer="gigabit_pct_2021", level="ward")
    assert not app.exception
    assert any("published for districts only" in i.value for i in app.info)
    assert len(_table_text(app)) == 12


def test_compare_page_shows_two_wards_side_by_side_with_their_contents(run_page):
    app = run_page("compare", ward="E05005093,E05005010")
    assert not app.exception
    side_by_side = app.table[0].value  # the map's own table is HTML (tests/html_tables.py)
    assert {"Margate Central", "Cowden and Hever", "Kent"} <= set(side_by_side.columns)
    assert side_by_side.loc["Usual residents", "Kent"] == "1,576,128"
    assert side_by_side.loc["Usual residents", "Margate Central"] == "6,237"


def test_compare_page_finds_a_ward_by_postcode(run_page):
    app = run_page("compare")
    app.text_input(key="postcode").input("ct9 1ae").run()
    assert any("Margate Central" in s.value for s in app.success)


def test_data_page_filters_and_lists_all_wards(run_page):
    app = run_page("data")
    assert not app.exception
    assert len(app.dataframe[0].value) == 255


def test_about_page_documents_every_catalogue_indicator(run_page):
    app = run_page("about")
    assert not app.exception
    labels = {e.label for e in app.expander}
    from geo import catalogue
    for row in catalogue.load().itertuples():
        assert catalogue.heading(row._asdict()) in labels  # the label with its unit, never "score (score)"


@pytest.mark.parametrize("page", ["kent", "district", "compare", "data", "about", "change"])
def test_every_page_carries_the_attribution_lines(run_page, page):
    app = run_page(page, district="E07000114", ward="E05005093,E05005010")
    captions = " ".join(c.value for c in app.caption)
    assert "Open Government Licence" in captions
    assert "Contains OS data © Crown copyright" in captions
    assert "Contains Ofcom" in captions


def test_url_state_round_trips():
    default = url_state.ViewState()
    view = url_state.ViewState(district="E07000114", wards=("E05005093",), layer="income_score", level="lsoa",
                               classes="natural_breaks", embed=True)
    params = url_state.to_params(view, default)
    parsed, warnings = url_state.parse(params, districts=["E07000114"], wards=["E05005093"], layers=["income_score"],
                                       default=default)
    assert parsed == view and warnings == []


def test_postcodes_are_normalised_or_rejected():
    assert url_state.normalise_postcode(" ct91ae ") == "CT9 1AE"
    assert url_state.normalise_postcode("ME14 1XX") == "ME14 1XX"
    assert url_state.normalise_postcode("<script>") is None
    assert url_state.normalise_postcode("1234") is None


def test_every_page_file_is_in_the_navigation_and_the_bad_input_tests():
    # Adding a page (README "Add a page"): a file in pages/ reachable by no URL, or never fuzzed, fails here.
    from geo.config import REPO_ROOT
    from pages import components
    from tests.test_bad_input import PAGES as FUZZED

    files = {p.name for p in (REPO_ROOT / "pages").glob("*.py")} - {"components.py", "__init__.py"}
    assert {script for script, _, _ in components.PAGES} == files
    assert {f"{page.script}.py" for page in FUZZED} == files
    paths = [path for _, _, path in components.PAGES]
    assert paths == ["", "district", "compare", "ward", "find", "gap", "change", "data", "about"]  # URLs are a contract


def test_no_page_or_module_reaches_into_streamlit_internals():
    # The legacy pages-folder switch is made with st.navigation (pages/components.run_through_app), not by setting
    # streamlit.runtime.pages_manager.PagesManager.uses_pages_directory as before.
    import ast
    from geo.config import REPO_ROOT

    reached = []
    for path in [REPO_ROOT / "app.py", *(REPO_ROOT / "pages").glob("*.py"), *(REPO_ROOT / "geo").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            reached += [f"{path.name}: {n}" for n in names if n.startswith("streamlit.runtime")]
    assert reached == []
