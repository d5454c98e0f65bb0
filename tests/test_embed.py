"""The light embed pages (geo/explorer/embed.py) against the real database: every area and ward layer, the values, names and
ranks, self-containment, the postcode files, reading only the database, and putting pages in service atomically."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from geo import releases
from geo.explorer import db, embed, embed_code
from geo.publish import build
from geo.catalogue import format_value
from geo.config import DISTRICT_CODES, REPO_ROOT, embed_dir
from geo.pipeline.validate import DataError

THANET = "E07000114"


class _Page(HTMLParser):
    """What a page holds: ward links (data-code -> title text), table rows, every attribute, script tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.wards, self.ward_order, self.rows, self.attributes, self.scripts = {}, [], {}, [], []
        self._ward = self._row = None
        self._in_title = self._in_cell = False
        self._cells: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attributes.extend((tag, k, v or "") for k, v in attrs.items())
        if tag == "script":
            self.scripts.append(attrs)
        if "data-code" in attrs:
            self._ward = attrs["data-code"]
            self.ward_order.append(self._ward)
            self.wards[self._ward] = ""
        elif tag == "title" and self._ward:
            self._in_title = True
        elif tag == "tr" and (attrs.get("id") or "").startswith("w-"):
            self._row, self._cells = attrs["id"][2:], []
        elif tag in ("td", "th") and self._row:
            self._in_cell = True
            self._cells.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "a" and self._ward:
            self._ward = None
        elif tag in ("td", "th"):
            self._in_cell = False
        elif tag == "tr" and self._row:
            self.rows[self._row] = self._cells
            self._row = None

    def handle_data(self, data):
        if self._in_title and self._ward:
            self.wards[self._ward] += data
        elif self._in_cell and self._row:
            self._cells[-1] += data


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages(built_database) -> Path:
    """The pages the session's build put in service (static/embed, or $KENT_EMBED_DIR)."""
    folder = embed_dir()
    assert folder.is_symlink(), f"{folder} should be the symlink the build swaps"
    return folder


@pytest.fixture(scope="module")
def truth(built_database):
    """Ward values and Kent ranks computed here, independently of the page code, from the database."""
    connection = duckdb.connect(str(built_database), read_only=True)
    layers = [r[0] for r in connection.execute(
        "select distinct indicator_id from indicator_values where level = 'ward' and value is not null").fetchall()]
    catalogue = {r[0]: {"indicator_id": r[0], "label": r[1], "unit": r[2], "polarity": r[3], "decimals": r[4]}
                 for r in connection.execute("select indicator_id, label, unit, polarity, decimals from indicators").fetchall()}
    wards = connection.execute("select ward_code, ward_name, district_code from ward_boundaries").df()
    values = connection.execute("""
        select v.indicator_id, v.area_code as ward_code, v.value,
               case when v.value is null then null
                    when c.polarity = 'higher_better' then rank() over (partition by v.indicator_id order by v.value)
                    else rank() over (partition by v.indicator_id order by v.value desc) end as kent_rank
        from indicator_values v join indicators c using (indicator_id) where v.level = 'ward'""").df()
    connection.close()
    return {"layers": sorted(layers), "catalogue": catalogue, "wards": wards, "values": values}


def test_one_page_per_area_and_ward_layer(pages, truth):
    assert len(truth["layers"]) >= 30  # every catalogue layer with ward values
    for area in embed.AREAS:
        files = sorted(p.stem for p in (pages / area).glob("*.html"))
        assert files == truth["layers"], area
    assert not (pages / "kent" / "gigabit_pct_2021.html").exists()  # district-only layer: no ward values


