"""/ — Kent at a glance: pick a layer and level, see the map, the same values as a table, and the sources."""
from dataclasses import replace

import streamlit as st

from geo import catalogue
from geo.explorer import layers, metadata, state as url_state
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
# The title, pickers and key figures sit above the map but are sent after it (issue 15): the map's frontend chunk
# and iframe then load ahead of the widgets' chunks. Their values are read first (picked_view), as the widgets return.
above_map = st.container()
url_view = view
view = replace(components.picked_view(url_view, overlays=not view.embed, kent_wide=True),
               wards=())  # a district in the URL is outlined on the Kent map, not dropped
components.write_state(view, DEFAULT)

layer = layers.layer(view.layer, view.level, None, view.classes)
outlined = components.district_outline_note(layer, view)
clicked = components.show_layer(layer, key=f"kent_map_{view.layer}_{layer.level}_{view.classes}_{view.district}",
                                selected=outlined, overlays=components.overlay_points(view.overlays, None),
                                table_expanded=view.embed)
with above_map:
    st.title("Kent at a glance" if not view.embed else "Kent Locality Explorer")
    if not view.embed:
        st.markdown("Deprivation, broadband, transport and access to services across Kent's 12 districts, "
                    "255 wards and 938 neighbourhoods. Choose a layer; every value on the map is also in the table below it.")
    components.layer_picker(url_view)
    if not view.embed:
        components.overlay_picker(url_view, kent_wide=True)
        kent = layers.benchmarks(view.layer, None).set_index("level").value
        facts = [("Residents (Census 2021)", catalogue.format_value(layers.benchmarks("population", None).value.iloc[0],
                                                                  metadata.indicator("population"))),
                 ("Areas", "12 districts · 255 wards · 938 LSOAs"),
                 (f"Kent: {layer.indicator['label']}",
                  catalogue.format_value(kent.get("county"), layer.indicator) if "county" in kent else "Districts only")]
        first = layer.values.dropna(subset=["value"]).head(1)  # Kent rank 1: the worst, or for neutral layers the largest
        if len(first):
            facts.append((f"{catalogue.rank_words(layer.indicator)[0].capitalize()} {url_state.LEVEL_NOUN[layer.level]} in Kent",
                          first.area_name.iloc[0], catalogue.format_value(first.value.iloc[0], layer.indicator)))
        components.metric_cards(facts)
if clicked and layer.level == "ward" and not view.embed:
    components.open_ward_profile(clicked)
if view.embed:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
