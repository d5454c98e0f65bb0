"""The infrastructure-gap index (geo/gap.py) on the real ward data, its URL state and the /gap page."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata
from streamlit.testing.v1 import AppTest

from geo import catalogue, gap, releases
from geo.explorer import db, gap_view, state as url_state
from geo.config import REPO_ROOT
from tests.html_tables import map_tables

PRESET_WEIGHTS = [gap.Weights.of_preset(name) for name in gap.PRESETS]
SINGLE_COMPONENT = {component: gap.Weights(*(7 if c == component else 0 for c in gap.COMPONENTS))
                    for component in gap.COMPONENTS}


@pytest.fixture(scope="module")
def ward_values(built_database):
    """The index's inputs for Kent's 255 wards, from the real database."""
    return gap_view.ward_inputs()


@pytest.fixture(scope="module")
def balanced(ward_values):
    return gap.compute(ward_values, catalogue.load(), gap.Weights.of_preset("balanced"))


# ---------------------------------------------------------------- weights

@pytest.mark.parametrize("weights", [(0, 0, 0)])
def test_zero_weights_everywhere_are_refused_with_a_clear_message(weights):
    with pytest.raises(gap.GapWeightsError, match="All three weights are zero"):
        gap.Weights(*weights)


@pytest.mark.parametrize("weights", [(11, 5, 5), (-1, 5, 5), (5, 2.5, 5), (True, 5, 5)])
def test_weights_must_be_whole_numbers_from_0_to_10(weights):
    with pytest.raises(gap.GapWeightsError, match="whole number from 0 to 10"):
        gap.Weights(*weights)


def test_presets_are_named_and_recognised():
    assert set(gap.PRESETS) == {"balanced", "broadband_led", "transport_led", "services_led"}
    assert gap.Weights(5, 5, 5).preset() == "balanced"
    assert gap.Weights(3, 10, 3).preset() == "transport_led"
    assert gap.Weights(1, 1, 1).preset() == "custom"


# ---------------------------------------------------------------- normalisation (small synthetic series)

def test_percentile_score_orients_by_gap_direction_and_keeps_missing_missing():
    synthetic = pd.Series([10.0, 30.0, None, 20.0])
    assert gap.percentile_score(synthetic, "higher").tolist()[:2] == [0.0, 1.0]
    assert gap.percentile_score(synthetic, "lower").tolist()[:2] == [1.0, 0.0]
    assert np.isnan(gap.percentile_score(synthetic, "higher").iloc[2])


# ---------------------------------------------------------------- real data

def test_every_input_direction_agrees_with_the_catalogue_and_the_data(balanced):
    checks = balanced.checks
    assert len(checks) == len(gap.load_components()) == 9
    assert checks.agrees.all(), checks[~checks.agrees]
    checked = checks[checks.check_indicator != ""]
    assert (checked.spearman.abs() >= gap.MIN_CHECK_STRENGTH).all()
    broadband = checks.set_index("indicator_id").loc["digital_connectivity_score"]
    assert broadband.spearman < -0.3  # slower broadband score <-> less superfast coverage (Ofcom 2013)


def test_a_flipped_direction_is_caught_by_the_data_check(ward_values, tmp_path):
    flipped = gap.load_components().copy()
    flipped.loc[flipped.indicator_id == "bus_stop_400m_pct", "gap_when"] = "higher"
    checks = gap.direction_checks(ward_values, catalogue.load(), flipped)
    assert not checks.set_index("indicator_id").agrees["bus_stop_400m_pct"]


def test_geographical_barriers_is_one_measure_with_transport_connectivity_and_is_not_an_input(balanced):
    assert balanced.same_measure_spearman <= -0.99
    assert "geographical_barriers_score" not in set(gap.load_components().indicator_id)


@pytest.mark.parametrize("component", gap.COMPONENTS)
def test_all_weight_on_one_component_ranks_wards_as_that_component_does(ward_values, component):
    result = gap.compute(ward_values, catalogue.load(), SINGLE_COMPONENT[component]).wards
    component_rank = rankdata(-result[f"{component}_gap"].round(gap.COMPARE_DECIMALS).to_numpy(), method="min")
    assert (result["rank"].to_numpy() == component_rank).all()
    assert np.allclose(result[gap.INDEX_ID], result[f"{component}_gap"])


def test_all_weight_on_broadband_ranks_wards_by_the_published_digital_connectivity_score(ward_values):
    result = gap.compute(ward_values, catalogue.load(), SINGLE_COMPONENT["broadband"]).wards.set_index("ward_code")
    published = ward_values.digital_connectivity_score
    expected = pd.Series(rankdata(-published.to_numpy(), method="min"), index=published.index)
    assert (result["rank"] == expected.reindex(result.index)).all()


@pytest.mark.parametrize("weights", PRESET_WEIGHTS + [gap.Weights(1, 9, 0), gap.Weights(10, 0, 1), gap.Weights(2, 7, 6)])
def test_the_band_always_contains_the_rank_at_the_chosen_weights(ward_values, weights):
    wards = gap.compute(ward_values, catalogue.load(), weights).wards
    assert wards["rank"].notna().all() and len(wards) == 255
    assert ((wards.band_low <= wards["rank"]) & (wards["rank"] <= wards.band_high)).all()
    assert (wards.band_high > wards.band_low).any()  # the weights really moved something
    assert wards["rank"].min() == 1 and wards.worst_ten_share.between(0, 1).all()
    # the band is the sampled 5th-95th percentile itself for (nearly) every ward, not a widened stand-in
    assert wards.band_widened.sum() <= 0.02 * len(wards)


def test_the_same_seed_gives_identical_bands_and_another_seed_does_not(ward_values):
    weights = gap.Weights(4, 6, 8)
    first = gap.compute(ward_values, catalogue.load(), weights, seed=7).wards
    again = gap.compute(ward_values, catalogue.load(), weights, seed=7).wards
    other = gap.compute(ward_values, catalogue.load(), weights, seed=8).wards
    pd.testing.assert_frame_equal(first, again)
    assert not first.worst_ten_share.equals(other.worst_ten_share)


def test_the_index_runs_from_0_to_100_with_higher_meaning_a_bigger_gap(balanced):
    wards = balanced.wards
    assert wards[gap.INDEX_ID].between(0, 100).all()
    top, bottom = wards.iloc[0], wards.iloc[-1]
    assert top["rank"] == 1 and top[gap.INDEX_ID] == wards[gap.INDEX_ID].max()
    assert bottom[gap.INDEX_ID] == wards[gap.INDEX_ID].min()
    assert set(wards.quadrant) <= {"Higher need, bigger gap", "Higher need, smaller gap", "Lower need, bigger gap",
                                   "Lower need, smaller gap"}


def test_most_of_the_balanced_worst_ten_hold_up_under_most_weightings(balanced):
    top_ten = balanced.wards.head(gap.WORST)
    persistent = balanced.persistent_worst()
    assert 1 <= len(persistent) <= gap.WORST
    assert set(persistent.ward_code) <= set(balanced.wards[balanced.wards.worst_ten_share > 0].ward_code)
    assert (top_ten.worst_ten_share >= 0.5).sum() >= 5


def test_the_stored_gap_layer_equals_the_balanced_index_and_districts_are_resident_weighted(balanced, sql):
    stored = sql("select area_code, value from indicator_values where indicator_id = 'gap_index' and level = 'ward'")
    runtime = balanced.wards.set_index("ward_code")[gap.INDEX_ID]
    assert len(stored) == 255
    assert np.allclose(stored.set_index("area_code").value.reindex(runtime.index), runtime)
    thanet = sql("select value from indicator_values where indicator_id = 'gap_index' and area_code = 'E07000114'").value[0]
    wards = sql("select ward_code, population, gap_index from wards where district_code = 'E07000114'")
    assert thanet == pytest.approx((wards.population * wards.gap_index).sum() / wards.population.sum())


# ---------------------------------------------------------------- URL state

def test_weights_and_preset_round_trip_through_the_url():
    view, warnings = url_state.parse_gap({"preset": "services_led", "w_broadband": "7", "seed": "11",
                                          "district": "E07000114"}, districts=["E07000114"])
    assert warnings == [] and view.weights == (7, 3, 10) and view.seed == 11 and view.preset == "custom"
    assert url_state.gap_params(view) == {"district": "E07000114", "preset": "custom", "w_broadband": "7",
                                          "w_transport": "3", "w_services": "10", "seed": "11"}
    assert url_state.gap_params(url_state.GapView()) == {}


@pytest.mark.parametrize("params", [{"w_transport": "11"}, {"w_transport": "²"}, {"w_transport": "<b>x</b>"},
                                    {"preset": "'; drop table wards; --"}, {"seed": "-1"},
                                    {"seed": "21"}, {"seed": "4294967295"}])  # only 2026 and 1-20: no CPU lever
def test_bad_gap_parameters_warn_and_keep_the_default(params):
    view, warnings = url_state.parse_gap(params, districts=[])
    assert len(warnings) == 1 and view.weights == (5, 5, 5) and view.seed == gap.DEFAULT_SEED


# ---------------------------------------------------------------- the page (AppTest)

def run_gap_page(**params) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "pages" / "gap.py"), default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def test_gap_page_reads_weights_from_the_url_and_ranks_one_districts_wards(built_database):
    app = run_gap_page(w_broadband="2", w_transport="8", w_services="4", district="E07000114")
    assert not app.exception
    assert [s.value for s in app.slider] == [2, 8, 4]
    table = app.dataframe[0].value
    assert len(table) == 23 and set(table.District) == {"Thanet"}
    expected = gap_view.from_database(gap.Weights(2, 8, 4)).in_district("E07000114")
    assert table.Ward.tolist() == expected.ward_name.tolist()
    assert dict(app.query_params) == {"district": "E07000114", "preset": "custom", "w_broadband": "2",
                                      "w_transport": "8", "w_services": "4",
                                      "release": releases.release_of(built_database)}  # the release shown


def test_choosing_a_preset_moves_the_sliders_and_the_url(built_database):
    app = run_gap_page()
    app.selectbox(key="gap_preset").set_value("broadband_led").run()
    assert [s.value for s in app.slider] == [10, 3, 3]
    assert app.query_params["preset"] == "broadband_led" and app.query_params["w_broadband"] == "10"
    app.slider(key="gap_w_services").set_value(6).run()
    assert app.selectbox(key="gap_preset").value == "custom" and app.query_params["w_services"] == "6"


def test_gap_page_refuses_zero_weights_with_a_clear_message(built_database):
    app = run_gap_page(w_broadband="0", w_transport="0", w_services="0")
    assert not app.exception
    assert any("All three weights are zero" in e.value for e in app.error)
    assert len(app.dataframe) == 0


def test_gap_download_carries_the_method_weights_seed_and_every_ward(built_database):
    result = gap_view.gap_result(gap.Weights(5, 5, 5), 99)
    text = gap_view.gap_download(result, None).decode()
    header = [line for line in text.splitlines() if line.startswith("#")]
    method = next(line for line in header if "5/5/5" in line)
    assert "not for setting targets" in header[0] and "seed 99" in method
    assert any(line.startswith("# Data release ") for line in header)  # the release it can be reopened with
    body = pd.read_csv(pd.io.common.StringIO(text), comment="#")
    assert len(body) == 255 and {"gap_index", "rank_band_p05", "rank_band_p95", "need_score",
                                 "digital_connectivity_score", "income_score"} <= set(body.columns)


def test_gap_index_is_a_layer_on_the_other_pages(built_database):
    app = AppTest.from_file(str(REPO_ROOT / "pages" / "kent.py"), default_timeout=120)
    app.query_params["layer"] = "gap_index"
    app.run()
    assert not app.exception and not app.warning
    table = map_tables(app)[0]
    assert len(table) == 255 and table.iloc[0]["Ward"] == gap_view.from_database(gap.Weights(5, 5, 5)).wards.ward_name.iloc[0]


def test_ofcom_coverage_is_shown_as_context_beside_the_broadband_gap(built_database, sql):
    gigabit = sql("select gigabit_pct_2021 from districts where district_code = 'E07000114'").gigabit_pct_2021[0]
    sentence = gap_view.gap_broadband_context("E07000114")
    assert f"gigabit-capable broadband available: {gigabit:.1f}%" in sentence and "Ofcom May 2021" in sentence
    assert "across the 12 districts" in gap_view.gap_broadband_context(None)


def test_gap_results_are_cached_per_database_file_and_forgotten_with_the_caches(built_database):
    first = gap_view.gap_result(gap.Weights(4, 4, 9), 3)
    assert gap_view.gap_result(gap.Weights(4, 4, 9), 3) is first
    assert gap_view.gap_result(gap.Weights(4, 4, 9), 4) is not first
    db.clear_caches()
    again = gap_view.gap_result(gap.Weights(4, 4, 9), 3)
    assert again is not first
    pd.testing.assert_frame_equal(again.wards, first.wards)
