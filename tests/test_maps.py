"""Unit tests for geo.explorer.maps on small SYNTHETIC inputs made here (no real Kent data)."""
import json
import math
import re

import pytest
import shapely
import shapely.geometry

from geo.topology import decode_topology, subset_topology
from geo.config import REPO_ROOT
from geo.explorer import maps

SYNTHETIC_VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
SYNTHETIC_INDICATOR = {"label": "Synthetic indicator", "unit": "% of residents", "polarity": "higher_worse",
                       "decimals": 1}
NASTY_NAME = "<script>alert(1)</script> & Sons"


def synthetic_square(x, y, size=0.01):
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def synthetic_features(values, names=None):
    names = names or [f"Synthetic area {i}" for i in range(len(values))]
    ranked = sorted((v, i) for i, v in enumerate(values) if v is not None and not math.isnan(v))
    rank = {i: len(ranked) - pos for pos, (_, i) in enumerate(ranked)}  # 1 = highest value
    return [{"area_code": f"SYN{i:03d}", "area_name": names[i], "value": v, "rank": rank.get(i),
             "geometry": synthetic_square(0.5 + i * 0.01, 51.0)} for i, v in enumerate(values)]


def map_script(m):
    """The map's rendered HTML/JS, as folium writes it."""
    return m.get_root().render()


def drawn_areas(m):
    """What the browser builds the areas from: the topology, and per area its tooltip parts and style."""
    element = next(ch for ch in m._children.values() if isinstance(ch, maps._TopoJsonAreas))
    return json.loads(element.topojson), json.loads(element.rows), json.loads(element.styles)


@pytest.mark.parametrize("scheme, bins", [
    ("quantiles", (2.8, 4.6, 6.4, 8.2, 10.0)),
    ("natural_breaks", (2.0, 4.0, 6.0, 8.0, 10.0)),
    ("equal_interval", (2.8, 4.6, 6.4, 8.2, 10.0)),
])
def test_exact_bins_for_known_list(scheme, bins):
    c = maps.classify(SYNTHETIC_VALUES, scheme, k=5)
    assert c.scheme == scheme
    assert c.bins == pytest.approx(bins)
    assert c.classes == (0, 0, 1, 1, 2, 2, 3, 3, 4, 4)


def test_class_labels_are_text_ranges():
    c = maps.classify(SYNTHETIC_VALUES, "equal_interval", k=5, decimals=1)
    # half-open as mapclassify bins them (upper bound included), written at the shown precision: no value in two
    assert c.labels == ("1.0 to 2.8", "2.9 to 4.6", "4.7 to 6.4", "6.5 to 8.2", "8.3 to 10.0")


def test_unknown_scheme_lists_valid_names():
    with pytest.raises(ValueError) as err:
        maps.classify(SYNTHETIC_VALUES, "jenks_please")
    for name in ("quantiles", "natural_breaks", "equal_interval", "national_deciles"):
        assert name in str(err.value)


def test_missing_values_stay_missing():
    values = [1.0, None, 3.0, float("nan"), 5.0, 6.0]
    c = maps.classify(values, "quantiles", k=3)
    assert c.classes[1] is None and c.classes[3] is None
    assert all(cls is not None for i, cls in enumerate(c.classes) if i not in (1, 3))
    assert c.has_missing
    # the bins come from the present values only
    assert c.bins[-1] == 6.0 and c.labels[0].startswith("1.0 to")


def test_missing_areas_are_hatched_never_filled():
    values = [1.0, None, 3.0]
    c = maps.classify(values, "quantiles", k=2)
    out = map_script(maps.choropleth(synthetic_features(values), SYNTHETIC_INDICATOR, c))
    assert f"url(#{maps.NO_DATA_HATCH_ID})" in out
    assert maps.NO_DATA_HATCH_ID in out  # the pattern definition is shipped with the map
    assert "No data" in maps.legend_html(SYNTHETIC_INDICATOR, c)


def test_all_missing_gives_no_classes():
    c = maps.classify([None, None], "natural_breaks")
    assert c.k == 0 and c.classes == (None, None)
    assert "No data" in maps.legend_html(SYNTHETIC_INDICATOR, c)


def test_national_deciles_use_the_given_decile():
    c = maps.classify([10.0, 20.0, None, 40.0], "national_deciles", national_deciles=[1, 10, 5, None])
    assert c.k == 10
    assert c.classes == (0, 9, 4, None)
    assert "most deprived" in c.labels[0]
    with pytest.raises(ValueError):
        maps.classify([1.0], "national_deciles")


