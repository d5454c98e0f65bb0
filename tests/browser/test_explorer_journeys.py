"""Issue 14 journeys in a real browser: the compare picker keeps every ward in the order chosen, embeds are locked
and lead back to the full explorer with relative links, the /data planner's table, and legends that help."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from geo import releases
from tests.browser.conftest import map_title, settle

STREAMLIT_SCRIPT = "app.py"
SCREENSHOT_PREFIX = "issue14-"  # open_page's screenshots: test-artifacts/screenshots/issue14-<name>.png
FULL_EXPLORER = "Open the full Kent Locality Explorer (new tab)"


def _choose(page, label: str, option) -> None:
    """Pick an option in a select box once the page has settled. The list is opened and the option awaited up to
    three times: a click that lands while a rerun redraws the box closes the list (what made this flaky)."""
    settle(page)
    box = page.get_by_role("combobox", name=label, exact=True)
    for attempt in range(3):
        box.click()
        choice = page.get_by_role("option", name=option).first
        try:
            choice.wait_for(state="visible", timeout=20_000)
        except Exception:  # noqa: BLE001 - the list closed under a rerun: open it again
            page.keyboard.press("Escape")
            settle(page)
            continue
        choice.click()
        return
    raise AssertionError(f"no option {option!r} in the {label!r} list after 3 tries")


def _url_wards(page) -> list[str]:
    return parse_qs(urlparse(page.url).query).get("ward", [""])[0].split(",")


def test_compare_keeps_five_wards_picked_one_by_one_in_the_order_chosen(open_page, wait_for_map, sql):
    page = open_page("/compare", "compare-five-wards")
    assert wait_for_map(page, timeout=120_000) == 255  # the module's first page: a cold server on a busy machine
    names = ["Margate Central", "Cowden and Hever", "Sheerness", "Stanhope", "Rural Tunbridge Wells"]
    expected = [sql("select ward_code from wards where ward_name = ?", [n]).ward_code[0] for n in names]
    picker = page.get_by_role("combobox", name=re.compile("Wards to compare"))
    for number, name in enumerate(names, start=1):
        picker.click()
        picker.press_sequentially(name)
        page.get_by_role("option", name=re.compile(re.escape(name))).first.click()
        page.keyboard.press("Escape")
        page.wait_for_function("(n) => (new URL(location.href).searchParams.get('ward') || '').split(',')"
                               ".filter(Boolean).length === n", arg=number, timeout=90_000)
        settle(page)
        assert _url_wards(page) == expected[:number]
    picked = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Wards to compare").inner_text()
    assert sorted(names, key=picked.index) == names  # shown in the order chosen
    side_by_side = page.locator('[data-testid="stTable"]').filter(has_text="Usual residents").first
    expect(side_by_side.locator("thead")).to_contain_text(names[-1], timeout=60_000)
    header = side_by_side.locator("thead th")
    headers = [" ".join(header.nth(i).inner_text().split()) for i in range(header.count())]
    assert [h for h in headers if h in names] == names, headers  # side by side, in the order chosen


def test_a_ward_clicked_on_the_compare_map_joins_the_comparison_and_the_page_does_not_jump(open_page, wait_for_map,
                                                                                          map_element, sql):
    """A real mouse press, with the map low in the view: Leaflet focuses the map on a press, which must not scroll
    Streamlit's page under the pointer (the click would land beside the ward)."""
    page = open_page("/compare?ward=E05005093,E05005010", "compare-map-click")
    assert wait_for_map(page) == 255
    settle(page)
    map_div = map_element(page)
    sheerness = sql("select ward_code from wards where ward_name = 'Sheerness'").ward_code[0]
    area = map_div.locator("path.leaflet-interactive[aria-label^='Sheerness,']")
    area.scroll_into_view_if_needed()
    page.mouse.wheel(0, -250)  # the map's top now above the view, the ward lower down in it
    page.wait_for_timeout(300)
    box = area.bounding_box()
    top_before = map_div.bounding_box()["y"]
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("(code) => new URL(location.href).searchParams.get('ward').split(',').includes(code)",
                           arg=sheerness, timeout=90_000)
    assert _url_wards(page) == ["E05005093", "E05005010", sheerness]  # added last, the chosen two kept
    settle(page)
    assert abs(map_div.bounding_box()["y"] - top_before) < 5  # the page stayed where it was
    picked = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Wards to compare").inner_text()
    assert "Sheerness" in picked


