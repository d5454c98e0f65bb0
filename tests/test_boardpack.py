"""Board pack HTML: self-contained, printable, escaped. All inputs here are synthetic."""

import re
import sys
from html.parser import HTMLParser

import pytest

from geo.explorer.boardpack import board_pack_html, format_value

EVIL = "<script>alert(1)</script> & Co"


def _square(x0, y0, size=0.01):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _l_shape_with_hole_and_island():
    # An L-shaped polygon with a square hole, plus a detached island: a MultiPolygon.
    l_outer = [[1.40, 51.30], [1.43, 51.30], [1.43, 51.31], [1.41, 51.31], [1.41, 51.33],
               [1.40, 51.33], [1.40, 51.30]]
    hole = [[1.402, 51.302], [1.406, 51.302], [1.406, 51.306], [1.402, 51.306], [1.402, 51.302]]
    island = [[1.44, 51.32], [1.45, 51.32], [1.45, 51.33], [1.44, 51.33], [1.44, 51.32]]
    return {"type": "MultiPolygon", "coordinates": [[l_outer, hole], [island]]}


INDICATOR = {
    "indicator_id": "synthetic_score", "label": "Synthetic score", "unit": "", "polarity": "higher_worse",
    "decimals": 1, "source": "Synthetic source", "vintage": "Synthetic 2025",
    "method": "Synthetic population-weighted mean of LSOA values.", "caveat": "Synthetic caveat: test only.",
}
CLASSES = [
    {"label": "12.3 to 18.7", "colour": "#fde725"},
    {"label": "18.7 to 25.1", "colour": "#21918c"},
    {"label": "No data", "colour": "#bdbdbd"},
]


def _inputs(**overrides):
    features = [
        {"area_code": "E05000001", "area_name": "Synthetic Ward A", "value": 12.34, "class_index": 0,
         "colour": "#fde725", "geometry": _square(1.38, 51.30)},
        {"area_code": "E05000002", "area_name": EVIL, "value": 23.456, "class_index": 1,
         "colour": "#21918c", "geometry": _square(1.39, 51.30)},
        {"area_code": "E05000003", "area_name": "Synthetic Ward C", "value": None, "class_index": None,
         "colour": "#bdbdbd", "geometry": _l_shape_with_hole_and_island()},
    ]
    args = dict(
        district={"district_code": "E07000999", "district_name": "Synthetic District", "population": 140593},
        features=features,
        classes=CLASSES,
        indicator=INDICATOR,
        ward_table=[
            {"Rank": 1, "Ward": EVIL, "Value": 23.456, "Kent rank": 4},
            {"Rank": 2, "Ward": "Synthetic Ward A", "Value": 12.34, "Kent rank": 100},
            {"Rank": None, "Ward": "Synthetic Ward C", "Value": None, "Kent rank": None},
        ],
        findings=[
            {"text": "1 of 3 synthetic wards is in the most deprived 20%.", "source": "Synthetic IoD",
             "vintage": "IoD 2025"},
            {"text": "Synthetic finding two.", "source": "Synthetic Census", "vintage": "Census 2021"},
        ],
        attributions=["Contains synthetic data © Nobody 2025 (https://example.org/licence)",
                      "Synthetic boundaries, test only"],
        generated_on="2025-11-05",
    )
    args.update(overrides)
    return args


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.stack, self.errors = [], [], [], []
        self.text_in = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "rect", "img", "link", "input", "hr"}:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        for tag in self.stack:
            self.text_in.setdefault(tag, []).append(data)


def _parse(html):
    p = _Collector()
    p.feed(html)
    p.close()
    return p


@pytest.fixture()
def pack():
    return board_pack_html(**_inputs())


def test_parses_cleanly_and_tags_balance(pack):
    p = _parse(pack)
    assert p.errors == []
    assert p.stack == []
    assert pack.startswith("<!DOCTYPE html>")
    assert p.tags.count("table") == 2  # legend + ward table


def test_one_path_per_feature(pack):
    p = _parse(pack)
    assert p.tags.count("path") == 3
    paths = [a for t, a in p.attrs if t == "path"]
    # multipolygon: outer, hole and island rings are three closed subpaths in one path
    assert paths[2]["d"].count("M") == 3 and paths[2]["d"].count("Z") == 3
    assert 'fill-rule="evenodd"' in pack
    # coordinates rounded to at most 1 decimal, inside the viewBox
    nums = [float(n) for a in paths for n in re.findall(r"-?\d+(?:\.\d+)?", a["d"])]
    assert all(0 <= n <= 800 for n in nums)
    assert not re.search(r"\d\.\d\d", "".join(a["d"] for a in paths))


def test_svg_is_accessible(pack):
    p = _parse(pack)
    svgs = [a for t, a in p.attrs if t == "svg" and a.get("role") == "img"]
    assert len(svgs) == 1
    assert "Synthetic District" in svgs[0]["aria-label"]
    assert svgs[0]["viewbox"] == "0 0 800 560"
    titles = p.text_in.get("title", [])
    assert any("Synthetic Ward A: 12.3" in t for t in titles)
    assert any("Synthetic Ward C: No data" in t for t in titles)


