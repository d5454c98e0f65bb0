"""Streamlit pieces every page shares: URL state, the layer picker, map + legend + table, attribution.

This is the only module besides the page scripts that imports Streamlit; it holds no data logic.
"""
from __future__ import annotations

import contextvars
import html
import re
import threading
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from cachetools import LRUCache

from geo import gap
from geo import catalogue
from geo.explorer import areas, db, downloads, gap_view, layers, maps, metadata, release_view, search, state as url_state
from geo.explorer.db import DatabaseMissing, DatabaseUnavailable
from geo.explorer.text import html_table, markdown_literal as literal, markdown_table

# Streamlit's default caption grey is below WCAG AA contrast on white.
PAGE_CSS = """<style>[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p
{color: #4a4b57 !important; opacity: 1 !important;}
/* WCAG 2.4.7 / 2.4.13: one focus ring everywhere, near-black (at least 3:1 on white and on the current page's
   pill in the top navigation), offset so it never merges with the control's own border. */
a:focus-visible, button:focus-visible, summary:focus-visible, [role="slider"]:focus-visible, [tabindex]:focus-visible,
[data-baseweb="select"]:focus-within, label:has(input[type="radio"]:focus-visible),
label:has(input[type="checkbox"]:focus-visible), [data-baseweb="input"]:focus-within,
[data-baseweb="textarea"]:focus-within, [data-testid="stTextAreaRootElement"]:focus-within,
[data-testid="stDataFrameResizable"]:focus-within, .kle-search input:focus-visible
{outline: 3px solid #0b0c0c !important; outline-offset: 2px !important;}
[data-baseweb="select"] input:focus-visible, [data-baseweb="input"] input:focus-visible,
[data-baseweb="textarea"] textarea:focus-visible {outline: none !important;}
a.kle-skip {position: absolute; left: -9999px;}
.kle-table summary {cursor: pointer; font-weight: 600; padding: 0.5rem 0;}
.kle-table-scroll {overflow-x: auto; max-width: 100%;}
.kle-table table {border-collapse: collapse; width: 100%; font-size: 0.875rem; color: #0b0c0c;}
.kle-table th, .kle-table td {text-align: left; vertical-align: top; padding: 0.3rem 0.6rem; border-bottom: 1px solid #d0d0d7;}
.kle-table thead th {border-bottom: 2px solid #0b0c0c;}
a.kle-skip:focus {position: static; display: inline-block; padding: 4px 8px; background: #ffdd00; color: #0b0c0c;
  text-decoration: underline;}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, [data-testid="stMetricValue"],
[data-testid="stMetricValue"] * {white-space: normal !important; overflow: visible !important;
text-overflow: clip !important; overflow-wrap: anywhere;}
[data-testid="stMetricValue"] {font-size: clamp(1.25rem, 2.2vw, 2.25rem) !important; line-height: 1.2 !important;}
.kle-search {margin: 0 0 0.5rem;}
.kle-search label {display: block; font-size: 0.875rem; color: #31333f; margin-bottom: 0.25rem;}
.kle-search-row {display: flex; gap: 0.5rem;}
.kle-search input {flex: 1 1 auto; min-width: 0; font: inherit; color: #0b0c0c; padding: 0.45rem 0.75rem;
  border: 1px solid #6b6e7a; border-radius: 0.5rem; background: #fff;}
.kle-search input::placeholder {color: #5c5f6b; opacity: 1;}
.kle-search button {font: inherit; color: #0b0c0c; padding: 0.45rem 1rem; border: 1px solid #6b6e7a;
  border-radius: 0.5rem; background: #fff; cursor: pointer;}
.kle-search button:hover {border-color: #0b0c0c;}
.kle-cards {display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: 1rem; margin: 0 0 0.5rem; padding: 0 !important;}
.kle-card {margin: 0; padding: 0; min-width: 0;}
.kle-card dt, .kle-card dd {padding: 0 !important; margin-left: 0 !important;}
.kle-card dt {font-size: 0.875rem; color: #31333f; margin: 0 0 0.25rem; overflow-wrap: anywhere;}
.kle-card dd {margin: 0; font-size: clamp(1.25rem, 2.2vw, 2.25rem); line-height: 1.2; color: #31333f; overflow-wrap: anywhere;}
.kle-card dd.kle-card-note {display: inline-block; font-size: 0.875rem; line-height: 1.4; color: #31333f; margin-top: 0.25rem;
  padding: 0 0.4rem !important; border-radius: 0.5rem; background: rgba(49, 51, 63, 0.1);}
</style>"""
# A small script in the page itself (st.html runs it; no Streamlit code is patched):
# - <html lang="en-GB"> (Streamlit 1.67 serves its index.html with lang="en" and has no setting for it);
# - "Skip the map" moves focus past the map to the table, and a long page's "On this page" links to their section;
# - a table too wide for a phone's screen is a named, focusable scroll box (keyboard scrolling);
# - WCAG 2.1.4: Streamlit binds the bare keys "r" (rerun) and "c" (clear cache, developers only) on the whole page,
#   with no setting to switch them off; outside text fields they are stopped here, so nothing happens on a stray key.
A11Y_SCRIPT = """<script>(function () {
  if (window.kleA11y) { window.kleA11y(); return; }
  function apply() {
    if (document.documentElement.lang !== "en-GB") document.documentElement.lang = "en-GB";
    if (!pending) { pending = true; window.requestAnimationFrame(scrollables); }
  }
  // A table wider than the screen (a phone) scrolls sideways in its box: that box becomes a named Tab stop, so the
  // keyboard can scroll it too (WCAG 2.1.1, axe scrollable-region-focusable); when it fits, it is not a stop.
  var pending = false;
  function scrollables() {
    pending = false;
    document.querySelectorAll('[data-testid="stTable"] > div').forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      if (wide && box.getAttribute("tabindex") !== "0") {
        var expander = box.closest('[data-testid="stExpander"]');
        var summary = expander && expander.querySelector("summary");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (summary ? summary.innerText.replace(/^\\S*arrow\\S*\\s*/, "").trim() : "Table") +
                         " (scrolls sideways)");
      } else if (!wide && box.getAttribute("tabindex") === "0") {
        ["tabindex", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  window.kleA11y = apply;
  window.addEventListener("resize", apply);
  new MutationObserver(apply).observe(document.body, {childList: true, subtree: true});
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.kle-skip, a.kle-jump");
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


# The pages and their URLs (a public contract: keep them): (script in pages/, title in the top bar, URL path).
# The first is the default page, at /. app.py runs navigation() of these.
PAGES = (
    ("kent.py", "Kent", ""),
    ("district.py", "District", "district"),
    ("compare.py", "Compare wards", "compare"),
    ("ward.py", "Ward profile", "ward"),
    ("find.py", "Find a place", "find"),
    ("gap.py", "Infrastructure gap", "gap"),
    ("change.py", "Change over time", "change"),
    ("data.py", "Rankings and downloads", "data"),
    ("about.py", "About the data", "about"),
)
_PAGES_FOLDER = Path(__file__).parent
# True once navigation() ran in this script thread: a page run inside app.py's navigation, not on its own.
_through_app: contextvars.ContextVar = contextvars.ContextVar("kle_through_app", default=False)


def navigation():
    """The app's navigation (st.navigation of PAGES: a top bar, hidden in an embed); returns the page to run."""
    _through_app.set(True)
    pages = [st.Page(_PAGES_FOLDER / script, title=title, url_path=path, default=not path)
             for script, title, path in PAGES]
    return st.navigation(pages, position="hidden" if st.context.is_embedded else "top")


