"""/change — change over time, only where the comparability rules allow it: IMD 2019 -> 2025 ranks and deciles,
Ofcom's broadband series, ORR station usage; an indicator with no comparable predecessor says so."""
from dataclasses import replace

import streamlit as st

from geo.explorer import areas, change, metadata, state as url_state
from pages import components

view = components.read_change_state()
st.title("Change over time")
if not view.embed:
    st.markdown("What each indicator may be compared with over time, and how, follows its comparability rules "
                "(listed below). Every chart's points and every map's values are also in a table on this page.")

choices = metadata.layer_choices()
label_of = {r.indicator_id: f"{r.theme_label}: {r.label}" for r in choices.itertuples()}
ids = list(choices.indicator_id)
districts = areas.districts()
names = dict(zip(districts.district_code, districts.district_name))
options = [None] + list(districts.district_code)
columns = st.columns([3, 2, 2])
layer = columns[0].selectbox("Layer", ids, index=ids.index(view.layer), format_func=label_of.get, key="change_layer")
district = columns[1].selectbox("District", options, index=options.index(view.district), key="change_district",
                                format_func=lambda code: "All of Kent" if code is None else names[code])
rules = change.rules(layer)
kind = change.view_kind(rules)
level = view.level
if kind == "editions":
    level = columns[2].radio("Areas", list(url_state.LEVELS), index=list(url_state.LEVELS).index(view.level),
                             format_func=url_state.LEVEL_LABELS.get, horizontal=True, key="change_level")
view = replace(view, layer=layer, district=district, level=level)
components.write_change_state(view)
indicator = metadata.indicator(layer)

st.header(f"What {indicator['label']} ({indicator['vintage']}) may be compared with")
st.markdown("\n".join(f"- {line}" for line in change.rules_in_words(rules)))  # one list, one element

if kind == "editions":
    shown = change.imd_change(view.level, view.district)
    for sentence in shown.summary():
        st.markdown(sentence)
    components.show_layer(shown, key=f"change_map_{view.level}_{view.district}", table_expanded=view.embed)
elif kind == "series":
    st.info("The charts below are two different geographies, districts and parliamentary constituencies: "
            "never read a constituency figure as a district's. Chatham and Aylesford is mostly in Medway.",
            icon=":material/info:")
    for rule in rules[rules.comparison == "level"].itertuples():
        series = change.ofcom_series(rule.compared_with, rule.compared_column, indicator)
        st.header(series.title)
        st.vega_lite_chart(*series.chart(highlight=view.district if rule.compared_with.startswith("ofcom_district") else None),
                           width="stretch")
        with st.expander(f"The {series.points.value.notna().sum()} published points as a table", expanded=view.embed):
            table = series.table()
            st.table(table.set_index(table.columns[0]))
else:
    st.info(f"{indicator['label']} has no comparable predecessor in the database, so no change is shown.",
            icon=":material/info:")
    if "related" in set(rules.comparison):
        by_district, by_station = change.station_usage(view.district)
        st.header("Related: rail station usage by year (ORR)")
        shown_series = by_station if view.district else by_district
        st.vega_lite_chart(*shown_series.chart(), width="stretch")
        for note in by_district.notes:
            st.caption(note)
        for series in (by_district, by_station):
            with st.expander(f"{series.title}: table", expanded=False):
                table = series.table()
                st.table(table.set_index(table.columns[1]).drop(columns=table.columns[0]))

if view.embed:
    components.full_explorer_link(url_state.change_params(view))
components.attribution_footer()
