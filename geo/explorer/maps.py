"""Choropleth maps: class breaks, palettes, folium maps that load only the app's own Leaflet, legends.

No streamlit import here. Pages draw the map in the page itself, not in an iframe: ``mount_data(choropleth(...))``
is what pages/components.py hands to its map component (map_assets/mount.js, which runs the folium map's own
script); the legend is ``st.html(legend_html(...))``. Leaflet and topojson-client come from static/vendor/
(scripts/setup_node.sh), never from a CDN. Boundaries travel as TopoJSON (each shared edge once,
quantised and delta-encoded, made by ``geo build``) and are decoded in the browser.
"""
from __future__ import annotations

import functools
import html
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import folium
import numpy as np
import shapely.geometry
from branca.element import CssLink, Element, JavascriptLink
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo import topology
from geo.explorer.state import CLASS_SCHEMES, OVERLAYS
from geo.catalogue import NO_DATA, POLARITIES, format_value, heading, is_missing as _is_missing


@functools.cache
def _mapclassify_module():
    """mapclassify, imported on the first classification: its import costs about 2.5 s (numba compiles its natural
    breaks eagerly, and scikit-learn and scipy come with it), which a process that draws no classes (a build that
    stops before its embed pages, an import check) need not pay."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure-Python path is fine here
        import mapclassify
    return mapclassify


# --- Offline Leaflet -------------------------------------------------------------------------
# Each element's default_js/default_css, addressed as streamlit-folium's iframe (served at
# <base>/component/streamlit_folium.st_folium/index.html) would: ../../app/static/ is Streamlit's static folder
# (static/ beside the main script). So a map still draws with st_folium (the bench's payload measure); the app's
# own map component takes the same paths relative to the static folder (mount_data).
_STATIC_FROM_IFRAME = "../../app/static/"
ASSET_BASE = f"{_STATIC_FROM_IFRAME}vendor/leaflet"
LEAFLET_JS = [("leaflet", f"{ASSET_BASE}/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{ASSET_BASE}/leaflet.css")]
TOPOJSON_CLIENT_JS = ("topojson_client", f"{_STATIC_FROM_IFRAME}vendor/topojson-client/topojson-client.min.js")

NO_DATA_HATCH_ID = "kle-nodata-hatch"
_NO_DATA_FILL = f"url(#{NO_DATA_HATCH_ID})"
# CSS twin of the SVG hatch, for the legend swatch.
_NO_DATA_CSS = "repeating-linear-gradient(45deg,#6e6e6e 0 1.5px,#f2f2f2 1.5px 5px)"
_OUTLINE = "#4d4d4d"
_SELECTED_OUTLINE = "#000000"
_BACKGROUND = "#ffffff"

# --- Palettes: the only place colours are defined --------------------------------------------
# Ten steps each, light to dark; n classes take n evenly spaced steps. Viridis (matplotlib) is
# perceptually uniform and colour-blind safe; neutral indicators use single-hue Blues, whose
# lightness alone carries the order.
_SEQUENTIAL = ("#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89",
               "#26828e", "#31688e", "#3e4989", "#482878", "#440154")  # viridis, reversed
_NEUTRAL = ("#e3eef9", "#d0e1f2", "#b7d4ea", "#94c4df", "#6aaed6",
            "#4a98c9", "#2e7ebc", "#1764ab", "#084a91", "#08306b")  # Blues (matplotlib), without its near-white


# Diverging, for change maps: ColorBrewer PuOr (colour-blind safe), purple = towards less, orange = towards more
# deprived (or worse), with a light grey middle for little or no change.
_DIVERGING = ("#542788", "#998ec3", "#d8daeb", "#f0f0f0", "#fee0b6", "#f1a340", "#b35806")


def diverging_palette(n_classes: int = 7) -> list[str]:
    """Colours for an odd number of change classes (3, 5 or 7), from 'better' through 'no change' to 'worse'."""
    if n_classes not in (3, 5, 7):
        raise ValueError(f"a diverging palette has 3, 5 or 7 classes, not {n_classes}")
    trim = (7 - n_classes) // 2
    return list(_DIVERGING[trim:len(_DIVERGING) - trim])


@dataclass(frozen=True)
class Classification:
    """Class breaks for one set of values: upper bounds, each value's class (None = missing), range labels."""

    scheme: str
    bins: tuple[float, ...]
    classes: tuple[int | None, ...]
    labels: tuple[str, ...]

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    @property
    def has_missing(self) -> bool:
        """True when any value has no class."""
        return any(c is None for c in self.classes)