@pytest.mark.parametrize("area", embed.AREAS)
def test_every_page_matches_the_database(pages, truth, area):
    wards = truth["wards"] if area == "kent" else truth["wards"][truth["wards"].district_code == area]
    names = dict(zip(wards.ward_code, wards.ward_name))
    for layer_id in truth["layers"]:
        indicator = truth["catalogue"][layer_id]
        page = _parse(pages / area / f"{layer_id}.html")
        assert sorted(page.wards) == sorted(names), (area, layer_id)  # one [data-code] element per ward
        assert len(page.ward_order) == len(names)
        assert sorted(page.rows) == sorted(names)
        values = truth["values"][truth["values"].indicator_id == layer_id].set_index("ward_code")
        ranked = int(values.kent_rank.notna().sum())
        for code, name in names.items():
            value, rank = values.value[code], values.kent_rank[code]
            cells = page.rows[code]
            assert cells[0] == name
            shown = format_value(value, indicator)
            assert cells[-2].startswith(shown if value == value else "No data"), (area, layer_id, code, cells)
            if rank == rank:
                assert cells[-1] == f"{int(rank)} of {ranked}"
                assert f"{embed._ordinal(int(rank))}" in page.wards[code]
                assert re.search(r"of 255 wards in Kent$|of \d+ Kent wards with a value$", page.wards[code])
            title = page.wards[code]
            assert title.startswith(name), title
            assert format_value(value, indicator, unit_style="none") in title


def test_accessible_names_read_as_the_issue_asks(pages):
    page = _parse(pages / THANET / "imd_score.html")
    assert page.wards["E05005093"] == "Margate Central: Index of Multiple Deprivation score 61.319, 1st of 255 wards in Kent"
    kent = _parse(pages / "kent" / "imd_score.html")
    assert kent.wards["E05005093"].startswith("Margate Central, Thanet: Index of Multiple Deprivation score 61.319, 1st")
    population = _parse(pages / THANET / "population.html")  # neutral: ranked by size, not "worst"
    assert all(" largest of " in title for title in population.wards.values())
    assert "Kent rank (1 = largest)" in (pages / THANET / "population.html").read_text(encoding="utf-8")


def test_wards_are_in_reading_order(pages, built_database):
    """North to south in bands, west to east within one: the first ward is further north than the last."""
    connection = duckdb.connect(str(built_database), read_only=True)
    lat = dict(connection.execute("select ward_code, label_lat from ward_boundaries").fetchall())
    connection.close()
    for area in embed.AREAS:
        order = _parse(pages / area / "imd_score.html").ward_order
        half = len(order) // 2
        assert sum(lat[c] for c in order[:half]) / half > sum(lat[c] for c in order[-half:]) / half, area


def test_pages_are_self_contained_and_pass_a_strict_csp(pages):
    for path in sorted(pages.glob("*/*.html")):
        text = path.read_text(encoding="utf-8")
        page = _parse(path)
        for tag, name, value in page.attributes:
            assert not name.startswith("on"), (path, tag, name)  # no inline event handlers
            assert name != "style", (path, tag)  # style attributes are blocked by style-src 'self'
            if name in ("href", "src", "action"):
                assert not re.match(r"^[a-z][a-z0-9+.-]*:", value) or value == "data:,", (path, value)
                assert not value.startswith("//"), (path, value)
        assert page.scripts == [{"src": "../embed.js", "defer": None}], path  # no inline script
        assert "<style" not in text
        assert f'content="{embed.CSP}"' in text
        assert '<html lang="en-GB">' in text
    css = (pages / "embed.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    js = (pages / "embed.js").read_text(encoding="utf-8")
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", js)
    assert "localStorage" not in js and "document.cookie" not in js and "innerHTML" not in js


def test_explorer_links_are_relative_and_match_the_view(pages, built_database):
    text = (pages / THANET / "income_score.html").read_text(encoding="utf-8")
    release = releases.release_of(built_database)  # the links pin the release the page shows
    assert f'href="../../../../district?district=E07000114&amp;layer=income_score&amp;release={release}"' in text
    assert f"Data release {release}." in text
    assert 'href="../../../../about"' in text
    assert 'action="../../../../find"' in text and 'name="q"' in text and 'method="get"' in text
    kent = (pages / "kent" / "income_score.html").read_text(encoding="utf-8")
    assert f'href="../../../../?layer=income_score&amp;release={release}"' in kent
    assert 'href="gap_index.html"' in text and 'href="../kent/income_score.html"' in text  # choosers, no JS


def test_postcode_files_hold_every_postcode_with_its_ward(pages, built_database):
    connection = duckdb.connect(str(built_database), read_only=True)
    postcodes = connection.execute("select postcode, ward_code from postcodes where ward_code is not null").fetchall()
    connection.close()
    files = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (pages / "postcodes").glob("*.json")}
    for postcode, ward in postcodes:
        outward, inward = postcode.split(" ")
        assert files[outward]["p"][inward] == ward, postcode
        assert ward in files[outward]["w"]
    assert sum(len(f["p"]) for f in files.values()) == len(postcodes)
    assert files["CT9"]["p"]["1AE"] == "E05005093"
    assert files["CT9"]["w"]["E05005093"] == ["Margate Central", THANET, "Thanet"]
    outward_listed = re.search(r'data-outward="([^"]*)"', (pages / THANET / "imd_score.html").read_text()).group(1)
    assert outward_listed.split() == sorted(files)


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


