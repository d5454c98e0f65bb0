"""What the explorer pages show, computed from the database: layers, benchmarks, findings, profiles, downloads.

Pages call these functions and render the results; nothing here imports Streamlit.
"""
from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import shapely.geometry

from geo import catalogue, db, gap, maps, text
from geo.catalogue import format_value, rank_words, unpublished_reason  # noqa: F401 - for the pages
from geo.catalogue import NO_DATA
from geo.config import KENT_CODE
from geo.transport import RAIL_EDGE_NOTE  # noqa: F401 - the rail overlay's caption on the pages

NATIVE_LEVEL = {"district": "district", "ward": "ward"}  # geographies published at one level only
LEVEL_ORDER = ("lsoa", "ward", "district")
GAP_COMPONENT_LABELS = {"broadband": "Broadband gap", "transport": "Transport gap", "services": "Access-to-services gap"}
LEVEL_NOUN = {"district": "district", "ward": "ward", "lsoa": "neighbourhood (LSOA)"}


def indicator(indicator_id: str, path=None) -> dict:
    """One catalogue row joined with its source's publisher and attribution (path: another database file)."""
    rows = db.run("indicator_catalogue", path=path)
    row = rows[rows.indicator_id == indicator_id]
    if row.empty:
        raise KeyError(f"unknown indicator {indicator_id!r}")
    return row.iloc[0].to_dict()


def layer_choices() -> pd.DataFrame:
    """Catalogue rows in menu order with their theme labels, for the layer picker."""
    rows = catalogue.load().reset_index(drop=True)
    return rows.assign(theme_label=rows.theme.map(catalogue.THEME_LABELS))[["indicator_id", "theme", "theme_label", "label", "unit"]]


def level_for(indicator_row: dict, level: str) -> tuple[str, str | None]:
    """The level to show: an indicator published only for districts (or wards) cannot be shown finer."""
    native = NATIVE_LEVEL.get(indicator_row["geography"])
    if native and LEVEL_ORDER.index(level) < LEVEL_ORDER.index(native):
        return native, (f"{indicator_row['label']} is published for {native}s only ({indicator_row['vintage']}), "
                        f"so the map shows {native}s.")
    return level, None


def missing_reason(row: pd.Series | dict, indicator_row: dict, level: str) -> str:
    """Why an area has no value, in words that are true for it."""
    geography = indicator_row["geography"]
    n_postcodes = row.get("n_postcodes")
    if geography == "postcode" and (n_postcodes is None or pd.isna(n_postcodes) or not n_postcodes):
        return "No live postcode point lies inside this area."
    native = NATIVE_LEVEL.get(geography)
    if native and level != native:  # finer levels are not published; Kent's figure is not made from them either
        return f"Published for {native}s only."
    if geography in ("lsoa21", "lsoa11") and not (row.get("n_lsoas_with_value") or 0):
        return "Not published for any neighbourhood (LSOA) in this area."
    return "Not published for this area."


KENT_MAP_PLACES_TO_ZOOM = 11.0  # maps of all Kent (fitted near zoom 9) carry the places named up to this zoom


def place_label_zoom(n_stops: int) -> float:
    """The zoom from which a place is named: the more active stops (a proxy for size), the sooner."""
    return 10.0 if n_stops >= 40 else 11.0 if n_stops >= 15 else 12.0


@dataclass
class Layer:
    """One indicator at one level: values, Kent ranks, map classes, legend and table."""

    indicator: dict
    level: str
    district_code: str | None
    values: pd.DataFrame
    classification: maps.Classification
    notes: list[str] = field(default_factory=list)

    @cached_property
    def features(self) -> list[dict]:
        """Map features for geo.maps.choropleth."""
        return [{"area_code": r.area_code, "area_name": r.area_name,
                 "value": None if pd.isna(r.value) else float(r.value),
                 "rank": None if pd.isna(r.kent_rank) else int(r.kent_rank),
                 "geometry": json.loads(r.web_geojson)} for r in self.values.itertuples()]

    def map(self, selected_codes=(), overlays=()):
        """The folium map of this layer, its boundaries the TopoJSON built for this level and district."""
        row = dict(self.indicator, rank_of=int(self.values.kent_areas_ranked.max() or 0))
        built = db.run("map_topology", level=self.level, district_code=self.district_code).iloc[0]
        geometry = maps.MapGeometry(built.topojson, tuple(built.area_codes), (built.west, built.south, built.east, built.north))
        return maps.choropleth(self.features, row, self.classification, selected_codes=selected_codes, overlays=overlays,
                               geometry=geometry, labels=self.labels())

    def labels(self) -> list[maps.MapLabel]:
        """Names to draw: districts on a map of all Kent, ward names where they fit, bigger places as one zooms in."""
        names = db.run("map_labels", district_code=self.district_code)
        labels = [maps.MapLabel(r.name, r.lon, r.lat, "district") for r in names[names.kind == "district"].itertuples()]
        if self.level == "ward" and self.district_code:
            labels += [maps.MapLabel(f["area_name"], r.label_lon, r.label_lat, "ward", 0.0,
                                     shapely.geometry.shape(f["geometry"]).bounds)
                       for f, r in zip(self.features, self.values.itertuples())]
        places = names[names.kind == "place"]
        if not self.district_code:  # all of Kent: only the places named by zoom 11, to keep the map's payload small
            places = places[[place_label_zoom(n) <= KENT_MAP_PLACES_TO_ZOOM for n in places.n_stops]]
        labels += [maps.MapLabel(r.name, r.lon, r.lat, "place", place_label_zoom(r.n_stops)) for r in places.itertuples()]
        return labels

    def codes_in(self, district_code: str) -> tuple[str, ...]:
        """The codes of this layer's areas that lie in one district."""
        return tuple(self.values.area_code[self.values.district_code == district_code])

    def legend_html(self) -> str:
        """The HTML legend with class ranges as text."""
        return maps.legend_html(self.indicator, self.classification)

    def table(self) -> pd.DataFrame:
        """The accessible table of every value on the map, ranked as in Kent."""
        level_label = LEVEL_NOUN[self.level][:1].upper() + LEVEL_NOUN[self.level][1:]  # "Neighbourhood (LSOA)"
        out_of = int(self.values.kent_areas_ranked.max() or 0)
        return pd.DataFrame({
            f"{level_label} code": self.values.area_code,
            level_label: self.values.area_name,
            "District": self.values.district_name,
            f"{self.indicator['label']} ({self.indicator['unit']})": [format_value(v, self.indicator) for v in self.values.value],
            catalogue.rank_column(self.indicator): [("" if pd.isna(r) else f"{int(r)} of {out_of}") for r in self.values.kent_rank],
            "Map class": [self.classification.labels[c] if c is not None else maps.NO_DATA for c in self.classification.classes],
            "Note": [("" if not pd.isna(r.value) else missing_reason(pd.Series(r._asdict()), self.indicator, self.level))
                     for r in self.values.itertuples()],
        })


