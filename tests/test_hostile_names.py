"""Names from publishers' files are data, never Markdown or formulas (issue 13, finding 8).

The build refuses a mirror whose name columns hold Markdown or HTML (a scratch mirror with one hostile name);
a scratch database whose ward and district names are hostile (written by this test into its own copy)
shows them as literal text on every page that prints names, and its CSV downloads neutralise formula cells
while numbers stay numbers. The full CSP (tests/browser/test_proxy.py) would also stop an image
from another host if anything slipped through.
"""
from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import gap
from geo.explorer import db, downloads, gap_view, text
from geo.publish import build
from geo.config import REPO_ROOT, spatial_extension_path
from geo.pipeline.validate import DataError

# Loopback addresses only: if escaping failed, the browser would ask 127.0.0.9, never another machine.
HOSTILE_WARD = "![m](http://127.0.0.9:9/x.png)"
HOSTILE_WARD_2 = "<img src=http://127.0.0.9:9/y.png> **bold** [link](http://127.0.0.9:9/) $x^2$ :material/home:"
HOSTILE_DISTRICT = "=HYPERLINK(\"http://127.0.0.9:9/\",\"click\")"
WARDS = ("E05005093", "E05005010")  # any two Kent wards
UNESCAPED_MARKUP = re.compile(r"(?<!\\)(\]\(|<img|\$x)")  # a link or image, a tag, maths: not behind a backslash


def make_hostile_database(source: Path, target: Path) -> Path:
    """A copy of a built database with two ward names and one district name replaced by hostile text."""
    shutil.copyfile(source, target)
    connection = duckdb.connect(str(target))
    try:
        connection.execute(f"LOAD '{spatial_extension_path()}'")
        connection.execute("UPDATE ward_boundaries SET ward_name = ? WHERE ward_code = ?", [HOSTILE_WARD, WARDS[0]])
        connection.execute("UPDATE ward_boundaries SET ward_name = ? WHERE ward_code = ?", [HOSTILE_WARD_2, WARDS[1]])
        district = connection.execute("SELECT district_code FROM ward_boundaries WHERE ward_code = ?", [WARDS[0]]).fetchone()[0]
        connection.execute("UPDATE district_boundaries SET district_name = ? WHERE district_code = ?", [HOSTILE_DISTRICT, district])
    finally:
        connection.close()
    return target


@pytest.fixture()
def hostile_database(built_database, tmp_path, monkeypatch):
    path = make_hostile_database(built_database, tmp_path / "hostile.duckdb")
    monkeypatch.setenv("KENT_DB_PATH", str(path))
    db.clear_caches()
    yield path
    db.clear_caches()


def _markdown_bodies(app: AppTest) -> list[str]:
    bodies = [e.value for kind in ("markdown", "caption", "warning", "info", "error", "subheader", "title")
              for e in getattr(app, kind)]
    for table in app.table:
        frame = table.value
        bodies += [str(v) for v in frame.to_numpy().ravel()] + [str(c) for c in frame.columns] + [str(i) for i in frame.index]
    return bodies


def _html_bodies(app: AppTest) -> list[str]:
    """What st.html elements carry (the maps' tables among them): HTML, so names must arrive HTML-escaped."""
    return [e.value for e in app.html]


@pytest.mark.parametrize("page, params", [
    ("compare", {"ward": ",".join(WARDS)}),
    ("district", {"district": "from-ward"}),
    ("kent", {"level": "district"}),
    ("gap", {}),
])
def test_hostile_names_reach_markdown_only_escaped(hostile_database, page, params):
    if params.get("district") == "from-ward":
        params = {"district": db.run("ward_choices").set_index("ward_code").district_code[WARDS[0]]}
    app = AppTest.from_file(str(REPO_ROOT / "pages" / f"{page}.py"), default_timeout=180)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    bodies = _markdown_bodies(app)
    raw = [b for b in bodies if any(h in b for h in (HOSTILE_WARD, HOSTILE_WARD_2))
           or UNESCAPED_MARKUP.search(b)]
    assert raw == [], raw[:3]  # never unescaped where Markdown is rendered
    html_bodies = _html_bodies(app)
    assert not [b for b in html_bodies if "<img" in b or HOSTILE_WARD_2 in b]  # never a live tag in st.html
    shown = [html.escape(h) for h in (HOSTILE_WARD, HOSTILE_WARD_2, HOSTILE_DISTRICT)]  # the map's table: HTML
    assert any(e in b for e in shown for b in html_bodies), f"no hostile name in /{page}'s map table"


def test_markdown_literal_escapes_every_markdown_and_html_mark():
    literal = text.markdown_literal("![a](http://x/y.png) <b>*_`~|#$ {}\\\n# h Folkestone & Hythe, 12.5%")
    assert literal == r"\!\[a\](http://x/y.png) \<b\>\*\_\`\~\|\#\$ \{\}\\ \# h Folkestone & Hythe, 12.5%"


def test_csv_downloads_neutralise_formula_cells_and_keep_numbers_numeric(hostile_database):
    # /data's CSV of every ward from the hostile database (its district's name is a formula), then the gap download.
    table = downloads.planner_table("ward", None, "imd_score")
    back = pd.read_csv(io.StringIO(table.csv().decode("utf-8")), keep_default_na=True)
    assert (back.District == "'" + HOSTILE_DISTRICT).any()
    for column in back.columns:
        if not pd.api.types.is_numeric_dtype(back[column]):
            assert not back[column].dropna().astype(str).str.match(r"^[=+\-@\t\r]").any(), back[column]
    numeric = [c for c in table.frame.columns if pd.api.types.is_numeric_dtype(table.frame[c])]
    assert len(numeric) > 10 and all(pd.api.types.is_numeric_dtype(back[c]) for c in numeric)

    result = gap_view.gap_result(gap.Weights(5, 5, 5), gap.DEFAULT_SEED)
    gap_csv = pd.read_csv(io.StringIO(gap_view.gap_download(result, None).decode("utf-8")), comment="#")
    assert (gap_csv.district_name == "'" + HOSTILE_DISTRICT).any()
    assert pd.api.types.is_numeric_dtype(gap_csv.gap_index)


def test_csv_safe_quotes_each_formula_lead_and_nothing_else():
    frame = pd.DataFrame({"name": ["=1+1", "+1", "-1", "@A1", "\tA", "\rA", "A-1", "St. Mary's"], "n": range(8)})
    out = text.csv_safe(frame)
    assert list(out.name) == ["'=1+1", "'+1", "'-1", "'@A1", "'\tA", "'\rA", "A-1", "St. Mary's"]
    assert out.n.tolist() == list(range(8))
    synthetic = pd.DataFrame({"change": [-3.25, -1.0, 2.5]})  # made here: negative numbers stay numbers
    assert text.csv_safe(synthetic).change.tolist() == [-3.25, -1.0, 2.5]


def test_the_build_refuses_a_mirror_with_a_hostile_name(mirror_with, tmp_path):
    relative = "raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv"
    scratch = mirror_with(tmp_path / "mirror", relative,
                          lambda original: original.replace("Margate Central", HOSTILE_WARD.replace(",", ""), 1))
    target = tmp_path / "out" / "kent.duckdb"
    target.parent.mkdir()
    with pytest.raises(DataError) as raised:
        build(scratch, target)
    assert "ward24_name" in str(raised.value) and "not a plain name" in str(raised.value)
    assert not target.exists()