AUDITED_PUBLISH = """
import json, sys
from pathlib import Path
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and isinstance(args[0], str) else None)
from geo.explorer import embed
report = embed.publish(Path(sys.argv[1]), Path(sys.argv[2]))
root = Path(sys.argv[3])
print(json.dumps({"folder": str(report.folder), "pages": report.pages,
                  "data": [p for p in opened if Path(p).resolve().is_relative_to(root / "data")],
                  "geopandas": "geopandas" in sys.modules}))
"""


@pytest.fixture(scope="module")
def published(built_database, tmp_path_factory):
    """One embed.publish of the session's database into a fresh served path (static/embed in a scratch folder), in a
    child process whose audit hook records every file it opens, with no mirror: (served path, what it reported and
    opened). The tests that serve something else work on a copy (`served_copy`)."""
    folder = tmp_path_factory.mktemp("published")
    served = folder / "static" / "embed"
    served.parent.mkdir()
    env = {**os.environ, "KENT_DATA_DIR": str(folder / "no-mirror-here")}
    result = subprocess.run([sys.executable, "-c", AUDITED_PUBLISH, str(built_database), str(served), str(REPO_ROOT)],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return served, json.loads(result.stdout.strip().splitlines()[-1])


def test_generator_reads_only_the_built_database(published):
    """The audit hook saw every file the generator opened (in embed.publish): the database, queries/ and its own
    assets, never data/ (CSVs) or the mirror; geopandas is never imported."""
    served, audit = published
    assert audit["data"] == []
    assert audit["geopandas"] is False
    assert audit["pages"] == 13 * 30 and len(list(served.glob("*/*.html"))) == 13 * 30


def served_copy(published, folder: Path) -> Path:
    """A copy of the published static/ (the served symlink, relative, and its versions folder) in folder."""
    served, _ = published
    shutil.copytree(served.parent, folder / "static", symlinks=True)
    return folder / "static" / served.name


def test_publish_swaps_the_served_folder_in_one_step(built_database, published, tmp_path):
    served, first = published
    assert served.is_symlink() and served.resolve() == Path(first["folder"]).resolve()
    assert not Path(os.readlink(served)).is_absolute()  # relative: the checkout can move
    served = served_copy(published, tmp_path)  # the first publish's result, moved: the relative link still holds
    first_folder = served.resolve()
    assert first_folder.name == Path(first["folder"]).name and first_folder.is_relative_to(tmp_path)
    second = embed.publish(built_database, served)
    assert served.resolve() == second.folder.resolve()
    assert first_folder.is_dir()  # the previous version stays for readers still loading it
    assert sorted(p.name for p in embed.versions_dir(served).iterdir()) == sorted([first_folder.name, second.folder.name])


def test_a_failed_page_generation_leaves_the_served_pages(built_database, published, tmp_path):
    served = served_copy(published, tmp_path)
    before, target = _snapshot(served), os.readlink(served)
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(built_database.read_bytes())
    connection = duckdb.connect(str(broken))
    connection.execute("drop view postcodes")
    connection.close()
    # geo.explorer.db reports an unreadable database as DatabaseUnavailable (no last good opening of that file to serve)
    with pytest.raises((duckdb.Error, db.DatabaseUnavailable)):
        embed.publish(broken, served)
    assert os.readlink(served) == target and _snapshot(served) == before
    assert len(list(embed.versions_dir(served).iterdir())) == 1  # the half-written folder was removed


def test_a_failed_build_leaves_the_previous_pages_and_database(built_database, published, mirror_with, tmp_path):
    served = served_copy(published, tmp_path)
    database = tmp_path / "kent.duckdb"
    database.write_bytes(built_database.read_bytes())
    before_pages, before_db, target = _snapshot(served), database.read_bytes(), os.readlink(served)
    broken = mirror_with(tmp_path / "mirror", "raw/iod2025/kent_imd2025_lsoa21_domains.csv",
                         lambda text: text.replace("IMD_score", "IMD_scorx", 1))
    with pytest.raises(DataError):
        build(broken, database, embed_dir=served)
    assert database.read_bytes() == before_db
    assert os.readlink(served) == target and _snapshot(served) == before_pages
    assert len(list(embed.versions_dir(served).iterdir())) == 1


def test_a_build_whose_pages_cannot_be_served_keeps_the_previous_database(built_database, mirror, tmp_path):
    """The pages are made before anything is put in service: a served path that is a real folder (not the
    build's symlink) fails the build at the pages stage, and the previous database stays byte-identical."""
    database = tmp_path / "kent.duckdb"
    database.write_bytes(built_database.read_bytes())
    served = tmp_path / "static" / "embed"
    served.mkdir(parents=True)
    (served / "keep.html").write_text("hand-made", encoding="utf-8")
    with pytest.raises(embed.EmbedError, match="real folder"):
        build(mirror, database, embed_dir=served)
    assert database.read_bytes() == built_database.read_bytes()
    assert (served / "keep.html").read_text(encoding="utf-8") == "hand-made"
    assert not embed.versions_dir(served).exists() or not any(embed.versions_dir(served).iterdir())


# ------------------------------------------------------------------ the About page's embed code

def test_light_snippet_has_skip_link_titled_frame_and_links_after_it():
    code = embed_code.snippet("light", "https://explorer.example/", THANET, "imd_score", "Thanet",
                              "Index of Multiple Deprivation score")
    skip, frame, after = code.splitlines()
    assert skip == '<a href="#kle-after-e07000114-imd-score">Skip the embedded map</a>'
    assert 'src="https://explorer.example/embed/E07000114/imd_score"' in frame
    assert 'title="Map: Index of Multiple Deprivation score by ward, Thanet (Kent Locality Explorer)"' in frame
    assert after.startswith('<p id="kle-after-e07000114-imd-score">')
    assert 'href="https://explorer.example/district?district=E07000114&amp;layer=imd_score">Open the full explorer' in after
    assert 'href="https://explorer.example/embed/E07000114/imd_score#table">View the data as a table' in after
    direct = embed_code.snippet("light", "http://localhost:8501", None, "income_score", "All of Kent", "Income",
                                behind_proxy=False)
    assert 'src="http://localhost:8501/app/static/embed/kent/income_score.html"' in direct


def test_interactive_snippet_keeps_the_streamlit_embed():
    code = embed_code.snippet("interactive", "https://x.example", THANET, "income_score", "Thanet", "Income")
    assert 'src="https://x.example/district?district=E07000114&amp;layer=income_score&amp;embed=true"' in code
    assert "Skip the embedded map" in code and "View the data as a table" in code
    with pytest.raises(ValueError):
        embed_code.snippet("heavy", "https://x.example", None, "imd_score", "All of Kent", "IMD")


def test_every_district_code_is_an_area():
    assert embed.AREAS == ("kent",) + DISTRICT_CODES


@pytest.mark.parametrize("layer_id", ["imd_score", "population", "superfast_2013_pct", "nearest_station_km"])
def test_district_pages_class_as_the_district_page_does(built_database, layer_id):
    """layers.within_district (one query per layer for 13 pages) equals layers.layer for the district."""
    from geo.explorer import layers

    kent = layers.layer(layer_id, "ward", None, "quantiles", path=built_database)
    for district in DISTRICT_CODES:
        cut = layers.within_district(kent, district, "quantiles")
        direct = layers.layer(layer_id, "ward", district, "quantiles", path=built_database)
        assert cut.classification == direct.classification, (layer_id, district)
        columns = ["area_code", "value", "kent_rank", "kent_areas_ranked"]
        assert cut.values[columns].equals(direct.values[columns].reset_index(drop=True)), (layer_id, district)