def test_compare_lsoa_tables_show_whole_residents_and_scores_at_the_catalogues_precision(open_page, wait_for_map):
    page = open_page("/compare?ward=E05005093,E05005010", "compare-lsoa-tables")
    assert wait_for_map(page) == 255
    table = page.locator('[data-testid="stTable"]').filter(has_text="Residents (Census 2021)").first
    expect(table).to_be_visible(timeout=60_000)
    text = table.inner_text()
    assert not re.search(r"\d\.\d{4}", text)  # no "2,152.0000" or "79.0120"
    assert re.search(r"\b\d,\d{3}\b", text) and re.search(r"\b\d{1,2}\.\d{3}\b", text)  # IMD: MHCLG's 3 decimals


def test_district_embed_has_no_district_picker_and_a_relative_full_explorer_link(open_page, wait_for_map):
    page = open_page("/district?district=E07000105&embed=true", "district-embed-locked")
    assert wait_for_map(page) == 39
    link = page.get_by_role("link", name=FULL_EXPLORER)
    link.wait_for(timeout=60_000)
    assert page.get_by_role("combobox", name="District").count() == 0
    assert page.get_by_text("Ashford").first.is_visible()
    href = link.get_attribute("href")
    assert not href.startswith("/") and "embed" not in href and "district=E07000105" in href
    assert link.get_attribute("target") == "_blank"


@pytest.mark.parametrize("path", ["/compare?ward=E05005093,E05005010&embed=true", "/gap?embed=true&w_broadband=2",
                                  "/data?embed=true&level=district", "/about?embed=true"])
def test_every_embed_links_to_the_full_explorer_relative_to_its_page(open_page, path, streamlit_server):
    page = open_page(path, "embed-link-" + path.split("?")[0].strip("/"))
    link = page.get_by_role("link", name=FULL_EXPLORER)
    link.wait_for(timeout=90_000)
    href = link.get_attribute("href")
    assert href.startswith("?") and "embed" not in href
    target = urlparse(page.evaluate("(h) => new URL(h, location.href).href", href))
    assert target.path == urlparse(page.url).path  # same page, any sub-path
    shown = {k: v for k, v in parse_qs(urlparse(page.url).query).items() if k != "embed"}
    linked = parse_qs(target.query)
    assert releases.is_release_id(linked.pop("release")[0])  # every link the app builds pins its data release
    shown.pop("release", None)  # (About writes no view to its address bar, so there the link alone carries it)
    assert linked == shown  # the view on screen (the URL is its state), without embed
    for key, value in parse_qs(urlparse(path).query).items():
        assert key == "embed" or key in shown


def test_kent_embed_with_a_district_outlines_it_and_links_to_its_own_map(open_page, wait_for_map, map_element):
    page = open_page("/?embed=true&district=E07000114", "kent-embed-with-district")
    assert wait_for_map(page) == 255
    note = page.get_by_text("This is the Kent map with Thanet's 23 wards outlined")
    expect(note).to_be_visible(timeout=60_000)
    own = page.get_by_role("link", name="Open Thanet's own map")
    assert own.get_attribute("href").startswith("district?") and "embed=true" in own.get_attribute("href")
    outlined = map_element(page).evaluate("""(holder) => { let n = 0; holder.kleMap.eachLayer(l => {
        if (l instanceof L.Polygon && l.options.weight === 3) n++; }); return n; }""")
    assert outlined == 23


def test_data_table_filters_from_the_url_announce_the_count_and_name_the_download(open_page, screenshot):
    page = open_page("/data?district=E07000114&fifth=1&max_bus_stop_400m_pct=99", "data-filtered")
    status = page.get_by_role("status").filter(has_text="match")
    expect(status).to_contain_text("of 23 match: Wards in Thanet, in Kent's worst fifth of wards",
                                   timeout=90_000)
    shown = int(status.inner_text().split(" of ")[0])
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.hover()
    assert page.get_by_role("button", name=re.compile("Download as CSV", re.I)).count() == 0  # no provenance-free export
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "kent-wards-thanet-by-imd_score-fifth-1-bus_stop_400m_pct-max-99.csv"
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Ward code,Ward,District,") and len(lines) == 1 + shown
    screenshot(page, "issue14-data-filtered-worst-fifth")
    _choose(page, "Kent fifth", re.compile("Kent's best fifth"))
    page.wait_for_url("**fifth=5**", timeout=60_000)
    expect(status).to_contain_text("of 23 match: Wards in Thanet, in Kent's best fifth of wards", timeout=60_000)
    assert "max_bus_stop_400m_pct=99" in page.url and "district=E07000114" in page.url


