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

from geo.catalogue import NO_DATA, format_value, is_missing as _is_missing

__all__ = ["board_pack_html", "format_value", "NO_DATA"]

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


def _svg_map(features: Sequence[Mapping], indicator: Mapping, district_name: str) -> str:
    project = _Projection([f.get("geometry") for f in features])
    label = f"Map of {district_name} wards coloured by {indicator.get('label', '')}"
    paths = []
    for f in features:
        d = _path_data(f.get("geometry"), project) if project.ok else ""
        fill = NO_DATA_COLOUR if _is_missing(f.get("value")) else _colour(f.get("colour"))
        title = f"{f.get('area_name', '')}: {format_value(f.get('value'), indicator, unit_style='full')}"
        paths.append(f'<path d="{d}" fill="{_e(fill)}"><title>{_e(title)}</title></path>')
    return (
        f'<svg class="map" viewBox="0 0 {int(VIEW_W)} {int(VIEW_H)}" '
        f'role="img" aria-label="{_e(label)}">'
        f'<g fill-rule="evenodd" stroke="#ffffff" stroke-width="0.8" stroke-linejoin="round">'
        + "".join(paths)
        + "</g></svg>"
    )


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
    unit = str(indicator.get("unit") or "").strip()
    caption = _e(indicator.get("label", "")) + (f" ({_e(unit)})" if unit else "")
    return f'<table class="legend"><caption>Legend: {caption}</caption><tbody>{body}</tbody></table>'


# --- Text sections ----------------------------------------------------------------------------

def _headline(district: Mapping, features: Sequence[Mapping], indicator: Mapping) -> str:
    name = district.get("district_name", "")
    with_data = [f for f in features if not _is_missing(f.get("value"))]
    n, missing = len(features), len(features) - len(with_data)
    label = indicator.get("label", "")
    if not with_data:
        return f"No ward values for {label} are available in {name}."
    hi = max(with_data, key=lambda f: float(f["value"]))
    lo = min(with_data, key=lambda f: float(f["value"]))
    polarity = indicator.get("polarity")
    if polarity == "higher_worse":
        worst, best = hi, lo
        text = (f"Across {n} wards in {name}, {label} is worst in {hi.get('area_name', '')} "
                f"({format_value(worst['value'], indicator, unit_style='full')}) and best in {lo.get('area_name', '')} "
                f"({format_value(best['value'], indicator, unit_style='full')}).")
    elif polarity == "higher_better":
        text = (f"Across {n} wards in {name}, {label} is worst in {lo.get('area_name', '')} "
                f"({format_value(lo['value'], indicator, unit_style='full')}) and best in {hi.get('area_name', '')} "
                f"({format_value(hi['value'], indicator, unit_style='full')}).")
    else:
        text = (f"Across {n} wards in {name}, {label} is highest in {hi.get('area_name', '')} "
                f"({format_value(hi['value'], indicator, unit_style='full')}) and lowest in {lo.get('area_name', '')} "
                f"({format_value(lo['value'], indicator, unit_style='full')}).")
    if missing:
        text += f" {missing} ward{'s have' if missing != 1 else ' has'} no data."
    return text


def _findings(findings: Sequence[Mapping]) -> str:
    if not findings:
        return "<p>No findings for this indicator.</p>"
    items = []
    for f in findings:
        src = ", ".join(_e(x) for x in (f.get("source"), f.get("vintage")) if x not in (None, ""))
        cite = f' <span class="source">(Source: {src})</span>' if src else ""
        items.append(f"<li>{_e(f.get('text', ''))}{cite}</li>")
    return '<ul class="findings">' + "".join(items) + "</ul>"


