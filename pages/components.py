"""Streamlit pieces every page shares: URL state, the layer picker, map + legend + table, attribution.

This is the only module besides the page scripts that imports Streamlit; it holds no data logic.
"""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st
from streamlit_folium import st_folium

from geo import db, explore, gap, search, state as url_state
from geo.db import DatabaseMissing, DatabaseUnavailable
from geo.text import markdown_literal as literal, markdown_table

# Streamlit's default caption grey is below WCAG AA contrast on white.
PAGE_CSS = """<style>[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p
{color: #4a4b57 !important; opacity: 1 !important;}
/* WCAG 2.4.7 / 2.4.13: one focus ring everywhere, near-black (at least 3:1 on white and on the current page's
   pill in the top navigation), offset so it never merges with the control's own border. */
a:focus-visible, button:focus-visible, summary:focus-visible, [role="slider"]:focus-visible, [tabindex]:focus-visible,
[data-baseweb="select"]:focus-within, label:has(input[type="radio"]:focus-visible),
label:has(input[type="checkbox"]:focus-visible), [data-baseweb="input"]:focus-within,
[data-baseweb="textarea"]:focus-within, [data-testid="stTextAreaRootElement"]:focus-within,
[data-testid="stDataFrameResizable"]:focus-within
{outline: 3px solid #0b0c0c !important; outline-offset: 2px !important;}
[data-baseweb="select"] input:focus-visible, [data-baseweb="input"] input:focus-visible,
[data-baseweb="textarea"] textarea:focus-visible {outline: none !important;}
a.kle-skip {position: absolute; left: -9999px;}
a.kle-skip:focus {position: static; display: inline-block; padding: 4px 8px; background: #ffdd00; color: #0b0c0c;
  text-decoration: underline;}
</style>"""
# A small script in the page itself (st.html runs it; no Streamlit code is patched):
# - <html lang="en-GB"> (Streamlit 1.67 serves its index.html with lang="en" and has no setting for it);
# - each map's iframe titled for what it shows: the title travels on the "Skip the map" link just before it;
# - "Skip the map" moves focus past the map to the table;
# - WCAG 2.1.4: Streamlit binds the bare keys "r" (rerun) and "c" (clear cache, developers only) on the whole page,
#   with no setting to switch them off; outside text fields they are stopped here, so nothing happens on a stray key.
A11Y_SCRIPT = """<script>(function () {
  if (window.kleA11y) { window.kleA11y(); return; }
  function apply() {
    if (document.documentElement.lang !== "en-GB") document.documentElement.lang = "en-GB";
    var frames = Array.prototype.slice.call(document.querySelectorAll("iframe"));
    document.querySelectorAll("a.kle-skip[data-map-title]").forEach(function (link) {
      var title = link.getAttribute("data-map-title");
      var frame = frames.find(function (f) { return link.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING; });
      if (frame && frame.title !== title) frame.title = title;
    });
  }
  window.kleA11y = apply;
  new MutationObserver(apply).observe(document.body, {childList: true, subtree: true, attributes: true,
                                                      attributeFilter: ["title"]});
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.kle-skip");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({block: "start"});
  });
  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || "rRcC".indexOf(event.key) < 0 || event.key.length !== 1) return;
    var target = event.composedPath ? event.composedPath()[0] : event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName || ""))) return;
    event.stopImmediatePropagation();
  }, true);
  apply();
})();</script>"""
EMBED_CSS = """<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], footer {display: none !important;}
.block-container {padding-top: 0.5rem !important;}
</style>"""


