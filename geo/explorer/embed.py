"""The light embed: one static HTML page per area (Kent, each district) and ward layer, with the map as inline SVG.

Made from the built database only (named queries through geo.explorer.db, nothing from data/ or the mirror), by
``geo build`` right after it has checked a new database and before anything is put in service. Pages go into a
fresh versioned folder beside the served path (``static/embed-builds/<version>/``); ``static/embed`` is a
symlink that is swapped to the new folder with one ``os.replace``, so a reader sees the old pages or the new
ones, never a mixture, and a failed build leaves the served pages as they were.

The map is projected to the British National Grid (EPSG:27700, Ordnance Survey's projection for Great
Britain) from the same web geometry the explorer's maps draw (the build's shared-arc simplification), fitted to
the area. Each ward is one ``<a data-code>`` link (to its table row) with the ward, value and Kent rank as its
accessible name; wards are in reading order (north to south in bands, west to east within a band), which is
also the Tab order. No style attributes, inline scripts or event handlers: the pages pass a strict
Content-Security-Policy with ``script-src 'self'; style-src 'self'``. This module must not import streamlit.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from geo import catalogue
from geo.explorer import db, layers, maps, release_view, state as url_state
from geo.catalogue import NO_DATA, format_value, is_missing
from geo.config import DISTRICT_CODES, embed_dir as default_embed_dir

KENT_AREA = "kent"
AREAS = (KENT_AREA,) + DISTRICT_CODES
ASSETS = Path(__file__).resolve().parent / "embed_assets"  # embed.css, embed.js: copied into every version
ASSET_FILES = ("embed.css", "embed.js")
# From /app/static/embed/<area>/<layer>.html back to the app's root; relative, so a sub-path deployment works.
# nginx serves the same files two levels higher (/embed/<area>/<layer>) and rewrites this prefix to "../../".
EXPLORER_ROOT = "../../../../"
VIEW_WIDTH = 1000  # SVG user units across the area; 1 unit is 100 m on Kent's map, about 25 m on a district's
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'")
KEEP_VERSIONS = 2  # the one in service and the one before it (a reader may still be loading it)


class EmbedError(RuntimeError):
    """The light embed pages could not be made or put in service."""


@dataclass
class EmbedReport:
    """What a generation wrote."""

    folder: Path
    pages: int
    postcode_files: int
    bytes: int
    seconds: float
    page_bytes: dict  # "<area>/<layer>" -> size of the HTML


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------ geometry

@dataclass(frozen=True)
class AreaDrawing:
    """One area's wards drawn once (every layer's page shares it): SVG path data and reading order."""

    width: int
    height: int
    paths: dict  # ward code -> path data
    order: tuple  # ward codes in reading (and Tab) order


def draw_area(values: pd.DataFrame, shapes: pd.DataFrame) -> AreaDrawing:
    """The wards' web geometry in British National Grid metres (`shapes`: queries/ward_grid_shapes.sql, projected by
    the build) fitted to VIEW_WIDTH units across."""
    shapes = shapes.set_index("ward_code")
    grid = {code: [[tuple(point) for point in ring] for ring in json.loads(shapes.grid_rings[code])]
            for code in values.area_code}
    xs = [x for rings in grid.values() for ring in rings for x, _ in ring]
    ys = [y for rings in grid.values() for ring in rings for _, y in ring]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    scale = (VIEW_WIDTH - 8) / (east - west)
    height = math.ceil((north - south) * scale) + 8
    paths = {}
    for code, rings in grid.items():
        parts = []
        for ring in rings:
            points = [(round(4 + (x - west) * scale), round(4 + (north - y) * scale)) for x, y in ring]
            kept = [points[0]]
            for point in points[1:]:
                if point != kept[-1]:
                    kept.append(point)
            if len(kept) > 1 and kept[-1] == kept[0]:
                kept.pop()
            if len(kept) < 3:
                continue
            steps = "".join(f"{_signed(b[0] - a[0])}{_signed(b[1] - a[1])}" for a, b in zip(kept, kept[1:]))
            parts.append(f"M{kept[0][0]} {kept[0][1]}l{steps.lstrip(' ')}z")
        paths[code] = "".join(parts)
    # Reading order: bands about as tall as a typical ward, north to south; west to east inside a band.
    label = {code: (shapes.label_easting[code], shapes.label_northing[code]) for code in values.area_code}
    bands = max(1, round(math.sqrt(len(label))))
    band_height = (north - south) / bands or 1.0
    order = sorted(label, key=lambda c: (min(bands - 1, int((north - label[c][1]) / band_height)), label[c][0]))
    return AreaDrawing(VIEW_WIDTH, height, paths, tuple(order))


def _signed(n: int) -> str:
    """A relative step for path data: negative numbers need no separator."""
    return f"{n}" if n < 0 else f" {n}"


# ------------------------------------------------------------------ text

def _value_text(value, indicator: dict) -> str:
    """A value with its unit, without repeating a unit the label already names ("... score 61.3")."""
    label, unit = str(indicator["label"]).lower(), str(indicator["unit"] or "").lower()
    return format_value(value, indicator, unit_style="percent_sign" if label.endswith(unit) else "full")


def _rank_text(rank, ties: int, ranked: int, total: int, neutral: bool) -> str:
    joint = "joint " if ties > 1 else ""
    largest = " largest" if neutral else ""
    wards = f"{ranked} wards in Kent" if ranked == total else f"{ranked} Kent wards with a value"
    return f"{joint}{_ordinal(int(rank))}{largest} of {wards}"


_ROW_COLUMNS = ["area_code", "area_name", "district_name", "value", "kent_rank", "kent_areas_ranked", "n_postcodes"]


def _rows(layer: layers.Layer) -> list[dict]:
    """The layer's wards as plain dicts (without geometry), in the query's order (Kent rank)."""
    columns = [layer.values[name].tolist() for name in _ROW_COLUMNS]  # column-wise: 390 pages, so it is the hot path
    return [dict(zip(_ROW_COLUMNS, values)) for values in zip(*columns)]


def _missing_reason(row: dict, indicator: dict) -> str:
    return layers.missing_reason(row, indicator, "ward")


def ward_names(layer: layers.Layer, kent_wards: int, rows: list[dict] | None = None) -> dict:
    """Each ward's accessible name: "Margate Central: Index of Multiple Deprivation score 61.3, 1st of 255 wards
    in Kent" (neutral layers rank by size: "12th largest"); on the Kent page the district follows the ward.
    `rows` are the layer's `_rows` if the caller has them already."""
    indicator = layer.indicator
    neutral = indicator["polarity"] == "neutral"
    ties = layer.values.kent_rank.value_counts().to_dict()
    names = {}
    for row in rows if rows is not None else _rows(layer):
        where = row["area_name"] if layer.district_code else f"{row['area_name']}, {row['district_name']}"
        if is_missing(row["value"]):
            reason = _missing_reason(row, indicator)
            names[row["area_code"]] = f"{where}: {indicator['label']}, {NO_DATA.lower()} ({reason.rstrip('.')})"
        else:
            rank = _rank_text(row["kent_rank"], int(ties[row["kent_rank"]]), int(row["kent_areas_ranked"]), kent_wards,
                              neutral)
            names[row["area_code"]] = f"{where}: {indicator['label']} {_value_text(row['value'], indicator)}, {rank}"
    return names


