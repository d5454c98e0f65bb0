"""The bare page the explorer is measured against: one st_folium map of the raw published boundaries.

No widgets, no title, no table: the naive page issue 15 describes. Run from the repository root:
`streamlit run bench/baseline_app.py` (bench/static links to the app's static/ folder, so Leaflet is still
served locally and the map draws offline). The bench serves it with Streamlit's default message size limit:
the raw LSOA map is bigger than the app's own 2 MB limit.
Query parameters: level (district, ward, lsoa), district (a district code), layer (an indicator id).
Nothing is cached: every run reads the raw boundaries from the mirror, reconnects and queries afresh.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run` puts bench/ first, not the repo

import streamlit as st  # noqa: E402
from streamlit_folium import st_folium  # noqa: E402

from bench import raw_layers  # noqa: E402
from geo.explorer import db, layers  # noqa: E402

db.clear_caches()
params = st.query_params
shown = layers.layer(params.get("layer", "imd_score"), params.get("level", "ward"), params.get("district") or None,
                      "quantiles")
st_folium(raw_layers.naive_choropleth(shown, raw_layers.source_geometries(shown.level)), key="baseline_map", height=520,
          use_container_width=True, returned_objects=["last_active_drawing"])