def _ward_table(rows: Sequence[Mapping], indicator: Mapping, district_name: str) -> str:
    if not rows:
        return "<p>No ward rows to show.</p>"
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
        body.append("<tr>" + "".join(cells) + "</tr>")
    unit = str(indicator.get("unit") or "").strip()
    caption = f"Wards in {district_name} ranked by {indicator.get('label', '')}" + (f" ({unit})" if unit else "")
    return (f'<table class="wards"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


_CSS = """
@page { size: A4 portrait; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: Arial, Helvetica, "Liberation Sans", sans-serif; font-size: 10.5pt; line-height: 1.4;
       color: #1a1a1a; background: #ffffff; margin: 0 auto; max-width: 186mm; padding: 8mm 0; }
h1 { font-size: 19pt; margin: 0 0 2mm 0; }
h2 { font-size: 13pt; margin: 6mm 0 2mm 0; border-bottom: 1px solid #999; padding-bottom: 1mm; }
.meta { color: #444; margin: 0 0 3mm 0; }
.headline { font-size: 12pt; font-weight: bold; margin: 3mm 0; }
.mapwrap { display: flex; gap: 5mm; align-items: flex-start; }
.mapwrap .map { flex: 1 1 auto; width: 70%; height: auto; border: 1px solid #ccc; }
table { border-collapse: collapse; }
.legend { flex: 0 0 auto; font-size: 9pt; }
.legend caption { text-align: left; font-weight: bold; padding-bottom: 1mm; }
.legend td { padding: 1px 4px; vertical-align: middle; }
.wards { width: 100%; font-size: 9.5pt; }
.wards caption { text-align: left; font-weight: bold; padding-bottom: 1.5mm; }
.wards th, .wards td { border: 1px solid #bbb; padding: 1.2mm 2mm; text-align: left; }
.wards th { background: #eeeeee; }
.wards td.num { text-align: right; }
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
  section, figure, .legend, .findings li, .method dd { break-inside: avoid; page-break-inside: avoid; }
  .mapwrap { break-inside: avoid; page-break-inside: avoid; }
  section.table-section { break-before: page; page-break-before: always; }
  section.table-section { break-inside: auto; page-break-inside: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .wards th { background: #eeeeee !important; }
}
"""


def board_pack_html(district: dict, features: list[dict], classes: list[dict], indicator: dict,
                    ward_table: list[dict], findings: list[dict], attributions: list[str],
                    generated_on: str) -> str:
    """One self-contained, printable (A4) HTML board pack for a district and one indicator."""
    district = district or {}
    indicator = indicator or {}
    features = list(features or [])
    name = str(district.get("district_name") or district.get("district_code") or "")
    code = district.get("district_code")
    label = str(indicator.get("label") or indicator.get("indicator_id") or "")
    population = district.get("population")

    meta_bits = []
    if code:
        meta_bits.append(f"District code {_e(code)}")
    if isinstance(population, (int, float)) and not _is_missing(population):
        meta_bits.append(f"population {int(population):,}")
    meta_bits.append(f"generated {_e(generated_on)}")

    source_line = ", ".join(_e(x) for x in (indicator.get("source"), indicator.get("vintage")) if x)
    method = indicator.get("method")
    caveat = indicator.get("caveat")
    method_items = []
    if source_line:
        method_items.append(f"<dt>Source</dt><dd>{source_line}</dd>")
    method_items.append(f"<dt>Method</dt><dd>{_e(method) if method else 'Not recorded.'}</dd>")
    method_items.append(f"<dt>Caveat</dt><dd>{_e(caveat) if caveat else 'None recorded.'}</dd>")

    attribution_items = "".join(f"<li>{_e(a)}</li>" for a in (attributions or []))

    return "".join([
        "<!DOCTYPE html>\n",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(f'Locality Board pack: {name} - {label}')}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header>",
        f"<h1>Locality Board pack: {_e(name)}</h1>",
        f'<p class="meta"><strong>{_e(label)}</strong> &middot; {" &middot; ".join(meta_bits)}</p>',
        f'<p class="headline">{_e(_headline(district, features, indicator))}</p>',
        "</header>",
        '<section class="map-section"><h2>Ward map</h2>',
        f'<figure class="mapwrap">{_svg_map(features, indicator, name)}'
        f"{_legend(classes or [], indicator, features)}</figure></section>",
        f'<section class="findings-section"><h2>Findings</h2>{_findings(findings or [])}</section>',
        f'<section class="table-section"><h2>Ward ranking</h2>{_ward_table(ward_table or [], indicator, name)}'
        "</section>",
        f'<section class="method-section"><h2>Method and caveats</h2><dl class="method">{"".join(method_items)}'
        "</dl></section>",
        '<section class="attribution-section"><h2>Sources and attribution</h2>',
        f'<ul class="attributions">{attribution_items}</ul></section>' if attribution_items
        else "<p>No attributions supplied.</p></section>",
        f"<footer>Kent Locality Explorer board pack &middot; {_e(name)} &middot; generated {_e(generated_on)}"
        "</footer>",
        "</body></html>\n",
    ])
