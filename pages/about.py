"""/about — methodology per indicator (from the catalogue), sources and licences, accessibility, embed builder."""
import streamlit as st

from geo import catalogue
from geo.explorer import areas, db, embed_code, metadata, release_view, state as url_state
from pages import components

SECTIONS = {"kle-indicators": "Indicators", "kle-accessibility": "Accessibility statement",
            "kle-embed-builder": "Embed on kent.gov.uk: the embed code builder",
            "kle-sources": "Sources and licences"}

view = components.read_state(url_state.ViewState())
st.title("About the data")
components.page_title("About the data, accessibility and embedding")
components.section_links(SECTIONS)
st.markdown("Every number in this explorer comes from official open data, cut to Kent, with the method below. "
            "Ward and district figures are built from neighbourhood (LSOA) figures, weighted by Census 2021 residents, "
            "using the ONS best-fit lookup from LSOAs to wards. Where a ward's LSOAs do not match its boundary well, "
            "the Compare page says so. Missing values are shown as missing, with the reason; nothing is estimated or filled.")

components.section_start("kle-indicators")
st.header("Indicators")
rows = db.run("indicator_catalogue")
for theme, group in rows.groupby("theme", sort=False):
    st.subheader(catalogue.THEME_LABELS[theme])
    for row in group.itertuples():
        with st.expander(catalogue.heading(row._asdict())):
            st.markdown(f"**Identifier:** `{row.indicator_id}` · **Vintage:** {row.vintage} · "
                        f"**Published for:** {row.geography} · **Higher is:** "
                        + catalogue.HIGHER_IS[row.polarity])
            st.markdown(f"**Method:** {row.method}")
            if row.caveat:
                st.markdown(f"**Caveat:** {row.caveat}")
            st.markdown(f"**Source:** {row.publisher}, *{row.source_title}* ({row.licence}).")

components.section_start("kle-accessibility")
st.header("Accessibility statement")
# On the GOV.UK model accessibility statement; update "Preparation of this statement" whenever it is re-tested.
st.markdown("""
This statement applies to the Kent Locality Explorer, its pages (Kent, District, Compare wards, Ward profile, Find a
place, Infrastructure gap, Change over time, Rankings and downloads, About the data), its embeds on kent.gov.uk (the
light embed and `?embed=true`) and its board packs (HTML and PDF).
It is run by Kent County Council. We want as many people as possible to be able to use it. You should be able to:

- reach every control, the maps and the tables with a keyboard alone, and see where the keyboard is (a dark focus ring);
- skip past any map ("Skip the map" link before it) to the table of the same values, and jump to each section of
  this page from its "On this page" links;
- scroll a table that is wider than a phone's screen with the keyboard (it is a named Tab stop when it scrolls);
- get every number on a map from the table beside it, with each class's range written out in the legend;
- download a board pack as printable HTML or a tagged PDF (PDF/UA), and the data as CSV or GeoJSON.

**How accessible this service is.** We know some parts are not fully accessible:

- each map is a Leaflet map inside a frame: pointing at an area shows its value; by keyboard each area is a Tab stop
  named with its value, so the Kent maps have 255 (wards) or 938 (neighbourhoods) stops — use "Skip the map";
- the charts on the Infrastructure gap and Compare pages are pictures to a screen reader; the same figures are in
  the tables on those pages;
- the sortable grids on Rankings and downloads and Infrastructure gap are drawn by Streamlit on a canvas, which some
  screen readers read only partly; the CSV download holds the same rows;
- the page language (British English) is set by a small script once the page has loaded; the page Streamlit first
  sends says only "English";
- in board packs at neighbourhood (LSOA) level, a few area numbers in the densest town centres can still touch on
  the enlarged inset; the table lists every area;
- the PDF is tagged (PDF/UA-1, with headings, tables and map descriptions) but has not yet been checked with a PDF/UA
  validator or a screen reader.

**Feedback and contact information.** If you need anything here in a different format, such as accessible PDF,
large print, easy read or a spreadsheet, or you find a problem not listed above, email
[alternativeformats@kent.gov.uk](mailto:alternativeformats@kent.gov.uk) and say which page (its address) and what went
wrong. We will reply within 10 working days.

**Enforcement procedure.** The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the "accessibility
regulations"). If you are not happy with how we respond to your complaint, contact the
[Equality Advisory and Support Service (EASS)](https://www.equalityadvisoryservice.com/).

**Technical information about this service's accessibility.** Kent County Council is committed to making this
service accessible, in accordance with the accessibility regulations.

**Compliance status.** This service is *partially compliant* with the
[Web Content Accessibility Guidelines version 2.2](https://www.w3.org/TR/WCAG22/) AA standard, due to the
non-compliances listed below.

**Non-accessible content.** Non-compliance with the accessibility regulations:

- the charts on the Infrastructure gap and Compare pages have no text alternative of their own (WCAG 1.1.1); their
  figures are in the tables on the same pages;
- Streamlit's canvas grids give screen readers limited access to their cells (WCAG 1.3.1, 4.1.2);
- until its script has run, the page declares English rather than British English (WCAG 3.1.1).

Disproportionate burden: we make no such claim. Content not within the scope of the regulations: none.

**What we're doing to improve accessibility.** Next: text summaries for each chart, a light embed that works without
JavaScript, and a check of the board pack PDF with a PDF/UA validator and screen reader users.

**Preparation of this statement.** This statement was prepared on 1 December 2026 and last reviewed on 2 December
2026. The service was last tested on 2 December 2026 by its development team: axe-core 4.14 at every impact level
(critical, serious, moderate and minor) on every page and every embed, inside each map frame, and at a phone's width
(390 pixels); a keyboard journey on every page and embed (Tab from the top to the layer picker, the skip link, the
table and the downloads within a set number of stops, with the focus ring's contrast measured at every stop, at least
3:1); page and map frame titles; the board pack PDF's tags, language, PDF/UA identifier and A4 pages. All in Debian's Chromium, automated in the test suite (`tests/browser/test_accessibility.py`), so
every change is re-tested. It has not yet been tested by an external auditor or with assistive-technology users.

**Keyboard shortcuts.** Streamlit's single-letter shortcuts (R to rerun the page, C to clear its cache) are switched
off outside text fields, so a stray key or a speech command does nothing (WCAG 2.1.4).
""")

