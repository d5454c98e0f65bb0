"""The board pack on the real data: headings and sentences right for every level and for district-only layers,
ward numbers keyed to the table, Kent beside each value, the overview of every theme, and the tagged PDF."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from geo.explorer import areas, boardpack, findings, layers, metadata, overview, state as url_state

ASHFORD, THANET = "E07000105", "E07000114"


@pytest.fixture(autouse=True)
def _database(built_database):
    """Every test reads the session's real database."""


class _Text(HTMLParser):
    """Visible text by element (headings, captions, table cells), SVG titles kept apart."""

    def __init__(self):
        super().__init__()
        self.stack, self.by_tag, self.rows = [], {}, []

    def handle_starttag(self, tag, attrs):
        if tag not in {"meta", "br", "rect", "circle"}:
            self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        for tag in set(self.stack):
            self.by_tag.setdefault(tag, []).append(data)
        if self.stack and self.stack[-1] in ("td", "th") and self.rows:
            self.rows[-1].append(data.strip())

    def text(self, tag):
        return " ".join(t.strip() for t in self.by_tag.get(tag, []) if t.strip())


def _pack(indicator_id: str, level: str, district_code: str) -> tuple[str, dict]:
    shown = layers.layer(indicator_id, level, district_code, "quantiles")
    inputs = boardpack.board_pack_inputs(shown, findings.district_findings(district_code), "2026-12-01")
    return boardpack.board_pack_html(**inputs), inputs


def _parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def test_district_only_layer_is_shown_among_kents_12_districts_not_as_one_polygon(sql):
    html, inputs = _pack("gigabit_pct_2021", "ward", ASHFORD)
    assert inputs["level"] == "district" and len(inputs["features"]) == 12
    text = _parsed(html)
    headline = text.text("p")
    ashford = sql("select value from indicator_values where indicator_id = 'gigabit_pct_2021' and level = 'district' "
                  "and area_code = ?", [ASHFORD]).value[0]
    values = sql("select value from indicator_values where indicator_id = 'gigabit_pct_2021' and level = 'district'").value
    rank = int((values < ashford).sum()) + 1  # higher is better: less gigabit coverage ranks worse
    assert f"Ashford has {ashford:.1f}% of premises, {boardpack._ordinal(rank)} worst of Kent's 12 districts" in headline
    assert "of Kent's 12 districts" in headline and "(Ofcom May 2021)" in headline
    assert "Across 1 wards" not in html and "worst in Ashford" not in html and "best in Ashford" not in html
    legend = [label for label in (c["label"] for c in inputs["classes"])]
    assert len(set(legend)) == len(legend) > 1 and not any(re.fullmatch(r"([\d.]+) to \1", c) for c in legend)
    assert html.count('stroke="#000000" stroke-width="3"') == 1  # Ashford outlined on the Kent map
    headings = text.text("h2")
    assert "across Kent's districts" in headings and "Kent's districts ranked" in headings
    assert "Ward ranking" not in headings and "Ward map" not in headings
    assert list(inputs["ward_table"][0]) == ["District code", "District", "Gigabit-capable broadband available (% of premises)",
                                             "Kent rank (1 = worst)", "Note"]  # Ofcom publishes no Kent figure
    ranked = [row for row in text.rows if len(row) >= 3 and row[1] in set(areas.districts().district_name)]
    assert len(ranked) >= 12  # the 12 districts in the ranking table (and the overview's rows)


def test_lsoa_level_pack_names_neighbourhoods_not_wards(sql):
    html, inputs = _pack("imd_score", "lsoa", ASHFORD)
    n = sql("select count(*) n from lsoas where district_code = ?", [ASHFORD]).n[0]
    assert n == 81 and inputs["level"] == "lsoa" and len(inputs["features"]) == n
    text = _parsed(html)
    assert f"Across the {n} neighbourhoods (LSOAs) in Ashford" in text.text("p")
    assert "81 wards" not in html and "Ward ranking" not in html
    assert "Neighbourhood (LSOA) ranking" in text.text("h2") and "Neighbourhood (LSOA) map" in text.text("h2")
    assert "Neighbourhoods (LSOAs) in Ashford ranked by" in text.text("caption")
    assert list(inputs["ward_table"][0])[:4] == ["Map no.", "Neighbourhood (LSOA)",
                                                 "Index of Multiple Deprivation score", "Kent"]