def run_through_app() -> None:
    """Make sure app.py (page config, navigation) runs, even for the first deep link after a restart.

    Because pages/ sits beside app.py, a fresh Streamlit server (1.67) starts in its legacy pages-folder mode and
    runs a deep-linked page (e.g. /district) on its own, without app.py, until some session has called
    st.navigation. A page that finds app.py did not run before it calls st.navigation itself ("as soon as any
    session of your app executes the st.navigation command, your app will ignore the pages/ directory", its
    docstring) and reruns, now through app.py. Public API only: no Streamlit internals are read or set.
    """
    # Once per session: a page run on its own by a test (AppTest of pages/<name>.py) must not rerun on every click.
    if not _through_app.get() and not st.session_state.get("_kle_navigation_set"):
        st.session_state["_kle_navigation_set"] = True
        navigation()
        st.rerun()


SEARCH_LABEL = "Find a postcode, place, ward or district"
SEARCH_PLACEHOLDER = "e.g. CT9 1AE, Tenterden, Margate Central, Thanet"


def search_box(initial: str = "") -> None:
    """The one search box on every explorer page: a plain HTML form that opens /find?q=<text> (the URL is the
    state; the page's pinned release travels with it). A form rather than Streamlit widgets: their frontend
    chunks (18 files for a form, columns, a text input and a button) loaded before the map on every first visit."""
    shown = release_view.current().release_id  # chosen before the box is filled in (see _read_view)
    pin = (f'<input type="hidden" name="{url_state.RELEASE_PARAM}" value="{html.escape(shown)}">'
           if shown else "")
    st.html(f'<form class="kle-search" role="search" action="find" method="get" target="_self">'
            f'<label for="kle-search-q">{SEARCH_LABEL}</label><div class="kle-search-row">'
            f'<input id="kle-search-q" name="q" type="search" required maxlength="100" autocomplete="off" '
            f'enterkeyhint="search" value="{html.escape(initial)}" placeholder="{SEARCH_PLACEHOLDER}">'
            f'<button type="submit">Search</button></div>{pin}</form>')


