"""Printable Locality Board pack: one self-contained HTML document, no browser needed.

The ward map is drawn here as inline SVG from GeoJSON lon/lat (equirectangular projection
scaled by cos(mean latitude), which is accurate enough for an area the size of Kent). The
document makes no external requests: no scripts, fonts, stylesheets or images; every piece of
text taken from the inputs is HTML-escaped. This module must not import streamlit.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Iterable, Mapping, Sequence

from urllib.parse import urlencode

from geo import catalogue
from geo.catalogue import (NO_DATA, format_value, heading as _heading, is_missing as _is_missing, ordinal, ordinal_phrase, rank_words,
                           unpublished_reason)

from geo.explorer import db, maps, release_view
from geo.explorer.areas import districts
from geo.explorer.layers import Layer, layer
from geo.explorer.metadata import attributions
from geo.explorer.overview import coloured_features, district_overview
from geo.explorer.state import LEVEL_NOUN, LEVEL_PLURAL

__all__ = ["board_pack_html", "board_pack_pdf", "board_pack_inputs", "overview_html", "district_overview_html",
           "format_value", "NO_DATA"]

NO_DATA_COLOUR = "#bdbdbd"

VIEW_W = 800.0
VIEW_H = 560.0
PAD = 16.0

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _cell(value, indicator: Mapping) -> str:
    """A ward-table cell: floats at the indicator's decimals, None as "No data"."""
    if _is_missing(value):
        return NO_DATA
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return format_value(value, indicator, unit_style="none")
    return str(value)


def _colour(value, default: str = NO_DATA_COLOUR) -> str:
    text = str(value or "").strip()
    return text if _HEX.match(text) else default


# --- Geometry -------------------------------------------------------------------------------

def _polygons(geometry: Mapping | None) -> list:
    """A geometry as a list of polygons, each a list of rings of (lon, lat)."""
    if not geometry:
        return []
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [coords]
    if kind == "MultiPolygon":
        return list(coords)
    if kind == "GeometryCollection":
        out = []
        for g in geometry.get("geometries") or []:
            out.extend(_polygons(g))
        return out
    return []


def _rings(geometry: Mapping | None) -> Iterable:
    for polygon in _polygons(geometry):
        for ring in polygon:
            if ring:
                yield ring


class _Projection:
    """Equirectangular lon/lat -> SVG units, fitted into the viewBox with padding."""

    def __init__(self, geometries: Sequence[Mapping | None]):
        lons, lats = [], []
        for g in geometries:
            for ring in _rings(g):
                for pt in ring:
                    lons.append(float(pt[0]))
                    lats.append(float(pt[1]))
        if not lons:
            self.ok = False
            return
        self.ok = True
        lat0 = math.radians((min(lats) + max(lats)) / 2.0)
        self.kx = math.cos(lat0)
        self.min_x = min(lons) * self.kx
        self.max_y = max(lats)
        width = max(max(lons) * self.kx - self.min_x, 1e-9)
        height = max(self.max_y - min(lats), 1e-9)
        self.scale = min((VIEW_W - 2 * PAD) / width, (VIEW_H - 2 * PAD) / height)
        # centre the drawing in the viewBox
        self.off_x = PAD + ((VIEW_W - 2 * PAD) - width * self.scale) / 2.0
        self.off_y = PAD + ((VIEW_H - 2 * PAD) - height * self.scale) / 2.0

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.off_x + (float(lon) * self.kx - self.min_x) * self.scale
        y = self.off_y + (self.max_y - float(lat)) * self.scale
        return round(x, 1), round(y, 1)


def _num(v: float) -> str:
    text = f"{v:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _path_data(geometry: Mapping | None, project: _Projection) -> str:
    parts = []
    for ring in _rings(geometry):
        points = []
        for pt in ring:
            p = project(pt[0], pt[1])
            if not points or points[-1] != p:
                points.append(p)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()  # Z closes the ring
        if len(points) < 3:
            continue
        head = f"M{_num(points[0][0])} {_num(points[0][1])}"
        body = "L" + " ".join(f"{_num(x)} {_num(y)}" for x, y in points[1:])
        parts.append(head + body + "Z")
    return "".join(parts)


