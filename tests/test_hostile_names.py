"""Names from publishers' files are data, never Markdown or formulas (issue 13, finding 8).

The build refuses a mirror whose name columns hold Markdown or HTML (a scratch mirror with one hostile name);
a scratch database whose ward and district names are hostile (written by this test into its own copy)
shows them as literal text on every page that prints names, and its CSV downloads neutralise formula cells
while numbers stay numbers. The full CSP (tests/browser/test_proxy.py) would also stop an image
from another host if anything slipped through.
"""
from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import db, explore, text
from geo.build import build
from geo.config import REPO_ROOT, spatial_extension_path
from geo.validate import DataError

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
    escaped = [text.markdown_literal(h) for h in (HOSTILE_WARD, HOSTILE_WARD_2, HOSTILE_DISTRICT)]
    assert any(e in b for e in escaped for b in bodies), f"no hostile name shown at all on /{page}"


def test_markdown_literal_escapes_every_markdown_and_html_mark():
    literal = text.markdown_literal("![a](http://x/y.png) <b>*_`~|#$ {}\\\n# h Folkestone & Hythe, 12.5%")
    assert literal == r"\!\[a\](http://x/y.png) \<b\>\*\_\`\~\|\#\$ \{\}\\ \# h Folkestone & Hythe, 12.5%"


def test_csv_downloads_neutralise_formula_cells_and_keep_numbers_numeric(hostile_database):
    # Synthetic frame (made here, named so) with every formula lead and negative numbers, through the /data
    # download function; then the gap download from the hostile database.
    frame = pd.DataFrame({"area_name": [HOSTILE_DISTRICT, "@SUM(A1)", "+1", "-2", "\tx", "\rx", "Thanet"],
                          "change": [-3.25, -1.0, 0.0, 2.5, None, 1.0, -0.5]})
    body = explore.csv_download(frame).decode("utf-8")
    back = pd.read_csv(io.StringIO(body), comment="#", keep_default_na=True)
    for column in back.columns:
        if not pd.api.types.is_numeric_dtype(back[column]):
            assert not back[column].dropna().astype(str).str.match(r"^[=+\-@\t\r]").any(), back[column]
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    assert numeric and all(pd.api.types.is_numeric_dtype(back[c]) for c in numeric)
    assert (back[numeric].to_numpy() < 0).any()  # negative numbers stay numbers, unquoted

    result = explore.gap_result(explore.gap.Weights(5, 5, 5), explore.gap.DEFAULT_SEED)
    gap_csv = pd.read_csv(io.StringIO(explore.gap_download(result, None).decode("utf-8")), comment="#")
    assert (gap_csv.district_name == "'" + HOSTILE_DISTRICT).any()
    assert pd.api.types.is_numeric_dtype(gap_csv.gap_index)


def test_csv_safe_quotes_each_formula_lead_and_nothing_else():
    frame = pd.DataFrame({"name": ["=1+1", "+1", "-1", "@A1", "\tA", "\rA", "A-1", "St. Mary's"], "n": range(8)})
    out = text.csv_safe(frame)
    assert list(out.name) == ["'=1+1", "'+1", "'-1", "'@A1", "'\tA", "'\rA", "A-1", "St. Mary's"]
    assert out.n.tolist() == list(range(8))


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