def test_palette_direction_flips_with_polarity():
    worse_high = maps.palette(5, "higher_worse")
    better_high = maps.palette(5, "higher_better")
    assert worse_high == better_high[::-1]
    assert len(set(worse_high)) == 5

    def lightness(hex_colour):
        r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    assert lightness(worse_high[-1]) < lightness(worse_high[0])  # highest class darkest when higher is worse
    assert lightness(better_high[0]) < lightness(better_high[-1])  # lowest class darkest when higher is better
    neutral = maps.palette(5, "neutral")
    assert set(neutral).isdisjoint(worse_high)
    assert lightness(neutral[-1]) < lightness(neutral[0])
    with pytest.raises(ValueError, match="higher_worse"):
        maps.palette(5, "sideways")


def test_tooltip_escapes_names():
    values = [5.0, 7.0]
    c = maps.classify(values, "quantiles", k=2)
    features = synthetic_features(values, names=[NASTY_NAME, "Synthetic plain"])
    stations = [{"name": "<img src=x onerror=alert(2)>", "lon": 0.5, "lat": 51.0}]
    m = maps.choropleth(features, {**SYNTHETIC_INDICATOR, "label": "Synthetic <b>label</b>"}, c,
                        overlays={"rail_stations": stations})
    out = map_script(m)
    assert "<script>alert(1)" not in out
    assert "<img src=x" not in out and "<b>label" not in out
    _, rows, _ = drawn_areas(m)
    assert rows[0][:3] == ["&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons", "5.0% of residents", 2]
    assert rows[1][:3] == ["Synthetic plain", "7.0% of residents", 1]
    assert "Synthetic \\u0026lt;b\\u0026gt;label" in out  # escaped, then kept out of the markup


def test_script_data_cannot_close_the_script_tag():
    c = maps.classify([1.0], "quantiles", k=1)
    out = map_script(maps.choropleth(synthetic_features([1.0], names=["</script><script>alert(3)"]), SYNTHETIC_INDICATOR, c))
    assert "alert(3)" in out and "</script><script>alert(3)" not in out
    assert out.count("</script>") == out.count("<script")


def test_areas_carry_their_codes_and_share_styles():
    values = [1.0, 2.0, 3.0]
    c = maps.classify(values, "equal_interval", k=3)
    m = maps.choropleth(synthetic_features(values), SYNTHETIC_INDICATOR, c, selected_codes=["SYN001"])
    topology, rows, styles = drawn_areas(m)
    geometries = topology["objects"]["areas"]["geometries"]
    assert [g["id"] for g in geometries] == ["SYN000", "SYN001", "SYN002"]
    assert [len(row) for row in rows] == [4, 4, 4]  # name, value, rank, style: nothing else per area
    selected = styles[rows[1][3]]
    assert selected["color"] == "#000000" and selected["weight"] == 3
    assert styles[rows[0][3]]["weight"] == 0.7


def test_shared_edges_are_sent_once():
    """Two squares side by side: GeoJSON would send their common side twice; here it is one arc used both ways."""
    c = maps.classify([1.0, 2.0], "quantiles", k=2)
    features = [{"area_code": f"SYN{i}", "area_name": f"Synthetic {i}", "value": float(i), "rank": None,
                 "geometry": synthetic_square(0.5 + i * 0.01, 51.0)} for i in range(2)]
    topology, _, _ = drawn_areas(maps.choropleth(features, SYNTHETIC_INDICATOR, c))
    first, second = (g["arcs"][0] for g in topology["objects"]["areas"]["geometries"])
    shared = {a if a >= 0 else ~a for a in first} & {a if a >= 0 else ~a for a in second}
    assert len(shared) == 1 and len(topology["arcs"]) == 3


def test_features_and_built_geometry_must_be_the_same_areas():
    c = maps.classify([1.0, 2.0], "quantiles", k=2)
    features = synthetic_features([1.0, 2.0])
    geometry = maps.MapGeometry.from_features(features[:1])
    with pytest.raises(ValueError, match="different"):
        maps.choropleth(features, SYNTHETIC_INDICATOR, c, geometry=geometry)


def test_map_references_only_local_leaflet():
    values = [1.0, 2.0, 3.0]
    c = maps.classify(values, "equal_interval", k=3)
    m = maps.choropleth(synthetic_features(values), SYNTHETIC_INDICATOR, c)
    assert m.default_js == [("leaflet", maps.ASSET_BASE + "/leaflet.js")]
    assert m.default_css == [("leaflet_css", maps.ASSET_BASE + "/leaflet.css")]
    out = map_script(m)
    assert '<script src="../../app/static/vendor/topojson-client/topojson-client.min.js">' in out
    assert not re.findall(r"https?://(?!leafletjs\.com)[^\s\"'<>]+\.(?:js|css)", out)
    assert "tile_layer" not in out  # no basemap tiles by default