def _fmt(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def _as_shown(values, decimals: int) -> np.ndarray:
    """Values rounded exactly as format_value writes them (np.round can differ on halves such as -0.355)."""
    return np.array([float(f"{float(v):.{decimals}f}") for v in np.atleast_1d(values)])


def _shown_classes(y: np.ndarray, bins: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Bins snapped to the shown precision, each value classed by its shown (rounded) value with mapclassify's rule
    (a value belongs to the first class whose upper bound it does not exceed), empty classes merged into the next.

    Labels then never overlap and every shown value lies in exactly one: "3.7 to 11.7", "11.8 to 15.8", ...;
    a class of one shown value reads as that value ("0.0"), never "0.0 to 0.0".
    """
    shown, edges = _as_shown(y, decimals), np.unique(_as_shown(bins, decimals))
    edges[-1] = max(edges[-1], shown.max())
    edges = edges[np.isin(np.arange(len(edges)), np.searchsorted(edges, shown, side="left"))]  # drop empty classes
    classes = np.searchsorted(edges, shown, side="left")
    step = 10.0 ** -decimals
    lows = [float(shown.min())] + [float(b) + step for b in edges[:-1]]
    labels = tuple(_fmt(hi, decimals) if _fmt(lo, decimals) == _fmt(hi, decimals) else
                   f"{_fmt(lo, decimals)} to {_fmt(hi, decimals)}" for lo, hi in zip(lows, edges))
    return edges, classes, labels


def _mapclassify(classifier: str) -> Callable:
    """A scheme classed by mapclassify's `classifier` (a class name, e.g. "Quantiles")."""
    def run(values: list, k: int, decimals: int, national_deciles) -> Classification:
        present = [(i, float(v)) for i, v in enumerate(values) if not _is_missing(v)]
        classes: list[int | None] = [None] * len(values)
        if not present:
            return Classification("", (), tuple(classes), ())
        y = np.array([v for _, v in present])
        unique = np.unique(y)
        if len(unique) == 1:
            bins = np.array([unique[0]])
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                factory = getattr(_mapclassify_module(), classifier)
                bins = np.asarray(factory(y, k=min(k, len(unique))).bins, dtype=float)
        edges, yb, labels = _shown_classes(y, bins, decimals)
        for (i, _), cls in zip(present, yb):
            classes[i] = int(cls)
        return Classification("", tuple(float(b) for b in edges), tuple(classes), labels)

    return run


def classify_with(values: Sequence[float | None], reference: Classification, decimals: int = 1) -> Classification:
    """Class values with another set's classes (e.g. a district's wards with Kent-wide classes): same bins and
    labels, each value in the first class whose upper bound its shown value does not exceed."""
    if reference.scheme == "national_deciles" or not reference.bins:
        raise ValueError("classify_with needs value classes from classify()")
    edges = np.asarray(reference.bins)
    classes = tuple(None if _is_missing(v) else int(min(np.searchsorted(edges, _as_shown(v, decimals)[0], side="left"),
                                                         len(edges) - 1)) for v in values)
    return Classification(reference.scheme, reference.bins, classes, reference.labels)


def _national_deciles(values: list, k: int, decimals: int, national_deciles) -> Classification:
    if national_deciles is None or len(national_deciles) != len(values):
        raise ValueError("national_deciles needs one IoD decile (1-10 or None) per value")
    classes: list[int | None] = []
    for d in national_deciles:
        if _is_missing(d):
            classes.append(None)
        elif int(d) != d or not 1 <= int(d) <= 10:
            raise ValueError(f"national decile must be 1-10, got {d!r}")
        else:
            classes.append(int(d) - 1)
    labels = tuple(
        f"Decile {d}" + (" (most deprived 10% in England)" if d == 1 else
                         " (least deprived 10% in England)" if d == 10 else "")
        for d in range(1, 11)
    )
    return Classification("", tuple(float(d) for d in range(1, 11)), tuple(classes), labels)


SCHEMES: dict[str, Callable] = dict(zip(CLASS_SCHEMES, (  # in the URL state's order
    _mapclassify("Quantiles"),  # quantiles
    _mapclassify("FisherJenks"),  # natural_breaks
    _mapclassify("EqualInterval"),  # equal_interval
    _national_deciles,  # national_deciles
), strict=True))


def classify(values: Sequence[float | None], scheme: str, k: int = 5,
             national_deciles: Sequence[int | None] | None = None, decimals: int = 1) -> Classification:
    """Classify values by a named scheme; missing values (None/NaN) get no class."""
    try:
        impl = SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"unknown classification scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}") from None
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    result = impl(list(values), k, decimals, national_deciles)
    return Classification(scheme, result.bins, result.classes, result.labels)


def palette(n_classes: int, polarity: str) -> list[str]:
    """Hex colours for classes in ascending order; darker = worse (neutral: darker = higher)."""
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}; valid: {', '.join(POLARITIES)}")
    if not 1 <= n_classes <= 10:
        raise ValueError(f"n_classes must be 1-10, got {n_classes}")
    steps = _NEUTRAL if polarity == "neutral" else _SEQUENTIAL
    picks = [steps[round(i * 9 / (n_classes - 1))] if n_classes > 1 else steps[5] for i in range(n_classes)]
    return picks[::-1] if polarity == "higher_better" else picks