def layer(indicator_id: str, level: str, district_code: str | None, scheme: str, path=None) -> Layer:
    """Values, ranks and classes of one indicator for a level (optionally one district); path: another
    database file (the build makes the light embed from the database it has just written)."""
    row = indicator(indicator_id, path)
    shown_level, note = level_for(row, level)
    values = db.run("area_values_for_indicator", path=path, indicator_id=indicator_id, level=shown_level,
                    district_code=district_code)
    return _classified_layer(row, shown_level, district_code, values, scheme, [note] if note else [])


def within_district(kent: Layer, district_code: str, scheme: str) -> Layer:
    """A Kent layer cut to one district's areas (Kent ranks kept) and classed as layer(..., district_code) classes
    them, without another query: the light embed makes 12 district pages per Kent layer."""
    values = kent.values[kent.values.district_code == district_code].reset_index(drop=True)
    return _classified_layer(kent.indicator, kent.level, district_code, values, scheme, [])


def _classified_layer(row: dict, level: str, district_code: str | None, values: pd.DataFrame, scheme: str,
                      notes: list[str]) -> Layer:
    deciles = None
    if scheme == "national_deciles":
        if level == "lsoa" and row["decile_column"]:
            by_area = db.run("lsoa_deciles_for_area", indicator_id=row["indicator_id"], district_code=district_code)
            deciles = values.area_code.map(dict(zip(by_area.area_code, by_area.decile))).tolist()
        else:
            notes.append("England's deciles are published for IoD measures on neighbourhoods (LSOAs) only; "
                         "classes are quantiles instead.")
            scheme = "quantiles"
    present = values.value.notna().sum()
    k = 10 if scheme == "national_deciles" else max(1, min(5, int(present)))
    classification = maps.classify([None if pd.isna(v) else float(v) for v in values.value], scheme, k=k,
                                   national_deciles=deciles, decimals=int(row["decimals"]))
    missing = len(values) - present
    if missing:
        notes.append(f"{missing} of {len(values)} areas have no value; they are hatched on the map and say why in the table.")
    return Layer(row, level, district_code, values, classification, notes)


# ------------------------------------------------------------------ infrastructure gap

def gap_result(weights: gap.Weights, seed: int) -> gap.GapResult:
    """The gap index for Kent's wards at these weights; cached per database file."""
    return db.derived("gap_result", lambda: gap.from_database(weights, seed), pool=db.GAP_POOL, weights=weights, seed=seed)


def gap_layer(result: gap.GapResult, district_code: str | None, scheme: str = "quantiles") -> Layer:
    """The map layer of a gap result (the user's weights), for Kent's wards or one district's."""
    row = indicator(gap.INDEX_ID)
    weights = "/".join(str(w) for w in result.weights.as_tuple())
    row = dict(row, label=f"Infrastructure gap index ({gap.PRESET_LABELS[result.weights.preset()].lower()} weights {weights})",
               method=f"Each ward's broadband, transport and access-to-services gaps, each input scored as a Kent ward "
                      f"percentile (0 = smallest gap, 1 = biggest), combined with weights {weights} "
                      f"(broadband/transport/services) and scaled to 0-100. Method and direction checks are below.")
    wards = result.wards.set_index("ward_code")
    values = db.run("area_values_for_indicator", indicator_id=gap.INDEX_ID, level="ward", district_code=district_code)
    values = values.assign(value=values.area_code.map(wards[gap.INDEX_ID]),
                           kent_rank=values.area_code.map(wards["rank"]),
                           kent_areas_ranked=int(wards["rank"].notna().sum()))
    values = values.sort_values(["kent_rank", "area_name"], na_position="last").reset_index(drop=True)
    return _classified_layer(row, "ward", district_code, values, scheme, [])


def share_with_margin(share: float, margin: float) -> str:
    """A worst-ten share and its 95% margin in percentage points, e.g. "83.4% ± 0.4"."""
    return f"{100 * share:.1f}% ± {100 * margin:.1f}"