@pytest.mark.parametrize("district_code", [ASHFORD, THANET])
def test_ward_pack_numbers_every_ward_as_in_the_table_and_puts_kent_beside_each_value(district_code, sql):
    html, inputs = _pack("imd_score", "ward", district_code)
    wards = sql("select ward_name from wards where district_code = ? order by imd_score desc", [district_code]).ward_name
    table = inputs["ward_table"]
    assert [row["Map no."] for row in table] == list(range(1, len(wards) + 1))
    assert [row["Ward"] for row in table] == list(wards)
    columns = list(table[0])
    value = next(i for i, c in enumerate(columns) if c.startswith("Index of Multiple Deprivation score"))
    assert columns[value + 1] == "Kent"
    kent = sql("select value from indicator_values where indicator_id = 'imd_score' and level = 'county'").value[0]
    assert {row["Kent"] for row in table} == {f"{kent:.3f}"}  # IMD scores at MHCLG's three decimals (issue 9)
    # every ward's number is drawn once: on the map, or in the inset where the town's wards are crowded
    numbers = re.findall(r'font-weight="bold" fill="#1a1a1a" font-family="[^"]+">(\d+)</text>', html)
    assert sorted(set(int(k) for k in numbers)) == list(range(1, len(wards) + 1))
    assert all(numbers.count(str(k)) == 1 for k in range(1, len(wards) + 1))
    assert f"Kent as a whole: {kent:.3f} score." in _parsed(html).text("p")


def test_ashfords_town_wards_get_an_inset_where_their_numbers_do_not_overlap():
    html, _ = _pack("imd_score", "ward", ASHFORD)
    assert "Insets: the wards whose numbers are too close together" in html
    inset = html[html.index('class="map inset"'):]
    inset = inset[:inset.index("</svg>")]
    x0, y0, w, h = (float(v) for v in re.search(r'viewBox="([-\d. ]+)"', inset).group(1).split())
    circles = [(float(x), float(y), float(r)) for x, y, r in
               re.findall(r'<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([-\d.]+)"', inset)]
    assert len(circles) >= 8
    for i, (ax, ay, r) in enumerate(circles):  # no two numbers overlap in the inset
        assert all((ax - bx) ** 2 + (ay - by) ** 2 >= (2 * r * 0.99) ** 2 for bx, by, _ in circles[i + 1:])


def test_overview_compares_the_district_with_kent_on_every_theme(sql):
    items = overview.district_overview(THANET)
    assert [i["theme"] for i in items if "features" in i] == ["Deprivation", "Broadband", "Transport",
                                                                  "Access to services", "Infrastructure gap"]
    imd = next(i for i in items if i["indicator"]["indicator_id"] == "imd_score")
    assert imd["district_rank"] == 1 and imd["rank_of"] == 12  # Thanet: Kent's most deprived district
    html = boardpack.overview_html("Thanet", items)
    text = _parsed(html)
    for theme in ("Deprivation", "Broadband", "Transport", "Access to services", "Infrastructure gap"):
        assert theme in text.text("th")
    assert html.count('class="smallmap"') == 5
    assert "Published for districts only" in html  # Ofcom has no Kent-wide gigabit figure; never shown as a number
    district = sql("select imd_score from districts where district_code = ?", [THANET]).imd_score[0]
    assert f"{district:.3f}" in text.text("td")


def test_findings_and_headline_state_their_data_date():
    html, inputs = _pack("bus_stop_400m_pct", "ward", THANET)
    assert "(NaPTAN July 2026 / Code-Point Open 2025.2)" in _parsed(html).text("p")
    for finding in inputs["findings"]:
        assert finding["vintage"] and finding["vintage"] in html


