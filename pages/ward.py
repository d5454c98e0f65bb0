"""/ward — everything about one ward: its indicators beside its district and Kent, what lies inside it, its gap
components, and the ten Kent wards most like it."""
from dataclasses import replace
from datetime import date

import streamlit as st

from geo import boardpack, explore, profile, state as url_state
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
if len(view.wards) > 1:
    st.warning("A ward profile shows one ward; showing the first. To see several side by side, use Compare wards.",
               icon=":material/warning:")
ward_code = view.wards[0] if view.wards else None
components.write_state(replace(view, wards=(ward_code,) if ward_code else (), district=None, layer=DEFAULT.layer,
                               level=DEFAULT.level, classes=DEFAULT.classes, overlays=()), DEFAULT)
if ward_code is None:
    st.title("Ward profile")
    st.info("Search for a postcode, place or ward above, or choose a ward here.")
    wards = explore.wards()
    label_of = {r.ward_code: f"{r.ward_name} ({r.district_name})" for r in wards.itertuples()}
    chosen = st.selectbox("Ward", list(wards.ward_code), index=None, format_func=label_of.get,
                          placeholder="Choose a ward")
    if chosen:
        st.query_params["ward"] = chosen
        st.rerun()
    components.attribution_footer()
    st.stop()

ward = profile.ward_profile(ward_code)
facts = ward.ward
st.title(f"{facts['ward_name']} ward, {facts['district_name']}")
st.caption(f"Ward code {ward_code} (May 2025 wards). {int(facts['population']):,} residents (Census 2021) in "
           f"{int(facts['n_lsoas'])} neighbourhoods (LSOAs) assigned to the ward by the ONS best-fit lookup.")
if facts["is_approximate"]:
    st.warning(f"Approximation: ward figures are built from whole LSOAs (ONS best fit). Only "
               f"{facts['lsoa_area_inside_ward_pct']}% of those LSOAs' area lies inside the ward, and they cover "
               f"{facts['ward_area_covered_pct']}% of it.", icon=":material/info:")

similar = profile.similar_wards(ward_code)
map_column, links_column = st.columns([3, 2])
with map_column:
    st.markdown(profile.ward_locator_svg(ward_code, facts["district_code"]), unsafe_allow_html=True)
with links_column:
    st.markdown(profile.links_html([
        (f"district?district={facts['district_code']}", f"{facts['district_name']} district page (its ward map and findings)"),
        (profile.compare_url([ward_code] + list(similar.ward_code[:5])), "Compare with its 5 most similar wards"),
        (f"gap?district={facts['district_code']}", f"Infrastructure gap in {facts['district_name']}"),
    ]), unsafe_allow_html=True)
    imd = explore.layer("imd_score", "ward", facts["district_code"], "quantiles")
    st.download_button(f"Download {facts['district_name']}'s board pack (printable HTML)",
                       lambda: boardpack.board_pack_html(**explore.board_pack_inputs(
                           imd, explore.district_findings(facts["district_code"]), date.today().isoformat())),
                       file_name=f"board-pack-{facts['district_name'].lower().replace(' ', '-')}-imd_score.html",
                       mime="text/html", icon=":material/download:", on_click="ignore")

st.subheader(f"How {facts['ward_name']} compares")
st.markdown(f"Each row is one indicator: the grey bar spans Kent's 255 wards from the worst (left) to the best "
            f"(right), the darker part is the middle half of them, the circle is {facts['ward_name']}, the diamond "
            f"{facts['district_name']} and the black tick Kent. The same numbers are in the table below.")
spine_data, spine_spec = profile.spine_chart(ward)
st.vega_lite_chart(spine_data, spine_spec, width="stretch")
st.caption("District and Kent markers are left out where their value is a total (residents) rather than a "
           "ward-sized figure.")
table = profile.indicator_table(ward)
st.table(table.set_index("Indicator"))
if len(ward.district_only):
    shown = "; ".join(f"{r.label}: {explore.format_value(r.value, r._asdict())} ({r.vintage})"
                      for r in ward.district_only.itertuples())
    st.caption(f"Published for whole districts only, so not in the ward table ({facts['district_name']}): {shown}.")

st.subheader("What lies inside the ward")
left, right = st.columns(2)
with left:
    st.markdown("**Residents by England's IMD 2025 decile** (1 = most deprived 10% of neighbourhoods)")
    st.table(profile.decile_shares_table(ward.deciles))
with right:
    st.markdown(f"**Its {len(ward.lsoas)} neighbourhoods (LSOAs)**")
    st.table(ward.lsoas[["lsoa_code", "lsoa_name", "population", "imd_score", "imd_decile"]].rename(columns={
        "lsoa_code": "LSOA code", "lsoa_name": "LSOA", "population": "Residents", "imd_score": "IMD 2025 score",
        "imd_decile": "England decile"}).set_index("LSOA code"))

st.subheader("Infrastructure gap")
st.table(profile.gap_components(ward_code).set_index("Measure"))
st.caption("At the balanced weights (5/5/5). Change the weights on the Infrastructure gap page.")

st.subheader(f"The {len(similar)} Kent wards most like {facts['ward_name']}")
st.markdown(profile.SIMILARITY_METHOD)
st.markdown("Indicators used: " + "; ".join(profile.similarity_indicator_labels()) + ".")
st.markdown(profile.similar_wards_html(similar, ward_code), unsafe_allow_html=True)
components.attribution_footer()