def class_colours(indicator: Mapping, classification: Classification) -> list[str]:
    """The colour of each class as the map and legend draw it (national deciles: decile 1 darkest)."""
    if classification.k == 0:
        return []
    # IoD deciles: class 0 is decile 1, the most deprived, so it takes the darkest colour.
    polarity = "higher_better" if classification.scheme == "national_deciles" else indicator["polarity"]
    return palette(classification.k, polarity)


def _tooltip_row(feature: Mapping, indicator: Mapping) -> list:
    """The escaped parts of an area's tooltip: name, value with unit, Kent rank (0 when unranked)."""
    rank = feature.get("rank")
    return [html.escape(str(feature.get("area_name", ""))),
            html.escape(format_value(feature.get("value"), indicator, unit_style="full")),
            0 if rank is None or _is_missing(rank) else int(rank)]


def _script_safe(json_text: str) -> str:
    """JSON text made safe inside a <script>: no character left that could close the tag or start markup."""
    return json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_json(value) -> str:
    """A value as compact JSON, safe inside a <script>."""
    return _script_safe(json.dumps(value, separators=(",", ":")))


class _OfflineMap(folium.Map):
    """A folium.Map whose only script and stylesheet are the app's own Leaflet."""

    default_js = LEAFLET_JS
    default_css = LEAFLET_CSS