def test_every_layer_and_level_has_headings_that_match_what_is_shown():
    for indicator_id in metadata.layer_choices().indicator_id:
        for level in ("ward", "lsoa"):
            html, inputs = _pack(indicator_id, level, "E07000112")
            one, many = url_state.LEVEL_NOUN[inputs["level"]], url_state.LEVEL_PLURAL[inputs["level"]]
            headings = _parsed(html).text("h2")
            n = len(inputs["features"])
            if inputs["level"] == "district":
                assert n == 12 and "Kent's districts ranked" in headings, indicator_id
            else:
                assert f"{boardpack._cap(one)} ranking" in headings, (indicator_id, level)
                assert f" {n} {many}" in html or "No " in html, (indicator_id, level)
            for other in set(url_state.LEVELS) - {inputs["level"]}:
                assert f"{boardpack._cap(url_state.LEVEL_NOUN[other])} ranking" not in headings, (indicator_id, level)


def test_pdf_is_tagged_pdf_ua_in_british_english_and_reads_as_the_pack(tmp_path):
    from pypdf import PdfReader

    html, _ = _pack("gigabit_pct_2021", "ward", ASHFORD)
    pdf = boardpack.board_pack_pdf(html)
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]).lower() == "en-gb"
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfuaid:part(>|=\")1", xmp)
    assert reader.metadata.title == "Locality Board pack: Ashford - Gigabit-capable broadband available"
    for page in reader.pages:  # A4 portrait
        assert abs(float(page.mediabox.width) - 595.3) < 1 and abs(float(page.mediabox.height) - 841.9) < 1
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Locality Board pack: Ashford" in text and "Overview: Ashford against Kent" in text
    assert "is published for districts only: Ashford has" in text and "Kent's districts ranked" in text
    assert "Across 1 wards" not in text

    def structure_tags(node, seen):
        node = node.get_object()
        if "/S" in node:
            seen.add(str(node["/S"]))
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, list) else [kids] if kids is not None else []):
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                structure_tags(kid, seen)
        return seen

    tags = structure_tags(root["/StructTreeRoot"], set())
    assert {"/H1", "/H2", "/Table", "/TR", "/TH", "/TD", "/Figure", "/P"} <= tags
    if shutil.which("pdftotext"):  # poppler reads the same text (scripts/test.sh installs poppler-utils)
        path = tmp_path / "pack.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "Kent's districts ranked" in out


def test_ashford_ward_pack_prints_on_a4_with_every_wards_number_on_its_maps(tmp_path):
    """Ashford's 39 wards, the town's small ones too, each carry their number on the map or its enlarged inset; the
    PDF's pages are saved as pictures in test-artifacts/screenshots/ to look at (boardpack-ashford-imd_score-ward-*)."""
    from pathlib import Path

    assert shutil.which("pdftotext") and shutil.which("pdftoppm"), "scripts/test.sh installs poppler-utils"
    html, inputs = _pack("imd_score", "ward", ASHFORD)
    path = tmp_path / "pack.pdf"
    path.write_bytes(boardpack.board_pack_pdf(html))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    maps = text[text.index("Ward map"):text.index("Findings")]
    numbers = {int(n) for n in re.findall(r"\b\d{1,2}\b", maps)}
    assert set(range(1, 40)) <= numbers, sorted(set(range(1, 40)) - numbers)
    keyed = {row["Map no."]: row["Ward"] for row in inputs["ward_table"]}
    assert sorted(keyed) == list(range(1, 40)) and keyed[1] == "Stanhope"  # 1 = worst in Ashford, as the map says
    shots = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(path), str(shots / "boardpack-ashford-imd_score-ward-page")],
                   check=True)
    pages = sorted(shots.glob("boardpack-ashford-imd_score-ward-page-*.png"))
    assert len(pages) == int(re.search(r"Page 1 of (\d+)", text).group(1))
