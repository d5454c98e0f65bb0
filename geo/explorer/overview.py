"""A district against Kent on every theme: value, Kent value, rank among the 12 districts, a small ward map."""
from __future__ import annotations

import pandas as pd

from geo.explorer import db, maps
from geo.explorer.layers import Layer, layer
from geo.explorer.metadata import indicator

# The district-against-Kent overview: each theme's measures, the first of each drawn as a small ward map.
OVERVIEW = (
    ("Deprivation", ("imd_score", "imd_most_deprived_20pct")),
    ("Broadband", ("digital_connectivity_score", "gigabit_pct_2021")),
    ("Transport", ("transport_connectivity_score", "bus_stop_400m_pct")),
    ("Access to services", ("patient_to_gp_ratio",)),
    ("Infrastructure gap", ("gap_index",)),
)


def coloured_features(shown: Layer, keyed: bool) -> tuple[list[dict], list[dict]]:
    """A layer's features with their class colours (and, keyed, their row number in the table), and its classes."""
    colours = maps.class_colours(shown.indicator, shown.classification)
    label_points = dict(zip(shown.values.area_code, zip(shown.values.label_lon, shown.values.label_lat)))
    features = [dict(feature, class_index=c, colour=(colours[c] if c is not None else "#bdbdbd"),
                     label_lon=label_points[feature["area_code"]][0], label_lat=label_points[feature["area_code"]][1],
                     **({"key": i + 1} if keyed else {}))
                for i, (feature, c) in enumerate(zip(shown.features, shown.classification.classes))]
    classes = [{"label": label, "colour": colour} for label, colour in zip(shown.classification.labels, colours)]
    return features, classes


def district_overview(district_code: str) -> list[dict]:
    """The district against Kent on every theme: value, Kent value, rank among the 12 districts, a small ward map.
    Made once per database file and district; treat it as read-only."""
    return db.derived("district_overview", lambda: _district_overview(district_code), db.VIEW_POOL,
                      district_code=district_code)


def _district_overview(district_code: str) -> list[dict]:
    kent_values = db.run("kent_values_for_indicators").set_index("indicator_id").value
    items = []
    for theme, indicator_ids in OVERVIEW:
        for i, indicator_id in enumerate(indicator_ids):
            by_district = layer(indicator_id, "district", None, "quantiles").values.set_index("area_code")
            row = by_district.loc[district_code]
            item = {"theme": theme, "indicator": indicator(indicator_id),
                    "district_value": None if pd.isna(row.value) else float(row.value),
                    "kent_value": kent_values.get(indicator_id),
                    "district_rank": None if pd.isna(row.kent_rank) else int(row.kent_rank),
                    "rank_of": int(row.kent_areas_ranked)}
            if i == 0:  # the theme's map: its first measure by ward (district-only measures show Kent's districts)
                small = layer(indicator_id, "ward", district_code, "quantiles")
                if small.level == "district":
                    small = layer(indicator_id, "district", None, "quantiles")
                    item["highlight"] = district_code
                item["features"], item["classes"] = coloured_features(small, keyed=False)
                noun = "district, Kent" if small.level == "district" else f"ward, {row.area_name}"
                item["map_title"] = f"Small map: {small.indicator['label']} ({small.indicator['vintage']}) by {noun}"
            items.append(item)
    return items