_notice_slot: contextvars.ContextVar = contextvars.ContextVar("kle_release_notice", default=None)


def choose_release() -> list[str]:
    """This run reads the release the URL pins (release=<id>), else the one in service; a pinned page keeps a
    place at the top for its notice, filled once the view is known. Returns the warnings about the release."""
    shown = release_view.choose(st.query_params.to_dict())
    _notice_slot.set(st.empty() if shown.pinned else None)
    return list(shown.warnings)


def release_notice(view_params: dict[str, str]) -> None:
    """On a pinned page: "This page shows data release …; a newer one is in service", linking to the same view
    (its validated parameters, never the raw URL) on the latest release. Once per run."""
    slot = _notice_slot.get()
    notice = release_view.notice(release_view.current(), view_params)
    if slot is None or notice is None:
        return
    _notice_slot.set(None)
    message, href = notice
    with slot.container():
        st.info(message, icon=":material/history:")
        # A plain same-tab link (Streamlit's Markdown links open a new tab); href is built from validated values.
        st.html(f'<p><a class="kle-latest-release" href="{html.escape(href)}" target="_self">'
                "See the same view on the latest release</a></p>")


def _read_view(parse):
    """The start every page shares: through app.py, the release, the URL parsed by ``parse(params, districts)``,
    page CSS, warnings."""
    run_through_app()
    # The box sits at the top but is filled once the release is chosen, so that a search keeps this page's release.
    search_slot = None if st.context.is_embedded else st.empty()
    try:
        warnings = choose_release()
        view, view_warnings = parse(st.query_params.to_dict(), areas.districts().district_code)
        warnings += view_warnings
    except DatabaseUnavailable as error:  # a fixed message: no path, no traceback (those go to the log)
        st.error(str(error))
        st.stop()
    except DatabaseMissing as error:
        st.error(f"{error} See README.md.")
        st.stop()
    st.html(PAGE_CSS)
    if search_slot is not None:
        with search_slot:
            search_box()
    if db.fault():
        st.warning(db.fault())
    st.html(A11Y_SCRIPT, unsafe_allow_javascript=True)
    # Streamlit keeps `embed` to itself (it is not in st.query_params); it reports it here.
    view = replace(view, embed=bool(st.context.is_embedded))
    for warning in warnings:
        st.warning(warning)
    if view.embed:
        st.html(EMBED_CSS)
    return view


