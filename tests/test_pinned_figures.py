"""Figures pinned on the real Kent data, so that a silent change (a library upgrade, a refactor, a data edit) fails
loudly: the balanced gap index's top ten, and mapclassify's class breaks on real layers (on 1..10, quantiles and
equal intervals coincide; on Kent's skewed IMD scores they do not)."""
from __future__ import annotations

import pytest

from geo.explorer import gap_view, layers
from geo.gap import Weights

BALANCED_TOP_TEN = [  # ward code, name, index at balanced weights 5/5/5 (2 decimals), Kent ranks 1-10
    ("E05010025", "Romney Marsh", 90.93), ("E05012991", "Chartham & Stone Street", 86.99),
    ("E05009562", "Sheppey East", 86.61), ("E05012855", "Alkham & Capel-le-Ferne", 84.63),
    ("E05009566", "West Downs", 83.53), ("E05011745", "Biddenden", 81.30), ("E05015478", "Downs West", 81.18),
    ("E05015596", "Boughton Monchelsea & Chart Sutton", 80.73),
    ("E05012411", "Wilmington, Sutton-at-Hone & Hawley", 80.53),
    ("E05005018", "Halstead, Knockholt and Badgers Mount", 80.25),
]


def test_the_balanced_gap_index_top_ten_is_pinned(built_database):
    wards = gap_view.from_database(Weights(5, 5, 5)).wards.head(10)
    assert [(c, n, round(v, 2)) for c, n, v in zip(wards.ward_code, wards.ward_name, wards.gap_index)] == BALANCED_TOP_TEN
    assert list(wards["rank"]) == list(range(1, 11))


BINS = {  # (indicator, level, scheme asked): (scheme used, the classes' labels as the legend shows them)
    ("imd_score", "ward", "quantiles"): ("quantiles", ("3.682 to 11.692", "11.693 to 15.848", "15.849 to 19.617",
                                                      "19.618 to 26.369", "26.370 to 61.319")),
    ("imd_score", "ward", "natural_breaks"): ("natural_breaks", ("3.682 to 13.806", "13.807 to 22.157", "22.158 to 32.505",
                                                                "32.506 to 45.903", "45.904 to 61.319")),
    ("imd_score", "ward", "equal_interval"): ("equal_interval", ("3.682 to 15.209", "15.210 to 26.737", "26.738 to 38.264",
                                                                "38.265 to 49.791", "49.792 to 61.319")),
    ("imd_score", "lsoa", "quantiles"): ("quantiles", ("1.720 to 9.936", "9.937 to 15.060", "15.061 to 20.692",
                                                      "20.693 to 29.704", "29.705 to 79.076")),
    ("imd_score", "lsoa", "natural_breaks"): ("natural_breaks", ("1.720 to 11.972", "11.973 to 20.977", "20.978 to 32.853",
                                                                "32.854 to 51.108", "51.109 to 79.076")),
    ("imd_score", "lsoa", "equal_interval"): ("equal_interval", ("1.720 to 17.191", "17.192 to 32.662", "32.663 to 48.134",
                                                                "48.135 to 63.605", "63.606 to 79.076")),
    # many wards at 100%: equal-count classes would merge, so the map uses natural breaks (and says so)
    ("bus_stop_400m_pct", "ward", "quantiles"): ("natural_breaks", ("32.0 to 44.5", "44.6 to 62.6", "62.7 to 76.0",
                                                                   "76.1 to 89.8", "89.9 to 100.0")),
    ("bus_stop_400m_pct", "ward", "equal_interval"): ("equal_interval", ("32.0 to 45.6", "45.7 to 59.2", "59.3 to 72.8",
                                                                        "72.9 to 86.4", "86.5 to 100.0")),
}


@pytest.mark.parametrize("indicator_id, level, scheme", list(BINS))
def test_mapclassify_breaks_on_real_kent_layers_are_pinned(built_database, indicator_id, level, scheme):
    classification = layers.layer(indicator_id, level, None, scheme).classification
    assert (classification.scheme, classification.labels) == BINS[indicator_id, level, scheme]
    assert len(set(classification.bins)) == len(classification.bins)  # strictly distinct upper bounds


def test_quantiles_and_equal_intervals_differ_on_skewed_real_data(built_database):
    quantiles = layers.layer("imd_score", "ward", None, "quantiles").classification.bins
    equal = layers.layer("imd_score", "ward", None, "equal_interval").classification.bins
    assert quantiles[:-1] != pytest.approx(equal[:-1], abs=0.5) and quantiles[-1] == equal[-1]
