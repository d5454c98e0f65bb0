"""A new session's first run of a map page sends the map and its table, then the rest (issue 15).

The browser renders every element of a run before it creates the map's iframe; so a session's first run of /
and /district stops after the map section, with a stand-in holding the place of the pickers and figures above
it, and a one-off fragment timer has the browser ask for the whole page a moment later
(pages/components.rest_of_page_in_next_run). AppTest runs no timers: a second ``app.run()`` is the full rerun
that timer asks for (tests/apptest.py). Real database throughout.
"""
from __future__ import annotations

import pytest

from pages.components import REST_OF_PAGE_AFTER_S
from tests.apptest import first_run_stopped_after_map, page_app, run_whole_page
from tests.html_tables import map_tables

HOLD = "data-kle-rest-follows"


@pytest.fixture(autouse=True)
def _database(built_database):
    """Pages read the session's real database."""


def _map_arguments(app) -> list[str]:
    """What each streamlit-folium map on the page was given (its HTML and options, as JSON)."""
    return [c.proto.json_args for c in app.get("component_instance") if c.proto.component_name.endswith("st_folium")]


def _holds(app) -> list[str]:
    return [h.value for h in app.html if HOLD in h.value]


@pytest.mark.parametrize("page, params, hold", [
    ("district", {"district": "E07000114"}, "kle-hold-district"),
    ("district", {"district": "E07000105", "level": "lsoa"}, "kle-hold-district"),
    ("kent", {}, "kle-hold-kent"),
    ("kent", {"level": "lsoa", "layer": "income_score"}, "kle-hold-kent"),
])
def test_the_first_run_sends_the_map_and_its_table_then_the_whole_page_follows(page, params, hold, query):
    rows = len(query("area_values_for_indicator", indicator_id=params.get("layer", "imd_score"),
                     level=params.get("level", "ward"), district_code=params.get("district")))
    app = page_app(page, **params)
    app.run()
    assert not app.exception
    assert first_run_stopped_after_map(app)
    first_map = _map_arguments(app)
    assert len(first_map) == 1
    assert len(map_tables(app)) == 1 and len(map_tables(app)[0]) == rows  # the map is never the only way to a number
    assert len(_holds(app)) == 1 and hold in _holds(app)[0]  # the pickers' place is held
    assert not app.selectbox and not app.radio and not app.multiselect  # no widget yet
    assert "Open Government Licence" not in " ".join(c.value for c in app.caption)  # nor the footer

    app.run()  # what the browser's timer asks for REST_OF_PAGE_AFTER_S later
    assert not app.exception
    assert not first_run_stopped_after_map(app) and _holds(app) == []
    assert _map_arguments(app) == first_map  # the same map, so the browser keeps the one it has drawn
    assert len(map_tables(app)) == 1 and len(map_tables(app)[0]) == rows
    assert [s.key for s in app.selectbox][:2] in (["district", "layer"], ["layer", "classes"])
    assert app.title and "Open Government Licence" in " ".join(c.value for c in app.caption)


def test_later_runs_of_the_session_draw_the_whole_page_at_once():
    from streamlit.testing.v1 import AppTest

    from geo.config import REPO_ROOT

    app = run_whole_page(AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=180))  # /, through app.py
    assert app.selectbox(key="layer").value == "imd_score"
    app.selectbox(key="layer").set_value("income_score").run()  # the session's next run: a whole page, no stand-in
    assert not app.exception and not first_run_stopped_after_map(app) and _holds(app) == []
    assert app.selectbox(key="layer").value == "income_score"
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)
    app.switch_page("pages/district.py").run()  # and so does another map page in the same session
    assert not app.exception and not first_run_stopped_after_map(app) and _holds(app) == []
    assert app.selectbox(key="district")


def test_what_the_first_run_said_about_its_url_stays_on_the_whole_page():
    # The whole page corrects the URL (an unknown layer falls back) and says what was wrong, as the first run did.
    app = page_app("district", district="E07000114", layer="no_such_layer")
    app.run()
    said = [w.value for w in app.warning]
    assert any("Unknown layer" in w for w in said)
    assert app.query_params["layer"] == "no_such_layer"  # not yet corrected: the whole page's run reads it too
    app.run()
    assert [w.value for w in app.warning] == said
    assert "layer" not in app.query_params  # corrected now: the default layer, which the URL leaves out
    app.selectbox(key="layer").set_value("gigabit_pct_2021").run()  # after that, a choice of the visitor's own: no warning
    assert not any("Unknown layer" in w.value for w in app.warning)


@pytest.mark.parametrize("page, params", [("compare", {"wards": "E05005093,E05005094"}), ("ward", {"ward": "E05005093"}),
                                          ("district", {}), ("data", {})])
def test_pages_without_a_first_map_draw_the_whole_page_in_one_run(page, params):
    app = page_app(page, **params)
    app.run()
    assert not app.exception and not first_run_stopped_after_map(app) and _holds(app) == []
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)


def test_the_rest_follows_soon_enough_not_to_be_seen_as_missing():
    assert 0.1 <= REST_OF_PAGE_AFTER_S <= 1.0
