"""/ — Kent at a glance: pick a layer and level, see the map, the same values as a table, and the sources."""
from dataclasses import replace

import streamlit as st

from geo import explore, state as url_state
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
st.title("Kent at a glance" if not view.embed else "Kent Locality Explorer")
if not view.embed:
    st.markdown("Deprivation, broadband, transport and access to services across Kent's 12 districts, "
                "255 wards and 938 neighbourhoods. Choose a layer; every value on the map is also in the table below it.")

view = components.layer_picker(view)
if not view.embed:
    view = components.overlay_picker(view)
view = replace(view, wards=())  # a district in the URL is outlined on the Kent map, not dropped
components.write_state(view, DEFAULT)

layer = explore.layer(view.layer, view.level, None, view.classes)
kent = explore.benchmarks(view.layer, None).set_index("level").value
if not view.embed:
    facts = st.columns(4)
    facts[0].metric("Residents (Census 2021)", explore.format_value(explore.benchmarks("population", None).value.iloc[0],
                                                                     explore.indicator("population")))
    facts[1].metric("Areas", "12 districts · 255 wards · 938 LSOAs")
    facts[2].metric(f"Kent: {layer.indicator['label']}",
                    explore.format_value(kent.get("county"), layer.indicator) if "county" in kent else "Districts only")
    first = layer.values.dropna(subset=["value"]).head(1)  # Kent rank 1: the worst, or for neutral layers the largest
    if len(first):
        facts[3].metric(f"{explore.rank_words(layer.indicator)[0].capitalize()} {explore.LEVEL_NOUN[layer.level]} in Kent",
                        first.area_name.iloc[0], explore.format_value(first.value.iloc[0], layer.indicator),
                        delta_color="off", delta_arrow="off")

outlined = components.district_outline_note(layer, view)
clicked = components.show_layer(layer, key=f"kent_map_{view.layer}_{layer.level}_{view.classes}_{view.district}",
                                selected=outlined, overlays=components.overlay_points(view.overlays, None),
                                table_expanded=view.embed)
if clicked and layer.level == "ward" and not view.embed:
    components.open_ward_profile(clicked, f"kent_map_{view.layer}_{layer.level}_{view.classes}_{view.district}")
if view.embed:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
