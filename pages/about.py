"""/about — methodology per indicator (from the catalogue), sources and licences, accessibility, embed builder."""
import streamlit as st

from geo import catalogue, embed_code, explore, state as url_state
from pages import components

view = components.read_state(url_state.ViewState())
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
st.markdown("The **light embed** is a static page per area and layer: the map drawn as SVG with every ward keyboard-"
            "focusable and named with its value, the same values as a table, and postcode search. It works without "
            "JavaScript and is about 20 kB for a district. The **interactive** embed is this explorer itself.")
districts = explore.districts()
names = {"": "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
kind = st.radio("Kind of embed", list(embed_code.KINDS), format_func=embed_code.KINDS.get, horizontal=True,
                key="embed_kind")
district_code = st.selectbox("District", list(names), format_func=names.get, key="embed_district")
layers = explore.layer_choices()
if kind == "light":
    layers = layers[layers.indicator_id.isin(explore.db.run("embed_layers").indicator_id)]
layer = st.selectbox("Layer", list(layers.indicator_id), format_func=dict(zip(layers.indicator_id, layers.label)).get,
                     key="embed_layer")
base_url = st.text_input("Address of this explorer", value="https://explorer.example.kent.gov.uk", key="embed_base")
behind_proxy = st.checkbox("Served through the nginx configuration in deploy/ (light pages at /embed/…)", value=True,
                           key="embed_proxy", disabled=kind != "light")
snippet = embed_code.snippet(kind, base_url, district_code or None, layer, names[district_code],
                             explore.indicator(layer)["label"], behind_proxy=behind_proxy)
# st.code, not a keyed text box: a widget keeps its first value, so the code never followed the choices.
st.caption("Embed code: copy it into the page (the copy button is at its top right).")
st.code(snippet, language="html", wrap_lines=True)

st.header("Sources and licences")
sources = explore.db.run("source_attributions")
components.table(sources.rename(columns={"attribution": "Attribution", "publishers": "Publisher", "source_ids": "Files"}).set_index("Publisher"))
if view.embed:
    components.full_explorer_link({})
components.attribution_footer()