class _RenderedText(Element):
    """Text already rendered. Element(text), which folium uses for each element's rendered script, compiles the text
    as a Jinja template on every map: for the areas that is the whole TopoJSON, the largest cost of a page's run."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        """The text as it is."""
        return self.text


class _RenderedOnce(JSCSSMixin):
    """An element whose rendered header, html and script go into the figure as _RenderedText, with its own script
    and stylesheet links. Still a JSCSSMixin: streamlit-folium finds the links a map needs by that class."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs):
        """Add this element's links and rendered parts to its figure, then render its children."""
        figure = self.get_root()
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = self._template.module.__dict__.get(part)
            if macro is not None:
                target.add_child(_RenderedText(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


_HATCH_SVG = (
    f'<svg aria-hidden="true" focusable="false" width="0" height="0" style="position:absolute">'
    f'<defs><pattern id="{NO_DATA_HATCH_ID}" patternUnits="userSpaceOnUse" width="6" height="6" '
    f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/>'
    f'<line x1="0" y1="0" x2="0" y2="6" stroke="#6e6e6e" stroke-width="2"/></pattern></defs></svg>'
)


class _NoDataHatch(_RenderedOnce):
    """Defines the SVG hatch pattern that missing areas are filled with."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "if (!document.getElementById({{ this.pattern_id|tojson }})) {"
        " document.body.insertAdjacentHTML('beforeend', {{ this.svg|tojson }}); }"
        "{% endmacro %}"
    )

    def __init__(self):
        super().__init__()
        self._name = "NoDataHatch"
        self.pattern_id = NO_DATA_HATCH_ID
        self.svg = _HATCH_SVG


class _FixedHtml(Element):
    """A fixed piece of a map's page whose template is compiled once, not for every map (as Element(text) is)."""

    def __init__(self, template: Template):
        super().__init__()
        self._template = template


_MAP_STYLE = Template(
    f"<style>.leaflet-container{{background:{_BACKGROUND};"
    "font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}"
    # a focused area or control: a near-black ring (at least 3:1 against the white map)
    ".leaflet-container:focus-visible,.leaflet-container :focus-visible{outline:3px solid #0b0c0c !important;outline-offset:-3px}"
    "path.leaflet-interactive:focus-visible{stroke:#0b0c0c;stroke-width:4px}</style>")


def offline_map(**kwargs) -> folium.Map:
    """A folium.Map that loads Leaflet from the app (no CDN); kwargs go to folium.Map (tiles default None)."""
    kwargs.setdefault("tiles", None)
    kwargs.setdefault("control_scale", False)
    m = _OfflineMap(**kwargs)
    m.get_root().header.add_child(_FixedHtml(_MAP_STYLE), name="kle_map_style")
    return m


@dataclass(frozen=True)
class MapGeometry:
    """Areas' boundaries as the browser gets them: TopoJSON text, its areas' order and their extent."""

    topojson: str  # one GeometryCollection named "areas", geometry ids = area codes
    area_codes: tuple[str, ...]
    bounds: tuple[float, float, float, float]  # west, south, east, north

    @classmethod
    def from_features(cls, features: Sequence[Mapping]) -> "MapGeometry":
        """Shared-arc geometry made now from the features' GeoJSON geometries (when none was built)."""
        codes = [str(f["area_code"]) for f in features]
        coverage = topology.cut_into_arcs(codes, [shapely.geometry.shape(f["geometry"]) for f in features])
        encoded = topology.encode_topology(codes, coverage.polygons, coverage.arcs)
        return cls(topology.topology_json(encoded), tuple(codes), tuple(encoded["bbox"]))


class _TopoJsonAreas(_RenderedOnce):
    """The choropleth's areas: TopoJSON decoded by topojson-client, styled, with tooltips and a hover outline."""

    default_js = [TOPOJSON_CLIENT_JS]
    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
    var topology = {{ this.topojson }};
    var rows = {{ this.rows }};  // per area, in the topology's order: name, value, Kent rank (0: none), style
    var styles = {{ this.styles }}, highlight = {{ this.highlight }};
    var label = {{ this.label }}, rankOf = {{ this.rank_of }};
    var areas = topojson.feature(topology, topology.objects.areas);
    var decoder = document.createElement("textarea");
    function plain(escaped) { decoder.innerHTML = escaped; return decoder.value; }  // rows hold escaped text
    areas.features.forEach(function (feature, i) {
        var row = rows[i];
        // area_code is what the page's map component hands back when an area is clicked
        feature.properties = {area_code: feature.id, style: row[3], tip: "<strong>" + row[0] + "</strong><br>" +
            label + ": " + row[1] + (row[2] ? "<br>Rank " + row[2] + " of " + rankOf : "")};
    });
    var layer = L.geoJson(areas, {
        kleAreas: true,  // how the page's map component finds this layer, to hand its clicks to the page
        style: function (feature) { return styles[feature.properties.style]; },
        onEachFeature: function (feature, path) {
            path.bindTooltip(feature.properties.tip, {sticky: true, className: "kle-tip"});
            // each area is a Tab stop (Leaflet's tooltips open on focus): name it with the tooltip's words
            var row = rows[areas.features.indexOf(feature)];
            path.on("add", function () {
                path.getElement().setAttribute("role", "img");
                path.getElement().setAttribute("aria-label", plain(row[0] + ", " + label + ": " + row[1] +
                    (row[2] ? ", rank " + row[2] + " of " + rankOf : "")));
            });
            path.on("mouseover", function () { path.setStyle(highlight); });
            path.on("mouseout", function () { layer.resetStyle(path); });
        }
    });
    return layer.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
""")

    def __init__(self, geometry: MapGeometry, rows: list, styles: list, label: str, rank_of: int):
        super().__init__()
        self._name = "TopoJsonAreas"
        self.topojson = _script_safe(geometry.topojson)
        self.rows = _script_json(rows)
        self.styles = _script_json(styles)
        self.highlight = _script_json({"weight": 3, "color": _SELECTED_OUTLINE})
        self.label = _script_json(html.escape(label))
        self.rank_of = int(rank_of)


# --- Names drawn on the map (no tiles): district, ward and place labels ---------------------------------------
LABEL_KINDS = ("district", "ward", "place")  # drawing priority: a label never covers one drawn before it
_LABEL_CSS = """<style>
.kle-label{pointer-events:none;white-space:nowrap;text-align:center;color:#000;line-height:1;
 font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;
 text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff,0 0 3px #fff}
.kle-label-district{font-size:13px;font-weight:700;letter-spacing:.02em}
.kle-label-ward{font-size:11px;font-weight:600}
.kle-label-place{font-size:11px;font-style:italic;font-weight:500}
</style>"""
_LABEL_STYLE = Template(_LABEL_CSS)


@dataclass(frozen=True)
class MapLabel:
    """A name drawn on the map at a point; shown from min_zoom on, and (with a width) only where it fits inside
    its area, never over a label drawn before it (districts, then wards, then places; in list order within each)."""

    text: str
    lon: float
    lat: float
    kind: str  # district | ward | place
    min_zoom: float = 0.0
    fit_bounds: tuple[float, float, float, float] | None = None  # west, south, east, north of the area it names


class _MapLabels(_RenderedOnce):
    """Labels placed in the browser at every zoom: measured with the page's font, hidden when they collide,
    overflow their area or leave the map, and ignored by the pointer and by screen readers (tables carry names)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, labels = {{ this.labels }};
    var pane = map.createPane("kleLabels");
    pane.style.zIndex = 450; pane.style.pointerEvents = "none";
    var group = L.layerGroup().addTo(map);
    var fonts = {district: "700 13px system-ui, sans-serif", ward: "600 11px system-ui, sans-serif",
                 place: "italic 500 11px system-ui, sans-serif"};
    var context = document.createElement("canvas").getContext("2d");
    function width(text, kind) { context.font = fonts[kind]; return context.measureText(text).width + 4; }
    function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    function draw() {
        group.clearLayers();
        var zoom = map.getZoom(), size = map.getSize(), placed = [];
        labels.forEach(function (label) {  // [text, lon, lat, kind, min_zoom, bounds or 0]
            if (zoom < label[4]) return;
            var at = map.latLngToContainerPoint([label[2], label[1]]);
            var w = width(label[0], label[3]), h = label[3] === "district" ? 16 : 14;
            if (label[5]) {
                var sw = map.latLngToContainerPoint([label[5][1], label[5][0]]),
                    ne = map.latLngToContainerPoint([label[5][3], label[5][2]]);
                if (w > Math.abs(ne.x - sw.x) || h > Math.abs(sw.y - ne.y)) return;  // does not fit its area
            }
            // a district's name may move up or down a line or two to stay clear of another's; others stay put
            var shifts = label[3] === "district" ? [0, -1, 1, -2, 2] : [0];
            for (var s = 0; s < shifts.length; s++) {
                var y = at.y + shifts[s] * h, box = [at.x - w / 2, y - h / 2, at.x + w / 2, y + h / 2];
                if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) continue;
                if (placed.some(function (other) { return overlaps(box, other); })) continue;
                placed.push(box);
                var text = document.createElement("span");
                text.textContent = label[0];
                L.marker(map.containerPointToLatLng([at.x, y]), {pane: "kleLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "kle-label kle-label-" + label[3], html: text.outerHTML,
                                     iconSize: [w, h], iconAnchor: [w / 2, h / 2]})}).addTo(group);
                return;
            }
        });
        pane.setAttribute("aria-hidden", "true");
    }
    map.on("zoomend moveend resize", draw);
    map.whenReady(draw);
})();
{% endmacro %}
""")

    def __init__(self, labels: Sequence[MapLabel]):
        super().__init__()
        self._name = "MapLabels"
        unknown = {label.kind for label in labels} - set(LABEL_KINDS)
        if unknown:
            raise ValueError(f"unknown label kind {sorted(unknown)[0]!r}; valid: {', '.join(LABEL_KINDS)}")
        ordered = sorted(labels, key=lambda label: LABEL_KINDS.index(label.kind))  # stable: list order within a kind
        self.labels = _script_json([[label.text, round(label.lon, 5), round(label.lat, 5), label.kind, label.min_zoom,
                                     [round(b, 5) for b in label.fit_bounds] if label.fit_bounds else 0]
                                    for label in ordered])


# The rail overlay's caption. What the mirror cannot show: it holds NaPTAN's area 240 (Kent) only, so stations
# across the county line are missing unless NaPTAN files them under Kent (Knockholt, in Bromley, is).
RAIL_EDGE_NOTE = ("Stations are NaPTAN's active Kent rail records (July 2026), including Knockholt just over the "
                  "London border. Stations in Medway, London and Sussex are not in the data, so postcodes near the "
                  "county edge may be closer to a station than shown.")

_OVERLAYS = dict(zip(OVERLAYS, (  # in the URL state's order: (label, circle radius px, fill, stroke)
    ("Rail station", 5, "#000000", "#ffffff"),  # rail_stations
    ("Bus stop", 2.5, "#ffffff", "#000000"),  # bus_stops
), strict=True))


def choropleth(features: Sequence[Mapping], indicator: Mapping, classification: Classification,
               selected_codes: Iterable[str] = (), overlays=(), geometry: MapGeometry | None = None,
               colours: Sequence[str] | None = None, labels: Sequence[MapLabel] = ()) -> folium.Map:
    """Offline folium choropleth of features classed by ``classification`` (same order as the features).

    The boundaries sent are ``geometry`` (built TopoJSON of exactly these areas); without it, they are
    made from the features' own GeoJSON geometries. ``colours`` (one per class) replaces the indicator's
    palette, e.g. ``diverging_palette()`` for a change map.
    """
    if len(features) != len(classification.classes):
        raise ValueError(f"{len(features)} features but {len(classification.classes)} classified values")
    geometry = geometry or MapGeometry.from_features(features)
    by_code = {str(f["area_code"]): (f, cls) for f, cls in zip(features, classification.classes)}
    if set(by_code) != set(geometry.area_codes):
        raise ValueError(f"the map geometry has {len(geometry.area_codes)} areas, the features {len(by_code)} "
                         "different ones")
    colours = list(colours) if colours is not None else class_colours(indicator, classification)
    if len(colours) != classification.k:
        raise ValueError(f"{len(colours)} colours for {classification.k} classes")
    selected = set(selected_codes)
    rank_of = int(indicator.get("rank_of") or sum(1 for f in features if not _is_missing(f.get("rank"))))

    styles: list[dict] = []  # each distinct style once; rows refer to them by position
    rows = []
    for code in geometry.area_codes:
        feature, cls = by_code[code]
        is_selected = code in selected
        style = {
            "fillColor": _NO_DATA_FILL if cls is None else colours[cls],
            "fillOpacity": 1 if cls is None else 0.85,
            "color": _SELECTED_OUTLINE if is_selected else _OUTLINE,
            "weight": 3 if is_selected else 0.7,
        }
        if style not in styles:
            styles.append(style)
        rows.append(_tooltip_row(feature, indicator) + [styles.index(style)])

    m = offline_map(zoom_snap=0.25)
    if classification.has_missing:
        m.add_child(_NoDataHatch())
    m.add_child(_TopoJsonAreas(geometry, rows, styles, str(indicator["label"]), rank_of))

    for name, points in dict(overlays).items():
        if name not in _OVERLAYS:
            raise ValueError(f"unknown overlay {name!r}; valid overlays: {', '.join(_OVERLAYS)}")
        label, radius, fill, stroke = _OVERLAYS[name]
        points_fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [p["lon"], p["lat"]]},
             "properties": {"tip": f"{label}: {html.escape(str(p.get('name', '')))}"}}
            for p in points
        ]}
        if not points_fc["features"]:
            continue
        folium.GeoJson(
            points_fc,
            name=label,
            marker=folium.CircleMarker(radius=radius, fill=True, fill_color=fill, fill_opacity=1,
                                       color=stroke, weight=1),
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, class_name="kle-tip"),
        ).add_to(m)

    if labels:
        m.get_root().header.add_child(_FixedHtml(_LABEL_STYLE), name="kle_label_style")
        m.add_child(_MapLabels(labels))

    west, south, east, north = geometry.bounds
    m.fit_bounds([[south, west], [north, east]])
    return m


def overlay_legend_html(names: Iterable[str]) -> str:
    """A legend for the point overlays shown (rail stations, bus stops): each marker drawn as on the map."""
    rows = []
    for name in names:
        label, radius, fill, stroke = _OVERLAYS[name]
        size = 2 * radius + 2  # the marker's diameter plus its 1 px outline, as Leaflet draws it
        # a CSS circle, not inline SVG: st.html's sanitiser keeps no <svg>
        rows.append(f'<tr><td style="padding:2px 8px 2px 0;width:2.2em;text-align:center"><span class="kle-marker" '
                    f'aria-hidden="true" style="display:inline-block;box-sizing:border-box;width:{size}px;'
                    f'height:{size}px;border-radius:50%;background:{fill};border:1px solid {stroke};'
                    f'box-shadow:0 0 0 1px {fill};vertical-align:middle"></span></td>'
                    f'<th scope="row" style="text-align:left;font-weight:normal">{html.escape(label)}s</th></tr>')
    if not rows:
        return ""
    return ('<table class="kle-overlay-legend" style="border-collapse:collapse;color:#1a1a1a;background:#ffffff;'
            'font-size:0.9rem;margin:0.25rem 0"><caption style="caption-side:top;text-align:left;font-weight:600;'
            f'padding-bottom:4px;color:#1a1a1a">Points on the map</caption><tbody>{"".join(rows)}</tbody></table>')


def legend_html(indicator: Mapping, classification: Classification, palette: Sequence[str] | None = None) -> str:
    """Accessible HTML legend: a table captioned with the indicator and unit, each class's swatch and range."""
    e = html.escape
    colours = list(palette) if palette is not None else class_colours(indicator, classification)
    if len(colours) != classification.k:
        raise ValueError(f"palette has {len(colours)} colours for {classification.k} classes")
    caption = e(heading(indicator))
    cell = "padding:2px 8px 2px 0;vertical-align:middle;text-align:left;font-weight:normal"
    swatch = ("display:inline-block;width:1.6em;height:1em;border:1px solid #333;"
              "vertical-align:middle;background:{}")
    rows = [
        f'<tr><td style="{cell};width:2.2em"><span aria-hidden="true" style="{swatch.format(e(c))}"></span></td>'
        f'<th scope="row" style="{cell}">{e(label)}</th></tr>'
        for c, label in zip(colours, classification.labels)
    ]
    if classification.has_missing:
        rows.append(f'<tr><td style="{cell};width:2.2em"><span aria-hidden="true" style="{swatch.format(_NO_DATA_CSS)}">'
                    f'</span></td><th scope="row" style="{cell}">{NO_DATA}</th></tr>')
    return (
        '<table class="kle-legend" style="border-collapse:collapse;color:#1a1a1a;background:#ffffff;'
        'font-size:0.9rem;margin:0.25rem 0;min-width:min(100%,20rem)">'
        f'<caption style="caption-side:top;text-align:left;font-weight:600;padding-bottom:4px;color:#1a1a1a">'
        f'{caption}</caption><tbody>{"".join(rows)}</tbody></table>'
    )


