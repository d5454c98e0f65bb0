"""What a map costs on the wire: the arguments streamlit_folium sends to the browser for one map.

``st_folium`` renders the folium map into strings (script, header, html, asset links) and hands them to
its Streamlit component; Streamlit sends those arguments as one JSON text inside the websocket message
(``server.enableWebsocketCompression`` is off by default, so those are the bytes on the wire).
We capture the arguments by standing in for the component function and serialise them as Streamlit does.
"""
from __future__ import annotations

import gzip
import json
import logging

import folium
import streamlit_folium

from bench import raw_layers
from geo.explorer import layers
from geo.config import REPO_ROOT

LEVELS = ("district", "ward", "lsoa")
INDICATOR = "imd_score"
SCHEME = "quantiles"


def _quiet_streamlit() -> None:
    """Silence 'missing ScriptRunContext' warnings: st_folium runs here outside `streamlit run`."""
    from streamlit.logger import get_logger

    get_logger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)


def component_arguments(folium_map: folium.Map) -> dict:
    """The arguments st_folium passes to its Streamlit component for this map."""
    captured: dict = {}

    def stand_in(**kwargs):
        captured.update(kwargs)
        return kwargs.get("default")

    _quiet_streamlit()
    real = streamlit_folium._component_func
    streamlit_folium._component_func = stand_in
    try:
        streamlit_folium.st_folium(folium_map, key="bench", height=520, use_container_width=True,
                                   returned_objects=["last_active_drawing"])
    finally:
        streamlit_folium._component_func = real
    captured.pop("on_change", None)  # a Python callback, never sent
    return captured


STATIC_PREFIX = "../../app/static/"  # how the component iframe addresses Streamlit's static folder


def static_asset_bytes(folium_map: folium.Map) -> dict[str, int]:
    """The app-served scripts and stylesheets the map's iframe loads (separate, cacheable requests), by URL."""
    arguments = component_arguments(folium_map)
    sizes = {}
    for link in arguments.get("js_links", []) + arguments.get("css_links", []):
        if link.startswith(STATIC_PREFIX):
            path = REPO_ROOT / "static" / link[len(STATIC_PREFIX):]
            sizes[link[len(STATIC_PREFIX):]] = path.stat().st_size if path.is_file() else 0
    return sizes


def payload_bytes(folium_map: folium.Map) -> tuple[int, int]:
    """(bytes, gzip bytes) of the JSON Streamlit sends to the browser for this map."""
    text = json.dumps(component_arguments(folium_map)).encode("utf-8")
    return len(text), len(gzip.compress(text, 6))


def app_map(level: str, district_code: str | None = None) -> folium.Map:
    """The map the app draws for the IMD layer at this level, through its public entry point."""
    return layers.layer(INDICATOR, level, district_code, SCHEME).map()


def baseline_map(level: str, district_code: str | None = None) -> folium.Map:
    """The naive map: the same layer's areas and tooltips on the raw source geometry, plain folium GeoJSON."""
    shown = layers.layer(INDICATOR, level, district_code, SCHEME)
    return raw_layers.naive_choropleth(shown, raw_layers.source_geometries(level))


def measure_level(level: str) -> dict:
    """Payload of the app's map and of the naive map for one level, in bytes."""
    app_raw, app_gzip = payload_bytes(app_map(level))
    base_raw, base_gzip = payload_bytes(baseline_map(level))
    return {"level": level, "app_bytes": app_raw, "app_gzip_bytes": app_gzip,
            "baseline_bytes": base_raw, "baseline_gzip_bytes": base_gzip}
