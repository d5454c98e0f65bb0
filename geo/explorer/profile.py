"""One ward's profile for /ward: every indicator with ward values beside its district and Kent, the spine chart's
data, what lies inside the ward, its gap components, and the ten most similar Kent wards.

Everything is read from the database through named queries; nothing here imports Streamlit.
"""
from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import gap
from geo.explorer import db, gap_view, metadata
from geo.explorer.state import page_link
from geo.catalogue import NO_DATA, format_value, heading

# --- similar wards: the method, stated on the page -------------------------------------------------------------
# What a ward is like, not how it is counted: the seven IoD 2025 domains (not the IMD score, which is their
# weighted sum and would count them twice), broadband speed, transport connectivity and access to services.
# Population is left out (wards are drawn to hold similar electorates); IoD 2019 and Ofcom 2013 are left out as
# older editions of measures already here; the geographical-barriers sub-domain is left out as the exact inverse
# of transport connectivity (Spearman -1.0); district-only figures cannot tell wards apart.
SIMILARITY_INDICATORS = (
    "income_score", "employment_score", "education_score", "health_score", "crime_score", "housing_services_score",
    "environment_score", "digital_connectivity_score", "transport_connectivity_score", "bus_stop_400m_pct",
    "rail_station_2km_pct", "patient_to_gp_ratio",
)
SIMILAR_COUNT = 10
SIMILARITY_METHOD = (
    "Each of the indicators below is standardised across Kent's 255 wards (minus the Kent ward mean, divided by "
    "the standard deviation), so that each counts equally whatever its unit. The distance between two wards is "
    "the root mean square of their differences on those standardised indicators: 0 means identical, 1 means one "
    "standard deviation apart on average. An indicator missing for either ward is left out of that pair's mean, "
    "never filled. The similar wards are the 10 other Kent wards with the smallest distance (ties in ward-code "
    "order), so the list is the same on every visit.")

QUARTER_WORSE, QUARTER_MIDDLE, QUARTER_BETTER, NOT_JUDGED = (
    "Among Kent's worst quarter of wards", "Middle half of Kent's wards", "Among Kent's best quarter of wards",
    "Neutral: size, not better or worse")