def gap_stability_text(result: gap.GapResult) -> str:
    """What the rank bands vary and what they leave alone, for the /gap page."""
    return (f"Each of the three component weights (broadband, transport, services) was multiplied by a factor between "
            f"{1 - gap.WEIGHT_SPREAD:g} and {1 + gap.WEIGHT_SPREAD:g}, in {result.draws:,} combinations spread evenly over "
            f"that range (seed {result.seed}). The bands do not vary the inputs' own weights within a component, nor the "
            "data. The bar is the range of Kent ranks a ward takes in the middle 90% of those weightings; the dot is its "
            f"rank at your weights. A short bar is a rank you can lean on. A ward's share of weightings in Kent's worst "
            f"{gap.WORST} is given with its 95% margin; with another seed the shares move by about that much.")


def gap_table(result: gap.GapResult, district_code: str | None) -> pd.DataFrame:
    """The ranked table people read: index, components, rank with its band, worst-ten share, need."""
    rows = result.in_district(district_code)
    out_of = int(result.wards["rank"].notna().sum())

    def number(value, decimals=1):
        return NO_DATA if pd.isna(value) else f"{value:.{decimals}f}"

    return pd.DataFrame({
        "Ward code": rows.ward_code, "Ward": rows.ward_name, "District": rows.district_name,
        "Gap index (0-100)": [number(v) for v in rows[gap.INDEX_ID]],
        "Kent rank (1 = biggest gap)": [("" if pd.isna(r) else f"{int(r)} of {out_of}") for r in rows["rank"]],
        "Rank band (5th-95th percentile)": [("" if pd.isna(lo) else f"{int(lo)}-{int(hi)}")
                                            for lo, hi in zip(rows.band_low, rows.band_high)],
        f"In Kent's worst {gap.WORST} (share of weightings ± 95% margin)": [
            "" if pd.isna(v) else share_with_margin(v, m) for v, m in zip(rows.worst_ten_share, rows.worst_ten_margin)],
        **{f"{label} (0-100)": [number(v) for v in rows[f"{c}_gap"]] for c, label in GAP_COMPONENT_LABELS.items()},
        "Need (0-100)": [number(v) for v in rows.need_score],
        "Need x provision": rows.quadrant,
    })


def gap_download(result: gap.GapResult, district_code: str | None) -> bytes:
    """CSV of the index, its components, bands, need and every input value, with the method and sources."""
    rows = result.in_district(district_code)
    inputs = gap.ward_inputs()[list(dict.fromkeys(list(gap.load_components().indicator_id) + list(gap.NEED_INDICATORS)))]
    frame = rows.drop(columns=["band_widened"]).rename(columns={"rank": "kent_rank", "band_low": "rank_band_p05",
                                                                "band_high": "rank_band_p95"}).join(inputs, on="ward_code")
    catalogue_rows = db.run("indicator_catalogue").set_index("indicator_id")
    header = [
        "# Kent Locality Explorer: infrastructure-gap index. For finding places to look, not for setting targets.",
        f"# Weights broadband/transport/services = {'/'.join(map(str, result.weights.as_tuple()))} "
        f"({gap.PRESET_LABELS[result.weights.preset()]}); rank bands from {result.draws} weightings, seed {result.seed}, "
        f"each component weight times a factor in [{1 - gap.WEIGHT_SPREAD:g}, {1 + gap.WEIGHT_SPREAD:g}] "
        f"({gap.REPLICATES} scrambled Sobol' sequences); the inputs' own weights and the data are not varied. "
        "worst_ten_margin is the 95% margin of worst_ten_share.",
        "# gap_index, *_gap and need_score are 0-100 (Kent ward percentiles, 100 = biggest gap / most need). "
        "Missing values are left empty, never filled.",
    ] + [f"# {c}: {catalogue_rows.label[c]} ({catalogue_rows.unit[c]}); {catalogue_rows.vintage[c]}; "
         f"{catalogue_rows.attribution[c]}" for c in inputs.columns]
    buffer = io.StringIO()
    buffer.write("\n".join(header) + "\n")
    text.csv_safe(frame).to_csv(buffer, index=False, float_format="%.4f")
    return buffer.getvalue().encode("utf-8")


def benchmarks(indicator_id: str, district_code: str | None) -> pd.DataFrame:
    """The district's and Kent's values of an indicator."""
    return db.run("benchmarks_for_indicator", indicator_id=indicator_id, district_code=district_code)


def districts() -> pd.DataFrame:
    """The 12 districts with population and ward counts."""
    return db.run("district_choices")


def wards() -> pd.DataFrame:
    """All 255 wards with their districts."""
    return db.run("ward_choices")


def attributions() -> list[str]:
    """Every attribution line the data on these pages requires."""
    return db.run("source_attributions").attribution.tolist()


def find_postcode(postcode: str) -> dict | None:
    """The ward and district of a normalised Kent postcode, or None."""
    rows = db.run("postcode_area", postcode=postcode)
    return None if rows.empty else rows.iloc[0].to_dict()


# ------------------------------------------------------------------ findings

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


class UndatedFindingError(ValueError):
    """A finding sentence that does not say the date of its data."""


def check_dated(findings: list[dict]) -> list[dict]:
    """Every finding's sentence must state its data's year (the data rules); raises UndatedFindingError if not."""
    for finding in findings:
        if not _YEAR.search(finding["text"]):
            raise UndatedFindingError(f"finding without the date of its data: {finding['text']!r}")
    return findings