def run_through_app() -> None:
    """Make sure app.py (page config, navigation) runs, even for the first deep link after a restart.

    Because pages/ sits beside app.py, a fresh Streamlit server starts in its legacy pages-folder
    mode and runs a deep-linked page (e.g. /district) on its own, with an automatic sidebar, until
    app.py has called st.navigation once. Switch that mode off and rerun through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


SEARCH_LABEL = "Find a postcode, place, ward or district"


def search_box(initial: str = "", on_find_page: bool = False) -> None:
    """The one search box on every explorer page: submitting opens /find?q=<text> (the URL is the state)."""
    form_key = hashlib.sha256(initial.encode("utf-8")).hexdigest()[:16]  # a new form per search text, no user text in keys
    with st.form(f"site_search_{form_key}", border=False, enter_to_submit=True):
        text_column, button_column = st.columns([6, 1], vertical_alignment="bottom")
        text = text_column.text_input(SEARCH_LABEL, value=initial, max_chars=100, type="search",
                                      placeholder="e.g. CT9 1AE, Tenterden, Margate Central, Thanet")
        submitted = button_column.form_submit_button("Search")
    if submitted and text.strip() and text.strip() != initial:
        if on_find_page:
            st.query_params["q"] = text.strip()  # a new browser history entry: Back returns to the last search
            st.rerun()
        st.switch_page("pages/find.py", query_params={"q": text.strip()})


def _read_view(parse):
    """The start every page shares: through app.py, the URL parsed by ``parse(params, districts)``, page CSS, warnings."""
    run_through_app()
    if not st.context.is_embedded:
        search_box()
    try:
        view, warnings = parse(st.query_params.to_dict(), explore.districts().district_code)
    except DatabaseUnavailable as error:  # a fixed message: no path, no traceback (those go to the log)
        st.error(str(error), icon=":material/error:")
        st.stop()
    except DatabaseMissing as error:
        st.error(f"{error} See README.md.")
        st.stop()
    st.html(PAGE_CSS)
    if db.fault():
        st.warning(db.fault(), icon=":material/warning:")
    st.html(A11Y_SCRIPT, unsafe_allow_javascript=True)
    # Streamlit keeps `embed` to itself (it is not in st.query_params); it reports it here.
    view = replace(view, embed=bool(st.context.is_embedded))
    for warning in warnings:
        st.warning(warning, icon=":material/warning:")
    if view.embed:
        st.html(EMBED_CSS)
    return view


def read_find_query() -> str:
    """The /find page's start: through app.py, page CSS, and the search text from ?q= (last one if repeated)."""
    run_through_app()
    st.html(PAGE_CSS)
    values = st.query_params.get_all("q")
    return search.clean_query(values[-1] if values else "")


_ANSWER_STYLE = {"postcode": st.success, "names": st.info, "postcode_district": st.info}


def show_search_results(query: str) -> None:
    """What the search finds for the text: the text echoed, a message, then each result as a link to its page."""
    if query:
        st.markdown(f"Searched for {url_state.code_span(query)}")
    try:
        answer = search.search(query)
    except DatabaseUnavailable as error:  # a fixed message: no path, no traceback
        st.error(str(error), icon=":material/error:")
        return
    except DatabaseMissing as error:
        st.error(f"{error} See README.md.")
        return
    (_ANSWER_STYLE.get(answer.kind) or st.warning)(answer.message)
    results = answer.results
    if results:
        # Plain links (same tab): they work from any page and in AppTest, and Back returns to this search.
        items = "".join(f'<li><a href="{html.escape(r.href)}" target="_self">{html.escape(r.name)}</a> '
                        f'\u2014 {html.escape(r.detail)}</li>' for r in results)
        st.markdown(f'<ul class="kle-search-results">{items}</ul>', unsafe_allow_html=True)


def read_state(default: url_state.ViewState) -> url_state.ViewState:
    """The view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse(
        params, districts=districts, wards=explore.wards().ward_code,
        layers=list(explore.layer_choices().indicator_id), default=default))


def page_title(text: str) -> None:
    """The browser tab's title for this view (WCAG 2.4.2): what is shown, and where."""
    st.set_page_config(page_title=f"{text} · Kent Locality Explorer")


def map_title(layer: explore.Layer, place: str | None = None) -> str:
    """What a map shows, for its iframe's title and the page title: "Map: <layer> (<vintage>) by ward, Thanet"."""
    if place is None:
        place = "Kent" if layer.district_code is None else \
            explore.districts().set_index("district_code").district_name[layer.district_code]
    return f"Map: {layer.indicator['label']} ({layer.indicator['vintage']}) by {explore.LEVEL_NOUN[layer.level]}, {place}"