# --- Map labels: numbers keyed to the table ------------------------------------------------------

LABEL_RADIUS = 8.0  # SVG units; at A4 width (about 120 mm for 800 units) a 2.4 mm disc, 7 pt digits
MIN_INSET_ZOOM = 2.0


def _label_point(feature: Mapping, project: _Projection) -> tuple[float, float] | None:
    """Where an area's number goes: the feature's own label point, else the middle of its largest ring."""
    lon, lat = feature.get("label_lon"), feature.get("label_lat")
    if not _is_missing(lon) and not _is_missing(lat) and lon is not None and lat is not None:
        return project(float(lon), float(lat))
    rings = list(_rings(feature.get("geometry")))
    if not rings:
        return None
    ring = max(rings, key=len)
    lons, lats = [float(p[0]) for p in ring], [float(p[1]) for p in ring]
    return project((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)


def _crowded(points: Mapping[int, tuple[float, float]], radius: float) -> set:
    """The labels whose discs would overlap another's."""
    items = list(points.items())
    out = set()
    for i, (a, (ax, ay)) in enumerate(items):
        for b, (bx, by) in items[i + 1:]:
            if (ax - bx) ** 2 + (ay - by) ** 2 < (2 * radius) ** 2:
                out.update((a, b))
    return out


def _label_views(points: Mapping[int, tuple[float, float]], max_insets: int = 2) -> list:
    """The whole map, then up to ``max_insets`` ever closer boxes (x, y, w, h) around the labels still crowded."""
    views = [(0.0, 0.0, VIEW_W, VIEW_H)]
    while len(views) <= max_insets:
        x0, y0, w, h = views[-1]
        r = LABEL_RADIUS * w / VIEW_W
        here = {k: p for k, p in points.items() if x0 <= p[0] <= x0 + w and y0 <= p[1] <= y0 + h}
        crowded = _crowded(here, r)
        if not crowded:
            break
        # the crowd's core: a stray pair of touching rural labels must not stretch the inset over the map
        cx = sorted(here[k][0] for k in crowded)[len(crowded) // 2]
        cy = sorted(here[k][1] for k in crowded)[len(crowded) // 2]
        distance = {k: math.hypot(here[k][0] - cx, here[k][1] - cy) for k in crowded}
        typical = sorted(distance.values())[len(distance) // 2]
        core = [k for k in crowded if distance[k] <= 2.5 * typical + r]
        pad = 3 * r
        xs, ys = [here[k][0] for k in core], [here[k][1] for k in core]
        bx0, by0, bw, bh = min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad
        if bw / bh < VIEW_W / VIEW_H:  # keep the map's aspect so the inset is not distorted
            bx0, bw = bx0 - (bh * VIEW_W / VIEW_H - bw) / 2, bh * VIEW_W / VIEW_H
        else:
            by0, bh = by0 - (bw * VIEW_H / VIEW_W - bh) / 2, bw * VIEW_H / VIEW_W
        if w / bw < MIN_INSET_ZOOM:
            break
        views.append((bx0, by0, bw, bh))
    return views


def _label(number: int, x: float, y: float, r: float) -> str:
    # presentation attributes, not CSS classes: WeasyPrint's SVG renderer ignores the page's stylesheet
    return (f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="#ffffff" stroke="#1a1a1a" '
            f'stroke-width="{_num(r * 0.09)}"/><text x="{_num(x)}" y="{_num(y + r * 0.38)}" '
            f'font-size="{_num(r * 1.1)}" text-anchor="middle" font-weight="bold" fill="#1a1a1a" '
            f'font-family="Liberation Sans, Arial, sans-serif">{number}</text>')


def _svg_map(features: Sequence[Mapping], indicator: Mapping, title: str, *, numbered: bool = True,
             highlight: str | None = None, css_class: str = "map", outline_width: float = 3.0) -> str:
    """An SVG choropleth; with ``numbered``, each area carries its ``key`` number (its row in the table).

    Where numbers would overlap (a town's small wards), they move to an inset that zooms in on them.
    """
    project = _Projection([f.get("geometry") for f in features])
    paths, outline = [], ""
    for f in features:
        d = _path_data(f.get("geometry"), project) if project.ok else ""
        fill = NO_DATA_COLOUR if _is_missing(f.get("value")) else _colour(f.get("colour"))
        key = f.get("key")
        name = f"{key}. {f.get('area_name', '')}" if numbered and key else str(f.get("area_name", ""))
        tip = f"{name}: {format_value(f.get('value'), indicator, unit_style='full')}"
        paths.append(f'<path d="{d}" fill="{_e(fill)}"><title>{_e(tip)}</title></path>')
        if highlight and f.get("area_code") == highlight and d:
            outline = f'<path d="{d}" fill="none" stroke="#000000" stroke-width="{_num(outline_width)}"/>'
    shapes = "".join(paths) + outline

    labels, insets = [], []
    if numbered and project.ok:
        points = {}
        for f in features:
            point = _label_point(f, project) if f.get("key") else None
            if point:
                points[int(f["key"])] = point
        views = _label_views(points)
        for depth, (x0, y0, w, h) in enumerate(views):
            zoom = VIEW_W / w
            r = LABEL_RADIUS / zoom
            nxt = views[depth + 1] if depth + 1 < len(views) else None
            drawn = []
            for k, (x, y) in sorted(points.items()):
                if not (x0 <= x <= x0 + w and y0 <= y <= y0 + h):
                    continue
                if nxt and nxt[0] <= x <= nxt[0] + nxt[2] and nxt[1] <= y <= nxt[1] + nxt[3]:
                    continue  # drawn, larger, in the next inset
                drawn.append(_label(k, x, y, r))
            if nxt:
                nx, ny, nw, nh = nxt
                drawn.append(f'<rect x="{_num(nx)}" y="{_num(ny)}" width="{_num(nw)}" height="{_num(nh)}" fill="none" '
                             f'stroke="#1a1a1a" stroke-width="{_num(1.5 / zoom)}" stroke-dasharray="{_num(6 / zoom)} {_num(4 / zoom)}"/>'
                             f'<text x="{_num(nx)}" y="{_num(ny + nh + 13 / zoom)}" font-size="{_num(12 / zoom)}" fill="#1a1a1a" '
                             f'font-family="Liberation Sans, Arial, sans-serif">Inset {depth + 1} below</text>')
            if depth == 0:
                labels = drawn
                continue
            inset_title = f"Inset {depth}: areas whose numbers are too close together on the map above, enlarged {zoom:.0f} times"
            insets.append(f'<svg class="{css_class} inset" viewBox="{_num(x0)} {_num(y0)} {_num(w)} {_num(h)}" role="img" '
                          f'aria-label="{_e(inset_title)}"><title>{_e(inset_title)}</title>'
                          f'<g fill-rule="evenodd" stroke="#ffffff" stroke-width="{_num(0.8 / zoom)}" '
                          f'stroke-linejoin="round">{shapes}</g><g>{"".join(drawn)}</g></svg>')
    inset = "".join(insets)
    main = (
        f'<svg class="{css_class}" viewBox="0 0 {int(VIEW_W)} {int(VIEW_H)}" role="img" aria-label="{_e(title)}">'
        f"<title>{_e(title)}</title>"
        f'<g fill-rule="evenodd" stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">{shapes}</g>'
        + (f'<g>{"".join(labels)}</g>' if labels else "")
        + "</svg>"
    )
    return main, inset


def _legend(classes: Sequence[Mapping], indicator: Mapping, features: Sequence[Mapping]) -> str:
    rows = []
    labels = set()
    for c in classes:
        label = str(c.get("label", ""))
        labels.add(label.strip().lower())
        rows.append((label, _colour(c.get("colour"))))
    if any(_is_missing(f.get("value")) for f in features) and NO_DATA.lower() not in labels:
        rows.append((NO_DATA, NO_DATA_COLOUR))
    body = "".join(
        f'<tr><td class="swatch"><svg width="18" height="14" aria-hidden="true">'
        f'<rect width="18" height="14" fill="{_e(colour)}" stroke="#555" stroke-width="0.5"/></svg></td>'
        f"<td>{_e(label)}</td></tr>"
        for label, colour in rows
    )
    return f'<table class="legend"><caption>Legend: {_e(_heading(indicator))}</caption><tbody>{body}</tbody></table>'


# --- Levels ----------------------------------------------------------------------------------

def _nouns(level: str) -> tuple[str, str]:
    """A level's noun and plural (geo.explorer.state's words); an unknown level reads as wards."""
    level = level if level in LEVEL_NOUN else "ward"
    return LEVEL_NOUN[level], LEVEL_PLURAL[level]


def _cap(text: str) -> str:
    """First letter upper case, the rest as written ("LSOAs" stays)."""
    return text[:1].upper() + text[1:]


_ordinal = ordinal


# --- Text sections ----------------------------------------------------------------------------

def _dated(indicator: Mapping) -> str:
    vintage = str(indicator.get("vintage") or "").strip()
    return f"({vintage})" if vintage else "(date not recorded)"


def _headline(district: Mapping, features: Sequence[Mapping], indicator: Mapping, level: str = "ward",
              kent_value=None) -> str:
    name = district.get("district_name", "")
    code = district.get("district_code")
    with_data = [f for f in features if not _is_missing(f.get("value"))]
    label = indicator.get("label", "")
    dated = _dated(indicator)
    full = lambda v: format_value(v, indicator, unit_style="full")  # noqa: E731
    kent = f" Kent as a whole: {full(kent_value)}." if not _is_missing(kent_value) else ""
    polarity = indicator.get("polarity")
    if level == "district":
        here = next((f for f in with_data if f.get("area_code") == code), None)
        if here is None:
            return f"{label} {dated} is published for districts only, and not for {name}."
        n = len(with_data)
        rank = sorted(with_data, key=lambda f: float(f["value"]), reverse=polarity != "higher_better").index(here) + 1
        hi = max(with_data, key=lambda f: float(f["value"]))
        lo = min(with_data, key=lambda f: float(f["value"]))
        place = ordinal_phrase(rank, n, *rank_words(indicator))
        return (f"{label} {dated} is published for districts only: {name} has {full(here['value'])}, "
                f"{place} of Kent's {n} districts (range {full(lo['value'])} in "
                f"{lo.get('area_name', '')} to {full(hi['value'])} in {hi.get('area_name', '')}).{kent}")
    one, many = _nouns(level)
    n, missing = len(features), len(features) - len(with_data)
    if not with_data:
        return f"No {one} values for {label} {dated} are available in {name}."
    hi = max(with_data, key=lambda f: float(f["value"]))
    lo = min(with_data, key=lambda f: float(f["value"]))
    where = f"Across the {n} {many if n != 1 else one} in {name}, {label} {dated}"
    if len(with_data) == 1:
        text = f"{where} is {full(hi['value'])} in {hi.get('area_name', '')}."
    elif polarity in ("higher_worse", "higher_better"):
        worst, best = (hi, lo) if polarity == "higher_worse" else (lo, hi)
        text = (f"{where} is worst in {worst.get('area_name', '')} ({full(worst['value'])}) "
                f"and best in {best.get('area_name', '')} ({full(best['value'])}).")
    else:
        text = (f"{where} is largest in {hi.get('area_name', '')} ({full(hi['value'])}) "
                f"and smallest in {lo.get('area_name', '')} ({full(lo['value'])}).")
    if missing:
        text += f" {missing} {many + ' have' if missing != 1 else one + ' has'} no data."
    return text + kent


def _findings(findings: Sequence[Mapping]) -> str:
    if not findings:
        return "<p>No findings for this indicator.</p>"
    items = []
    for f in findings:
        src = ", ".join(_e(x) for x in (f.get("source"), f.get("vintage")) if x not in (None, ""))
        cite = f' <span class="source">(Source: {src})</span>' if src else ""
        items.append(f"<li>{_e(f.get('text', ''))}{cite}</li>")
    return '<ul class="findings">' + "".join(items) + "</ul>"


def _ward_table(rows: Sequence[Mapping], indicator: Mapping, caption: str, highlight_name: str | None = None) -> str:
    if not rows:
        return "<p>No rows to show.</p>"
    columns: list = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c)
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cls = ' class="num"' if numeric or _is_missing(value) else ""
            cells.append(f"<td{cls}>{_e(_cell(value, indicator))}</td>")
        mark = ' class="this"' if highlight_name and highlight_name in row.values() else ""
        body.append(f"<tr{mark}>" + "".join(cells) + "</tr>")
    return (f'<table class="wards"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


OVERVIEW_CSS = """
.overview-table { border-collapse: collapse; font-size: 0.9rem; width: 100%; }
.overview-table caption { text-align: left; font-weight: bold; padding-bottom: 4px; }
.overview-table th, .overview-table td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; }
.overview-table thead th { background: #eeeeee; }
.overview-table td.num { text-align: right; }
.smallmaps { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 10px; }
.smallmaps figure.small { width: 180px; margin: 0; font-size: 0.8rem; line-height: 1.3; }
.smallmap { width: 100%; height: auto; border: 1px solid #ccc; display: block; margin-top: 4px; }
.chip { display: inline-block; width: 12px; height: 10px; border: 1px solid #555; margin-right: 4px; vertical-align: middle; }
"""


def overview_html(district_name: str, overview: Sequence[Mapping]) -> str:
    """The district-against-Kent overview (table and small maps) as an HTML fragment with its own styles."""
    return f"<style>{OVERVIEW_CSS}</style>" + _overview(district_name, overview, heading_level=0)


def _overview(district_name: str, overview: Sequence[Mapping], heading_level: int = 2) -> str:
    """One page: the district against Kent on each theme's measures, with a small ward map per theme."""
    if not overview:
        return ""
    rows, maps_ = [], []
    for item in overview:
        ind = item["indicator"]
        rank, rank_of = item.get("district_rank"), item.get("rank_of")
        rank_text = (ordinal_phrase(int(rank), int(rank_of), *rank_words(ind)) + f" of {rank_of}"
                     if rank and rank_of else NO_DATA)
        kent = (unpublished_reason(ind, "county") if _is_missing(item.get("kent_value"))
                else format_value(item.get("kent_value"), ind, unit_style="none"))
        rows.append(
            f'<tr><th scope="row">{_e(item["theme"])}</th><td>{_e(_heading(ind))}</td>'
            f'<td>{_e(ind.get("vintage", ""))}</td>'
            f'<td class="num">{_e(format_value(item.get("district_value"), ind, unit_style="none"))}</td>'
            f'<td class="num">{_e(kent)}</td>'
            f"<td>{_e(rank_text)}</td></tr>")
        if item.get("features"):
            title = item.get("map_title") or f"{ind.get('label', '')} by ward, {district_name}"
            legend = "<br>".join(f'<span class="chip" style="background:{_e(_colour(c.get("colour")))}"></span>'
                                f'{_e(c.get("label", ""))}' for c in item.get("classes", []))
            maps_.append(f'<figure class="small"><figcaption><strong>{_e(item["theme"])}</strong>: '
                         f'{_e(_heading(ind))} ({_e(ind.get("vintage", ""))})</figcaption>'
                         f'{_svg_map(item["features"], ind, title, numbered=False, highlight=item.get("highlight"), css_class="smallmap", outline_width=8)[0]}'
                         f'<p class="chips">{legend}</p></figure>')
    heading = f"<h{heading_level}>Overview: {_e(district_name)} against Kent</h{heading_level}>" if heading_level else ""
    return (f'<section class="overview">{heading}'
            f'<table class="wards overview-table"><caption>{_e(district_name)} and Kent on each theme '
            f"(rank among Kent's 12 districts)</caption><thead><tr><th scope=\"col\">Theme</th>"
            f'<th scope="col">Measure</th><th scope="col">Data date</th><th scope="col">{_e(district_name)}</th>'
            f'<th scope="col">Kent</th><th scope="col">Rank in Kent</th></tr></thead><tbody>{"".join(rows)}'
            f'</tbody></table><div class="smallmaps">{"".join(maps_)}</div></section>')


_CSS = """
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm;
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #444; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 10.5pt; line-height: 1.4;
       color: #1a1a1a; background: #ffffff; margin: 0 auto; max-width: 186mm; padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2mm 0; }
h2 { font-size: 13pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #999; padding-bottom: 1mm; }
.meta { color: #444; margin: 0 0 3mm 0; }
.headline { font-size: 12pt; font-weight: bold; margin: 3mm 0; }
figure { margin: 0; }
.map { width: 100%; height: auto; border: 1px solid #ccc; display: block; }
.insetwrap { margin-top: 4mm; }
.insetwrap figcaption { font-weight: bold; font-size: 9.5pt; margin-bottom: 1mm; }
table { border-collapse: collapse; }
.legend { font-size: 9pt; margin-top: 2mm; min-width: 70mm; }
.legend caption { text-align: left; font-weight: bold; padding-bottom: 1mm; }
.legend td { padding: 1px 4px; vertical-align: middle; }
.wards { width: 100%; font-size: 9.5pt; }
.wards caption { text-align: left; font-weight: bold; padding-bottom: 1.5mm; }
.wards th, .wards td { border: 1px solid #bbb; padding: 1.2mm 2mm; text-align: left; }
.wards th { background: #eeeeee; }
.wards td.num { text-align: right; }
.wards tr.this td { font-weight: bold; background: #fff4c2; }
.overview-table { font-size: 8.5pt; }
.overview-table th, .overview-table td { padding: 0.8mm 1.5mm; }
.smallmaps { display: flex; flex-wrap: wrap; gap: 2mm; margin-top: 3mm; }
.smallmaps figure.small { width: 35.5mm; font-size: 7pt; line-height: 1.25; }
.smallmap { width: 100%; height: auto; border: 1px solid #ccc; display: block; margin-top: 1mm; }
.chips { margin: 1mm 0 0 0; line-height: 1.4; }
.chip { display: inline-block; width: 3mm; height: 2.5mm; border: 0.5px solid #555; margin-right: 1mm; vertical-align: middle; }
.findings li { margin-bottom: 1.5mm; }
.source { color: #444; font-size: 9pt; }
.method dt { font-weight: bold; }
.method dd { margin: 0 0 2mm 0; }
.attributions { font-size: 8.5pt; color: #333; }
.attributions li { margin-bottom: 1mm; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #555; }
@media print {
  body { padding: 0; max-width: none; }
  h1, h2 { break-after: avoid; page-break-after: avoid; }
  figure, .legend, .findings li, .method dd { break-inside: avoid; page-break-inside: avoid; }
  section.overview { break-after: page; page-break-after: always; }
  .mapwrap { break-inside: avoid; page-break-inside: avoid; }
  section.table-section { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .wards th { background: #eeeeee !important; }
}
"""


def board_pack_html(district: dict, features: list[dict], classes: list[dict], indicator: dict,
                    ward_table: list[dict], findings: list[dict], attributions: list[str],
                    generated_on: str, *, level: str = "ward", kent_value=None,
                    overview: Sequence[Mapping] = (), release: Mapping | None = None) -> str:
    """One self-contained, printable (A4) HTML board pack for a district and one indicator.

    ``level`` names what the features are: "ward" or "lsoa" (the district's areas, numbered on the map in
    the table's order by their ``key``), or "district" (an indicator published for districts only: Kent's
    districts, this one outlined). ``overview`` adds a first page: the district against Kent on each theme.
    ``release`` ({release_id, query}) names the data release the figures come from and the explorer address
    query that shows them again.
    """
    district = district or {}
    indicator = indicator or {}
    features = list(features or [])
    name = str(district.get("district_name") or district.get("district_code") or "")
    code = district.get("district_code")
    label = str(indicator.get("label") or indicator.get("indicator_id") or "")
    population = district.get("population")
    one, many = _nouns(level)

    meta_bits = []
    if code:
        meta_bits.append(f"District code {_e(code)}")
    if isinstance(population, (int, float)) and not _is_missing(population):
        meta_bits.append(f"population {int(population):,} (Census 2021)")
    meta_bits.append(f"generated {_e(generated_on)}")
    release = release or {}
    release_id = release.get("release_id")
    if release_id:
        meta_bits.append(f"data release {_e(release_id)}")
    reproduce = (f"Data release {_e(release_id)}. To see these figures again, open the explorer's District page with "
                 f"<code>{_e(release.get('query', ''))}</code> in its address." if release_id
                 else "Data release not recorded (a database built before releases).")

    source_line = ", ".join(_e(x) for x in (indicator.get("source"), indicator.get("vintage")) if x)
    method = indicator.get("method")
    caveat = indicator.get("caveat")
    method_items = []
    if source_line:
        method_items.append(f"<dt>Source</dt><dd>{source_line}</dd>")
    method_items.append(f"<dt>Method</dt><dd>{_e(method) if method else 'Not recorded.'}</dd>")
    method_items.append(f"<dt>Caveat</dt><dd>{_e(caveat) if caveat else 'None recorded.'}</dd>")

    attribution_items = "".join(f"<li>{_e(a)}</li>" for a in (attributions or []))
    if level == "district":
        map_heading = f"{label} across Kent's districts"
        map_title = f"Map of Kent's {len(features)} districts coloured by {label} {_dated(indicator)}, {name} outlined"
        table_heading = "Kent's districts ranked"
        caption = f"Kent's districts ranked by {_heading(indicator)}, {indicator.get('vintage', '')}; {name} highlighted"
        key_note = (f"<p>{_e(label)} is published by the source for whole districts only, so {_e(name)} is shown "
                    "beside Kent's other districts rather than ward by ward.</p>")
    else:
        map_heading = f"{_cap(one)} map"
        map_title = (f"Map of {name}'s {len(features)} {many} coloured by {label} {_dated(indicator)}; "
                     "each is numbered as in the table")
        table_heading = f"{_cap(one)} ranking"
        caption = f"{_cap(many)} in {name} ranked by {_heading(indicator)}, {indicator.get('vintage', '')}"
        key_note = (f"<p>Numbers on the map are the {one}s' numbers in the ranking table (1 = {rank_words(indicator)[0]} in "
                    f"{_e(name)}).</p>" if any(f.get("key") for f in features) else "")

    main_map, inset_map = _svg_map(features, indicator, map_title, numbered=level != "district",
                                   highlight=code if level == "district" else None)
    return "".join([
        "<!DOCTYPE html>\n",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(f'Locality Board pack: {name} - {label}')}</title>",
        f'<meta name="description" content="{_e(f"{label} in {name}, with an overview against Kent")}">',
        f"<style>{_CSS}</style></head><body>",
        "<header>",
        f"<h1>Locality Board pack: {_e(name)}</h1>",
        f'<p class="meta"><strong>{_e(label)}</strong> &middot; {" &middot; ".join(meta_bits)}</p>',
        "</header><main>",
        _overview(name, overview),
        f'<section class="layer-section"><h2>{_e(label)}</h2>',
        f'<p class="headline">{_e(_headline(district, features, indicator, level, kent_value))}</p>',
        f'<section class="map-section"><h2>{_e(map_heading)}</h2>{key_note}',
        f'<figure class="mapwrap">{main_map}{_legend(classes or [], indicator, features)}</figure>',
        f'<figure class="insetwrap"><figcaption>Insets: the {_e(many)} whose numbers are too close together on '
        f"the map above, enlarged</figcaption>{inset_map}</figure>" if inset_map else "",
        "</section>",
        f'<section class="findings-section"><h2>Findings</h2>{_findings(findings or [])}</section>',
        f'<section class="table-section"><h2>{_e(table_heading)}</h2>'
        f'{_ward_table(ward_table or [], indicator, caption, name if level == "district" else None)}</section>',
        f'<section class="method-section"><h2>Method and caveats</h2><dl class="method">{"".join(method_items)}'
        "</dl></section></section>",
        '<section class="attribution-section"><h2>Sources and attribution</h2>',
        f'<ul class="attributions">{attribution_items}</ul></section>' if attribution_items
        else "<p>No attributions supplied.</p></section>",
        f"</main><footer>Kent Locality Explorer board pack &middot; {_e(name)} &middot; generated {_e(generated_on)}"
        f'<p class="release">{reproduce}</p></footer>',
        "</body></html>\n",
    ])


def board_pack_pdf(html: str) -> bytes:
    """The board pack as a tagged PDF/UA-1 (A4), made by WeasyPrint from the same HTML; no browser needed."""
    from weasyprint import HTML  # imported here: only the PDF download needs pango

    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


# ------------------------------------------------------------------ inputs from the database

def district_overview_html(district_code: str) -> str:
    """The district page's overview (boardpack.overview_html), made once per database file and district."""
    def make() -> str:
        name = districts().set_index("district_code").district_name[district_code]
        return overview_html(name, district_overview(district_code))

    return db.derived("district_overview_html", make, db.VIEW_POOL, district_code=district_code)


def board_pack_inputs(shown: Layer, findings: list[dict], generated_on: str) -> dict:
    """Arguments for geo.explorer.boardpack.board_pack_html from a district page's layer and its findings.

    An indicator published for districts only is shown in its Kent context: all 12 districts, this one outlined.
    """
    district_code = shown.district_code
    district_row = districts().set_index("district_code").loc[district_code]
    release = _pack_release(district_code, shown)  # the view as the district page showed it
    if shown.level == "district":
        shown = layer(shown.indicator["indicator_id"], "district", None, shown.classification.scheme or "quantiles")
    features, classes = coloured_features(shown, keyed=shown.level != "district")
    if shown.classification.has_missing:
        classes.append({"label": maps.NO_DATA, "colour": "#bdbdbd"})
    kent_value = db.run("kent_values_for_indicators").set_index("indicator_id").value.get(shown.indicator["indicator_id"])
    kent_text = (format_value(kent_value, shown.indicator) if kent_value is not None
                 else catalogue.unpublished_reason(shown.indicator, "county"))
    table = shown.table()
    table = table.loc[:, ~table.columns.duplicated()]  # at district level the name column is "District" twice
    value_column = catalogue.heading(shown.indicator)
    table = table.drop(columns=["Map class"])
    if shown.level != "district":
        table = table.drop(columns=[table.columns[0], "District"])
        table.insert(0, "Map no.", [f.get("key") for f in features])
    if kent_value is not None:  # Ofcom's district-only figures have no Kent value: no column of "Not published"
        table.insert(list(table.columns).index(value_column) + 1, "Kent", kent_text)
    return {
        "district": {"district_code": district_code, "district_name": district_row.district_name,
                     "population": int(district_row.population)},
        "features": features,
        "classes": classes,
        "indicator": dict(shown.indicator, source=shown.indicator["publisher"]),
        "ward_table": table.to_dict(orient="records"),
        "findings": findings,
        "attributions": attributions(),
        "generated_on": generated_on,
        "level": shown.level,
        "kent_value": kent_value,
        "overview": district_overview(district_code),
        "release": release,
    }


def _pack_release(district_code: str, shown: Layer) -> dict:
    """The release a board pack's figures come from and the address query that shows them again."""
    record = release_view.release_record()
    if record is None:
        return {}
    query = {"district": district_code, "layer": shown.indicator["indicator_id"]}
    if shown.level == "lsoa":
        query["level"] = "lsoa"
    query["release"] = record["release_id"]
    return {"release_id": record["release_id"], "query": "?" + urlencode(query)}