components.section_start("kle-embed-builder")
st.header("Embed on kent.gov.uk")
st.markdown("The **light embed** is a static page per area and layer: the map drawn as SVG with every ward keyboard-"
            "focusable and named with its value, the same values as a table, and postcode search. It works without "
            "JavaScript and is about 20 kB for a district. The **interactive** embed is this explorer itself.")
districts = areas.districts()
names = {"": "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
kind = st.radio("Kind of embed", list(embed_code.KINDS), format_func=embed_code.KINDS.get, horizontal=True,
                key="embed_kind")
district_code = st.selectbox("District", list(names), format_func=names.get, key="embed_district")
layers = metadata.layer_choices()
if kind == "light":
    layers = layers[layers.indicator_id.isin(db.run("embed_layers").indicator_id)]
layer = st.selectbox("Layer", list(layers.indicator_id), format_func=dict(zip(layers.indicator_id, layers.label)).get,
                     key="embed_layer")
base_url = st.text_input("Address of this explorer", value="https://explorer.example.kent.gov.uk", key="embed_base")
behind_proxy = st.checkbox("Served through the nginx configuration in deploy/ (light pages at /embed/…)", value=True,
                           key="embed_proxy", disabled=kind != "light")
release_id = release_view.current().release_id
pin = st.checkbox(f"Pin the figures to data release {release_id} (otherwise the embed always shows the latest release)",
                  value=False, key="embed_pin", disabled=kind != "interactive" or not release_id,
                  help="For minutes and reports. The light pages are always the latest release's.")
snippet = embed_code.snippet(kind, base_url, district_code or None, layer, names[district_code],
                             metadata.indicator(layer)["label"], behind_proxy=behind_proxy, release_id=release_id,
                             pin=bool(pin and kind == "interactive" and release_id))
# st.code, not a keyed text box: a widget keeps its first value, so the code never followed the choices.
st.caption("Embed code: copy it into the page (the copy button is at its top right).")
st.code(snippet, language="html", wrap_lines=True)

components.section_start("kle-sources")
st.header("Sources and licences")
sources = db.run("source_attributions")
components.table(sources.rename(columns={"attribution": "Attribution", "publishers": "Publisher", "source_ids": "Files"}).set_index("Publisher"))
if view.embed:
    components.full_explorer_link({})
components.attribution_footer()