def write_state(view: url_state.ViewState, default: url_state.ViewState) -> None:
    """Make the URL describe the view (so links reproduce it)."""
    wanted = url_state.to_params(replace(view, embed=False), default)  # Streamlit preserves `embed` itself
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def known(value, allowed, fallback):
    """value if the widget offered it, else fallback: a raw websocket can send anything."""
    try:
        return value if value in allowed else fallback
    except TypeError:  # an unhashable or incomparable crafted value
        return fallback


def layer_picker(view: url_state.ViewState, levels=url_state.LEVELS) -> url_state.ViewState:
    """Layer, level and class widgets, initialised from the URL."""
    choices = explore.layer_choices()
    label_of = {r.indicator_id: f"{r.theme_label}: {r.label}" for r in choices.itertuples()}
    ids = list(choices.indicator_id)
    columns = st.columns([3, 2, 2])
    layer = columns[0].selectbox("Layer", ids, index=ids.index(view.layer), format_func=label_of.get,
                                 key="layer", help="Every indicator in the catalogue, grouped by theme.")
    level = columns[1].radio("Areas", list(levels), index=list(levels).index(view.level) if view.level in levels else 0,
                             format_func=url_state.LEVEL_LABELS.get, horizontal=True, key="level")
    classes = columns[2].selectbox("Map classes", url_state.CLASS_SCHEMES,
                                   index=url_state.CLASS_SCHEMES.index(view.classes),
                                   format_func=url_state.CLASS_LABELS.get, key="classes")
    # A raw websocket can send any value for a widget: keep only what the widgets offer.
    return replace(view, layer=known(layer, ids, view.layer), level=known(level, levels, view.level),
                   classes=known(classes, url_state.CLASS_SCHEMES, view.classes))


_WARDS_KEY = "compare_wards"
_WARDS_FROM_URL = "compare_wards_from_url"  # the URL's wards when the widget last took them


def _add_ward_by_postcode() -> None:
    """Add the postcode's ward to the chosen wards once, when the postcode is entered (not on every rerun)."""
    postcode = url_state.normalise_postcode(st.session_state.get("postcode", ""))
    found = explore.find_postcode(postcode) if postcode else None
    chosen = list(st.session_state.get(_WARDS_KEY, []))
    if found and found["ward_code"] not in chosen and len(chosen) < url_state.MAX_COMPARED_WARDS:
        st.session_state[_WARDS_KEY] = chosen + [found["ward_code"]]