def read_find_query() -> str:
    """The /find page's start: through app.py, page CSS, and the search text from ?q= (last one if repeated)."""
    run_through_app()
    st.html(PAGE_CSS)
    st.html(A11Y_SCRIPT, unsafe_allow_javascript=True)  # lang en-GB and no single-key shortcuts here too
    try:
        for warning in choose_release():
            st.warning(warning, icon=":material/warning:")
    except DatabaseMissing:  # the search says so itself
        pass
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
        st.error(str(error))
        return
    except DatabaseMissing as error:
        st.error(f"{error} See README.md.")
        return
    (_ANSWER_STYLE.get(answer.kind) or st.warning)(answer.message)
    results = answer.results
    if results:
        # Plain links (same tab): they work from any page and in AppTest, and Back returns to this search.
        pin = urlencode(release_view.link_params(release_view.current()))  # results open in the release shown
        items = "".join(f'<li><a href="{html.escape(r.href + ("&" if "?" in r.href else "?") + pin if pin else r.href)}" '
                        f'target="_self">{html.escape(r.name)}</a> '
                        f'\u2014 {html.escape(r.detail)}</li>' for r in results)
        st.html(f'<ul class="kle-search-results">{items}</ul>')  # st.html: no Markdown renderer chunk to load


def read_state(default: url_state.ViewState) -> url_state.ViewState:
    """The view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse(
        params, districts=districts, wards=areas.wards().ward_code,
        layers=list(metadata.layer_choices().indicator_id), default=default))


def page_title(text: str) -> None:
    """The browser tab's title for this view (WCAG 2.4.2): what is shown, and where."""
    st.set_page_config(page_title=f"{text} · Kent Locality Explorer")


def map_title(layer: layers.Layer, place: str | None = None) -> str:
    """What a map shows, for its iframe's title and the page title: "Map: <layer> (<vintage>) by ward, Thanet"."""
    if place is None:
        place = "Kent" if layer.district_code is None else \
            areas.districts().set_index("district_code").district_name[layer.district_code]
        if layer.district_code and getattr(layer, "highlight", ()):  # a districts-only measure in its Kent context
            place = f"Kent, {place} outlined"
    return f"Map: {layer.indicator['label']} ({layer.indicator['vintage']}) by {url_state.LEVEL_NOUN[layer.level]}, {place}"


def write_state(view: url_state.ViewState, default: url_state.ViewState) -> None:
    """Make the URL describe the view (so links reproduce it)."""
    wanted = url_state.to_params(replace(view, embed=False), default)  # Streamlit preserves `embed` itself
    wanted |= release_view.link_params(release_view.current())  # the address bar pins the release it shows
    release_notice(wanted)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def known(value, allowed, fallback):
    """value if the widget offered it, else fallback: a raw websocket can send anything."""
    try:
        return value if value in allowed else fallback
    except TypeError:  # an unhashable or incomparable crafted value
        return fallback


def picked_view(view: url_state.ViewState, levels=url_state.LEVELS, scales: bool = False,
                overlays: bool = False, kent_wide: bool = False) -> url_state.ViewState:
    """The view that layer_picker (and, with ``overlays``, overlay_picker) will return, read before they are drawn,
    so that a page can send its map first and fill the pickers in above it afterwards (issue 15: the map's frontend
    chunk and iframe then load ahead of the widgets'). As the widgets themselves do, a value this session's browser
    set (st.session_state, under the widget's key) wins over the URL's; every value is checked against what the
    widgets offer."""
    state = st.session_state
    ids = list(metadata.layer_choices().indicator_id)
    first_level = view.level if view.level in levels else levels[0]  # the radio's own default (layer_picker)
    picked = replace(view, layer=known(state.get("layer", view.layer), ids, view.layer),
                     level=known(state.get("level", first_level), levels, view.level),
                     classes=known(state.get("classes", view.classes), url_state.CLASS_SCHEMES, view.classes))
    if scales:
        picked = replace(picked, scale=known(state.get("scale", view.scale), url_state.SCALES, view.scale))
    if overlays:
        labels = _overlay_labels(kent_wide)
        chosen = state.get("overlays", [o for o in view.overlays if o in labels])
        picked = replace(picked, overlays=tuple(c for c in (chosen if isinstance(chosen, (list, tuple)) else ())
                                                if known(c, labels, None) is not None))
    return picked


