"""The ward profile (/ward): indicator values against the database, Kent ranks, the spine chart's data, similar
wards, and the /find and /ward pages in-process (AppTest) on the real database."""
from __future__ import annotations

import base64
import html as html_module
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import gap, releases
from geo import catalogue
from geo.explorer import gap_view, metadata, profile
from tests.html_tables import map_tables, search_form

MARGATE_CENTRAL = "E05005093"


@pytest.fixture(autouse=True)
def _database(built_database):
    """Everything reads the session's real database (KENT_DB_PATH is set by the fixture)."""


@pytest.fixture(scope="module")
def ward_values(built_database):
    from geo.explorer import db
    cursor = db.connection(built_database).cursor()
    try:
        return cursor.execute("select indicator_id, area_code, value from indicator_values where level = 'ward'").df()
    finally:
        cursor.close()


def test_every_ward_profile_shows_every_indicator_with_ward_values_matching_the_database(query, ward_values):
    with_ward_values = set(ward_values.dropna(subset=["value"]).indicator_id)
    catalogue_order = [i for i in query("indicator_catalogue").indicator_id if i in with_ward_values]
    assert len(catalogue_order) == 30
    stored = ward_values.set_index(["area_code", "indicator_id"]).value
    for ward_code in query("ward_choices").ward_code:
        rows = query("ward_indicator_profile", ward_code=ward_code).set_index("indicator_id")
        assert set(rows.index) == with_ward_values, ward_code
        # Each shown value equals the stored one exactly, or both are missing (compared as whole columns: 255 wards).
        expected = stored.reindex(pd.MultiIndex.from_arrays([[ward_code] * len(rows), rows.index])).to_numpy(dtype=float)
        shown = rows.ward_value.to_numpy(dtype=float)
        same = (np.isnan(shown) & np.isnan(expected)) | (shown == expected)
        assert same.all(), (ward_code, list(rows.index[~same]))
    margate = profile.ward_profile(MARGATE_CENTRAL)
    assert list(margate.indicators.indicator_id) == catalogue_order  # the catalogue's (menu) order


def test_ranks_follow_polarity_and_neutral_indicators_rank_by_size(query, ward_values):
    rows = profile.ward_profile(MARGATE_CENTRAL).indicators.set_index("indicator_id")
    assert rows.kent_rank["imd_score"] == 1 and rows.kent_rank_text["imd_score"] == "1st of 255 (1 = worst)"
    wide = ward_values.pivot(index="area_code", columns="indicator_id", values="value")
    largest = wide.population.idxmax()
    assert profile.ward_profile(largest).indicators.set_index("indicator_id").kent_rank["population"] == 1
    assert rows.kent_rank_text["population"].endswith("(1 = largest)")
    assert rows.rank_class["population"] == profile.NOT_JUDGED
    # higher_better: rank 1 is the lowest value
    best_connected = wide.transport_connectivity_score.idxmin()
    assert profile.ward_profile(best_connected).indicators.set_index(
        "indicator_id").kent_rank["transport_connectivity_score"] == 1
    expected = int((wide.transport_connectivity_score < wide.transport_connectivity_score[MARGATE_CENTRAL]).sum()) + 1
    assert rows.kent_rank["transport_connectivity_score"] == expected


def test_district_and_kent_values_are_the_stored_ones(query):
    rows = profile.ward_profile(MARGATE_CENTRAL).indicators.set_index("indicator_id")
    thanet = query("benchmarks_for_indicator", indicator_id="imd_score", district_code="E07000114").set_index("level").value
    assert rows.district_value["imd_score"] == thanet["district"] and rows.kent_value["imd_score"] == thanet["county"]
    assert pd.isna(rows.kent_value["superfast_2013_pct"])  # published for wards only: no Kent figure invented


def test_spine_positions_run_from_the_worst_ward_to_the_best(ward_values):
    wide = ward_values.pivot(index="area_code", columns="indicator_id", values="value")
    data = profile.spine_chart_data(profile.ward_profile(MARGATE_CENTRAL)).set_index("indicator_id")
    assert data.ward["imd_score"] == 0.0  # Kent's most deprived ward sits at the worst end
    assert data.ward_class["imd_score"] == profile.QUARTER_WORSE
    imd = wide.imd_score
    assert 0 < data.district["imd_score"] < data.kent["imd_score"]  # Thanet more deprived than Kent: nearer the left
    low, high = wide.transport_connectivity_score.min(), wide.transport_connectivity_score.max()
    value = wide.transport_connectivity_score[MARGATE_CENTRAL]
    assert data.ward["transport_connectivity_score"] == round((value - low) / (high - low), 4)  # higher_better: as is
    assert data.ward["imd_score"] == round(1 - (imd[MARGATE_CENTRAL] - imd.min()) / (imd.max() - imd.min()), 4)
    assert pd.isna(data.district["population"]) and pd.isna(data.kent["population"])  # totals are off the ward scale
    positions = data[["ward", "district", "kent", "middle_from", "middle_to"]].stack().dropna()
    assert positions.between(0, 1).all()
    assert (data.middle_from <= data.middle_to).all()
    assert set(data.ward_class) <= set(profile.SPINE_COLOURS)