def district_findings(district_code: str) -> list[dict]:
    """Plain-English findings about a district's wards, each dated in its sentence, with its source and vintage."""
    findings = []
    imd = layer("imd_score", "ward", district_code, "quantiles")
    wards_here = imd.values
    n_wards = len(wards_here)
    kent_wards = int(wards_here.kent_areas_ranked.max())
    fifth = math.ceil(kent_wards / 5)
    imd_row, name = imd.indicator, districts().set_index("district_code").district_name[district_code]
    in_iod = catalogue.data_date(imd_row["vintage"])

    deprived = layer("imd_most_deprived_20pct", "ward", district_code, "quantiles").values
    majority = int((deprived.value >= 50).sum())
    findings.append({"text": f"{in_iod}, {majority} of {name}'s {n_wards} wards "
                             f"{'has most of its' if majority == 1 else 'have most of their'} residents in neighbourhoods among "
                             f"England's most deprived 20%.", "source": imd_row["publisher"], "vintage": imd_row["vintage"]})

    broadband = layer("digital_connectivity_score", "ward", district_code, "quantiles")
    both = set(wards_here[wards_here.kent_rank <= fifth].area_code) & set(
        broadband.values[broadband.values.kent_rank <= fifth].area_code)
    findings.append({"text": f"{in_iod}, {len(both)} of {name}'s {n_wards} wards "
                             f"{'is' if len(both) == 1 else 'are'} both in Kent's most deprived fifth of wards (IMD score) "
                             f"and in Kent's weakest fifth for broadband speeds (IoD digital connectivity).",
                     "source": imd_row["publisher"], "vintage": imd_row["vintage"]})

    worst = wards_here.iloc[0]
    place = catalogue.ordinal_phrase(int(worst.kent_rank), kent_wards, "most deprived", "least deprived")
    findings.append({"text": f"{in_iod}, {name}'s most deprived ward is {worst.area_name} "
                             f"(IMD score {format_value(worst.value, imd_row)}), {place} of Kent's {kent_wards} wards.",
                     "source": imd_row["publisher"], "vintage": imd_row["vintage"]})

    district_rank = layer("imd_score", "district", None, "quantiles").values.set_index("area_code").kent_rank[district_code]
    kent_imd = benchmarks("imd_score", district_code).set_index("level").value
    place = catalogue.ordinal_phrase(int(district_rank), 12, "most deprived", "least deprived")
    findings.append({"text": f"{in_iod}, {name}'s population-weighted IMD score is "
                             f"{format_value(kent_imd['district'], imd_row)} against {format_value(kent_imd['county'], imd_row)} "
                             f"for Kent: {place} of Kent's 12 districts.",
                     "source": imd_row["publisher"], "vintage": imd_row["vintage"]})

    bus = indicator("bus_stop_400m_pct")
    bus_values = benchmarks("bus_stop_400m_pct", district_code).set_index("level").value
    findings.append({"text": f"{catalogue.data_date(bus['vintage'])}, {format_value(bus_values['district'], bus)} of "
                             f"{name}'s postcodes were within 400 m of a bus stop (Kent: {format_value(bus_values['county'], bus)}).",
                     "source": bus["publisher"], "vintage": bus["vintage"]})

    gigabit = indicator("gigabit_pct_2021")
    gigabit_values = layer("gigabit_pct_2021", "district", None, "quantiles").values.set_index("area_code")
    # kent_rank 1 is the lowest coverage (higher is better)
    place = catalogue.ordinal_phrase(int(gigabit_values.kent_rank[district_code]), int(gigabit_values.kent_areas_ranked.max()),
                                     "lowest", "highest")
    findings.append({"text": f"{catalogue.data_date(gigabit['vintage'])}, gigabit-capable broadband reached "
                             f"{format_value(gigabit_values.value[district_code], gigabit)} of premises in {name}: "
                             f"{place} of Kent's 12 districts.",
                     "source": gigabit["publisher"], "vintage": gigabit["vintage"]})
    return check_dated(findings)


# ------------------------------------------------------------------ ward profiles

def ward_profiles(ward_codes: list[str]) -> dict[str, pd.DataFrame]:
    """For compared wards: fit to LSOAs, LSOAs inside, residents by national decile."""
    codes = list(ward_codes)
    fit = db.run("ward_fit_for_wards", ward_codes=codes)
    fit = fit.set_index("ward_code").loc[[c for c in codes if c in set(fit.ward_code)]].reset_index()  # order chosen
    return {"fit": fit,
            "lsoas": db.run("ward_lsoas", ward_codes=codes),
            "deciles": db.run("ward_decile_shares", ward_codes=codes)}


def ward_lsoa_table(lsoas: pd.DataFrame) -> pd.DataFrame:
    """The LSOAs inside a ward as people read them: residents and IMD score at the catalogue's precision."""
    population, imd = catalogue.indicator("population"), catalogue.indicator("imd_score")
    return pd.DataFrame({
        "LSOA code": lsoas.lsoa_code.values, "LSOA": lsoas.lsoa_name.values,
        "Residents (Census 2021)": [format_value(v, population, unit_style="none") for v in lsoas.population],
        "IMD 2025 score": [format_value(v, imd, unit_style="none") for v in lsoas.imd_score],
        "England decile (1 = most deprived)": ["" if pd.isna(d) else str(int(d)) for d in lsoas.imd_decile],
    })


def _value_or_reason(value, indicator_row: dict, level: str) -> str:
    """A formatted value, or where it is missing the true reason (e.g. "Published for districts only.")."""
    if not catalogue.is_missing(value):
        return format_value(value, indicator_row)
    reason = missing_reason({"n_postcodes": 1, "n_lsoas_with_value": 1}, indicator_row, level)
    return NO_DATA if reason == "Not published for this area." else reason


