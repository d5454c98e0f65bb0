"""/about — methodology per indicator (from the catalogue), sources and licences, accessibility, embed builder."""
import html

import streamlit as st

from geo import catalogue, explore, state as url_state
from pages import components

components.read_state(url_state.ViewState())
st.title("About the data")
st.markdown("Every number in this explorer comes from official open data, cut to Kent, with the method below. "
            "Ward and district figures are built from neighbourhood (LSOA) figures, weighted by Census 2021 residents, "
            "using the ONS best-fit lookup from LSOAs to wards. Where a ward's LSOAs do not match its boundary well, "
            "the Compare page says so. Missing values are shown as missing, with the reason; nothing is estimated or filled.")

st.header("Indicators")
rows = explore.db.run("indicator_catalogue")
for theme, group in rows.groupby("theme", sort=False):
    st.subheader(catalogue.THEME_LABELS[theme])
    for row in group.itertuples():
        with st.expander(f"{row.label} ({row.unit})"):
            st.markdown(f"**Identifier:** `{row.indicator_id}` · **Vintage:** {row.vintage} · "
                        f"**Published for:** {row.geography} · **Higher is:** "
                        + {"higher_worse": "worse", "higher_better": "better", "neutral": "neither"}[row.polarity])
            st.markdown(f"**Method:** {row.method}")
            if row.caveat:
                st.markdown(f"**Caveat:** {row.caveat}")
            st.markdown(f"**Source:** {row.publisher}, *{row.source_title}* ({row.licence}).")

st.header("Accessibility")
st.markdown("We aim for WCAG 2.2 AA. The map is never the only way to a number: every value on a map is in a table on "
            "the same page, legends give each class's range as text, and missing areas are hatched as well as labelled. "
            "Every control can be reached with the keyboard. The app loads no third-party scripts, fonts or tiles. "
            "Tell us about a problem at the Kent County Council accessibility contact.")

st.header("Embed on kent.gov.uk")
districts = explore.districts()
names = {"": "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
district_code = st.selectbox("District", list(names), format_func=names.get, key="embed_district")
layers = explore.layer_choices()
layer = st.selectbox("Layer", list(layers.indicator_id), format_func=dict(zip(layers.indicator_id, layers.label)).get,
                     key="embed_layer")
base_url = st.text_input("Address of this explorer", value="https://explorer.example.kent.gov.uk", key="embed_base")
path = "/district" if district_code else "/"
query = "&".join(f"{k}={v}" for k, v in {"district": district_code, "layer": layer, "embed": "true"}.items() if v)
title = f"Kent Locality Explorer: {names[district_code]}"
st.text_area("Embed code: copy it into the page", f'<iframe src="{html.escape(base_url.rstrip("/"))}{path}?{query}" title="{html.escape(title)}" '
        'width="100%" height="720" style="border:0" loading="lazy"></iframe>', height=110, key="embed_code")

st.header("Sources and licences")
sources = explore.db.run("source_attributions")
st.table(sources.rename(columns={"attribution": "Attribution", "publishers": "Publisher", "source_ids": "Files"}).set_index("Publisher"))
components.attribution_footer()