def test_spine_position_edge_cases():
    assert profile.spine_position(5, 0, 10, "higher_worse") == 0.5
    assert profile.spine_position(10, 0, 10, "higher_worse") == 0.0
    assert profile.spine_position(10, 0, 10, "higher_better") == 1.0
    assert profile.spine_position(3, 3, 3, "neutral") == 0.5
    assert profile.spine_position(None, 0, 10, "neutral") is None
    assert profile.spine_position(11, 0, 10, "neutral") is None


def test_similar_wards_are_ten_others_nearest_first_and_deterministic(query):
    first, again = profile.similar_wards(MARGATE_CENTRAL), profile.similar_wards(MARGATE_CENTRAL)
    pd.testing.assert_frame_equal(first, again)
    assert len(first) == 10 and MARGATE_CENTRAL not in set(first.ward_code)
    assert first.distance.is_monotonic_increasing
    assert first.ward_name.iloc[0] == "Cliftonville West"  # pinned: Margate's neighbour, the same kind of place
    assert (first.indicators_used == len(profile.SIMILARITY_INDICATORS)).all()
    for ward_code in query("ward_choices").ward_code[::17]:
        similar = profile.similar_wards(ward_code)
        assert len(similar) == 10 and ward_code not in set(similar.ward_code)


def test_distance_is_the_documented_root_mean_square_of_z_scores(ward_values):
    wide = ward_values[ward_values.indicator_id.isin(profile.SIMILARITY_INDICATORS)].pivot(
        index="area_code", columns="indicator_id", values="value")
    z = (wide - wide.mean()) / wide.std(ddof=0)
    other = "E05012869"  # Town & Castle, Dover
    expected = float(np.sqrt(((z.loc[MARGATE_CENTRAL] - z.loc[other]) ** 2).mean()))
    distances = profile.ward_distances(profile.standardised_ward_matrix(), MARGATE_CENTRAL).set_index("ward_code")
    assert distances.distance[other] == pytest.approx(expected, abs=1e-12)
    back = profile.ward_distances(profile.standardised_ward_matrix(), other).set_index("ward_code")
    assert back.distance[MARGATE_CENTRAL] == pytest.approx(expected, abs=1e-12)  # symmetric
    assert len(distances) == 254


def test_distances_skip_missing_values_on_synthetic_data():
    """Synthetic standardised values made here: a missing value leaves that indicator out of the pair's mean."""
    matrix = pd.DataFrame({"a": [0.0, 1.0, 3.0, 0.0], "b": [0.0, 1.0, np.nan, 2.0]}, index=["W1", "W2", "W3", "W4"])
    distances = profile.ward_distances(matrix, "W1")
    assert list(distances.ward_code) == ["W2", "W4", "W3"]
    assert list(distances.distance) == [1.0, pytest.approx(np.sqrt(2.0)), 3.0]
    assert list(distances.indicators_used) == [2, 2, 1]


def test_gap_components_are_the_gap_pages_numbers():
    table = profile.gap_components(MARGATE_CENTRAL).set_index("Measure")
    result = gap_view.gap_result(gap.Weights.of_preset("balanced"), gap.DEFAULT_SEED).wards.set_index("ward_code")
    score = table.columns[0]
    assert table[score]["Infrastructure gap index"] == f"{result[gap.INDEX_ID][MARGATE_CENTRAL]:.1f}"
    assert table[score]["Broadband gap"] == f"{result.broadband_gap[MARGATE_CENTRAL]:.1f}"