def compare_table(ward_codes: list[str]) -> pd.DataFrame:
    """Every catalogue indicator for the chosen wards beside their districts' and Kent's values."""
    rows = []
    ward_values = db.run("all_indicator_values_at_level", level="ward", district_code=None)
    ward_values = ward_values[ward_values.area_code.isin(ward_codes)]
    district_values = db.run("all_indicator_values_at_level", level="district", district_code=None)
    kent_values = db.run("kent_values_for_indicators").set_index("indicator_id").value
    wards_info = wards().set_index("ward_code")
    for row in catalogue.load().itertuples():
        entry = {"Indicator": row.label, "Unit": row.unit, "Vintage": row.vintage}
        for code in ward_codes:
            match = ward_values[(ward_values.area_code == code) & (ward_values.indicator_id == row.indicator_id)].value
            entry[wards_info.ward_name[code]] = _value_or_reason(match.iloc[0] if len(match) else None, row._asdict(), "ward")
        for district_code in dict.fromkeys(wards_info.district_code[code] for code in ward_codes):
            match = district_values[(district_values.area_code == district_code) &
                                    (district_values.indicator_id == row.indicator_id)].value
            entry[f"{wards_info.district_name[wards_info.district_code == district_code].iloc[0]} (district)"] = \
                _value_or_reason(match.iloc[0] if len(match) else None, row._asdict(), "district")
        entry["Kent"] = _value_or_reason(kent_values.get(row.indicator_id), row._asdict(), "county")
        rows.append(entry)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ downloads

def indicators_at_level(level: str) -> list[str]:
    """Catalogue indicators (menu order) that have values at a level."""
    present = set(db.run("all_indicator_values_at_level", level=level, district_code=None).indicator_id)
    return [i for i in catalogue.load().index if i in present]


def download_frame(level: str, district_code: str | None) -> pd.DataFrame:
    """All indicators for a level, wide, with codes, names, and one column per indicator."""
    long = db.run("all_indicator_values_at_level", level=level, district_code=district_code)
    wide = long.pivot_table(index=["area_code", "area_name", "district_code", "district_name"], columns="indicator_id",
                            values="value", aggfunc="first").reset_index()
    ordered = [i for i in catalogue.load().index if i in wide.columns]
    return wide[["area_code", "area_name", "district_code", "district_name"] + ordered]


@dataclass
class PlannerTable:
    """/data's table: readable columns, values at the catalogue's precision, a Kent rank, filtered and sorted."""

    frame: pd.DataFrame  # the rows that pass every filter, best ranked first
    formats: dict[str, str]  # column -> printf format at the catalogue's decimals
    columns: list[dict]  # per column: CSVW name, title, datatype and provenance
    total: int  # areas before filtering
    description: str  # what the filters keep, in words
    slug: str  # a file name stem that says what was filtered
    level: str
    district_code: str | None

    def geojson(self) -> bytes:
        """The kept areas as GeoJSON (every measure, codes as properties), with vintages and attribution."""
        frame = download_frame(self.level, self.district_code)
        return geojson_download(frame[frame.area_code.isin(set(self.frame.iloc[:, 0]))], self.level, self.district_code)

    def csv(self) -> bytes:
        """The rows as a CSV that opens cleanly in a spreadsheet: one header row, then data; provenance is in
        the companion CSVW metadata (``csvw``)."""
        return self.frame.to_csv(index=False).encode("utf-8")

    def csvw(self, generated_on: str) -> bytes:
        """W3C CSV on the Web metadata for ``csv()``: each column's title, type, unit, vintage, method, source and
        licence, the filters applied and the attribution lines."""
        metadata = {
            "@context": "http://www.w3.org/ns/csvw",
            "url": f"{self.slug}.csv",
            "dc:title": f"Kent Locality Explorer: {self.description}",
            "dc:created": generated_on,
            "dc:description": "Values at the publisher's precision. Missing values are empty, never filled. "
                              "Kent ranks are among all of Kent's areas at this level.",
            "dc:rights": attributions(),
            "tableSchema": {"columns": self.columns, "primaryKey": self.columns[0]["name"]},
        }
        return json.dumps(metadata, indent=2, ensure_ascii=False).encode("utf-8")


def fifth_words(fifth: int, row: dict, level: str) -> str:
    """'in Kent's most deprived fifth of wards by …' (neutral measures by size: 'largest fifth')."""
    worst, best = catalogue.rank_words(row)
    areas = f"{LEVEL_NOUN[level].split(' ')[0]}s"
    if fifth in (1, 5):
        return f"in Kent's {worst if fifth == 1 else best} fifth of {areas} by {row['label']}"
    return f"in the {catalogue.ordinal(fifth)} fifth of Kent's {areas} by {row['label']}, counting from the {worst}"