# ------------------------------------------------------------------ page

def _explorer_href(area: str, layer_id: str, release_id: str | None = None) -> str:
    default = url_state.ViewState(level="ward")
    view = url_state.ViewState(district=None if area == KENT_AREA else area, layer=layer_id, level="ward")
    query = urlencode(url_state.to_params(view, default) | ({url_state.RELEASE_PARAM: release_id} if release_id else {}))
    return EXPLORER_ROOT + ("" if area == KENT_AREA else "district") + (f"?{query}" if query else "")


def _hatch() -> str:
    return ('<pattern id="nodata" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">'
            '<rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#6e6e6e" '
            'stroke-width="2"/></pattern>')


def _legend(layer: layers.Layer, colours: list, scope: str) -> str:
    rows = [f'<li><svg class="swatch" viewBox="0 0 24 16" aria-hidden="true"><rect width="24" height="16" '
            f'fill="{_e(c)}"/></svg>{_e(label)}</li>' for c, label in zip(colours, layer.classification.labels)]
    if layer.classification.has_missing:
        rows.append('<li><svg class="swatch" viewBox="0 0 24 16" aria-hidden="true"><rect width="24" height="16" '
                    f'fill="url(#nodata)"/></svg>{NO_DATA} (hatched)</li>')
    return (f'<div class="legend"><h2 id="legend-title">Legend: {_e(catalogue.heading(layer.indicator))}</h2>'
            f'<p class="scheme">{layer.classification.k} classes, '
            f'{_e(url_state.CLASS_LABELS[layer.classification.scheme].lower())}, {scope}, as in the explorer.</p><ul aria-labelledby="legend-title">{"".join(rows)}</ul></div>')