def layer_picker(view: url_state.ViewState, levels=url_state.LEVELS, scales: bool = False) -> url_state.ViewState:
    """Layer, level and class widgets, initialised from the URL; ``scales``: also choose whether a district's
    colours are classed within it or across Kent."""
    choices = metadata.layer_choices()
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
    scale = view.scale
    if scales:
        scale = st.radio("Colour classes", url_state.SCALES, index=url_state.SCALES.index(view.scale),
                         format_func=lambda code: url_state.SCALE_LABELS.get(code, str(code)), horizontal=True,
                         key="scale",
                         help="Within the district shows its own spread; across Kent makes districts comparable.")
    # A raw websocket can send any value for a widget: keep only what the widgets offer.
    return replace(view, layer=known(layer, ids, view.layer), level=known(level, levels, view.level),
                   classes=known(classes, url_state.CLASS_SCHEMES, view.classes),
                   scale=known(scale, url_state.SCALES, view.scale))


_WARDS_KEY = "compare_wards"
_WARDS_FROM_URL = "compare_wards_from_url"  # the URL's wards when the widget last took them


def _add_ward_by_postcode() -> None:
    """Add the postcode's ward to the chosen wards once, when the postcode is entered (not on every rerun)."""
    postcode = url_state.normalise_postcode(st.session_state.get("postcode", ""))
    found = areas.find_postcode(postcode) if postcode else None
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
    wards = areas.wards()
    label_of = {r.ward_code: f"{r.ward_name} ({r.district_name})" for r in wards.itertuples()}
    districts = areas.districts()
    district_names = {None: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
    left, right = st.columns([1, 2])
    postcode_text = left.text_input("Add a ward by postcode", placeholder="e.g. CT9 1AE", key="postcode",
                                    on_change=_add_ward_by_postcode, help="Kent postcodes only (Code-Point Open 2025.2).")
    if postcode_text:
        postcode = url_state.normalise_postcode(postcode_text)
        found = areas.find_postcode(postcode) if postcode else None
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
    districts = areas.districts()
    names = {None: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
    top = st.columns(2)
    level = top[0].radio("Areas", list(url_state.LEVELS), index=url_state.LEVELS.index(view.level),
                         format_func=url_state.LEVEL_LABELS.get, horizontal=True, key="level")
    district = top[1].selectbox("District", list(names), index=list(names).index(view.district),
                                format_func=names.get, key="district")
    rows = metadata.catalogue()
    available = metadata.indicators_at_level(level)
    if view.layer not in available:
        st.info(f"{rows.label[view.layer]} is not published for {url_state.LEVEL_LABELS[level].lower()}; "
                f"ranking by {rows.label[url_state.DEFAULT_LAYER]} instead.")
        view = replace(view, layer=url_state.DEFAULT_LAYER)
    ranking = st.columns([3, 3, 2])
    layer = ranking[0].selectbox("Rank by", available, index=available.index(view.layer), format_func=rows.label.get,
                                 key=f"rank_by_{level}", help="Kent rank 1 is the worst area in Kent (for measures "
                                 "that are neither good nor bad, the largest).")
    row = rows.loc[layer].to_dict()
    fifth = ranking[1].selectbox("Kent fifth", [None, *url_state.FIFTHS], index=[None, *url_state.FIFTHS].index(view.fifth),
                                 format_func=lambda k: "Every fifth" if k is None else
                                 _sentence(downloads.fifth_words(k, row, level).removeprefix("in ")), key="fifth")
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
        heading = catalogue.heading(rows.loc[indicator_id].to_dict())
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


def _overlay_labels(kent_wide: bool) -> dict[str, str]:
    """The overlays a page's picker offers, with their labels: no bus stops on a Kent-wide map."""
    return {code: label for code, label in url_state.OVERLAY_LABELS.items() if not (kent_wide and code == "bus_stops")}


def overlay_picker(view: url_state.ViewState, kent_wide: bool = False) -> url_state.ViewState:
    """Optional point overlays. Bus stops only on district maps: Kent's thousands of stops would bury its map."""
    labels = _overlay_labels(kent_wide)
    if kent_wide:
        if "bus_stops" in view.overlays:
            st.info("Bus stops are shown on district maps (District page): Kent's "
                    f"{len(db.run('bus_stops_in_area', district_code=None)):,} stops would hide the Kent map.")
    # format_func copes with any string: a raw websocket can send one that is not an option (dropped below).
    chosen = st.multiselect("Show on the map", list(labels), default=[o for o in view.overlays if o in labels],
                            format_func=lambda code: labels.get(code, str(code)),
                            key="overlays")
    chosen = [c for c in chosen if c in labels]  # a raw websocket can send any strings
    if "rail_stations" in chosen:
        st.caption(maps.RAIL_EDGE_NOTE)
    return replace(view, overlays=tuple(chosen))


def overlay_points(overlays, district_code) -> dict:
    """Point lists for the chosen overlays."""
    points = {}
    if "rail_stations" in overlays:
        stations = db.run("rail_stations_in_area", district_code=district_code)
        points["rail_stations"] = [{"name": r.station_name, "lon": r.lon, "lat": r.lat} for r in stations.itertuples()]
    if "bus_stops" in overlays:
        stops = db.run("bus_stops_in_area", district_code=district_code)
        points["bus_stops"] = [{"name": r.stop_name, "lon": r.lon, "lat": r.lat} for r in stops.itertuples()]
    return points


# The map is drawn in the page itself, not in streamlit-folium's iframe: no frame to start and no 225 kB component
# bundle to fetch (issue 15). What it draws is the folium map's own script (maps.mount_data).
_map_component = st.components.v2.component("kle_map", js=maps.MOUNT_JS, isolate_styles=False)


def _no_callback() -> None:
    """A click needs no callback: its area code is read from the map's result in the run the click starts."""


def page_map(folium_map, *, key: str, title: str, height: int = 520) -> str | None:
    """Draw a folium map in the page; returns the code of the area clicked, in the run that click started (else None).
    ``title`` names the map for screen readers, as its heading would ("Map: Crime by ward, Ashford")."""
    return _map_component(key=key, data=maps.mount_data(folium_map, title, height),
                          on_clicked_change=_no_callback).clicked


def show_layer(layer: layers.Layer, *, key: str, selected=(), overlays=None, height: int = 520,
               table_expanded: bool = False, place: str | None = None) -> str | None:
    """Legend, map and the table of the same values; returns the area code clicked on the map in this run, if any.

    The page's title names the map (``place``: where it is, by default the layer's district or Kent); a
    "Skip the map" link before it goes straight to the table.
    """
    for note in layer.notes:
        st.info(literal(note))
    title = map_title(layer, place)
    page_title(title.removeprefix("Map: "))
    after_map = "kle-after-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)
    st.html(f'<a class="kle-skip" href="#{after_map}">'
            f"Skip the map: go to the table of its {len(layer.values)} values</a>")
    legend_column, map_column = st.columns([1, 3])
    selected = tuple(selected) or getattr(layer, "highlight", ())  # other layer types (/change) outline nothing
    with map_column:  # the map is sent before its legend, so it starts loading first (issue 15)
        clicked = page_map(layer.map(selected_codes=selected, overlays=overlays or {}), key=key, title=title,
                           height=height)
    with legend_column:
        st.html(layer.legend_html())
        if getattr(layer, "scale_note", ""):
            st.caption(layer.scale_note)
        if overlays:
            st.html(maps.overlay_legend_html(overlays))
        st.caption(f"Source: {literal(layer.indicator['publisher'])}, {literal(layer.indicator['vintage'])}. "
                   f"{literal(layer.indicator['method'])}")
        if layer.indicator["caveat"]:
            st.caption(f"Caveat: {literal(layer.indicator['caveat'])}")
    st.html(f'<span id="{after_map}" tabindex="-1"></span>')
    st.html(_layer_table_html(layer, table_expanded))
    return clicked


def section_links(sections: dict[str, str]) -> None:
    """"On this page" links (anchor id -> section name) that move the keyboard to each section of a long page
    (WCAG 2.4.1), so a section far down is a few Tab stops away, not dozens."""
    items = "".join(f'<li><a class="kle-jump" href="#{html.escape(anchor)}">{html.escape(name)}</a></li>'
                    for anchor, name in sections.items())
    st.html(f'<nav aria-label="On this page"><p style="margin:0">On this page:</p>'
            f'<ul style="margin:0.25rem 0 0.5rem">{items}</ul></nav>')


def section_start(anchor: str) -> None:
    """Where a "On this page" link moves the keyboard: focusable by script only, not a Tab stop of its own."""
    st.html(f'<span id="{html.escape(anchor)}" tabindex="-1"></span>')


def open_ward_profile(clicked: str | None) -> None:
    """A ward clicked on a map opens its profile. A click is reported in the one run it starts, so coming Back to the
    map does not reopen it."""
    if clicked:
        st.switch_page("pages/ward.py", query_params={"ward": clicked} | release_view.link_params(release_view.current()))


def district_outline_note(layer: layers.Layer, view: url_state.ViewState) -> tuple[str, ...]:
    """On the Kent page, a district in the URL is honoured: its areas are outlined, and a note links to its own map
    (keeping embed=true, so an embed stays an embed). Returns the codes to outline."""
    if not view.district:
        return ()
    name = areas.districts().set_index("district_code").district_name[view.district]
    outlined = layer.codes_in(view.district)
    query = urlencode({"district": view.district, "layer": view.layer} | ({"embed": "true"} if view.embed else {}))
    outlined_noun = (f"{len(outlined)} {url_state.LEVEL_LABELS[layer.level].lower()}" if len(outlined) != 1
                     else url_state.LEVEL_NOUN[layer.level])
    st.info(f"This is the Kent map with {name}'s {outlined_noun} outlined in black. [Open {name}'s own map](district?{query})")
    return outlined


def metric_cards(cards) -> None:
    """Key figures as (label, value) or (label, value, note) cards in one st.html description list: the look of
    st.metric without its chunks (Metric, numbro, sprintf …), which the browser would load before the map."""
    items = "".join(f'<div class="kle-card"><dt>{html.escape(str(card[0]))}</dt><dd class="kle-card-value">'
                    f'{html.escape(str(card[1]))}</dd>'
                    + (f'<dd class="kle-card-note">{html.escape(str(card[2]))}</dd>' if len(card) > 2 and card[2] else "")
                    + "</div>" for card in cards)
    st.html(f'<dl class="kle-cards">{items}</dl>')


_TABLE_HTML: LRUCache = LRUCache(maxsize=64)  # id(layer) -> (layer, expanded, HTML); the entry keeps its layer alive
_TABLE_HTML_LOCK = threading.Lock()


def _layer_table_html(layer, expanded: bool) -> str:
    """The map's table as HTML, made once per layer object: layers are shared by every session showing them and
    read-only (geo.explorer.layers.layer), so every new session of a view sends the same string without rebuilding it."""
    with _TABLE_HTML_LOCK:
        entry = _TABLE_HTML.get(id(layer))
    if entry is not None and entry[0] is layer and entry[1] == expanded:
        return entry[2]
    frame = layer.table()
    made = html_table(frame.set_index(frame.columns[0]), f"Table of the {len(layer.values)} values on the map", expanded)
    with _TABLE_HTML_LOCK:
        _TABLE_HTML[id(layer)] = (layer, expanded, made)
    return made


def table(frame) -> None:
    """st.table with every text cell, heading and index label shown literally (st.table renders Markdown)."""
    st.table(markdown_table(frame))


def full_explorer_link(params: dict[str, str]) -> None:
    """From an embed: a link that opens the same view (these URL parameters, without embed) in the full explorer,
    in a new tab. The link is query-only (``?layer=…``), so it keeps the page's path under any sub-path deployment."""
    query = urlencode({k: v for k, v in params.items() if k != "embed"} | release_view.link_params(release_view.current()))
    st.markdown(f'<a href="?{html.escape(query)}" target="_blank" rel="noopener">'
                "Open the full Kent Locality Explorer (new tab)</a>", unsafe_allow_html=True)


def attribution_footer() -> None:
    """The attribution lines every page must carry, and the data release it shows with its sources' vintages."""
    st.divider()
    st.markdown("**Sources and licences**")
    # One element with a paragraph per line, not one per line: a first visit renders every element of the run before
    # its map appears (issue 15).
    st.caption("\n\n".join(literal(line) for line in metadata.attributions()))
    release_notice({})  # a page without view parameters (About, Find): the latest release's page
    release_line()


def release_line() -> None:
    """"Data release <id>" with each source's vintage and SHA-256, in a closed <details> (one element)."""
    shown = release_view.current()
    name = f"Data release {shown.release_id}" if shown.release_id else "Data release not recorded (built before releases)"
    items = "".join(f"<li>{html.escape(s['title'])} ({html.escape(s['publisher'])}): {html.escape(s['vintage'])}; "
                    f"SHA-256 <code>{html.escape(s['sha256'][:12])}</code>…</li>" for s in release_view.footer_sources())
    st.html(f'<details class="kle-release"><summary>{html.escape(name)}: the sources and vintages in it</summary>'
            f"<ul>{items}</ul></details>")


# --- the /gap page -----------------------------------------------------------------------------

def read_gap_state() -> url_state.GapView:
    """The gap view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse_gap(params, districts=districts))


def write_gap_state(view: url_state.GapView) -> None:
    """Make the URL describe the gap view."""
    wanted = url_state.gap_params(replace(view, embed=False)) | release_view.link_params(release_view.current())
    release_notice(wanted)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def _apply_preset() -> None:
    preset = st.session_state.gap_preset
    if preset in gap.PRESETS:
        for component, weight in zip(gap.COMPONENTS, gap.PRESETS[preset]):
            st.session_state[f"gap_w_{component}"] = weight


def _match_preset() -> None:
    # .get: a crafted message may carry one slider's state without the others' (a browser always sends all three)
    st.session_state.gap_preset = gap.preset_of(tuple(st.session_state.get(f"gap_w_{c}") for c in gap.COMPONENTS))


def gap_controls(view: url_state.GapView) -> url_state.GapView:
    """District, preset and the three weight sliders, initialised from the URL."""
    districts = areas.districts()
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
                    for i, (component, label) in enumerate(gap_view.GAP_COMPONENT_LABELS.items()))
    weights = tuple(w if isinstance(w, int) and 0 <= w <= gap.MAX_WEIGHT else d  # crafted values: the URL's
                    for w, d in zip(weights, view.weights))
    return replace(view, district=known(district, options, view.district), weights=weights)


# --- the /change page --------------------------------------------------------------------------

def read_change_state() -> url_state.ChangeView:
    """The change view described by the URL, with a warning for anything unusable."""
    return _read_view(lambda params, districts: url_state.parse_change(
        params, districts=districts, layers=list(metadata.layer_choices().indicator_id)))


def write_change_state(view: url_state.ChangeView) -> None:
    """Make the URL describe the change view."""
    wanted = url_state.change_params(replace(view, embed=False)) | release_view.link_params(release_view.current())
    release_notice(wanted)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