# The spine chart's colours (PuOr, colour-blind safe), one per class above; the table says the same in words.
SPINE_COLOURS = {QUARTER_WORSE: "#b35806", QUARTER_MIDDLE: "#8c8c8c", QUARTER_BETTER: "#542788",
                 NOT_JUDGED: "#08306b"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_class(rank, out_of, polarity: str) -> str:
    """Where a Kent rank (1 = worst) falls: worst quarter, middle half, best quarter; neutral ranks are not judged."""
    if polarity == "neutral":
        return NOT_JUDGED
    if rank is None or pd.isna(rank) or not out_of:
        return NO_DATA
    if rank <= out_of / 4:
        return QUARTER_WORSE
    if rank > 3 * out_of / 4:
        return QUARTER_BETTER
    return QUARTER_MIDDLE


def rank_text(rank, out_of, polarity: str) -> str:
    """'1st of 255 (1 = worst)' or, for neutral indicators, '128th of 255 (1 = largest)'."""
    if rank is None or pd.isna(rank):
        return NO_DATA
    meaning = "1 = largest" if polarity == "neutral" else "1 = worst"
    return f"{_ordinal(int(rank))} of {int(out_of)} ({meaning})"


def spine_position(value, low, high, polarity: str) -> float | None:
    """A value's place on its spine, 0 to 1 across Kent's ward range: for indicators with a polarity 0 is the
    worst end and 1 the best; for neutral ones 0 is the lowest and 1 the highest."""
    if value is None or pd.isna(value) or pd.isna(low) or pd.isna(high):
        return None
    if high == low:
        return 0.5
    share = (float(value) - float(low)) / (float(high) - float(low))
    if not 0.0 <= share <= 1.0:
        return None  # outside Kent's ward range: a total (e.g. a district's residents), not a ward-sized value
    return round(1.0 - share if polarity == "higher_worse" else share, 4)


@dataclass
class WardProfile:
    """Everything /ward shows about one ward."""

    ward: dict  # ward_code, ward_name, district_code, district_name, n_lsoas, population, fit percentages, is_approximate
    indicators: pd.DataFrame  # one row per catalogue indicator with ward values, in catalogue order
    lsoas: pd.DataFrame
    deciles: pd.DataFrame
    district_only: pd.DataFrame  # catalogue indicators published for districts only, with the district's value


def ward_profile(ward_code: str) -> WardProfile:
    """The profile of one ward (a known ward code)."""
    fit = db.run("ward_fit_for_wards", ward_codes=[ward_code])
    if fit.empty:
        raise KeyError(f"unknown ward {ward_code!r}")
    ward = fit.iloc[0].to_dict()
    catalogue = db.run("indicator_catalogue").reset_index(drop=True)
    values = db.run("ward_indicator_profile", ward_code=ward_code)
    deciles = db.run("ward_lsoa_indicator_deciles", ward_code=ward_code).set_index("indicator_id")
    rows = catalogue.merge(values, on="indicator_id", how="inner")  # keeps the catalogue's (menu) order
    rows["kent_rank_text"] = [rank_text(r, n, p) for r, n, p in zip(rows.kent_rank, rows.kent_wards_ranked, rows.polarity)]
    rows["rank_class"] = [rank_class(r, n, p) for r, n, p in zip(rows.kent_rank, rows.kent_wards_ranked, rows.polarity)]
    rows["national_deciles"] = [_decile_text(deciles, i) for i in rows.indicator_id]
    district_only = catalogue[catalogue.geography == "district"][["indicator_id", "label", "unit", "decimals", "vintage",
                                                                  "publisher"]]
    district_values = db.run("all_indicator_values_at_level", level="district", district_code=ward["district_code"])
    district_only = district_only.merge(district_values[["indicator_id", "value"]], on="indicator_id", how="left")
    return WardProfile(ward, rows, db.run("ward_lsoas", ward_codes=[ward_code]),
                       db.run("ward_decile_shares", ward_codes=[ward_code]), district_only)


def _decile_text(deciles: pd.DataFrame, indicator_id: str) -> str:
    if indicator_id not in deciles.index:
        return "Not published"
    row = deciles.loc[indicator_id]
    low, high, n = int(row.lowest_decile), int(row.highest_decile), int(row.n_lsoas)
    spread = f"decile {low}" if low == high else f"deciles {low} to {high}"
    return f"{spread} (its {n} LSOA{'s' if n != 1 else ''}; 1 = most deprived 10% in England)"


def indicator_table(profile: WardProfile) -> pd.DataFrame:
    """The numbers behind the spine chart, as people read them."""
    rows = profile.indicators
    name, district = profile.ward["ward_name"], profile.ward["district_name"]
    fmt = lambda column: [format_value(v, r) for v, r in zip(rows[column], rows.to_dict(orient="records"))]  # noqa: E731
    return pd.DataFrame({
        "Indicator": [heading(r) for r in rows.to_dict(orient="records")],  # no "score (score)"
        name: fmt("ward_value"),
        district: fmt("district_value"),
        "Kent": fmt("kent_value"),
        "Kent rank": rows.kent_rank_text,
        "Kent's wards range": [f"{format_value(lo, r)} to {format_value(hi, r)}" for lo, hi, r in
                               zip(rows.kent_min, rows.kent_max, rows.to_dict(orient="records"))],
        "Where the ward falls": rows.rank_class,
        "England deciles of its LSOAs": rows.national_deciles,
        "Source": [f"{p}, {v}" for p, v in zip(rows.publisher, rows.vintage)],
    })


def spine_chart_data(profile: WardProfile) -> pd.DataFrame:
    """Per indicator: Kent's ward range (0 to 1), the middle half, the ward, its district and Kent on one scale,
    the ward's class (where it falls) and the same values as text."""
    rows = profile.indicators
    data = []
    for r in rows.itertuples():
        low, high, polarity = r.kent_min, r.kent_max, r.polarity
        p25, p75 = spine_position(r.kent_p25, low, high, polarity), spine_position(r.kent_p75, low, high, polarity)
        data.append({
            "indicator": r.label, "indicator_id": r.indicator_id, "polarity": polarity,
            "ward": spine_position(r.ward_value, low, high, polarity),
            "district": spine_position(r.district_value, low, high, polarity),
            "kent": spine_position(r.kent_value, low, high, polarity),
            "middle_from": None if p25 is None else min(p25, p75), "middle_to": None if p75 is None else max(p25, p75),
            "ward_class": r.rank_class,
            "ward_text": format_value(r.ward_value, r._asdict()), "district_text": format_value(r.district_value, r._asdict()),
            "kent_text": format_value(r.kent_value, r._asdict()), "rank_text": r.kent_rank_text,
            "range_text": f"{format_value(low, r._asdict())} to {format_value(high, r._asdict())}",
        })
    return pd.DataFrame(data)


# The spine's drawing: positions 0..1 map to 2%..98% of the bar's width, so markers at either end stay whole.
_SPINE_INK = "#1a1a1a"


def _spine_x(position: float) -> str:
    return f"{2 + 96 * position:.2f}%"


def svg_data_uri(svg: str) -> str:
    """An SVG as a data: URI for an <img>: st.html's sanitiser keeps HTML only (inline <svg> is removed), and an
    image needs no chart or Markdown library in the browser (the deployment's CSP allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _spine_row_image(row, ward_name: str, district_name: str) -> str:
    """One indicator's bar: Kent's ward range, its middle half, the Kent tick, the district diamond, the ward circle.
    Percentages place the marks, so the bar stretches to any width without distorting them."""
    marks = ['<rect x="0" y="5" width="100%" height="10" fill="#d9d9d9"></rect>']
    if not pd.isna(row.middle_from) and not pd.isna(row.middle_to):
        marks.append(f'<rect x="{_spine_x(row.middle_from)}" y="5" width="{96 * (row.middle_to - row.middle_from):.2f}%" '
                     f'height="10" fill="#a6a6a6"></rect>')
    if not pd.isna(row.kent):
        marks.append(f'<line x1="{_spine_x(row.kent)}" x2="{_spine_x(row.kent)}" y1="0" y2="20" stroke="#000000" '
                     f'stroke-width="2"></line>')
    if not pd.isna(row.district):
        marks.append(f'<svg x="{_spine_x(row.district)}" y="0" overflow="visible"><polygon points="0,3 7,10 0,17 -7,10" '
                     f'fill="#ffffff" stroke="#000000" stroke-width="2"></polygon></svg>')
    if not pd.isna(row.ward):
        marks.append(f'<circle cx="{_spine_x(row.ward)}" cy="10" r="6.5" fill="{SPINE_COLOURS.get(row.ward_class, "#8c8c8c")}" '
                     f'stroke="#ffffff" stroke-width="1"></circle>')
    said = [f"{ward_name} {row.ward_text}, {row.rank_text}"]
    if not pd.isna(row.district):
        said.append(f"{district_name} {row.district_text}")
    if not pd.isna(row.kent):
        said.append(f"Kent {row.kent_text}")
    said.append(f"Kent's wards range {row.range_text}")
    label = html.escape(f"{row.indicator}: " + "; ".join(said))
    svg = f'<svg width="100%" height="20" xmlns="http://www.w3.org/2000/svg">{"".join(marks)}</svg>'
    return (f'<img class="kle-spine-bar" src="{svg_data_uri(svg)}" alt="{label}" title="{label}" '
            f'style="display:block;width:100%;height:20px">')


def spine_chart_html(profile: WardProfile) -> str:
    """The spine chart as HTML with one small inline SVG per indicator (no chart library: the page's first visit
    loads nothing the explorer's own pages do not). Each bar names its values for screen readers and on hover."""
    data = spine_chart_data(profile)
    ward_name, district_name = profile.ward["ward_name"], profile.ward["district_name"]
    rows = "".join(
        f'<li style="margin:0 0 0.45rem 0;list-style:none"><span style="display:block;font-size:0.9rem;color:{_SPINE_INK}">'
        f'{html.escape(r.indicator)} <span style="color:#4a4b57">({html.escape(r.ward_text)})</span></span>'
        f'{_spine_row_image(r, ward_name, district_name)}</li>'
        for r in data.itertuples())
    def swatch(style: str, name: str) -> str:  # CSS shapes: st.html keeps no inline SVG
        return (f'<li style="display:inline-block;margin:0 1rem 0.25rem 0"><span aria-hidden="true" style="display:'
                f'inline-block;vertical-align:middle;margin:0 0.3rem 0 0.2rem;{style}"></span>{html.escape(name)}</li>')

    legend = "".join(swatch(f"width:13px;height:13px;border-radius:50%;background:{colour}", name)
                     for name, colour in SPINE_COLOURS.items())
    legend += swatch("width:10px;height:10px;transform:rotate(45deg);border:2px solid #000000;background:#ffffff",
                     f"{district_name} (diamond)")
    legend += swatch("width:2px;height:16px;background:#000000", "Kent (tick)")
    ends = (f'<div aria-hidden="true" style="display:flex;justify-content:space-between;font-size:0.8rem;color:{_SPINE_INK}">'
            '<span>worst / lowest</span><span>middle</span><span>best / highest</span></div>')
    return (f'<figure class="kle-spine" style="margin:0"><figcaption style="font-size:0.9rem;color:{_SPINE_INK}">'
            f"Position among Kent's 255 wards: worst ward at the left, best at the right (neutral indicators: lowest "
            f'to highest). The ward is the circle, coloured by where it falls:</figcaption>'
            f'<ul style="padding:0;margin:0.25rem 0 0.5rem 0">{legend}</ul>{ends}'
            f'<ul style="padding:0;margin:0">{rows}</ul>{ends}</figure>')


# --- similar wards ------------------------------------------------------------------------------------------------

def standardised_ward_matrix() -> pd.DataFrame:
    """Kent's wards (rows, by ward code) by SIMILARITY_INDICATORS (columns), each standardised to mean 0, sd 1."""
    def make() -> pd.DataFrame:
        values = db.run("all_indicator_values_at_level", level="ward", district_code=None)
        wide = values[values.indicator_id.isin(SIMILARITY_INDICATORS)].pivot(
            index="area_code", columns="indicator_id", values="value")[list(SIMILARITY_INDICATORS)].sort_index()
        return (wide - wide.mean()) / wide.std(ddof=0)
    return db.derived("similar_ward_matrix", make)


def ward_distances(matrix: pd.DataFrame, ward_code: str) -> pd.DataFrame:
    """Every other ward's distance from one ward (root mean square of standardised differences over the
    indicators both have), with how many indicators it used, nearest first, ties by ward code."""
    if ward_code not in matrix.index:
        raise KeyError(f"unknown ward {ward_code!r}")
    differences = (matrix.drop(index=ward_code) - matrix.loc[ward_code]) ** 2
    used = differences.notna().sum(axis=1)
    distance = np.sqrt(differences.sum(axis=1, min_count=1) / used.where(used > 0))
    frame = pd.DataFrame({"ward_code": differences.index, "distance": distance.to_numpy(), "indicators_used": used.to_numpy()})
    return frame.dropna(subset=["distance"]).sort_values(["distance", "ward_code"], kind="mergesort").reset_index(drop=True)


def similar_wards(ward_code: str, count: int = SIMILAR_COUNT) -> pd.DataFrame:
    """The `count` Kent wards most like this one (see SIMILARITY_METHOD), with names, districts and distances."""
    nearest = ward_distances(standardised_ward_matrix(), ward_code).head(count)
    names = db.run("ward_choices").set_index("ward_code")
    return nearest.assign(ward_name=nearest.ward_code.map(names.ward_name),
                          district_name=nearest.ward_code.map(names.district_name),
                          distance=nearest.distance.round(3))


def similarity_indicator_labels() -> list[str]:
    """The labels of the indicators the similarity uses, in their order."""
    catalogue = db.run("indicator_catalogue").set_index("indicator_id")
    return [f"{catalogue.label[i]} ({catalogue.vintage[i]})" for i in SIMILARITY_INDICATORS]


def compare_url(ward_codes) -> str:
    """The /compare URL for some wards (at most 6, the compare page's limit)."""
    return page_link("compare", {"ward": ",".join(list(ward_codes)[:6])})


# --- gap components -----------------------------------------------------------------------------------------------

def gap_components(ward_code: str) -> pd.DataFrame:
    """The ward's infrastructure-gap index and its three components at the default (balanced) weights."""
    wards = gap_view.gap_result(gap.Weights.of_preset(gap.DEFAULT_PRESET), gap.DEFAULT_SEED).wards
    row = wards[wards.ward_code == ward_code].iloc[0]
    out_of = int(wards["rank"].notna().sum())
    number = lambda v: NO_DATA if pd.isna(v) else f"{v:.1f}"  # noqa: E731
    rank = "" if pd.isna(row["rank"]) else (f"{_ordinal(int(row['rank']))} of {out_of}; "
                                            f"{int(row.band_low)} to {int(row.band_high)} as the weights move")
    labels = gap_view.GAP_COMPONENT_LABELS
    return pd.DataFrame({
        "Measure": ["Infrastructure gap index"] + [labels[c] for c in gap.COMPONENTS] + ["Need (income and employment)"],
        "Score (0-100, Kent ward percentile; 100 = biggest gap or need)": [number(row[gap.INDEX_ID])] +
        [number(row[f"{c}_gap"]) for c in gap.COMPONENTS] + [number(row.need_score)],
        "Kent rank (1 = biggest gap)": [rank] + [""] * len(gap.COMPONENTS) + [row.quadrant],
    })


# --- the small map: the ward within its district, as inline SVG (a few kB, no map library) --------------------------

def _rings(geometry: dict):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        yield from polygon


def ward_locator_html(ward_code: str, district_code: str, width: int = 420, height: int = 320) -> str:
    """An image (inline SVG as a data: URI) of the district's wards with this ward filled and named; its alt text
    says which ward within which district."""
    areas = db.run("district_ward_shapes", district_code=district_code)
    geometries = [json.loads(g) for g in areas.web_geojson]
    points = [p for g in geometries for ring in _rings(g) for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
    pad = 8
    scale = min((width - 2 * pad) / ((max(lons) - min(lons)) * kx), (height - 2 * pad) / (max(lats) - min(lats)))

    def xy(lon, lat):
        return f"{pad + (lon - min(lons)) * kx * scale:.1f} {pad + (max(lats) - lat) * scale:.1f}"

    paths, chosen_label = [], ""
    for row, geometry in zip(areas.itertuples(), geometries):
        d = "".join("M" + "L".join(xy(*p) for p in ring) + "Z" for ring in _rings(geometry))
        chosen = row.ward_code == ward_code
        style = 'fill="#08306b" stroke="#ffffff" stroke-width="1.5"' if chosen else 'fill="#e3eef9" stroke="#4d4d4d" stroke-width="0.6"'
        paths.append(f'<path d="{d}" {style}></path>')
        if chosen:
            x, y = xy(row.label_lon, row.label_lat).split()
            name = html.escape(row.ward_name)
            chosen_label = (f'<text x="{x}" y="{y}" text-anchor="middle" font-family="sans-serif" font-size="13" font-weight="700" fill="#000000" '
                            f'stroke="#ffffff" stroke-width="3.5" paint-order="stroke">{name}</text>')
    ward_name = areas.set_index("ward_code").ward_name[ward_code]
    district_name = areas.district_name.iloc[0]
    label = f"Map: {ward_name} ward (dark) within {district_name} district's {len(areas)} wards"
    svg = (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'xmlns="http://www.w3.org/2000/svg" fill-rule="evenodd">' + "".join(paths) + chosen_label + "</svg>")
    return (f'<img class="kle-ward-locator" src="{svg_data_uri(svg)}" alt="{html.escape(label)}" '
            f'style="width:100%;max-width:{width}px;height:auto">')


# --- small HTML pieces the page shows (links stay plain same-tab links, so Back works) ---------------------------

def links_html(links) -> str:
    """A list of (href, text) as an HTML list of same-tab links."""
    items = "".join(f'<li><a href="{html.escape(href)}" target="_self">{html.escape(text)}</a></li>' for href, text in links)
    return f"<ul>{items}</ul>"


def similar_wards_html(similar: pd.DataFrame, ward_code: str) -> str:
    """The similar wards as a table: rank, ward (link to its profile), district, distance, compare link."""
    rows = "".join(
        f'<tr><td>{i}</td><td><a href="{html.escape(page_link("ward", {"ward": r.ward_code}))}" target="_self">{html.escape(r.ward_name)}</a>'
        f'</td><td>{html.escape(r.district_name)}</td><td>{r.distance:.2f}</td><td>{int(r.indicators_used)}</td>'
        f'<td><a href="{html.escape(compare_url([ward_code, r.ward_code]))}" target="_self">Compare</a></td></tr>'
        for i, r in enumerate(similar.itertuples(), start=1))
    return ('<table class="kle-similar"><caption style="text-align:left">Most similar first; distance 0 = identical'
            '</caption><thead><tr><th scope="col">#</th><th scope="col">Ward</th><th scope="col">District</th>'
            '<th scope="col">Distance</th><th scope="col">Indicators compared</th><th scope="col">Side by side</th>'
            f'</tr></thead><tbody>{rows}</tbody></table>')


def decile_shares_table(shares: pd.DataFrame) -> pd.DataFrame:
    """Share of the ward's residents in each of England's ten IMD deciles (absent deciles: 0%)."""
    by_decile = shares.groupby("imd_decile").share_pct.sum()
    return pd.DataFrame({"England's IMD decile": [str(d) + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10 else "")
                                                  for d in range(1, 11)],
                         "Share of residents": [f"{by_decile.get(d, 0.0):.0f}%" for d in range(1, 11)]}
                        ).set_index("England's IMD decile")


def lsoa_table(profile: WardProfile) -> pd.DataFrame:
    """The ward's neighbourhoods with residents and IMD 2025 score at the catalogue's precision, by LSOA code."""
    imd = metadata.indicator("imd_score")
    return pd.DataFrame({
        "LSOA code": profile.lsoas.lsoa_code,
        "LSOA": profile.lsoas.lsoa_name,
        "Residents": [format_value(v, metadata.indicator("population")) for v in profile.lsoas.population],
        "IMD 2025 score": [format_value(v, imd) for v in profile.lsoas.imd_score],
        "England decile": profile.lsoas.imd_decile.astype(str),
    }).set_index("LSOA code")