# --- The map drawn in the page (no iframe) -------------------------------------------------------------------
MOUNT_JS = (Path(__file__).parent / "map_assets" / "mount.js").read_text(encoding="utf-8")
# folium's page-wide styles and globals, written for a map that is a whole document: not for a map inside the page
_PAGE_LEVEL_STYLE = re.compile(r"html,\s*body|#map\s*\{")


def mount_data(m: folium.Map, title: str, height: int) -> dict:
    """What the page's map component (map_assets/mount.js) needs to draw ``m`` inside the page: its accessible name
    (``title``, e.g. "Map: Crime by ward, Ashford"), the static scripts and stylesheets to load (paths in the app's
    static folder), the map's own styles, div and script, and the script's name for the map."""
    root = m.get_root()
    m.render()  # the map and its elements into the figure's header, html and script (not the whole document)
    header = root.header.render()
    styles = "".join(style for style in re.findall(r"<style>.*?</style>", header, flags=re.S)
                     if not _PAGE_LEVEL_STYLE.search(style))
    return {"title": title, "height": int(height), "styles": styles, "html": root.html.render(),
            "script": root.script.render(), "map_var": m.get_name(),
            "scripts": [url.removeprefix(_STATIC_FROM_IFRAME)
                        for url in re.findall(r'<script src="([^"]+)"', header)],
            "stylesheets": [url.removeprefix(_STATIC_FROM_IFRAME)
                            for url in re.findall(r'<link rel="stylesheet" href="([^"]+)"', header)]}