# --- legends that help -------------------------------------------------------------------------

def _shot_at(page, locator, screenshot, name: str) -> None:
    """A screenshot of the viewport scrolled so that locator is at its top (Streamlit scrolls its own main block, so a
    full-page shot shows only the first screen)."""
    locator.first.evaluate("""el => { el.scrollIntoView({block: 'start'}); let box = el.parentElement;
        while (box && !(box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible'))
            box = box.parentElement;
        (box || window).scrollBy(0, -90); }""")  # clear of the sticky top navigation
    page.wait_for_timeout(300)
    screenshot(page, name, full_page=False)


def _legend_labels(page) -> list[str]:
    rows = page.locator("table.kle-legend tbody tr")
    expect(rows.first).to_be_visible(timeout=60_000)
    return [" ".join(rows.nth(i).inner_text().split()) for i in range(rows.count())]


def _ranges(labels: list[str]) -> list[tuple[float, float]]:
    """Each class label's (low, high); "No data" left out."""
    out = []
    for label in labels:
        if label == "No data":
            continue
        low, _, high = label.partition(" to ")
        out.append((float(low.replace(",", "")), float((high or low).replace(",", ""))))
    return out


def _assert_one_class_per_value(labels: list[str]) -> None:
    ranges = _ranges(labels)
    assert ranges and all(low <= high for low, high in ranges), labels
    assert all(high < next_low for (_, high), (next_low, _) in zip(ranges, ranges[1:])), labels  # no shared edge
    assert not any(" to " in label and label.split(" to ")[0] == label.split(" to ")[1] for label in labels), labels


def _outlined(map_element, page) -> int:
    return map_element(page).evaluate("""(holder) => { let n = 0; holder.kleMap.eachLayer(l => {
        if (l instanceof L.Polygon && l.options.weight === 3) n++; }); return n; }""")


def test_district_map_says_how_it_is_classed_and_switches_to_kent_wide_classes(open_page, wait_for_map, screenshot):
    from geo.explorer import layers
    page = open_page("/district?district=E07000105", "legend-ashford-page-after-switching-to-kent-classes")
    assert wait_for_map(page) == 39
    within = _legend_labels(page)
    _assert_one_class_per_value(within)
    expect(page.get_by_text("Colours: classes within this district's 39 wards")).to_be_visible(timeout=60_000)
    _shot_at(page, page.get_by_text("Colour classes"), screenshot, "issue14-legend-ashford-classes-within-the-district")
    page.get_by_text("Across Kent (comparable between districts)").click()
    page.wait_for_url("**scale=kent**", timeout=60_000)
    expect(page.get_by_text("Colours: classes across all of Kent's wards")).to_be_visible(timeout=60_000)
    settle(page)
    assert wait_for_map(page) == 39
    kent_wide = _legend_labels(page)
    assert kent_wide == list(layers.layer("imd_score", "ward", None, "quantiles").classification.labels)
    assert kent_wide != within
    _assert_one_class_per_value(kent_wide)
    _shot_at(page, page.get_by_text("Colour classes"), screenshot, "issue14-legend-ashford-classes-across-kent")


@pytest.mark.parametrize("path,level,district", [("/?layer=imd_most_deprived_10pct", "ward", None),
                                                 ("/?layer=imd_most_deprived_10pct&level=lsoa", "lsoa", None),
                                                 ("/district?district=E07000114&layer=imd_most_deprived_10pct",
                                                  "ward", "E07000114")], ids=["kent-wards", "kent-lsoas", "thanet"])
def test_a_skewed_layer_gets_distinct_classes_never_zero_to_zero(open_page, wait_for_map, screenshot, path, level,
                                                                 district):
    from geo.explorer import layers
    page = open_page(path, f"legend-skewed-imd_most_deprived_10pct-{level}-{district or 'kent'}")
    wait_for_map(page, timeout=120_000)  # 938 neighbourhoods on a busy machine
    labels = _legend_labels(page)
    _assert_one_class_per_value(labels)
    shown = layers.layer("imd_most_deprived_10pct", level, district, "quantiles")
    assert labels == list(shown.classification.labels) + (["No data"] if shown.classification.has_missing else [])
    distinct = shown.values.value.dropna().round(int(shown.indicator["decimals"])).nunique()
    # most areas are 0%: quantiles would merge into one "0.0 to 0.0" class; natural breaks separate the rest
    assert len(_ranges(labels)) >= min(3, distinct), labels
    assert labels[0] == "0.0"
    _shot_at(page, page.locator("table.kle-legend"), screenshot,
             f"issue14-legend-skewed-imd_most_deprived_10pct-{level}-{district or 'kent'}-legend")
    if distinct > 2:  # at LSOA level an area is in or out (0% or 100%): two classes, nothing to fall back from
        expect(page.get_by_text("the map uses natural breaks")).to_be_visible(timeout=60_000)