def layer_menu(embed_layers: pd.DataFrame | list) -> list:
    """The "Another layer" menu: [(theme, [(indicator_id, label), ...]), ...] in the query's order (a list made
    once is passed through as it is: every page has the same menu)."""
    if isinstance(embed_layers, list):
        return embed_layers
    return [(theme, list(zip(group.indicator_id.tolist(), group.label.tolist())))
            for theme, group in embed_layers.groupby("theme", sort=False)]


def page_html(area: str, area_name: str, layer: layers.Layer, drawing: AreaDrawing, embed_layers: pd.DataFrame | list,
              areas: dict, attributions: list, outward_codes: list, kent_wards: int, built_on: str,
              release_id: str | None = None) -> str:
    """One self-contained light embed page (HTML with inline SVG; CSS and JS are the shared files beside it);
    its figures are data release `release_id`, which its link to the full explorer pins. `embed_layers`: the
    embed_layers query's rows, or their layer_menu."""
    indicator = layer.indicator
    layer_id, label = indicator["indicator_id"], indicator["label"]
    colours = maps.class_colours(indicator, layer.classification)
    class_of = dict(zip(layer.values.area_code, layer.classification.classes))
    rows = _rows(layer)
    names = ward_names(layer, kent_wards, rows)
    neutral = indicator["polarity"] == "neutral"
    n = len(layer.values)
    is_kent = area == KENT_AREA
    scope = "across Kent" if is_kent else f"within {area_name}"
    direction = ("Darker means more; rank 1 is the largest in Kent." if neutral else
                 "Darker means worse; rank 1 is the worst in Kent.")

    wards = []
    for code in drawing.order:
        cls = class_of[code]
        fill = "url(#nodata)" if cls is None else colours[cls]
        wards.append(f'<a href="#w-{code}" data-code="{code}" class="ward{" nodata" if cls is None else ""}">'
                     f'<title>{_e(names[code])}</title><path id="p-{code}" d="{drawing.paths[code]}" fill="{fill}"/></a>')
    map_title = f"Map: {label} by ward, {area_name}"
    svg = (f'<svg class="map" viewBox="0 0 {drawing.width} {drawing.height}" role="group" '
           f'aria-labelledby="map-title" aria-describedby="map-desc">'
           f'<title id="map-title">{_e(map_title)}</title>'
           f'<desc id="map-desc">{n} wards, each a link named with its value and Kent rank, in reading order: north '
           f'to south, west to east. The same values are in the table below the map.</desc>'
           f'<defs>{_hatch()}</defs><g class="wards">{"".join(wards)}</g><g class="raised" aria-hidden="true"></g></svg>')

    district_column = is_kent
    head = ('<th scope="col">Ward</th>' + ('<th scope="col">District</th>' if district_column else "")
            + f'<th scope="col">{_e(catalogue.heading(indicator))}</th>'
            + f'<th scope="col">Kent rank (1 = {"largest" if neutral else "worst"})</th>')
    body = []
    for row in rows:
        value = format_value(row["value"], indicator)
        if is_missing(row["value"]):
            value = f'{NO_DATA}: {_e(_missing_reason(row, indicator))}'
        rank = "" if is_missing(row["kent_rank"]) else f"{int(row['kent_rank'])} of {int(row['kent_areas_ranked'])}"
        body.append(f'<tr id="w-{row["area_code"]}"><th scope="row">{_e(row["area_name"])}</th>'
                    + (f"<td>{_e(row['district_name'])}</td>" if district_column else "")
                    + f'<td class="num">{value}</td><td class="num">{rank}</td></tr>')
    caption = (f"{catalogue.heading(indicator)} by ward, {area_name}: {n} wards, ranked in Kent. {indicator['vintage']}.")

    theme_groups = []
    for theme, group in layer_menu(embed_layers):
        links = "".join(f'<li><a href="{indicator_id}.html"'
                        + (' aria-current="page"' if indicator_id == layer_id else "")
                        + f">{_e(name)}</a></li>" for indicator_id, name in group)
        theme_groups.append(f"<li>{_e(catalogue.THEME_LABELS[theme])}<ul>{links}</ul></li>")
    area_links = "".join(f'<li><a href="../{code}/{layer_id}.html"' + (' aria-current="page"' if code == area else "")
                         + f">{_e(name)}</a></li>" for code, name in areas.items())
    caveat = f"<p><strong>Caveat:</strong> {_e(indicator['caveat'])}</p>" if indicator["caveat"] else ""
    attribution = "".join(f"<li>{_e(line)}</li>" for line in attributions)
    search_action = EXPLORER_ROOT + "find"

    return "".join([
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="referrer" content="strict-origin-when-cross-origin">',
        f"<title>{_e(label)} by ward, {_e(area_name)} - Kent Locality Explorer</title>",
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="../embed.css">',
        '<script src="../embed.js" defer></script></head><body>',
        '<a class="skip" href="#table">Skip the map: go to the table</a>',
        f'<header><h1>{_e(label)} by ward: {_e(area_name)}</h1>',
        f'<p class="desc">{n} wards, {_e(indicator["vintage"])}. Colours are {layer.classification.k} classes '
        f'{scope}. {direction}</p></header>',
        '<nav class="choose" aria-label="Other maps"><details><summary>Another layer</summary>'
        f'<ul>{"".join(theme_groups)}</ul></details><details><summary>Another area</summary>'
        f'<ul>{area_links}</ul></details></nav>',
        '<main>',
        f'<form class="search" role="search" action="{search_action}" method="get" target="_blank" '
        f'data-area="{area}" data-outward="{" ".join(outward_codes)}">',
        '<label for="q">Find a postcode or place</label>',
        '<span class="row"><input id="q" name="q" type="text" autocomplete="postal-code" spellcheck="false" '
        'aria-describedby="q-hint"><button type="submit">Find</button></span>',
        '<span id="q-hint" class="hint">For example CT9 1AE. Places open the full explorer\'s search in a new tab.</span>',
        '</form><p id="status" class="status" role="status"></p>',
        f'<div class="figure">{svg}{_legend(layer, colours, scope)}</div>',
        '<p class="tip" id="tip" aria-hidden="true"></p>',
        f'<section id="table" tabindex="-1" aria-labelledby="table-caption"><table>'
        f'<caption id="table-caption">{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></section>',
        '<section class="about" aria-label="About these figures">',
        f'<p><strong>Source:</strong> {_e(indicator["publisher"])}, {_e(indicator["source_title"])}, '
        f'{_e(indicator["vintage"])} ({_e(indicator["licence"])}).</p>',
        f'<p><strong>Method:</strong> {_e(indicator["method"])}</p>{caveat}',
        '<p class="links">'
        f'<a href="{_e(_explorer_href(area, layer_id, release_id))}" target="_blank" rel="noopener">Open this view in the full '
        'explorer<span class="nt"> (new tab)</span></a> '
        f'<a href="{EXPLORER_ROOT}about" target="_blank" rel="noopener">About the data<span class="nt"> (new tab)'
        '</span></a></p>',
        f'<h2>Attribution</h2><ul class="attribution">{attribution}</ul>',
        f'<p class="built">Data release {_e(release_id or "not recorded")}. Pages made {_e(built_on)} from the '
        "explorer's database; data as dated above.</p></section>",
        '</main>',
        "</body></html>\n",
    ])


