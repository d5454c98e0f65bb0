"""/ward — everything about one ward: its indicators beside its district and Kent, what lies inside it, its gap
components, and the ten Kent wards most like it."""
from dataclasses import replace
from datetime import date

import streamlit as st

from geo import catalogue
from geo.explorer import areas, boardpack, findings, layers, profile, state as url_state
from geo.explorer.release_view import in_this_release as in_release
from geo.explorer.worker import WorkerUnavailable
from geo.explorer.text import html_table  # one HTML element per table: no table component to download (issue 12)
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
    components.page_title("Ward profile: choose a ward")
    st.info("Search for a postcode, place or ward above, or choose a ward here.")
    wards = areas.wards()
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
components.page_title(f"Ward profile: {facts['ward_name']} ward, {facts['district_name']}")
st.caption(f"Ward code {ward_code} (May 2025 wards). {int(facts['population']):,} residents (Census 2021) in "
           f"{int(facts['n_lsoas'])} neighbourhoods (LSOAs) assigned to the ward by the ONS best-fit lookup.")
if facts["is_approximate"]:
    st.warning(f"Approximation: ward figures are built from whole LSOAs (ONS best fit). Only "
               f"{facts['lsoa_area_inside_ward_pct']}% of those LSOAs' area lies inside the ward, and they cover "
               f"{facts['ward_area_covered_pct']}% of it.", icon=":material/info:")

similar = profile.similar_wards(ward_code)
map_column, links_column = st.columns([3, 2])
with map_column:
    st.html(profile.ward_locator_html(ward_code, facts["district_code"]))
with links_column:
    st.html(profile.links_html([
        (url_state.page_link("district", {"district": facts["district_code"]}), f"{facts['district_name']} district page (its ward map and findings)"),
        (profile.compare_url([ward_code] + list(similar.ward_code[:5])), "Compare with its 5 most similar wards"),
        (url_state.page_link("gap", {"district": facts["district_code"]}), f"Infrastructure gap in {facts['district_name']}"),
    ]))
    imd = layers.layer("imd_score", "ward", facts["district_code"], "quantiles")
    st.download_button(f"Download {facts['district_name']}'s board pack (printable HTML)",
                       in_release(lambda: boardpack.board_pack_html(**boardpack.board_pack_inputs(
                           imd, findings.district_findings(facts["district_code"]), date.today().isoformat()))),
                       file_name=f"board-pack-{facts['district_name'].lower().replace(' ', '-')}-imd_score.html",
                       mime="text/html", icon=":material/download:", on_click="ignore")

st.header(f"How {facts['ward_name']} compares")
st.markdown(f"Each row is one indicator: the grey bar spans Kent's 255 wards from the worst (left) to the best "
            f"(right), the darker part is the middle half of them, the circle is {facts['ward_name']}, the diamond "
            f"{facts['district_name']} and the black tick Kent. The same numbers are in the table below.")
st.html(profile.spine_chart_html(ward))
st.caption("District and Kent markers are left out where their value is a total (residents) rather than a "
           "ward-sized figure.")
st.html(html_table(profile.indicator_table(ward).set_index("Indicator"),
                   f"Table of {facts['ward_name']}'s {len(ward.indicators)} indicators beside {facts['district_name']} and Kent"))
if len(ward.district_only):
    shown = "; ".join(f"{r.label}: {catalogue.format_value(r.value, r._asdict())} ({r.vintage})"
                      for r in ward.district_only.itertuples())
    st.caption(f"Published for whole districts only, so not in the ward table ({facts['district_name']}): {shown}.")

st.header("What lies inside the ward")
left, right = st.columns(2)
with left:
    st.markdown("**Residents by England's IMD 2025 decile** (1 = most deprived 10% of neighbourhoods)")
    st.html(html_table(profile.decile_shares_table(ward.deciles), "Table of residents by IMD decile"))
with right:
    st.markdown(f"**Its {len(ward.lsoas)} neighbourhoods (LSOAs)**")
    st.html(html_table(profile.lsoa_table(ward), f"Table of its {len(ward.lsoas)} neighbourhoods"))

st.header("Infrastructure gap")
try:
    st.html(html_table(profile.gap_components(ward_code).set_index("Measure"), "Table of the gap index's components"))
    st.caption("At the balanced weights (5/5/5). Change the weights on the Infrastructure gap page.")
except WorkerUnavailable as error:  # the gap worker was stuck or died twice: a fixed sentence; the rest of the page goes on
    st.warning(str(error), icon=":material/hourglass_empty:")

st.header(f"The {len(similar)} Kent wards most like {facts['ward_name']}")
st.markdown(profile.SIMILARITY_METHOD)
st.markdown("Indicators used: " + "; ".join(profile.similarity_indicator_labels()) + ".")
st.html(profile.similar_wards_html(similar, ward_code))
components.attribution_footer()
