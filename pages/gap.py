"""/gap — for planners and boards: the infrastructure-gap index with weights people set, rank bands, need x provision."""

import streamlit as st

from geo import gap
from geo.explorer import gap_charts, gap_view, state as url_state
from geo.explorer.text import markdown_literal as literal
from geo.explorer.worker import WorkerUnavailable
from geo.explorer.release_view import in_this_release as in_release
from pages import components

view = components.read_gap_state()
st.title("Infrastructure gap")
st.markdown("Where are Kent's biggest gaps in **broadband**, **transport** and **access to services**, how sure can we be "
            "of each ward's place, and how do the gaps sit beside **need**? Set the weights; the map, ranks, bands and "
            "chart follow, and the link in your address bar reproduces this view.")
st.warning("This index is for finding places to look, not for setting targets: it ranks wards against each other within "
           "Kent, it mixes data of different years, and a ward's rank can move when the weights do.",
           icon=":material/priority_high:")

view = components.gap_controls(view)
components.write_gap_state(view)
try:
    weights = gap.Weights(*view.weights)
except gap.GapWeightsError as error:
    st.error(f"{error} Choose a preset or move a slider.", icon=":material/block:")
    components.attribution_footer()
    st.stop()

try:
    result = gap_view.gap_result(weights, view.seed)
except WorkerUnavailable as error:  # the worker was stuck or died twice: a fixed sentence, then what needs no result
    st.error(str(error), icon=":material/hourglass_empty:")
    st.caption(gap_view.gap_broadband_context(view.district))
    if view.embed:
        components.full_explorer_link(url_state.gap_params(view))
    components.attribution_footer()
    st.stop()
shown = result.in_district(view.district)
place = "Kent" if view.district is None else shown.district_name.iloc[0]
for note in result.notes:
    st.info(note, icon=":material/info:")

cards = st.columns(3)
biggest = shown.dropna(subset=["rank"]).iloc[0]
cards[0].metric(f"Biggest gap in {place}", biggest.ward_name,
                f"index {biggest.gap_index:.1f}, Kent rank {int(biggest['rank'])}", delta_color="off", delta_arrow="off")
persistent = result.persistent_worst()
cards[1].metric(f"Kent's worst {gap.WORST} that hold up", f"{len(persistent)} wards",
                f"in the worst {gap.WORST} under ≥{gap.PERSISTENT_SHARE:.0%} of {result.draws:,} weightings", delta_color="off", delta_arrow="off")
cards[2].metric("Weights (broadband/transport/services)", "/".join(map(str, weights.as_tuple())),
                gap.PRESET_LABELS[weights.preset()], delta_color="off", delta_arrow="off")

st.caption(gap_view.gap_broadband_context(view.district))

st.header(f"The gap index across {place}'s wards")
components.show_layer(gap_view.gap_layer(result, view.district), key=f"gap_map_{view.district}_{weights.as_tuple()}_{view.seed}",
                      table_expanded=False)

st.header("How stable is each rank?")
st.markdown(gap_view.gap_stability_text(result))
band_data, band_spec = gap_charts.gap_band_chart(result, view.district)
st.vega_lite_chart(band_data, band_spec, width="stretch")
st.markdown(f"**In Kent's worst {gap.WORST} under at least {gap.PERSISTENT_SHARE:.0%} of weightings:** " + (
    ", ".join(f"{literal(r.ward_name)} ({literal(r.district_name)}, "
              f"{gap_view.share_with_margin(r.worst_ten_share, r.worst_ten_margin)})"
              for r in persistent.itertuples())
    if len(persistent) else "none: the worst ten depend on the weights."))
st.dataframe(gap_view.gap_table(result, view.district), hide_index=True, width="stretch")
st.download_button("Download the index, components, bands and inputs (CSV)",
                   in_release(lambda: gap_view.gap_download(result, view.district)),
                   file_name=f"kent-gap-index-{'-'.join(map(str, weights.as_tuple()))}-seed{view.seed}.csv",
                   mime="text/csv", icon=":material/download:", on_click="ignore")

st.header("Need × provision")
st.markdown("Each dot is a ward: across, its need (income and employment deprivation); up, its infrastructure gap. "
            "Dashed lines are Kent's ward medians. Wards top right have both high need and a big gap.")
need_data, need_spec = gap_charts.need_provision_chart(result, view.district)
st.vega_lite_chart(need_data, need_spec, width="stretch")
counts = shown.quadrant.value_counts()
st.markdown(" · ".join(f"{name}: {counts.get(name, 0)} wards" for name in
                       ("Higher need, bigger gap", "Higher need, smaller gap", "Lower need, bigger gap", "Lower need, smaller gap")))

with st.expander("Method, sources and direction checks", expanded=False):
    st.markdown(
        "1. **Inputs.** Each input below is scored across Kent's 255 wards as a percentile: 0 for the smallest gap in Kent, "
        "1 for the biggest (ties share the average). Its direction is stated and checked against the data every time "
        "the index is built.\n"
        "2. **Components.** Broadband, transport and access-to-services gaps are weighted means of their inputs' scores.\n"
        "3. **Index.** The weighted mean of the three components with your weights, times 100. Districts and Kent on "
        "other pages: the resident-weighted mean of their wards at balanced weights.\n"
        f"4. **Rank bands.** {result.draws:,} weightings around yours (each of the three component weights × a factor in "
        f"[{1 - gap.WEIGHT_SPREAD:g}, {1 + gap.WEIGHT_SPREAD:g}], zero stays zero; the factors come from "
        f"{gap.REPLICATES} scrambled Sobol' sequences, which cover the range evenly, so the shares barely move with the "
        "seed); 5th to 95th percentile of each ward's Kent rank; the worst-ten share's 95% margin is from the spread of "
        "the sequences' shares. The inputs' own weights within a component and the data are not varied. "
        f"Bands widened to include the rank at your weights: {result.widened_bands}.\n"
        "5. **Need.** The mean of each ward's Kent percentiles of IoD 2025 income and employment deprivation, times 100.\n"
        f"6. **Counted once.** The IoD 2025 geographical-barriers sub-domain ranks wards exactly opposite to the transport "
        f"connectivity score (Spearman {result.same_measure_spearman:+.2f} across Kent's wards): it is one measure, so it "
        "enters once, as transport connectivity. Access to services uses the independent measures: patients per GP and "
        "the IoD 2019 road distances to a GP, primary school, post office and food shop.\n"
        "Missing values are never filled: a ward missing an input of a weighted component has no index.")
    st.dataframe(gap_view.gap_method_table(result), hide_index=True, width="stretch")
if view.embed:
    components.full_explorer_link(url_state.gap_params(view))
components.attribution_footer()