def _image_svgs(html_text: str) -> list[tuple[str, str]]:
    """(alt text, decoded SVG) of every data: URI image in the HTML."""
    return [(html_module.unescape(alt), base64.b64decode(data).decode("utf-8")) for data, alt in
            re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', html_text)]


def test_locator_map_holds_every_ward_of_the_district_and_names_the_chosen_one():
    [(alt, svg)] = _image_svgs(profile.ward_locator_html(MARGATE_CENTRAL, "E07000114"))
    assert svg.count("<path") == 23 and svg.count('fill="#08306b"') == 1
    assert ">Margate Central</text>" in svg
    assert alt == "Map: Margate Central ward (dark) within Thanet district's 23 wards"


def test_spine_chart_draws_each_indicator_as_an_image_that_names_its_values():
    ward = profile.ward_profile(MARGATE_CENTRAL)
    data = profile.spine_chart_data(ward).set_index("indicator_id")
    images = _image_svgs(profile.spine_chart_html(ward))
    assert len(images) == len(data) == len(ward.indicators)
    by_label = {alt.split(":")[0]: (alt, svg) for alt, svg in images}
    alt, svg = by_label[data.indicator["imd_score"]]
    assert f"Margate Central {data.ward_text['imd_score']}, 1st of 255 (1 = worst)" in alt
    assert f"Thanet {data.district_text['imd_score']}" in alt and f"Kent {data.kent_text['imd_score']}" in alt
    assert '<circle cx="2.00%"' in svg and f'fill="{profile.SPINE_COLOURS[profile.QUARTER_WORSE]}"' in svg  # worst end
    assert "<polygon" in svg and "<line" in svg  # district diamond, Kent tick
    alt, svg = by_label[data.indicator["population"]]
    assert "<polygon" not in svg and "<line" not in svg and "Thanet" not in alt  # totals are off the ward scale


# --- the pages, in-process -----------------------------------------------------------------------------------


def _html(app: AppTest) -> str:
    """The page's st.html and Markdown text (links and tables are st.html: no Markdown renderer to download)."""
    return " ".join([h.value for h in app.get("html")] + [m.value for m in app.markdown])


def _without_release(href: str) -> str:
    """A link the app built, without the data release it pins (checked to be a release id)."""
    href = html_module.unescape(href)
    match = re.search(r"[?&]release=([^&]*)", href)
    if match is None:
        return href
    assert releases.is_release_id(match.group(1))
    rest = href[:match.start()] + href[match.end():]
    return rest if "?" in rest or "&" not in rest else rest.replace("&", "?", 1)


def _links(app: AppTest) -> list[tuple[str, str]]:
    html = _html(app)
    return [(_without_release(h), t) for h, t in re.findall(r'<a href="([^"]+)" target="_self">([^<]+)</a>', html)]


def test_find_tenterden_links_to_the_tenterden_ward_in_ashford(run_page):
    app = run_page("find", q="Tenterden")
    assert not app.exception
    first_href, first_text = _links(app)[0]
    assert (first_href, first_text) == ("ward?ward=E05011771", "Tenterden")
    assert "Place in Ashford, in Tenterden North ward" in _html(app)


def test_find_minster_lists_both_with_their_districts(run_page):
    app = run_page("find", q="Minster")
    body = _html(app)
    assert "Minster</a> \u2014 Place in Swale" in body and "Minster</a> \u2014 Place in Thanet" in body


def test_find_a_postcode_reaches_margate_central_and_bad_postcodes_get_messages(run_page):
    app = run_page("find", q="ct91ae")
    assert app.success[0].value.startswith("CT9 1AE is in Margate Central ward, Thanet")
    assert _links(app) == [("ward?ward=E05005093", "CT9 1AE")]
    assert "not in Kent" in run_page("find", q="SW1A 1AA").warning[0].value
    assert "not one of Kent's live postcodes" in run_page("find", q="CT9 9QQ").warning[0].value
    junk = run_page("find", q="<b>%%%</b>")
    assert not junk.exception and junk.warning and not _links(junk)


def test_find_searching_again_sets_the_url(run_page, built_database):
    app = run_page("find", q="Tenterden")
    form = search_form(app)  # a plain GET form: submitting it opens find?q=<text>&release=<the release shown>
    assert (form["action"], form["method"], form["label"]) == ("find", "get", "Find a postcode, place, ward or district")
    assert form["fields"] == {"q": "Tenterden", "release": releases.release_of(built_database)}  # the release shown
    again = run_page("find", **{name: "Sandwich" if name == "q" else value for name, value in form["fields"].items()})
    assert [t for _, t in _links(again)][:2] == ["Sandwich", "Sandwich"]  # the place, then the ward of that name
    assert search_form(again)["fields"]["q"] == "Sandwich"


def test_ward_page_shows_values_ten_similar_wards_and_links(run_page):
    app = run_page("ward", ward=MARGATE_CENTRAL)
    assert not app.exception
    assert app.title[0].value == "Margate Central ward, Thanet"
    values = map_tables(app)[0]  # the page's tables are HTML (one element each: no table component to load)
    assert len(values) == 30
    imd = values.loc["Index of Multiple Deprivation score"]
    stored = profile.ward_profile(MARGATE_CENTRAL).indicators.set_index("indicator_id").loc["imd_score"]
    row = metadata.indicator("imd_score")
    assert (imd["Margate Central"], imd["Thanet"], imd["Kent rank"]) == (
        catalogue.format_value(stored.ward_value, row), catalogue.format_value(stored.district_value, row),
        "1st of 255 (1 = worst)")
    assert imd["Margate Central"].startswith("61.3")
    links = _links(app)
    similar = [(h, t) for h, t in links if h.startswith("ward?ward=")]
    assert len(similar) == 10 and similar[0][1] == "Cliftonville West"
    compare = [h for h, t in links if t == "Compare"]
    assert len(compare) == 10 and compare[0] == f"compare?ward={MARGATE_CENTRAL},E05005088"
    assert ("district?district=E07000114", "Thanet district page (its ward map and findings)") in links
    assert any(b.label.startswith("Download Thanet's board pack") for b in app.get("download_button"))
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)


def test_ward_page_without_a_ward_offers_a_choice_and_a_bad_code_warns(run_page):
    app = run_page("ward")
    assert app.title[0].value == "Ward profile" and app.selectbox[0].label == "Ward"
    bad = run_page("ward", ward="E05999999")
    assert not bad.exception and "Ignored unknown ward code" in bad.warning[0].value
