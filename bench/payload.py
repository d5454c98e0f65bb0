"""What a map costs on the wire: the JSON Streamlit sends to the browser for one map.

The app's map component (pages/components.py page_map) sends ``geo.explorer.maps.mount_data`` of the folium map
as its data. The bare page's ``st_folium`` renders the folium map into strings (script, header, html, asset links)
and hands them to its Streamlit component. Either way Streamlit sends one JSON text inside the websocket message
(``server.enableWebsocketCompression`` is off by default, so those are the bytes on the wire). For st_folium we
capture the arguments by standing in for its component function and serialise them as Streamlit does.
"""
from __future__ import annotations

import gzip
import json
import logging

import folium
import streamlit_folium

from bench import raw_layers
from geo.explorer import layers, maps
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


def static_asset_bytes(folium_map: folium.Map) -> dict[str, int]:
    """The app-served scripts and stylesheets the app's map loads (separate, cacheable requests), by path."""
    data = maps.mount_data(folium_map, "Map", 520)
    return {path: (REPO_ROOT / "static" / path).stat().st_size if (REPO_ROOT / "static" / path).is_file() else 0
            for path in data["scripts"] + data["stylesheets"]}


def _sizes(text: str) -> tuple[int, int]:
    data = text.encode("utf-8")
    return len(data), len(gzip.compress(data, 6))


def app_payload_bytes(folium_map: folium.Map) -> tuple[int, int]:
    """(bytes, gzip bytes) of the JSON Streamlit sends to the browser for the app's map component."""
    return _sizes(json.dumps(maps.mount_data(folium_map, "Map", 520)))


def st_folium_payload_bytes(folium_map: folium.Map) -> tuple[int, int]:
    """(bytes, gzip bytes) of the JSON Streamlit sends to the browser for this map drawn with st_folium."""
    return _sizes(json.dumps(component_arguments(folium_map)))


def app_map(level: str, district_code: str | None = None) -> folium.Map:
    """The map the app draws for the IMD layer at this level, through its public entry point."""
    return layers.layer(INDICATOR, level, district_code, SCHEME).map()


def baseline_map(level: str, district_code: str | None = None) -> folium.Map:
    """The naive map: the same layer's areas and tooltips on the raw source geometry, plain folium GeoJSON."""
    shown = layers.layer(INDICATOR, level, district_code, SCHEME)
    return raw_layers.naive_choropleth(shown, raw_layers.source_geometries(level))


def measure_level(level: str) -> dict:
    """Payload of the app's map and of the naive map for one level, in bytes."""
    app_raw, app_gzip = app_payload_bytes(app_map(level))
    base_raw, base_gzip = st_folium_payload_bytes(baseline_map(level))
    return {"level": level, "app_bytes": app_raw, "app_gzip_bytes": app_gzip,
            "baseline_bytes": base_raw, "baseline_gzip_bytes": base_gzip}