def test_self_contained_no_external_requests(pack):
    p = _parse(pack)
    assert "script" not in p.tags
    assert "link" not in p.tags and "img" not in p.tags and "iframe" not in p.tags
    for _tag, attrs in p.attrs:
        for key in ("src", "href", "xlink:href", "srcset", "action", "data"):
            assert key not in attrs, (_tag, attrs)
    assert "@import" not in pack and "url(" not in pack and "@font-face" not in pack
    attribution_text = "".join(p.text_in.get("ul", []))
    without_attrib = pack
    for line in ("Contains synthetic data © Nobody 2025 (https://example.org/licence)",):
        assert line in attribution_text
        without_attrib = without_attrib.replace(line, "")
    assert "http://" not in without_attrib and "https://" not in without_attrib


def test_input_text_is_escaped(pack):
    assert "<script>" not in pack
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in pack
    p = _parse(pack)
    assert EVIL in "".join(p.text_in.get("table", []))  # round-trips as text in the ward table
    assert any(EVIL in t for t in p.text_in.get("title", []))  # and in the map tooltip


def test_escaping_everywhere():
    evil_ind = dict(INDICATOR, label=EVIL, method=EVIL, caveat=EVIL, source=EVIL, unit=EVIL)
    html = board_pack_html(**_inputs(
        district={"district_code": EVIL, "district_name": EVIL, "population": 1},
        indicator=evil_ind,
        classes=[{"label": EVIL, "colour": '"><script>alert(2)</script>'}],
        ward_table=[{EVIL: EVIL}],
        findings=[{"text": EVIL, "source": EVIL, "vintage": EVIL}],
        attributions=[EVIL],
        generated_on=EVIL,
    ))
    assert "<script" not in html
    p = _parse(html)
    assert p.errors == [] and "script" not in p.tags


def test_none_is_no_data_never_zero(pack):
    p = _parse(pack)
    cells = [c.strip() for c in p.text_in.get("td", [])]
    assert cells.count("No data") >= 3  # Rank, Value, Kent rank of the no-data ward
    assert "0" not in cells and "0.0" not in cells
    assert format_value(None, INDICATOR) == "No data"
    assert format_value(float("nan"), INDICATOR) == "No data"
    assert format_value(0, INDICATOR) == "0.0"


def test_values_use_indicator_decimals(pack):
    assert "23.5" in pack and "12.3" in pack and "23.456" not in pack
    two = board_pack_html(**_inputs(indicator=dict(INDICATOR, decimals=2)))
    assert "23.46" in two and "12.34" in two


def test_legend_ranges_as_text(pack):
    p = _parse(pack)
    legend_text = "".join(p.text_in.get("table", []))
    for c in CLASSES:
        assert c["label"] in legend_text
    assert 'fill="#fde725"' in pack and 'fill="#21918c"' in pack


def test_findings_with_sources(pack):
    p = _parse(pack)
    items = "".join(p.text_in.get("li", []))
    assert "1 of 3 synthetic wards is in the most deprived 20%. (Source: Synthetic IoD, IoD 2025)" in items
    assert "Synthetic finding two. (Source: Synthetic Census, Census 2021)" in items


def test_page_furniture(pack):
    p = _parse(pack)
    assert "Synthetic District" in "".join(p.text_in.get("h1", []))
    assert "Synthetic score" in pack and "2025-11-05" in pack
    assert "Synthetic population-weighted mean of LSOA values." in pack
    assert "Synthetic caveat: test only." in pack
    assert "Synthetic boundaries, test only" in pack
    captions = "".join(p.text_in.get("caption", []))
    assert "ranked by Synthetic score" in captions
    headers = [t.strip() for t in p.text_in.get("th", [])]
    assert headers == ["Rank", "Ward", "Value", "Kent rank"]
    assert "@media print" in pack and "size: A4" in pack
    assert "worst in" in "".join(p.text_in.get("p", []))  # headline for a higher_worse indicator


def test_handles_empty_inputs():
    html = board_pack_html(**_inputs(features=[], classes=[], ward_table=[], findings=[], attributions=[]))
    p = _parse(html)
    assert p.errors == [] and p.tags.count("path") == 0


def test_does_not_import_streamlit():
    import geo.explorer.boardpack as bp
    src = open(bp.__file__, encoding="utf-8").read()
    assert not re.search(r"^\s*(import|from)\s+streamlit", src, re.M)


def test_size_of_a_synthetic_25_ward_pack():
    feats, rows = [], []
    for i in range(25):
        ring = [[0.9 + (i % 5) * 0.03 + 0.0001 * k, 51.2 + (i // 5) * 0.02 + 0.01 * math_sin(k)]
                for k in range(60)]
        ring.append(ring[0])
        feats.append({"area_code": f"E05{i:06d}", "area_name": f"Synthetic ward {i}", "value": float(i),
                      "class_index": i // 5, "colour": CLASSES[i % 2]["colour"],
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
        rows.append({"Rank": i + 1, "Ward": f"Synthetic ward {i}", "Value": float(i), "Kent rank": i * 3})
    html = board_pack_html(**_inputs(features=feats, ward_table=rows))
    assert _parse(html).tags.count("path") == 25
    size = len(html.encode("utf-8"))
    sys.stderr.write(f"synthetic 25-feature pack: {size} bytes\n")
    assert size < 200_000


def math_sin(k):
    import math
    return math.sin(k / 60 * 2 * math.pi)