def planner_table(level: str, district_code: str | None, rank_by: str, fifth: int | None = None,
                  rank_max: int | None = None, value_filters=()) -> PlannerTable:
    """Every indicator for one level's areas (optionally one district) with their Kent rank by ``rank_by``, kept by
    Kent fifth, rank and value filters (each must hold; an area missing a filtered value is left out)."""
    wide = download_frame(level, district_code)
    rows = db.run("indicator_catalogue").set_index("indicator_id")
    ranked = db.run("area_values_for_indicator", indicator_id=rank_by, level=level, district_code=None)
    ranks = dict(zip(ranked.area_code, ranked.kent_rank))
    out_of = int(ranked.kent_areas_ranked.max() or 0)
    rank_row = rows.loc[rank_by].to_dict() | {"indicator_id": rank_by}
    noun = LEVEL_NOUN[level].capitalize()
    rank_title = f"Kent rank by {rank_row['label']} (1 = {catalogue.rank_words(rank_row)[0]}, of {out_of})"
    frame = pd.DataFrame({f"{noun} code": wide.area_code, noun: wide.area_name})
    columns = [{"name": f"{level}_code", "titles": f"{noun} code", "datatype": "string", "required": True},
               {"name": f"{level}_name", "titles": noun, "datatype": "string"}]
    if level != "district":
        frame["District"] = wide.district_name
        columns.append({"name": "district_name", "titles": "District", "datatype": "string"})
    frame[rank_title] = pd.array([ranks.get(c) for c in wide.area_code], dtype="Int64")
    columns.append({"name": f"kent_rank_{rank_by}", "titles": rank_title, "datatype": "integer",
                    "dc:description": f"Rank among Kent's {out_of} {LEVEL_NOUN[level].split(' ')[0]}s with a value; "
                                      "ties share the best rank."})
    formats = {rank_title: "%d"}
    keep = pd.Series(True, index=wide.index)
    words = []
    if fifth:
        keep &= frame[rank_title].map(lambda r: not pd.isna(r) and math.ceil(5 * r / out_of) == fifth).astype(bool)
        words.append(fifth_words(fifth, rank_row, level))
    if rank_max:
        keep &= frame[rank_title].fillna(out_of + 1) <= rank_max
        words.append(f"ranked {rank_max} or better in Kent")
    filters = {indicator_id: (low, high) for indicator_id, low, high in value_filters}
    for indicator_id in [i for i in wide.columns if i in rows.index]:
        row = rows.loc[indicator_id]
        title = catalogue.heading(row.to_dict())
        values = wide[indicator_id].astype(float).round(int(row.decimals))
        frame[title] = values.astype("Int64") if int(row.decimals) == 0 else values
        formats[title] = "localized" if int(row.decimals) == 0 else f"%.{int(row.decimals)}f"  # 0 dp: 1,576,128
        columns.append({"name": indicator_id, "titles": title, "datatype": "number",
                        "schema:unitText": row.unit, "schema:temporalCoverage": row.vintage,
                        "dc:description": row.method + (f" Caveat: {row.caveat}" if row.caveat else ""),
                        "dc:source": f"{row.publisher}, {row.source_title}", "dc:license": row.licence})
        if indicator_id in filters:
            low, high = filters[indicator_id]
            keep &= values.notna() & (values >= (low if low is not None else -math.inf)) & \
                (values <= (high if high is not None else math.inf))
            shown = lambda v: format_value(v, row.to_dict())  # noqa: E731
            words.append(f"{row.label} " + (
                f"from {shown(low)} to {shown(high)}" if low is not None and high is not None else
                f"at least {shown(low)}" if low is not None else f"at most {shown(high)}"))
    place = "Kent" if district_code is None else wide.district_name.iloc[0] if len(wide) else district_code
    description = f"{url_levels(level)} in {place}" + (", " + "; ".join(words) if words else "")
    kept = frame[keep.values].sort_values([rank_title, noun], na_position="last").reset_index(drop=True)
    slug_parts = ["kent", f"{level}s"] + ([_slug(place)] if district_code else []) + [f"by-{rank_by}"]
    slug_parts += ([f"fifth-{fifth}"] if fifth else []) + ([f"rank-max-{rank_max}"] if rank_max else [])
    for indicator_id, low, high in value_filters:
        slug_parts.append("-".join([indicator_id] + ([f"min-{low:g}"] if low is not None else [])
                                   + ([f"max-{high:g}"] if high is not None else [])))
    return PlannerTable(kept, formats, columns, len(frame), description, "-".join(slug_parts), level, district_code)


def url_levels(level: str) -> str:
    """'Wards', 'Districts', 'Neighbourhoods (LSOAs)'."""
    return {"district": "Districts", "ward": "Wards", "lsoa": "Neighbourhoods (LSOAs)"}[level]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(text).lower()).strip("-")


def csv_download(frame: pd.DataFrame) -> bytes:
    """CSV of a download frame, with a second table of each column's label, unit, vintage and source."""
    rows = db.run("indicator_catalogue").set_index("indicator_id")
    provenance = "\n".join(
        f"# {c}: {rows.label[c]} ({rows.unit[c]}); {rows.vintage[c]}; {rows.attribution[c]}" for c in frame.columns if c in rows.index)
    buffer = io.StringIO()
    buffer.write(f"# Kent Locality Explorer download. Missing values are left empty, never filled.\n{provenance}\n")
    text.csv_safe(frame).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def geojson_download(frame: pd.DataFrame, level: str, district_code: str | None) -> bytes:
    """GeoJSON of a download frame on the simplified boundaries, with vintages and attribution in its metadata."""
    geometry = db.run("area_values_for_indicator", indicator_id="population", level=level, district_code=district_code)
    shapes = dict(zip(geometry.area_code, geometry.web_geojson))
    rows = db.run("indicator_catalogue").set_index("indicator_id")
    features = []
    for record in frame.to_dict(orient="records"):
        properties = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        features.append({"type": "Feature", "properties": properties, "geometry": json.loads(shapes[record["area_code"]])})
    metadata = {"indicators": {c: {"label": rows.label[c], "unit": rows.unit[c], "vintage": rows.vintage[c],
                                   "method": rows.method[c]} for c in frame.columns if c in rows.index},
                "attribution": attributions(), "county_code": KENT_CODE,
                "geometry": "Generalised boundaries simplified for the web (shared edges kept)."}
    return json.dumps({"type": "FeatureCollection", "metadata": metadata, "features": features}).encode("utf-8")