def test_a_districts_only_layer_on_a_district_page_shows_kent_with_the_district_outlined(open_page, wait_for_map,
                                                                                          map_element, screenshot):
    page = open_page("/district?district=E07000105&layer=gigabit_pct_2021", "legend-districts-only-in-kent-context")
    assert wait_for_map(page) == 12
    expect(page.get_by_text("so the map shows Kent's 12 districts with Ashford outlined")).to_be_visible(timeout=60_000)
    assert _outlined(map_element, page) == 1
    labels = _legend_labels(page)
    _assert_one_class_per_value(labels)
    assert len(_ranges(labels)) == 5, labels  # five classes over 12 districts, not "9.4 to 9.4"
    title = map_title(page)
    assert title.startswith("Map: Gigabit") and title.endswith("by district, Kent, Ashford outlined"), title
    _shot_at(page, page.get_by_text("is published for districts only"), screenshot,
             "issue14-legend-gigabit-ashford-page-shows-kent-districts-ashford-outlined")


def test_rail_and_bus_overlays_have_a_legend_and_bus_stops_stay_off_the_kent_map(open_page, wait_for_map, map_element,
                                                                                  query, screenshot):
    page = open_page("/district?district=E07000114&overlays=rail_stations,bus_stops", "legend-overlays-thanet")
    assert wait_for_map(page) == 23
    legend = page.locator("table.kle-overlay-legend")
    expect(legend).to_contain_text("Points on the map", timeout=60_000)
    assert "Rail stations" in legend.inner_text() and "Bus stops" in legend.inner_text()
    assert legend.locator(".kle-marker").count() == 2  # each marker drawn as on the map
    points = map_element(page).evaluate("""(holder) => { let n = 0; holder.kleMap.eachLayer(l => {
        if (l instanceof L.CircleMarker) n++; }); return n; }""")
    assert points > 100  # Thanet's stops and stations are on its map
    _shot_at(page, legend, screenshot, "issue14-legend-thanet-rail-and-bus-points")
    page.goto(page.url.split("/district")[0] + "/?overlays=bus_stops,rail_stations")
    expect(page.get_by_text("Bus stops are shown on district maps")).to_be_visible(timeout=60_000)
    assert wait_for_map(page) == 255
    settle(page)
    overlays = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Show on the map").inner_text()
    assert "Rail stations" in overlays and "Bus stops" not in overlays.replace("Bus stops are shown", "")
    kent_points = map_element(page).evaluate("""(holder) => { let n = 0; holder.kleMap.eachLayer(l => {
        if (l instanceof L.CircleMarker) n++; }); return n; }""")
    assert 0 < kent_points == len(query("rail_stations_in_area", district_code=None))  # stations only: no buried map
    _shot_at(page, page.get_by_text("Bus stops are shown on district maps"), screenshot,
             "issue14-legend-kent-map-rail-stations-only-bus-stops-note")


@pytest.mark.parametrize("width", [1280, 390])
def test_metric_cards_and_legends_are_not_cut_off_and_units_are_not_repeated(open_page, wait_for_map, screenshot, width):
    page = open_page("/district?district=E07000105&layer=patient_to_gp_ratio", f"cards-not-cut-off-{width}px")
    page.set_viewport_size({"width": width, "height": 900})
    wait_for_map(page)
    settle(page)
    metrics = page.locator(".kle-card")
    expect(metrics).to_have_count(3, timeout=60_000)
    clipped = page.evaluate("""() => [...document.querySelectorAll('.kle-card *')]
        .filter(el => el.children.length === 0 && el.innerText && el.scrollWidth > el.clientWidth + 1)
        .map(el => el.innerText)""")
    assert clipped == []
    _shot_at(page, metrics, screenshot, f"issue14-cards-and-legend-{width}px-wide")
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Patients per GP (patients per GP)" not in text and "score (score)" not in text
    assert page.locator("table.kle-legend caption").inner_text().startswith("Patients per GP")
