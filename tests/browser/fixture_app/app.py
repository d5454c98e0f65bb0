"""Fixture app for the browser tests: three SYNTHETIC squares (not real Kent data) mapped with geo.explorer.maps."""
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo.explorer import maps  # noqa: E402
from pages.components import page_map  # noqa: E402  the app's own map component


def square(x: float, y: float, size: float = 0.05) -> dict:
    """A synthetic square polygon with its south-west corner at (x, y), lon/lat."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


FEATURES = [
    {"area_code": "SYN001", "area_name": "Synthetic North", "value": 12.5, "rank": 2, "geometry": square(0.90, 51.20)},
    {"area_code": "SYN002", "area_name": "<script>alert(1)</script> & Sons", "value": 30.0, "rank": 1,
     "geometry": square(0.96, 51.20)},
    {"area_code": "SYN003", "area_name": "Synthetic Missing", "value": None, "rank": None,
     "geometry": square(1.02, 51.20)},
]
INDICATOR = {"label": "Synthetic test indicator", "unit": "% of residents", "polarity": "higher_worse",
             "decimals": 1}

st.set_page_config(page_title="Synthetic map fixture", layout="wide")
st.title("Synthetic map fixture")
classification = maps.classify([f["value"] for f in FEATURES], "quantiles", k=3, decimals=INDICATOR["decimals"])
m = maps.choropleth(FEATURES, INDICATOR, classification, selected_codes=["SYN001"],
                    overlays={"rail_stations": [{"name": "Synthetic <b>Halt</b>", "lon": 0.95, "lat": 51.22}]})
st.html(maps.legend_html(INDICATOR, classification))
clicked = page_map(m, key="fixture_map", title="Map: Synthetic test indicator", height=420)
if clicked:  # a click is reported in the one run it starts: keep the last one on the page
    st.session_state.clicked = clicked
st.write("Clicked area:", st.session_state.get("clicked", "none"))