# The district-against-Kent overview: each theme's measures, the first of each drawn as a small ward map.
OVERVIEW = (
    ("Deprivation", ("imd_score", "imd_most_deprived_20pct")),
    ("Broadband", ("digital_connectivity_score", "gigabit_pct_2021")),
    ("Transport", ("transport_connectivity_score", "bus_stop_400m_pct")),
    ("Access to services", ("patient_to_gp_ratio",)),
    ("Infrastructure gap", ("gap_index",)),
)


def _coloured_features(shown: Layer, keyed: bool) -> tuple[list[dict], list[dict]]:
    """A layer's features with their class colours (and, keyed, their row number in the table), and its classes."""
    colours = maps.class_colours(shown.indicator, shown.classification)
    label_points = dict(zip(shown.values.area_code, zip(shown.values.label_lon, shown.values.label_lat)))
    features = [dict(feature, class_index=c, colour=(colours[c] if c is not None else "#bdbdbd"),
                     label_lon=label_points[feature["area_code"]][0], label_lat=label_points[feature["area_code"]][1],
                     **({"key": i + 1} if keyed else {}))
                for i, (feature, c) in enumerate(zip(shown.features, shown.classification.classes))]
    classes = [{"label": label, "colour": colour} for label, colour in zip(shown.classification.labels, colours)]
    return features, classes


def district_overview(district_code: str) -> list[dict]:
    """The district against Kent on every theme: value, Kent value, rank among the 12 districts, a small ward map."""
    kent_values = db.run("kent_values_for_indicators").set_index("indicator_id").value
    items = []
    for theme, indicator_ids in OVERVIEW:
        for i, indicator_id in enumerate(indicator_ids):
            by_district = layer(indicator_id, "district", None, "quantiles").values.set_index("area_code")
            row = by_district.loc[district_code]
            item = {"theme": theme, "indicator": indicator(indicator_id),
                    "district_value": None if pd.isna(row.value) else float(row.value),
                    "kent_value": kent_values.get(indicator_id),
                    "district_rank": None if pd.isna(row.kent_rank) else int(row.kent_rank),
                    "rank_of": int(row.kent_areas_ranked)}
            if i == 0:  # the theme's map: its first measure by ward (district-only measures show Kent's districts)
                small = layer(indicator_id, "ward", district_code, "quantiles")
                if small.level == "district":
                    small = layer(indicator_id, "district", None, "quantiles")
                    item["highlight"] = district_code
                item["features"], item["classes"] = _coloured_features(small, keyed=False)
                noun = "district, Kent" if small.level == "district" else f"ward, {row.area_name}"
                item["map_title"] = f"Small map: {small.indicator['label']} ({small.indicator['vintage']}) by {noun}"
            items.append(item)
    return items


def board_pack_inputs(shown: Layer, findings: list[dict], generated_on: str) -> dict:
    """Arguments for geo.boardpack.board_pack_html from a district page's layer and its findings.

    An indicator published for districts only is shown in its Kent context: all 12 districts, this one outlined.
    """
    district_code = shown.district_code
    district_row = districts().set_index("district_code").loc[district_code]
    if shown.level == "district":
        shown = layer(shown.indicator["indicator_id"], "district", None, shown.classification.scheme or "quantiles")
    features, classes = _coloured_features(shown, keyed=shown.level != "district")
    if shown.classification.has_missing:
        classes.append({"label": maps.NO_DATA, "colour": "#bdbdbd"})
    kent_value = db.run("kent_values_for_indicators").set_index("indicator_id").value.get(shown.indicator["indicator_id"])
    kent_text = (format_value(kent_value, shown.indicator) if kent_value is not None
                 else catalogue.unpublished_reason(shown.indicator, "county"))
    table = shown.table()
    table = table.loc[:, ~table.columns.duplicated()]  # at district level the name column is "District" twice
    value_column = f"{shown.indicator['label']} ({shown.indicator['unit']})"
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
    }


# ------------------------------------------------------------------ gap charts (Vega-Lite specs for st.vega_lite_chart)

def gap_band_chart(result: gap.GapResult, district_code: str | None, top: int = 25) -> tuple[pd.DataFrame, dict]:
    """Each ward's rank at the chosen weights (point) and its 5th-95th percentile band (bar): a district's
    wards, or Kent's `top` biggest gaps."""
    rows = result.in_district(district_code).dropna(subset=["rank"])
    rows = rows if district_code else rows.head(top)
    data = rows.assign(ward=rows.ward_name if district_code else rows.ward_name + " (" + rows.district_name + ")",
                       worst_ten_pct=(100 * rows.worst_ten_share).round(0))
    order = list(data.ward)
    encoding_y = {"field": "ward", "type": "nominal", "sort": order, "title": None,
                  "axis": {"labelLimit": 320, "labelOverlap": False}}
    tooltip = [{"field": "ward", "title": "Ward"}, {"field": "rank", "title": "Kent rank"},
               {"field": "band_low", "title": "Band from"}, {"field": "band_high", "title": "Band to"},
               {"field": "worst_ten_pct", "title": f"% of weightings in worst {gap.WORST}"}]
    spec = {
        "height": {"step": 22},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 6, "color": "#94c4df"},
             "encoding": {"y": encoding_y, "x": {"field": "band_low", "type": "quantitative", "title": "Kent rank (1 = biggest gap)",
                                                 "scale": {"reverse": False, "zero": False}},
                          "x2": {"field": "band_high"}, "tooltip": tooltip}},
            {"mark": {"type": "point", "filled": True, "size": 60, "color": "#08306b"},
             "encoding": {"y": encoding_y, "x": {"field": "rank", "type": "quantitative"}, "tooltip": tooltip}},
        ],
    }
    return data[["ward", "rank", "band_low", "band_high", "worst_ten_pct"]], spec