# ------------------------------------------------------------------ postcodes

def postcode_files(database: Path) -> dict:
    """One small JSON document per postcode district (outward code): {"p": {inward: ward}, "w": {ward: [name,
    district code, district name]}}, from the database's postcodes table (the publisher's ward for each)."""
    rows = db.run("embed_postcodes", path=database)
    outward = rows.postcode.str.split(" ").str[0]
    files = {}
    for code, group in rows.groupby(outward, sort=True):
        files[code] = {"p": dict(zip(group.postcode.str.split(" ").str[1], group.ward_code)),
                       "w": {r.ward_code: [r.ward_name, r.district_code, r.district_name]
                             for r in group.drop_duplicates("ward_code").itertuples()}}
    return files


# ------------------------------------------------------------------ generation and swap

def generate(database: Path, folder: Path) -> EmbedReport:
    """Write every page, the postcode files and the shared CSS/JS into `folder` (which must not exist yet)."""
    started = time.perf_counter()
    database = Path(database)
    folder.mkdir(parents=True)
    embed_layers = db.run("embed_layers", path=database)
    districts = db.run("district_choices", path=database)
    areas = {KENT_AREA: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
    attributions = db.run("source_attributions", path=database).attribution.tolist()
    postcodes = postcode_files(database)
    built_on = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    kent_wards = len(db.run("ward_choices", path=database))
    ward_shapes = db.run("ward_grid_shapes", path=database)
    release = release_view.release_record(database)
    page_bytes = {}
    drawings = {}
    menu = layer_menu(embed_layers)
    for area in AREAS:
        (folder / area).mkdir()
    for layer_id in embed_layers.indicator_id:
        kent = layers.layer(layer_id, "ward", None, "quantiles", path=database)
        if kent.level != "ward" or kent.values.value.isna().all():
            raise EmbedError(f"layer {layer_id} has no ward values")
        for area in AREAS:
            layer = kent if area == KENT_AREA else layers.within_district(kent, area, "quantiles")
            if area not in drawings:
                drawings[area] = draw_area(layer.values, ward_shapes)
            text = page_html(area, areas[area], layer, drawings[area], menu, areas, attributions, sorted(postcodes),
                             kent_wards, built_on, release["release_id"] if release else None)
            data = text.encode("utf-8")
            (folder / area / f"{layer_id}.html").write_bytes(data)
            page_bytes[f"{area}/{layer_id}"] = len(data)
    (folder / "postcodes").mkdir()
    for outward, content in postcodes.items():
        (folder / "postcodes" / f"{outward}.json").write_text(json.dumps(content, separators=(",", ":")), encoding="utf-8")
    for name in ASSET_FILES:
        shutil.copyfile(ASSETS / name, folder / name)
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return EmbedReport(folder, len(page_bytes), len(postcodes), total, time.perf_counter() - started, page_bytes)


def versions_dir(embed_dir: Path) -> Path:
    """Where the versioned folders live: beside the served path, e.g. static/embed-builds/."""
    return embed_dir.parent / f"{embed_dir.name}-builds"


def stage(database: Path, embed_dir: Path | None = None) -> EmbedReport:
    """Generate into a fresh versioned folder (not yet served); on any failure the folder is removed."""
    embed_dir = Path(embed_dir or default_embed_dir())
    _check_served_path(embed_dir)
    release = release_view.release_record(database)  # the folder is named for the data release it shows
    folder = versions_dir(embed_dir) / (f"{release['release_id'] if release else 'unreleased'}--"
                                        f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        return generate(database, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _check_served_path(embed_dir: Path) -> None:
    if embed_dir.exists() and not embed_dir.is_symlink():
        raise EmbedError(f"{embed_dir} is a real folder, not the symlink the build swaps: move it away and build again")


def activate(report: EmbedReport, embed_dir: Path | None = None) -> None:
    """Serve the staged folder: swap the `embed_dir` symlink to it in one os.replace; drop old versions."""
    embed_dir = Path(embed_dir or default_embed_dir())
    _check_served_path(embed_dir)
    link = embed_dir.parent / f".{embed_dir.name}.{os.getpid()}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(report.folder, embed_dir.parent), target_is_directory=True)
    os.replace(link, embed_dir)
    versions = sorted(versions_dir(embed_dir).iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [v for v in versions if v.resolve() != report.folder.resolve()][KEEP_VERSIONS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def discard(report: EmbedReport) -> None:
    """Remove a staged folder that will not be served (the build failed after staging it)."""
    shutil.rmtree(report.folder, ignore_errors=True)


def publish(database: Path, embed_dir: Path | None = None) -> EmbedReport:
    """Generate the pages from `database` and put them in service (``python -m geo embed``)."""
    report = stage(database, embed_dir)
    activate(report, embed_dir)
    return report
