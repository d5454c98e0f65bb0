"""/district — for a Locality Board chair: one district's wards, how they compare with Kent, findings, board pack."""
from dataclasses import replace
from datetime import date

import streamlit as st

from geo import catalogue
from geo.explorer import areas, boardpack, layers, state as url_state
from geo.explorer.findings import district_findings
from geo.explorer.text import markdown_literal as literal
from geo.explorer.release_view import in_this_release as in_release
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
districts = areas.districts()
names = dict(zip(districts.district_code, districts.district_name))
codes = list(districts.district_code)
if view.district is None and len(view.wards) == 1:  # e.g. Back from a ward's profile: that ward's district
    view = replace(view, district=areas.wards().set_index("ward_code").district_code[view.wards[0]])
if view.embed:  # an embed shows the district its page chose: no picker to switch it
    district_code = view.district
else:  # the picker's value in this session, else the URL's: the picker is drawn later, above the map
    district_code = components.known(st.session_state.get("district", view.district), codes, None)


def district_picker() -> None:
    """The district select box; its value was read above (st.session_state "district", else the URL's)."""
    st.selectbox("District", codes, index=codes.index(view.district) if view.district in codes else None,
                 format_func=names.get, placeholder="Choose a district", key="district")


if district_code is None:
    if not view.embed:
        district_picker()
    st.title("District view")
    components.page_title("District view: choose a district")
    st.info("Choose a district to see its wards, how they compare with Kent, and its board pack."
            if not view.embed else "This embed names no district: add district=<code> to its address, e.g. "
            "district=E07000114 for Thanet.")
    components.write_state(replace(view, district=None), DEFAULT)
    components.attribution_footer()
    st.stop()

# The pickers and key figures sit above the map but are sent after it (issue 15): the map's frontend chunk and
# iframe then load ahead of the widgets' chunks. Their values are read first (picked_view), as the widgets return.
above_map = st.container()
url_view = replace(view, district=district_code)
view = components.picked_view(url_view, levels=("ward", "lsoa"), scales=True, overlays=not view.embed)
components.write_state(view, DEFAULT)
layer = layers.layer(view.layer, view.level, district_code, view.classes, scale=view.scale)

map_key = f"district_map_{district_code}_{view.layer}_{layer.level}_{view.classes}_{view.scale}"
clicked = components.show_layer(layer, key=map_key, selected=view.wards,
                                overlays=components.overlay_points(view.overlays, district_code), table_expanded=True)
with above_map:
    if not view.embed:
        district_picker()
    st.title(literal(names[district_code]))
    components.layer_picker(url_view, levels=("ward", "lsoa"), scales=True)
    if not view.embed:
        components.overlay_picker(url_view)
        bench = layers.benchmarks(view.layer, district_code).set_index("level").value
        components.metric_cards([
            (f"{names[district_code]}: {layer.indicator['label']}",
             catalogue.format_value(bench["district"], layer.indicator) if "district" in bench
             else catalogue.unpublished_reason(layer.indicator, "district")),
            ("Kent", catalogue.format_value(bench.get("county"), layer.indicator) if "county" in bench
             else catalogue.unpublished_reason(layer.indicator, "county")),
            ("Residents (Census 2021)", f"{int(districts.set_index('district_code').population[district_code]):,}")])
if clicked and layer.level == "ward" and not view.embed:
    components.open_ward_profile(clicked)

if not view.embed:
    st.header("Findings")
    findings = district_findings(district_code)
    st.markdown("\n".join(f"- {literal(finding['text'])} (Source: {literal(finding['source'])}, "  # one list, one element
                           f"{literal(finding['vintage'])})" for finding in findings))
    st.header(f"{literal(names[district_code])} against Kent on every theme")
    st.html(boardpack.district_overview_html(district_code))

    @in_release  # made on click, outside this run: read the release this page shows
    def pack_html() -> str:
        return boardpack.board_pack_html(**boardpack.board_pack_inputs(layer, findings, date.today().isoformat()))

    pack_name = f"board-pack-{names[district_code].lower().replace(' ', '-')}-{view.layer}-{layer.level}"
    downloads = st.columns(2)
    downloads[0].download_button("Download the board pack (printable HTML)", pack_html,  # made on click, not on every rerun
                                 file_name=f"{pack_name}.html", mime="text/html",
                                 on_click="ignore")
    downloads[1].download_button("Download the board pack (accessible PDF, A4)", in_release(lambda: boardpack.board_pack_pdf(pack_html())),
                                 file_name=f"{pack_name}.pdf", mime="application/pdf",
                                 on_click="ignore")
else:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
