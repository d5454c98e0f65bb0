"""The naive baseline page: one layer through streamlit-folium on raw source geometry, nothing cached.

Run from the repository root: `streamlit run bench/baseline_app.py` (bench/static links to the app's
static/ folder, so Leaflet is still served locally and the map draws offline).
Query parameters: level (district, ward, lsoa), district (a district code), layer (an indicator id).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run` puts bench/ first, not the repo

import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from bench import raw_layers  # noqa: E402
from geo import db, explore  # noqa: E402

db.clear_caches()  # no caching: every run reconnects and queries afresh
params = st.query_params
level = params.get("level", "ward")
district_code = params.get("district") or None
choices = list(explore.layer_choices().indicator_id)
default_layer = params.get("layer", "imd_score")
layer_id = st.selectbox("Layer", choices, index=choices.index(default_layer), key="layer")

shown = explore.layer(layer_id, level, district_code, "quantiles")
st.title(f"Baseline: {shown.indicator['label']} by {shown.level}")
geometries = raw_layers.source_geometries(shown.level)
st_folium(raw_layers.naive_choropleth(shown, geometries), key="baseline_map", height=520, use_container_width=True,
          returned_objects=["last_active_drawing"])