def test_the_page_map_gets_static_files_that_exist_and_no_page_wide_styles():
    """What the in-page map component receives: the app's own files (relative to static/, all present after
    setup), the map's own styles but none of folium's whole-document ones, and the title it is named by."""
    values = [1.0, None, 3.0]
    c = maps.classify(values, "equal_interval", k=2)
    m = maps.choropleth(synthetic_features(values), SYNTHETIC_INDICATOR, c, labels=[
        maps.MapLabel("Synthetic place", 0.51, 51.005, "place")])
    data = maps.mount_data(m, "Map: Synthetic indicator by area", 480)
    assert data["scripts"] == ["vendor/leaflet/leaflet.js", "vendor/topojson-client/topojson-client.min.js"]
    assert data["stylesheets"] == ["vendor/leaflet/leaflet.css"]
    assert all((REPO_ROOT / "static" / path).is_file() for path in data["scripts"] + data["stylesheets"])
    assert "html, body" not in data["styles"] and "#map {" not in data["styles"]  # would restyle the whole page
    assert f"#{data['map_var']}" in data["styles"] and ".kle-label" in data["styles"]  # the map's own
    assert f'id="{data["map_var"]}"' in data["html"] and f"var {data['map_var']} = L.map(" in data["script"]
    assert "kleAreas: true" in data["script"] and "kle-nodata-hatch" in data["script"]
    assert (data["title"], data["height"]) == ("Map: Synthetic indicator by area", 480)
    json.dumps(data)  # Streamlit sends it as JSON


def test_unknown_overlay_lists_valid_names():
    c = maps.classify([1.0], "quantiles", k=1)
    with pytest.raises(ValueError, match="rail_stations.*bus_stops"):
        maps.choropleth(synthetic_features([1.0]), SYNTHETIC_INDICATOR, c, overlays={"trams": []})


def test_legend_shows_ranges_as_text_with_caption():
    c = maps.classify(SYNTHETIC_VALUES, "equal_interval", k=5, decimals=1)
    pal = maps.palette(c.k, "higher_worse")
    legend = maps.legend_html(SYNTHETIC_INDICATOR, c, pal)
    assert "<table" in legend and "<caption" in legend
    assert "Synthetic indicator (% of residents)" in legend
    for label in ("1.0 to 2.8", "2.9 to 4.6", "4.7 to 6.4", "6.5 to 8.2", "8.3 to 10.0"):
        assert label in legend
    for colour in pal:
        assert colour in legend
    assert "No data" not in legend  # nothing missing here
    escaped = maps.legend_html({**SYNTHETIC_INDICATOR, "label": NASTY_NAME}, c)
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped


def test_coordinates_arrive_within_the_grid_step():
    """Quantisation moves a point by at most half a grid step (4 by 3 millionths of a degree)."""
    values = [1.0]
    c = maps.classify(values, "quantiles", k=1)
    features = synthetic_features(values)
    topology, _, _ = drawn_areas(maps.choropleth(features, SYNTHETIC_INDICATOR, c))
    decoded = decode_topology(topology)["SYN000"]
    given = shapely.geometry.shape(features[0]["geometry"])
    assert shapely.hausdorff_distance(decoded, given) <= 2.5e-6
    assert decoded.is_valid


def test_maps_module_does_not_import_streamlit():
    import subprocess
    import sys
    code = "import sys, geo.explorer.maps; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=maps.__file__.rsplit("/geo/", 1)[0]).returncode == 0


def test_national_deciles_draw_decile_one_darkest_whatever_the_polarity():
    c = maps.classify([1.0] * 10, "national_deciles", national_deciles=list(range(1, 11)))
    for polarity in ("higher_worse", "higher_better", "neutral"):
        colours = maps.class_colours({**SYNTHETIC_INDICATOR, "polarity": polarity}, c)
        assert colours == maps.palette(10, "higher_better")


def test_an_enclave_and_the_hole_around_it_are_one_arc_and_subsets_keep_only_their_arcs():
    outer = {"type": "Polygon", "coordinates": [[[0.5, 51.0], [0.6, 51.0], [0.6, 51.1], [0.5, 51.1], [0.5, 51.0]],
                                                [[0.52, 51.02], [0.52, 51.08], [0.58, 51.08], [0.58, 51.02], [0.52, 51.02]]]}
    features = [{"area_code": "SYN_RING", "geometry": outer},
                {"area_code": "SYN_ENCLAVE", "geometry": synthetic_square(0.52, 51.02, size=0.06)},
                {"area_code": "SYN_EAST", "geometry": synthetic_square(0.6, 51.0, size=0.1)}]
    topology = json.loads(maps.MapGeometry.from_features(features).topojson)
    ring, enclave, _ = topology["objects"]["areas"]["geometries"]
    assert [a if a >= 0 else ~a for a in ring["arcs"][1]] == [a if a >= 0 else ~a for a in enclave["arcs"][0]]
    alone = subset_topology(topology, ["SYN_ENCLAVE"])
    assert len(alone["arcs"]) == 1 and alone["bbox"] == pytest.approx([0.52, 51.02, 0.58, 51.08], abs=3e-6)
    assert decode_topology(alone)["SYN_ENCLAVE"].equals(decode_topology(topology)["SYN_ENCLAVE"])
