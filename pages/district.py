"""/district — for a Locality Board chair: one district's wards, how they compare with Kent, findings, board pack."""
from dataclasses import replace
from datetime import date

import streamlit as st

from geo import boardpack, explore, state as url_state
from geo.text import markdown_literal as literal
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
districts = explore.districts()
names = dict(zip(districts.district_code, districts.district_name))
codes = list(districts.district_code)
if view.district is None and len(view.wards) == 1:  # e.g. Back from a ward's profile: that ward's district
    view = replace(view, district=explore.wards().set_index("ward_code").district_code[view.wards[0]])
if view.embed:  # an embed shows the district its page chose: no picker to switch it
    district_code = view.district
else:
    district_code = st.selectbox("District", codes, index=codes.index(view.district) if view.district else None,
                                 format_func=names.get, placeholder="Choose a district", key="district")
if district_code is None:
    st.title("District view")
    components.page_title("District view: choose a district")
    st.info("Choose a district to see its wards, how they compare with Kent, and its board pack."
            if not view.embed else "This embed names no district: add district=<code> to its address, e.g. "
            "district=E07000114 for Thanet.")
    components.write_state(replace(view, district=None), DEFAULT)
    components.attribution_footer()
    st.stop()

st.title(literal(names[district_code]))
view = components.layer_picker(replace(view, district=district_code), levels=("ward", "lsoa"))
if not view.embed:
    view = components.overlay_picker(view)
components.write_state(view, DEFAULT)
layer = explore.layer(view.layer, view.level, district_code, view.classes)

bench = explore.benchmarks(view.layer, district_code).set_index("level").value
if not view.embed:
    cards = st.columns(3)
    cards[0].metric(f"{literal(names[district_code])}: {literal(layer.indicator['label'])}",
                    explore.format_value(bench["district"], layer.indicator) if "district" in bench
                    else explore.unpublished_reason(layer.indicator, "district"))
    cards[1].metric("Kent", explore.format_value(bench.get("county"), layer.indicator) if "county" in bench
                    else explore.unpublished_reason(layer.indicator, "county"))
    cards[2].metric("Residents (Census 2021)", f"{int(districts.set_index('district_code').population[district_code]):,}")

clicked = components.show_layer(layer, key=f"district_map_{district_code}_{view.layer}_{layer.level}_{view.classes}", selected=view.wards,
                                overlays=components.overlay_points(view.overlays, district_code), table_expanded=True)
if clicked and layer.level == "ward" and not view.embed:
    components.open_ward_profile(clicked, f"district_map_{district_code}_{view.layer}_{layer.level}_{view.classes}")

if not view.embed:
    st.header("Findings")
    findings = explore.district_findings(district_code)
    for finding in findings:
        st.markdown(f"- {literal(finding['text'])} *(Source: {literal(finding['source'])}, {literal(finding['vintage'])})*")
    st.header(f"{literal(names[district_code])} against Kent on every theme")
    st.html(boardpack.overview_html(names[district_code], explore.district_overview(district_code)))

    def pack_html() -> str:
        return boardpack.board_pack_html(**explore.board_pack_inputs(layer, findings, date.today().isoformat()))

    pack_name = f"board-pack-{names[district_code].lower().replace(' ', '-')}-{view.layer}-{layer.level}"
    downloads = st.columns(2)
    downloads[0].download_button("Download the board pack (printable HTML)", pack_html,  # made on click, not on every rerun
                                 file_name=f"{pack_name}.html", mime="text/html", icon=":material/download:",
                                 on_click="ignore")
    downloads[1].download_button("Download the board pack (accessible PDF, A4)", lambda: boardpack.board_pack_pdf(pack_html()),
                                 file_name=f"{pack_name}.pdf", mime="application/pdf", icon=":material/download:",
                                 on_click="ignore")
else:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