def ward_picker(view: url_state.ViewState) -> url_state.ViewState:
    """The wards to compare, in the order chosen: by postcode, or by name (optionally narrowed to one district).

    The multiselect keeps one key, so picking a ward never rebuilds it; it takes the URL's wards only when
    the URL changed from outside it (first visit, a shared link, a map click).
    """
    if st.session_state.get(_WARDS_FROM_URL) != list(view.wards):
        st.session_state[_WARDS_KEY] = list(view.wards)
        st.session_state[_WARDS_FROM_URL] = list(view.wards)
    wards = explore.wards()
    label_of = {r.ward_code: f"{r.ward_name} ({r.district_name})" for r in wards.itertuples()}
    districts = explore.districts()
    district_names = {None: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
    left, right = st.columns([1, 2])
    postcode_text = left.text_input("Add a ward by postcode", placeholder="e.g. CT9 1AE", key="postcode",
                                    on_change=_add_ward_by_postcode, help="Kent postcodes only (Code-Point Open 2025.2).")
    if postcode_text:
        postcode = url_state.normalise_postcode(postcode_text)
        found = explore.find_postcode(postcode) if postcode else None
        if found is None:
            left.warning("That is not a Kent postcode we know. Check it, or pick the ward by name.")
        else:
            left.success(f"{literal(found['postcode'])} is in {literal(found['ward_name'])} ward, {literal(found['district_name'])}.")
    district = right.selectbox("List the wards of", list(district_names), format_func=district_names.get,
                               key="compare_wards_of", help="Narrows the list below; wards already chosen stay.")
    if district not in district_names:  # a crafted value from a raw websocket
        district = None
    # Only known wards, at most the maximum: a raw websocket can send any strings for the multiselect.
    chosen = [code for code in st.session_state[_WARDS_KEY] if code in label_of][:url_state.MAX_COMPARED_WARDS]
    if chosen != list(st.session_state[_WARDS_KEY]):
        st.session_state[_WARDS_KEY] = chosen
    listed = wards.ward_code if district is None else wards.ward_code[wards.district_code == district]
    options = chosen + [code for code in listed if code not in chosen]
    # No "Select all matches": typing a district's name would pick its first few wards, not all of them.
    picked = st.multiselect(f"Wards to compare (2 to {url_state.MAX_COMPARED_WARDS}), in the order chosen", options,
                            format_func=lambda code: label_of.get(code, str(code)),  # any crafted string, dropped below
                            max_selections=url_state.MAX_COMPARED_WARDS, key=_WARDS_KEY,
                            select_all=False, filter_mode="contains",
                            placeholder="Type a ward's name" if district is None else f"Type or pick a ward of {district_names[district]}")
    picked = [code for code in picked if code in label_of]
    st.session_state[_WARDS_FROM_URL] = list(picked)
    return replace(view, wards=tuple(picked))


def table_controls(view: url_state.ViewState) -> url_state.ViewState:
    """/data's controls, initialised from the URL: areas, district, the Kent ranking, its fifth or top ranks, and
    value filters (at least / at most) on any indicators."""
    districts = explore.districts()
    names = {None: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
    top = st.columns(2)
    level = top[0].radio("Areas", list(url_state.LEVELS), index=url_state.LEVELS.index(view.level),
                         format_func=url_state.LEVEL_LABELS.get, horizontal=True, key="level")
    district = top[1].selectbox("District", list(names), index=list(names).index(view.district),
                                format_func=names.get, key="district")
    rows = explore.catalogue.load()
    available = explore.indicators_at_level(level)
    if view.layer not in available:
        st.info(f"{rows.label[view.layer]} is not published for {url_state.LEVEL_LABELS[level].lower()}; "
                f"ranking by {rows.label[url_state.DEFAULT_LAYER]} instead.", icon=":material/info:")
        view = replace(view, layer=url_state.DEFAULT_LAYER)
    ranking = st.columns([3, 3, 2])
    layer = ranking[0].selectbox("Rank by", available, index=available.index(view.layer), format_func=rows.label.get,
                                 key=f"rank_by_{level}", help="Kent rank 1 is the worst area in Kent (for measures "
                                 "that are neither good nor bad, the largest).")
    row = rows.loc[layer].to_dict()
    fifth = ranking[1].selectbox("Kent fifth", [None, *url_state.FIFTHS], index=[None, *url_state.FIFTHS].index(view.fifth),
                                 format_func=lambda k: "Every fifth" if k is None else
                                 _sentence(explore.fifth_words(k, row, level).removeprefix("in ")), key="fifth")
    rank_max = ranking[2].number_input("Kent rank at most", min_value=1, max_value=url_state.MAX_RANK, step=1,
                                       value=view.rank_max, placeholder="Any rank", key="rank_max")
    st.markdown("**Filters by value**: every filter must hold; an area with no value for a filtered measure is left out.")
    chosen = st.multiselect("Measures to filter on", [i for i in rows.index if i in available],
                            default=[i for i, _, _ in view.value_filters if i in available], format_func=rows.label.get,
                            key=f"filters_{level}")
    bounds = {i: (low, high) for i, low, high in view.value_filters}
    filters = []
    for indicator_id in chosen:
        decimals = int(rows.decimals[indicator_id])
        low, high = bounds.get(indicator_id, (None, None))
        heading = explore.catalogue.heading(rows.loc[indicator_id].to_dict())
        cells = st.columns(2)
        number = {"step": 10.0 ** -decimals, "format": f"%.{decimals}f"}
        low = cells[0].number_input(f"{heading}: at least", value=low, placeholder="No lower limit",
                                    key=f"min_{indicator_id}", **number)
        high = cells[1].number_input(f"{heading}: at most", value=high, placeholder="No upper limit",
                                     key=f"max_{indicator_id}", **number)
        filters.append((indicator_id, low, high))
    return replace(view, level=level, district=district, layer=layer, fifth=fifth,
                   rank_max=int(rank_max) if rank_max else None, value_filters=tuple(filters))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def match_status(shown: int, total: int, description: str) -> None:
    """The number of matching areas, announced to screen readers whenever it changes (role="status")."""
    st.html(f'<p role="status" aria-live="polite" style="margin:0.25rem 0;font-weight:600;color:#1a1a1a">'
            f"{shown:,} of {total:,} match: {html.escape(description)}.</p>")


def overlay_picker(view: url_state.ViewState) -> url_state.ViewState:
    """Optional point overlays."""
    labels = {"rail_stations": "Rail stations", "bus_stops": "Bus stops"}
    # format_func copes with any string: a raw websocket can send one that is not an option (dropped below).
    chosen = st.multiselect("Show on the map", list(labels), default=list(view.overlays),
                            format_func=lambda code: labels.get(code, str(code)),
                            key="overlays")
    chosen = [c for c in chosen if c in labels]  # a raw websocket can send any strings
    if "rail_stations" in chosen:
        st.caption(explore.RAIL_EDGE_NOTE)
    return replace(view, overlays=tuple(chosen))


def overlay_points(overlays, district_code) -> dict:
    """Point lists for the chosen overlays."""
    points = {}
    if "rail_stations" in overlays:
        stations = explore.db.run("rail_stations_in_area", district_code=district_code)
        points["rail_stations"] = [{"name": r.station_name, "lon": r.lon, "lat": r.lat} for r in stations.itertuples()]
    if "bus_stops" in overlays:
        stops = explore.db.run("bus_stops_in_area", district_code=district_code)
        points["bus_stops"] = [{"name": r.stop_name, "lon": r.lon, "lat": r.lat} for r in stops.itertuples()]
    return points


def show_layer(layer: explore.Layer, *, key: str, selected=(), overlays=None, height: int = 520,
               table_expanded: bool = False, place: str | None = None) -> str | None:
    """Legend, map and the table of the same values; returns the area code clicked on the map, if any.

    The page's title names the map (``place``: where it is, by default the layer's district or Kent); a
    "Skip the map" link before it goes straight to the table.
    """
    for note in layer.notes:
        st.info(literal(note), icon=":material/info:")
    title = map_title(layer, place)
    page_title(title.removeprefix("Map: "))
    after_map = "kle-after-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)
    st.html(f'<a class="kle-skip" href="#{after_map}" data-map-title="{html.escape(title)}">'
            f"Skip the map: go to the table of its {len(layer.values)} values</a>")
    legend_column, map_column = st.columns([1, 3])
    with legend_column:
        st.html(layer.legend_html())
        st.caption(f"Source: {literal(layer.indicator['publisher'])}, {literal(layer.indicator['vintage'])}. "
                   f"{literal(layer.indicator['method'])}")
        if layer.indicator["caveat"]:
            st.caption(f"Caveat: {literal(layer.indicator['caveat'])}")
    with map_column:
        event = st_folium(layer.map(selected_codes=selected, overlays=overlays or {}), key=key, height=height,
                          use_container_width=True, returned_objects=["last_active_drawing"])
    st.html(f'<span id="{after_map}" tabindex="-1"></span>')
    with st.expander(f"Table of the {len(layer.values)} values on the map", expanded=table_expanded):
        frame = layer.table()
        table(frame.set_index(frame.columns[0]))
    clicked = ((event or {}).get("last_active_drawing") or {}).get("properties") or {}
    return clicked.get("area_code")


def open_ward_profile(clicked: str | None, map_key: str) -> None:
    """A ward clicked on a map opens its profile, once per click (coming Back to the map does not reopen it)."""
    handled = f"opened_profile_{map_key}"
    if clicked and st.session_state.get(handled) != clicked:
        st.session_state[handled] = clicked
        st.switch_page("pages/ward.py", query_params={"ward": clicked})


def district_outline_note(layer: explore.Layer, view: url_state.ViewState) -> tuple[str, ...]:
    """On the Kent page, a district in the URL is honoured: its areas are outlined, and a note links to its own map
    (keeping embed=true, so an embed stays an embed). Returns the codes to outline."""
    if not view.district:
        return ()
    name = explore.districts().set_index("district_code").district_name[view.district]
    outlined = layer.codes_in(view.district)
    query = urlencode({"district": view.district, "layer": view.layer} | ({"embed": "true"} if view.embed else {}))
    areas = (f"{len(outlined)} {url_state.LEVEL_LABELS[layer.level].lower()}" if len(outlined) != 1
             else explore.LEVEL_NOUN[layer.level])
    st.info(f"This is the Kent map with {name}'s {areas} outlined in black. [Open {name}'s own map](district?{query})",
            icon=":material/info:")
    return outlined


def table(frame) -> None:
    """st.table with every text cell, heading and index label shown literally (st.table renders Markdown)."""
    st.table(markdown_table(frame))


def full_explorer_link(params: dict[str, str]) -> None:
    """From an embed: a link that opens the same view (these URL parameters, without embed) in the full explorer,
    in a new tab. The link is query-only (``?layer=…``), so it keeps the page's path under any sub-path deployment."""
    query = urlencode({k: v for k, v in params.items() if k != "embed"})
    st.markdown(f'<a href="?{html.escape(query)}" target="_blank" rel="noopener">'
                "Open the full Kent Locality Explorer (new tab)</a>", unsafe_allow_html=True)


def attribution_footer() -> None:
    """The attribution lines every page must carry."""
    st.divider()
    st.markdown("**Sources and licences**")
    for line in explore.attributions():
        st.caption(literal(line))


# --- the /gap page -----------------------------------------------------------------------------

def read_gap_state() -> url_state.GapView:
    """The gap view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse_gap(params, districts=districts))


def write_gap_state(view: url_state.GapView) -> None:
    """Make the URL describe the gap view."""
    wanted = url_state.gap_params(replace(view, embed=False))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def _apply_preset() -> None:
    preset = st.session_state.gap_preset
    if preset in gap.PRESETS:
        for component, weight in zip(gap.COMPONENTS, gap.PRESETS[preset]):
            st.session_state[f"gap_w_{component}"] = weight


def _match_preset() -> None:
    st.session_state.gap_preset = gap.preset_of(tuple(st.session_state[f"gap_w_{c}"] for c in gap.COMPONENTS))


def gap_controls(view: url_state.GapView) -> url_state.GapView:
    """District, preset and the three weight sliders, initialised from the URL."""
    districts = explore.districts()
    names = dict(zip(districts.district_code, districts.district_name))
    options = [None] + list(districts.district_code)
    if "gap_preset" not in st.session_state:  # first run of this session: the URL decides
        st.session_state.gap_preset = view.preset
        for component, weight in zip(gap.COMPONENTS, view.weights):
            st.session_state[f"gap_w_{component}"] = weight
    top = st.columns([2, 2, 3])
    district = top[0].selectbox("Wards of", options, index=options.index(view.district),
                                format_func=lambda code: "All of Kent" if code is None else names[code], key="gap_district")
    top[1].selectbox("Weights preset", list(gap.PRESET_LABELS), format_func=gap.PRESET_LABELS.get, key="gap_preset",
                     on_change=_apply_preset, help="Presets set the three weights; moving a weight makes them custom.")
    top[2].caption("Weights are whole numbers from 0 (left out) to 10. Only their ratios matter: 5/5/5 equals 1/1/1.")
    sliders = st.columns(3)
    weights = tuple(sliders[i].slider(label, 0, gap.MAX_WEIGHT, step=1, key=f"gap_w_{component}", on_change=_match_preset)
                    for i, (component, label) in enumerate(explore.GAP_COMPONENT_LABELS.items()))
    weights = tuple(w if isinstance(w, int) and 0 <= w <= gap.MAX_WEIGHT else d  # crafted values: the URL's
                    for w, d in zip(weights, view.weights))
    return replace(view, district=known(district, options, view.district), weights=weights)


# --- the /change page --------------------------------------------------------------------------

def read_change_state() -> url_state.ChangeView:
    """The change view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse_change(
        params, districts=districts, layers=list(explore.layer_choices().indicator_id)))


def write_change_state(view: url_state.ChangeView) -> None:
    """Make the URL describe the change view."""
    wanted = url_state.change_params(replace(view, embed=False))
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