def need_provision_chart(result: gap.GapResult, district_code: str | None, labelled: int = 10) -> tuple[pd.DataFrame, dict]:
    """Gap index against need for Kent's wards, quadrants split at Kent's medians, the chosen district's
    wards highlighted and the highest need-and-gap wards labelled."""
    wards = result.wards.dropna(subset=[gap.INDEX_ID, "need_score"])
    shown = wards.district_code == district_code if district_code else pd.Series(True, index=wards.index)
    both = (wards[gap.INDEX_ID].rank(pct=True) + wards.need_score.rank(pct=True)).where(shown)
    data = wards.assign(group=shown.map({True: "Wards shown", False: "Other Kent wards"}),
                        label=wards.ward_name.where(both.rank(ascending=False) <= labelled, ""),
                        gap=wards[gap.INDEX_ID].round(1), need=wards.need_score.round(1))
    need_median, gap_median = float(wards.need_score.median()), float(wards[gap.INDEX_ID].median())
    x = {"field": "need", "type": "quantitative", "title": "Need: income and employment deprivation (Kent percentile, 0-100)",
         "scale": {"domain": [0, 100]}}
    y = {"field": "gap", "type": "quantitative", "title": "Infrastructure gap index (0-100)", "scale": {"domain": [0, 100]}}
    corners = pd.DataFrame([
        {"need": 99, "gap": 97, "text": "Higher need, bigger gap", "align": "right"},
        {"need": 1, "gap": 97, "text": "Lower need, bigger gap", "align": "left"},
        {"need": 99, "gap": 3, "text": "Higher need, smaller gap", "align": "right"},
        {"need": 1, "gap": 3, "text": "Lower need, smaller gap", "align": "left"},
    ])
    spec = {
        "height": 460,
        "layer": [
            {"mark": {"type": "rule", "color": "#6e6e6e", "strokeDash": [4, 4]}, "data": {"values": [{"need": need_median}]},
             "encoding": {"x": {"field": "need", "type": "quantitative"}}},
            {"mark": {"type": "rule", "color": "#6e6e6e", "strokeDash": [4, 4]}, "data": {"values": [{"gap": gap_median}]},
             "encoding": {"y": {"field": "gap", "type": "quantitative"}}},
            {"mark": {"type": "text", "fontWeight": "bold", "color": "#4a4b57", "baseline": "middle"},
             "data": {"values": corners.to_dict(orient="records")},
             "encoding": {"x": {"field": "need", "type": "quantitative"}, "y": {"field": "gap", "type": "quantitative"},
                          "text": {"field": "text"}, "align": {"field": "align"}}},
            {"mark": {"type": "point", "filled": True, "size": 45},
             "encoding": {"x": x, "y": y,
                          "color": {"field": "group", "type": "nominal", "title": None, "legend": {"orient": "bottom"},
                                    "scale": {"domain": ["Wards shown", "Other Kent wards"], "range": ["#08306b", "#bdbdbd"]}},
                          "order": {"field": "group", "sort": "descending"},
                          "tooltip": [{"field": "ward_name", "title": "Ward"}, {"field": "district_name", "title": "District"},
                                      {"field": "gap", "title": "Gap index"}, {"field": "need", "title": "Need"},
                                      {"field": "quadrant", "title": "Quadrant"}]}},
            {"mark": {"type": "text", "dx": 6, "align": "left", "fontSize": 11, "color": "#1a1a1a"},
             "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
        ],
    }
    return data[["ward_name", "district_name", "need", "gap", "quadrant", "group", "label"]], spec


def gap_method_table(result: gap.GapResult) -> pd.DataFrame:
    """Every input of the index: its component, direction, source and the data check of that direction."""
    catalogue_rows = db.run("indicator_catalogue").set_index("indicator_id")
    checks = result.checks  # one row per input, in the components file's order
    components = gap.load_components()
    totals = components.groupby("component").input_weight.transform("sum")
    return pd.DataFrame({
        "Component": checks.component.map(GAP_COMPONENT_LABELS),
        "Input": checks.indicator_id.map(catalogue_rows.label),
        "Source": [f"{catalogue_rows.publisher[i]}, {catalogue_rows.vintage[i]}" for i in checks.indicator_id],
        "Bigger gap when the value is": checks.gap_when,
        "Share of the component": [f"{share:.0%}" for share in components.input_weight / totals],
        "Direction checked against (Spearman across Kent's wards)": [
            "Definition" if not c else f"{catalogue_rows.label[c]}: {rho:+.2f} (expected {expected})"
            for c, rho, expected in zip(checks.check_indicator, checks.spearman, checks.expected)],
        "Why": checks.why,
    })


GAP_BROADBAND_CONTEXT = ("gigabit_pct_2021", "superfast_pct_2021", "below_uso_pct_2021")


def gap_broadband_context(district_code: str | None) -> str:
    """Ofcom's district coverage beside the broadband gap: one sentence, with vintage and source."""
    parts = []
    for indicator_id in GAP_BROADBAND_CONTEXT:
        row = indicator(indicator_id)
        values = layer(indicator_id, "district", None, "quantiles").values.set_index("area_code").value
        label = row["label"][0].lower() + row["label"][1:]
        if district_code:
            parts.append(f"{label}: {format_value(values[district_code], row)}")
        else:
            parts.append(f"{label}: {format_value(values.min(), row)} to {format_value(values.max(), row)} across the 12 districts")
    row = indicator(GAP_BROADBAND_CONTEXT[0])
    return f"Broadband context ({row['vintage']}, by district, not part of the index): " + "; ".join(parts) + "."
