"""Residents' journeys in a real browser: search by place name or postcode, open a ward's profile, read the
names on the maps, click a ward on a map to open its profile, and go Back."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import settle

STREAMLIT_SCRIPT = "app.py"


def _result_links(page):
    return page.locator("ul.kle-search-results a")


def _labels(map_div, kind: str) -> list[str]:
    return map_div.evaluate(f"holder => Array.from(holder.querySelectorAll('.kle-label-{kind}')).map(e => e.textContent)")


def _view(address: str) -> tuple[str, dict[str, list[str]]]:
    """The page and the view parameters of an address or link, without the data release every link carries."""
    parts = urlsplit(address)
    shown = {k: v for k, v in parse_qs(parts.query).items() if k != "release"}
    return parts.path.rsplit("/", 1)[-1], shown


def test_find_tenterden_links_to_the_tenterden_ward_in_ashford(open_page):
    page = open_page("/find?q=Tenterden", "find-tenterden")
    first = _result_links(page).first
    expect(first).to_have_text("Tenterden", timeout=90_000)
    assert _view(first.get_attribute("href")) == ("ward", {"ward": ["E05011771"]})
    item = page.locator("ul.kle-search-results li").first.inner_text()
    assert "Place in Ashford, in Tenterden North ward" in item
    first.click()
    expect(page.locator("h1").first).to_have_text("Tenterden North ward, Ashford", timeout=90_000)
    assert _view(page.url) == ("ward", {"ward": ["E05011771"]})
    page.go_back()
    expect(_result_links(page).first).to_have_text("Tenterden", timeout=90_000)
    assert _view(page.url) == ("find", {"q": ["Tenterden"]})


def test_find_minster_lists_both_places_with_their_districts(open_page):
    page = open_page("/find?q=Minster", "find-minster")
    expect(_result_links(page).first).to_have_text("Minster", timeout=90_000)
    items = page.locator("ul.kle-search-results li").all_inner_texts()
    minsters = [i for i in items if i.startswith("Minster \u2014 Place in")]
    assert sorted(m.split(",")[0] for m in minsters) == ["Minster \u2014 Place in Swale", "Minster \u2014 Place in Thanet"]


def test_the_search_box_takes_a_postcode_to_margate_central_and_back_works(open_page, wait_for_map):
    page = open_page("/?level=district", "search-box-postcode")
    wait_for_map(page, timeout=120_000)
    release_shown = parse_qs(urlsplit(page.url).query)["release"]
    box = page.get_by_label("Find a postcode, place, ward or district")
    box.fill("ct91ae")
    box.press("Enter")
    link = _result_links(page).first
    expect(link).to_have_text("CT9 1AE", timeout=90_000)
    assert _view(page.url) == ("find", {"q": ["ct91ae"]})
    assert parse_qs(urlsplit(page.url).query)["release"] == release_shown  # the search keeps the page's release
    assert "CT9 1AE is in Margate Central ward, Thanet" in page.locator('[data-testid="stAlert"]').first.inner_text()
    link.click()
    expect(page.locator("h1").first).to_have_text("Margate Central ward, Thanet", timeout=90_000)
    page.go_back()
    expect(_result_links(page).first).to_have_text("CT9 1AE", timeout=90_000)


def test_bad_postcodes_and_junk_get_messages_not_errors(open_page, streamlit_server):
    page = open_page("/find?q=SW1A%201AA", "find-outside-kent")
    expect(page.locator('[data-testid="stAlert"]').first).to_contain_text("not in Kent", timeout=90_000)
    for query, message in (("CT9%209QQ", "not one of Kent's live postcodes"), ("%3Cscript%3E%25%25", "No Kent postcode")):
        page.goto(f"{streamlit_server.url}/find?q={query}")
        expect(page.locator('[data-testid="stAlert"]').first).to_contain_text(message, timeout=90_000)
        assert page.locator('[data-testid="stException"]').count() == 0


def test_ward_profile_shows_its_values_ten_similar_wards_and_a_spine_chart(open_page, sql):
    page = open_page("/ward?ward=E05005093", "ward-margate-central")
    expect(page.locator("h1").first).to_have_text("Margate Central ward, Thanet", timeout=90_000)
    similar = page.locator("table.kle-similar tbody tr")
    expect(similar).to_have_count(10, timeout=90_000)
    hrefs = page.locator("table.kle-similar tbody td:nth-child(2) a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(set(hrefs)) == 10 and all(h.startswith("ward?ward=E05") for h in hrefs)
    assert "ward?ward=E05005093" not in hrefs
    # The page's tables are escaped HTML in a <details> (geo.explorer.text.html_table), not st.table (since 454bab5).
    values = page.locator("details.kle-table table").filter(has_text="Index of Multiple Deprivation score").first
    expect(values).to_contain_text("1st of 255 (1 = worst)", timeout=90_000)
    imd = sql("select imd_score from wards where ward_code = 'E05005093'").imd_score[0]
    assert f"{imd:.1f}" in values.text_content()
    bars = page.locator("img.kle-spine-bar")
    expect(bars).to_have_count(30, timeout=90_000)  # one spine per indicator in the table
    imd_bar = bars.filter(has=page.locator("xpath=self::*[starts-with(@alt, 'Index of Multiple Deprivation score:')]"))
    assert "Margate Central 61.3" in imd_bar.first.get_attribute("alt")
    assert all(b.bounding_box()["width"] > 300 for b in bars.all()[:3])  # drawn, across the page
    locator = page.locator('img.kle-ward-locator[alt*="Margate Central ward"]')
    expect(locator).to_have_count(1)
    assert locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_kent_map_names_every_district_and_district_maps_name_wards(open_page, map_element, wait_for_map, screenshot,
                                                                    streamlit_server):
    page = open_page("/?level=ward", "kent-map-labels")
    wait_for_map(page, timeout=120_000)
    map_div = map_element(page)
    map_div.locator(".kle-label-district").first.wait_for(timeout=60_000)
    districts = _labels(map_div, "district")
    assert sorted(districts) == sorted(["Ashford", "Canterbury", "Dartford", "Dover", "Folkestone and Hythe", "Gravesham",
                                        "Maidstone", "Sevenoaks", "Swale", "Thanet", "Tonbridge and Malling",
                                        "Tunbridge Wells"])
    page.goto(f"{streamlit_server.url}/district?district=E07000114")
    assert wait_for_map(page, timeout=120_000) == 23
    map_div = map_element(page)
    map_div.locator(".kle-label-ward").first.wait_for(timeout=60_000)
    wards = _labels(map_div, "ward")
    assert "Thanet Villages" in wards and 8 <= len(wards) <= 23
    assert len(_labels(map_div, "place")) >= 5  # Thanet's bigger places are named at the district's own zoom
    boxes = map_div.evaluate("""holder => Array.from(holder.querySelectorAll('.kle-label')).map(e => {
        const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1]
    assert overlapping == []
    screenshot(page, "district-map-labels")


def test_clicking_a_ward_on_the_district_map_opens_its_profile_and_back_returns(open_page, wait_for_map, map_element):
    page = open_page("/district?district=E07000114", "district-click-ward")
    assert wait_for_map(page, timeout=120_000) == 23
    settle(page)
    map_div = map_element(page)
    map_div.scroll_into_view_if_needed()
    box = map_div.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.55)  # Thanet Villages, west of Minster
    expect(page.locator("h1").first).to_have_text("Thanet Villages ward, Thanet", timeout=90_000)
    assert _view(page.url) == ("ward", {"ward": ["E05005100"]})
    page.go_back()
    assert wait_for_map(page, timeout=120_000) == 23
    time.sleep(3)  # Back must not bounce to the profile again
    assert "/district" in page.url
    expect(page.locator("h1").first).to_have_text("Thanet", timeout=90_000)

