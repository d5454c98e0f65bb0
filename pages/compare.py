"""/compare — 2 to 6 wards from anywhere in Kent, side by side with their districts and Kent, and what lies inside them."""
from dataclasses import replace

import pandas as pd
import streamlit as st

from geo import catalogue
from geo.explorer import areas, compare, layers, state as url_state
from geo.explorer.text import markdown_literal as literal
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
st.title("Compare wards")
view = components.ward_picker(view)
chosen = list(view.wards)
view = components.layer_picker(replace(view, level="ward"), levels=("ward",))
components.write_state(view, DEFAULT)

layer = layers.layer(view.layer, "ward", None, view.classes)
clicked = components.show_layer(layer, key=f"compare_map_{view.layer}_{view.classes}", selected=chosen, height=460,
                                place="Kent" + (f" (compared: {', '.join(areas.wards().set_index('ward_code').ward_name[chosen])})" if chosen else ""))
# A click is reported in the one run it starts: a ward added by clicking and then removed stays removed.
if clicked and clicked not in chosen and len(chosen) < url_state.MAX_COMPARED_WARDS:
    st.query_params["ward"] = ",".join(chosen + [clicked])
    st.rerun()

if len(chosen) < 2:
    st.info("Choose at least two wards (by name, postcode, or by clicking the map) to compare them.")
else:
    st.header("Side by side")
    components.table(compare.compare_table(chosen).set_index("Indicator"))

    st.header("Each ward's position among Kent's 255 wards")
    positions = layer.values[["area_code", "area_name", "value", "kent_rank"]].dropna(subset=["value"])
    positions = positions.assign(chosen=positions.area_code.isin(chosen).map({True: "Chosen", False: "Other Kent wards"}))
    st.vega_lite_chart(positions, {
        "mark": {"type": "tick", "thickness": 2},
        "encoding": {"x": {"field": "value", "type": "quantitative", "title": catalogue.heading(layer.indicator)},
                     "y": {"field": "chosen", "type": "nominal", "title": None},
                     "color": {"field": "chosen", "type": "nominal", "scale": {"range": ["#08306b", "#bdbdbd"]}, "legend": None},
                     "tooltip": [{"field": "area_name", "title": "Ward"}, {"field": "kent_rank", "title": "Kent rank"}]},
    }, width="stretch")

    st.header("What lies inside each ward")
    profiles = compare.ward_profiles(chosen)
    for fit in profiles["fit"].itertuples():
        st.markdown(f"**{literal(fit.ward_name)}** ({literal(fit.district_name)}): {fit.n_lsoas} LSOAs, {int(fit.population):,} residents.")
        if fit.is_approximate:
            st.warning(f"Approximation: ward figures are built from whole LSOAs (ONS best fit). Only "
                       f"{fit.lsoa_area_inside_ward_pct}% of those LSOAs' area lies inside the ward, and they cover "
                       f"{fit.ward_area_covered_pct}% of it.", icon=":material/info:")
        shares = profiles["deciles"][profiles["deciles"].ward_code == fit.ward_code]
        deciles = pd.DataFrame({"England's IMD decile (1 = most deprived)": range(1, 11)})
        deciles["Share of residents"] = [f"{shares.share_pct[shares.imd_decile == d].sum():.0f}%" for d in range(1, 11)]
        lsoas = profiles["lsoas"][profiles["lsoas"].ward_code == fit.ward_code]
        left, right = st.columns(2)
        with left:
            components.table(deciles.set_index(deciles.columns[0]).T.rename_axis("Measure"))
        with right:
            components.table(compare.ward_lsoa_table(lsoas).set_index("LSOA code"))
if view.embed:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
