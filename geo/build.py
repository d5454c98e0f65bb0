"""`python -m geo build`: read the mirror, validate it, and write the DuckDB warehouse.

Stages run in order; nothing is written until every input has been read and checked, and
the new database is built in a temporary file that replaces the old one only once it has
passed its own data checks. A failure leaves any existing database exactly as it was.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from geo import catalogue as indicator_catalogue
from geo import db, embed, gap, history
from geo.boundaries import (BRITISH_NATIONAL_GRID, SimplificationReport, WebCoverage, geometry_json, subset_topology,
                            topology_json, web_coverage)
from geo.config import KENT_CODE, KENT_NAME, database_path, data_dir as default_data_dir, spatial_extension_path
from geo.db import read_sql
from geo.inputs import Inputs, read_inputs
from geo.places import build_places, district_disagreements
from geo.sources import sha256_of
from geo.transport import match_orr_stations, postcode_access, rail_stations_from_naptan

KENT_RESIDENTS_CENSUS_2021 = 1_576_128
EXPECTED_AREAS = {"district": 12, "ward": 255, "lsoa": 938, "lsoa11": 902, "constituency": 15}
# A ward is flagged as an approximation when its best-fit LSOAs and its boundary differ by more than this.
APPROXIMATION_THRESHOLD_PCT = 90.0


class BuildCheckError(Exception):
    """The database was built but failed a data check, so it was not put in service."""


@dataclass
class Progress:
    """Numbered stage lines with elapsed time, on stderr."""

    total: int
    stream: object = sys.stderr
    started: float = field(default_factory=time.perf_counter)
    step: int = 0

    def stage(self, name: str) -> None:
        """Announce the next stage."""
        self.step += 1
        print(f"[{self.step}/{self.total}] {name} ({time.perf_counter() - self.started:5.1f} s)", file=self.stream, flush=True)

    def detail(self, message: str) -> None:
        """A line under the current stage."""
        print(f"      {message}", file=self.stream, flush=True)


@dataclass
class BuildReport:
    """What a build produced, for the terminal and the issue notes."""

    database: Path
    seconds: float
    database_bytes: int
    simplification: list[SimplificationReport]
    counts: dict[str, int]
    embed: embed.EmbedReport | None = None


# ---------------------------------------------------------------- boundaries

def _boundary_frames(inputs: Inputs) -> dict[str, gpd.GeoDataFrame]:
    """Each level's polygons with the project's column names."""
    lsoa_district = inputs["lsoa21_ward_lookup"].set_index("lsoa21_code").ltla24_code
    return {
        "district": inputs["districts_lad25"].rename(columns={"LAD25CD": "district_code", "LAD25NM": "district_name"})[
            ["district_code", "district_name", "geometry"]],
        "ward": inputs["wards_wd25"].rename(columns={"WD25CD": "ward_code", "WD25NM": "ward_name", "LAD25CD": "district_code"})[
            ["ward_code", "ward_name", "district_code", "geometry"]],
        "lsoa21": inputs["lsoa21_boundaries"].assign(district_code=lambda f: f.LSOA21CD.map(lsoa_district)).rename(
            columns={"LSOA21CD": "lsoa_code", "LSOA21NM": "lsoa_name"})[["lsoa_code", "lsoa_name", "district_code", "geometry"]],
        "lsoa11": inputs["lsoa11_boundaries"].rename(columns={"LSOA11CD": "lsoa11_code", "LSOA11NM": "lsoa11_name",
                                                              "LAD_FILE": "district_code"})[
            ["lsoa11_code", "lsoa11_name", "district_code", "geometry"]],
        "constituency": inputs["pcon21_boundaries"].rename(columns={"PCON21CD": "constituency_code", "PCON21NM": "constituency_name"})[
            ["constituency_code", "constituency_name", "geometry"]],
    }


def _web_ready(frames: dict[str, gpd.GeoDataFrame], progress: Progress) -> tuple[dict[str, pd.DataFrame], dict[str, WebCoverage]]:
    """Per level: full geometry as WKB, web GeoJSON (the browser's TopoJSON decoded), a label point, and area."""
    tables, coverages = {}, {}
    for level in ("district", "ward", "lsoa21", "lsoa11", "constituency"):
        frame = frames[level]
        coverages[level] = web = web_coverage(frame, frame.columns[0], level)
        report = web.report
        progress.detail(f"{level}: {report.areas} areas, {report.vertices_before:,} -> {report.vertices_after:,} vertices, "
                        f"GeoJSON {report.geojson_bytes_before / 1e3:,.0f} -> {report.geojson_bytes_after / 1e3:,.0f} KB, "
                        f"TopoJSON {report.topojson_bytes / 1e3:,.0f} KB, "
                        f"Hausdorff median {report.hausdorff_median_m} m, max {report.hausdorff_max_m} m, "
                        f"overlap {report.overlap_area_m2} m², gaps {report.gap_area_m2} m²")
        label_points = shapely.point_on_surface(frame.geometry.values)
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["area_km2"] = (frame.to_crs(BRITISH_NATIONAL_GRID).area / 1e6).round(3).to_numpy()
        table["label_lon"] = shapely.get_x(label_points).round(6)
        table["label_lat"] = shapely.get_y(label_points).round(6)
        table["geometry_wkb"] = shapely.to_wkb(frame.geometry.values)
        table["web_geojson"] = [geometry_json(g) for g in web.geometries]
        tables[level] = table
    return tables, coverages


def _map_topologies(frames: dict[str, gpd.GeoDataFrame], coverages: dict[str, WebCoverage]) -> pd.DataFrame:
    """The TopoJSON each map sends: per map level, all of Kent (district_code null) and each district alone."""
    rows = []
    for map_level, level in (("district", "district"), ("ward", "ward"), ("lsoa", "lsoa21")):
        frame, kent = frames[level], coverages[level].topology
        for district_code, codes in [(None, frame[frame.columns[0]])] + list(frame.groupby("district_code")[frame.columns[0]]):
            topology = kent if district_code is None else subset_topology(kent, codes)
            west, south, east, north = topology["bbox"]
            text = topology_json(topology)
            rows.append({"level": map_level, "district_code": district_code,
                         "area_codes": [g["id"] for g in topology["objects"]["areas"]["geometries"]],
                         "west": west, "south": south, "east": east, "north": north,
                         "topojson_bytes": len(text), "topojson": text})
    return pd.DataFrame(rows)


def _ward_fit(frames: dict[str, gpd.GeoDataFrame], lsoa_geography: pd.DataFrame) -> pd.DataFrame:
    """How well each ward's best-fit LSOAs match its boundary, in area terms."""
    wards = frames["ward"].to_crs(BRITISH_NATIONAL_GRID).set_index("ward_code")
    lsoas = frames["lsoa21"].to_crs(BRITISH_NATIONAL_GRID).set_index("lsoa_code")
    rows = []
    for ward_code, members in lsoa_geography.groupby("ward_code").lsoa_code:
        ward_shape = wards.geometry[ward_code]
        lsoa_union = shapely.union_all(lsoas.geometry[members.to_list()].values)
        shared = shapely.intersection(ward_shape, lsoa_union).area
        lsoa_inside = 100 * shared / lsoa_union.area
        ward_covered = 100 * shared / ward_shape.area
        rows.append({"ward_code": ward_code, "n_lsoas": len(members),
                     "lsoa_area_inside_ward_pct": round(lsoa_inside, 1),
                     "ward_area_covered_pct": round(ward_covered, 1),
                     "is_approximate": bool(min(lsoa_inside, ward_covered) < APPROXIMATION_THRESHOLD_PCT)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- indicator values

def _lsoa_population(inputs: Inputs) -> pd.DataFrame:
    census = inputs["census2021_population"]
    return census.groupby("lsoa21_code", as_index=False).usual_residents.sum().rename(
        columns={"lsoa21_code": "lsoa_code", "usual_residents": "population"})


def _lsoa11_carried_to_lsoa21(values: pd.DataFrame, bridge: pd.DataFrame) -> pd.DataFrame:
    """LSOA 2011 values on 2021 LSOAs: unchanged and split LSOAs take their parent's value;
    merged LSOAs take the unweighted mean of their parents (no 2011 populations in the mirror)."""
    joined = bridge[["lsoa11_code", "lsoa21_code"]].merge(values, on="lsoa11_code", how="left")
    return joined.groupby("lsoa21_code", as_index=False).value.mean(numeric_only=True).rename(columns={"lsoa21_code": "lsoa_code"})


def _lsoa_values(inputs: Inputs, catalogue: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Long table (indicator_id, lsoa_code, value) of every LSOA-based indicator on 2021 LSOAs."""
    key_of = {"iod2025_domains": "lsoa21_code", "iod2025_subdomains": "lsoa21_code", "iod2025_indicators": "lsoa21_code",
              "iod2019_scores": "lsoa_code", "iod2019_indicators": "lsoa11_code"}
    parts = []
    for row in catalogue.itertuples():
        if row.geography not in ("lsoa21", "lsoa11"):
            continue
        if row.aggregation == "population_sum":
            values = population.rename(columns={"population": "value"})
        else:
            source = inputs[row.source_id]
            values = pd.DataFrame({"lsoa_code": source[key_of[row.source_id]], "value": source[row.source_column]})
            if row.aggregation.startswith("population_share_decile"):
                worst_decile = 2 if row.aggregation.endswith("1_2") else 1
                values["value"] = (values.value <= worst_decile).astype(float) * 100
            if row.geography == "lsoa11":
                values = _lsoa11_carried_to_lsoa21(values.rename(columns={"lsoa_code": "lsoa11_code"}), inputs["lsoa11_lsoa21_lookup"])
        parts.append(values.assign(indicator_id=row.indicator_id)[["indicator_id", "lsoa_code", "value"]])
    return pd.concat(parts, ignore_index=True)


def _lsoa_deciles(inputs: Inputs, catalogue: pd.DataFrame) -> pd.DataFrame:
    """England's published decile of each IoD 2025 measure per LSOA, for national-decile map classes."""
    parts = []
    for row in catalogue[catalogue.decile_column != ""].itertuples():
        source = inputs[row.source_id]
        parts.append(pd.DataFrame({"indicator_id": row.indicator_id, "lsoa_code": source.lsoa21_code,
                                   "decile": source[row.decile_column].astype(int)}))
    return pd.concat(parts, ignore_index=True)


def _native_values(inputs: Inputs, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Indicators published only at ward or district level, as published."""
    key_of = {"ofcom_district_202105": "laua", "ofcom_postcode_2013_ward": "WD25CD"}
    parts = []
    for row in catalogue[catalogue.aggregation == "none"].itertuples():
        source = inputs[row.source_id]
        parts.append(pd.DataFrame({"indicator_id": row.indicator_id, "level": row.geography,
                                   "area_code": source[key_of[row.source_id]], "value": source[row.source_column]}))
    return pd.concat(parts, ignore_index=True)


def _postcode_values(access: pd.DataFrame, postcode_geography: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Long table of the postcode-based indicators, with each postcode's LSOA, ward and district."""
    parts = []
    for row in catalogue[catalogue.geography == "postcode"].itertuples():
        parts.append(postcode_geography.assign(indicator_id=row.indicator_id, aggregation=row.aggregation,
                                               value=access[row.source_column].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _check_postcodes_in_one_lsoa(postcode_lsoa: pd.DataFrame) -> None:
    """Every LSOA that contains live postcodes gets them: no postcode may fall in two LSOA polygons (an invalid
    polygon whose hole is read as part of it swallows its neighbour's postcodes)."""
    doubled = postcode_lsoa[postcode_lsoa.n_lsoas_containing > 1]
    if len(doubled):
        raise BuildCheckError(f"{len(doubled)} postcodes lie in more than one LSOA polygon, e.g. {doubled.postcode.iloc[0]}: "
                              "an LSOA boundary overlaps its neighbour")


def _report_stations(stations: pd.DataFrame, orr: pd.DataFrame, progress: Progress) -> None:
    """How the NaPTAN stations (used for distances) and ORR's (used for usage) match."""
    matched = stations.nlc.notna()
    outside = stations.station_name[~stations.in_kent].tolist()
    progress.detail(f"{len(stations)} rail stations from NaPTAN's active entrances (outside Kent: {', '.join(outside) or 'none'}); "
                    f"matched to ORR by name for usage: {matched.sum()} of {len(stations)} NaPTAN stations, "
                    f"{stations.nlc.dropna().nunique()} of {len(orr)} ORR stations; "
                    f"not in ORR: {', '.join(stations.station_name[~matched]) or 'none'}")
    unmatched_orr = sorted(set(orr.NLC) - set(stations.nlc.dropna()))
    if unmatched_orr:
        names = orr.set_index("NLC").loc[unmatched_orr, "name"]
        raise BuildCheckError(f"ORR stations with no active NaPTAN station of the same name: {', '.join(names)}")


def _report_postcode_geography(postcodes: pd.DataFrame, postcode_table: pd.DataFrame, lsoa_geography: pd.DataFrame,
                               progress: Progress) -> None:
    """How far geometry and the publisher's assignment disagree (wards, districts, and the geometric LSOA)."""
    other_ward = int((postcodes.WD25CD != postcodes.cpo_admin_ward).sum())
    other_district = int((postcodes.LAD25CD != postcodes.cpo_admin_district).sum())
    progress.detail(f"ward and district from Code-Point Open; point-in-polygon would have placed {other_ward} postcodes "
                    f"in another ward and {other_district} in another district")
    lsoa_of = postcode_table[["postcode", "ward_code", "district_code", "lsoa_code"]].merge(
        lsoa_geography.rename(columns={"ward_code": "lsoa_ward", "district_code": "lsoa_district"}), on="lsoa_code")
    progress.detail(f"geometric LSOA (Code-Point has none): {len(lsoa_of):,} postcodes placed; its best-fit ward is the "
                    f"postcode's own for {(lsoa_of.lsoa_ward == lsoa_of.ward_code).mean():.1%}; "
                    f"its district differs from the postcode's for {(lsoa_of.lsoa_district != lsoa_of.district_code).sum()}")


# ---------------------------------------------------------------- database

def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path))
    connection.execute(f"LOAD '{spatial_extension_path()}'")
    return connection


def _create_views(connection: duckdb.DuckDBPyConnection, catalogue: pd.DataFrame) -> None:
    """The documented contract: districts, wards, lsoas, indicators, postcodes (see README)."""
    # Column names come from the validated catalogue (lower_snake_case ids), never from user input.
    pivot = ",\n        ".join(
        f"max(value) filter (where indicator_id = '{indicator_id}') as {indicator_id}" for indicator_id in catalogue.index)
    for level, table, key, names in (("district", "district_boundaries", "district_code", "b.district_name"),
                                     ("ward", "ward_boundaries", "ward_code", "b.ward_name, b.district_code"),
                                     ("lsoa", "lsoa21_boundaries", "lsoa_code", "b.lsoa_name, g.ward_code, b.district_code")):
        view = {"district": "districts", "ward": "wards", "lsoa": "lsoas"}[level]
        extra_join = "join lsoa_geography as g using (lsoa_code)" if level == "lsoa" else ""
        extra_cols = ", l.imd_decile" if level == "lsoa" else (
            ", f.n_lsoas, f.is_approximate" if level == "ward" else "")
        extra_from = ("left join lsoa_deciles as l using (lsoa_code)" if level == "lsoa" else
                      "left join ward_fit as f using (ward_code)" if level == "ward" else "")
        connection.execute(f"""
            create view {view} as
            with values_wide as (
                select area_code as {key},
                {pivot}
                from indicator_values where level = '{level}' group by area_code
            )
            select b.{key}, {names}{extra_cols}, v.* exclude ({key})
            from {table} as b {extra_join} {extra_from}
            left join values_wide as v using ({key})
        """)
    connection.execute("""
        create view indicators as
        select c.*, s.publisher, s.title as source_title, s.licence, s.attribution, s.official_url
        from indicator_catalogue as c join source_files as s using (source_id)
    """)
    connection.execute("""
        create view areas as
        select 'district' as level, district_code as area_code, district_name as area_name, district_code,
               web_geojson, label_lon, label_lat from district_boundaries
        union all
        select 'ward', ward_code, ward_name, district_code, web_geojson, label_lon, label_lat from ward_boundaries
        union all
        select 'lsoa', lsoa_code, lsoa_name, district_code, web_geojson, label_lon, label_lat from lsoa21_boundaries
    """)
    connection.execute("""
        create view postcodes as
        select postcode, ward_code, district_code, lsoa_code, lon, lat from postcode_table
    """)


def _write(path: Path, inputs: Inputs, progress: Progress) -> list[SimplificationReport]:
    catalogue = indicator_catalogue.load()
    catalogue_table = pd.DataFrame(catalogue).reset_index(drop=True)
    connection = _connect(path)
    try:
        progress.stage("web boundaries: shared arcs, simplified within 80 m, checked valid")
        frames = _boundary_frames(inputs)
        boundary_tables, coverages = _web_ready(frames, progress)
        reports = [web.report for web in coverages.values()]
        for level, table in boundary_tables.items():
            name = {"lsoa21": "lsoa21_boundaries", "lsoa11": "lsoa11_boundaries"}.get(level, f"{level}_boundaries")
            connection.register("frame", table)
            connection.execute(f"create table {name} as select * exclude (geometry_wkb), "
                               f"ST_GeomFromWKB(geometry_wkb) as geometry from frame")
            connection.unregister("frame")
        connection.register("frame", _map_topologies(frames, coverages))
        connection.execute("create table map_topology as select * from frame order by level, district_code nulls first")
        connection.unregister("frame")

        progress.stage("lookups and population")
        lookup = inputs["lsoa21_ward_lookup"]
        lsoa_geography = pd.DataFrame({"lsoa_code": lookup.lsoa21_code, "ward_code": lookup.ward24_code,
                                       "district_code": lookup.ltla24_code})
        population = _lsoa_population(inputs)
        deciles = inputs["iod2025_domains"][["lsoa21_code", "IMD_decile"]].rename(
            columns={"lsoa21_code": "lsoa_code", "IMD_decile": "imd_decile"}).astype({"imd_decile": int})
        bridge = inputs["lsoa11_lsoa21_lookup"][["lsoa11_code", "lsoa21_code", "change_code"]]
        ward_fit = _ward_fit(frames, lsoa_geography)
        for name, frame in {"lsoa_geography": lsoa_geography, "lsoa_population": population, "lsoa_deciles": deciles,
                            "lsoa11_lsoa21_lookup": bridge, "ward_fit": ward_fit,
                            "lsoa_indicator_deciles": _lsoa_deciles(inputs, catalogue),
                            "indicator_catalogue": catalogue_table}.items():
            connection.register("frame", frame)
            connection.execute(f"create table {name} as select * from frame")
            connection.unregister("frame")
        connection.execute("""
            create table ward_imd_decile_shares as
            select g.ward_code, d.imd_decile, sum(p.population) as population,
                   100.0 * sum(p.population) / sum(sum(p.population)) over (partition by g.ward_code) as share_pct
            from lsoa_geography g join lsoa_population p using (lsoa_code) join lsoa_deciles d using (lsoa_code)
            group by g.ward_code, d.imd_decile
        """)

        progress.stage("indicator values at LSOA, ward, district and Kent")
        lsoa_values = _lsoa_values(inputs, catalogue, population)
        connection.register("lsoa_values", lsoa_values)
        aggregated = connection.execute(read_sql("build/aggregate_lsoa_values"), {"county_code": KENT_CODE}).df()
        native = _native_values(inputs, catalogue)

        progress.stage("transport access from postcodes, stops and stations")
        postcodes = inputs["postcodes"]
        connection.register("postcode_points", postcodes[["postcode", "lon", "lat"]])
        postcode_lsoa = connection.execute(read_sql("build/postcode_lsoa")).df()
        connection.unregister("postcode_points")
        _check_postcodes_in_one_lsoa(postcode_lsoa)
        postcode_lsoa = postcode_lsoa.drop(columns="n_lsoas_containing")
        stations = match_orr_stations(rail_stations_from_naptan(inputs["naptan_stops"]), inputs["rail_stations"])
        _report_stations(stations, inputs["rail_stations"], progress)
        access = postcode_access(postcodes, inputs["naptan_stops"], stations)
        # A postcode's ward and district are the ones Code-Point Open assigns, not a point-in-polygon guess.
        postcode_table = postcodes[["postcode", "lon", "lat", "eastings", "northings"]].assign(
            ward_code=postcodes.cpo_admin_ward, district_code=postcodes.cpo_admin_district).merge(
            postcode_lsoa, on="postcode").merge(
            access[["postcode", "nearest_bus_stop_m", "nearest_rail_station_m"]], on="postcode")
        progress.detail(f"{len(postcode_table):,} postcodes; {postcode_table.lsoa_code.isna().sum()} outside every generalised LSOA polygon")
        _report_postcode_geography(postcodes, postcode_table, lsoa_geography, progress)
        postcode_values = _postcode_values(access, postcode_table[["lsoa_code", "ward_code", "district_code"]], catalogue)
        connection.register("postcode_values", postcode_values)
        postcode_aggregated = connection.execute(read_sql("build/aggregate_postcode_values"), {"county_code": KENT_CODE}).df()

        indicator_values = pd.concat([
            lsoa_values.assign(level="lsoa", area_code=lsoa_values.lsoa_code, n_lsoas=1,
                               n_lsoas_with_value=lsoa_values.value.notna().astype(int)).drop(columns="lsoa_code"),
            aggregated,
            native.assign(level=native.level.replace({"lsoa21": "lsoa"})),
            postcode_aggregated,
        ], ignore_index=True)
        progress.detail("infrastructure-gap index at the default (balanced) weights")
        ward_names = pd.DataFrame(frames["ward"].drop(columns="geometry")).merge(
            pd.DataFrame(frames["district"].drop(columns="geometry")), on="district_code")
        indicator_values = pd.concat([indicator_values, gap.stored_layer_values(indicator_values, ward_names, catalogue)],
                                     ignore_index=True)[["indicator_id", "level", "area_code", "value", "n_lsoas",
                                                         "n_lsoas_with_value", "n_postcodes"]]
        connection.register("frame", indicator_values)
        connection.execute("create table indicator_values as select * from frame order by indicator_id, level, area_code")
        connection.unregister("frame")

        progress.stage("stops, stations, postcodes and broadband time series")
        usage_columns = [c for c in inputs["station_usage"].columns if c.endswith("_Total")]
        usage = inputs["station_usage"][["NLC"] + usage_columns]
        station_table = stations[["nlc", "crs_code", "station_name", "lon", "lat", "ward_code", "district_code",
                                  "naptan_station", "n_entrances", "in_kent"]].merge(
            usage.rename(columns={"NLC": "nlc", "2021_Total": "entries_exits_2021_22"})[["nlc", "entries_exits_2021_22"]],
            on="nlc", how="left")
        usage_long = usage.melt(id_vars="NLC", var_name="year", value_name="entries_exits").rename(columns={"NLC": "nlc"})
        usage_long["financial_year_start"] = usage_long.year.str.slice(0, 4).astype(int)
        stops = inputs["naptan_stops"].rename(columns={"ATCOCode": "atco_code", "CommonName": "stop_name", "Longitude": "lon",
                                                       "Latitude": "lat", "StopType": "stop_type", "WD25CD": "ward_code",
                                                       "LAD25CD": "district_code"})[
            ["atco_code", "stop_name", "stop_type", "lon", "lat", "ward_code", "district_code"]]
        timeseries = inputs["ofcom_constituency_timeseries"].rename(columns={"PCON21CD": "constituency_code", "PCON21NM": "constituency_name"})
        ofcom_district = inputs["ofcom_district_202105"].rename(columns={"laua": "district_code", "laua_name": "district_name_ofcom"})
        sources = pd.DataFrame([dataclasses.asdict(s) for s in inputs.sources.values()])
        sources["sha256"] = [sha256_of(inputs.data_dir / p) for p in sources.path]
        sources["rows_loaded"] = [len(inputs[s]) for s in sources.source_id]
        places = build_places(inputs["naptan_stops"], inputs["naptan_localities"], frames["ward"])
        progress.detail(f"gazetteer: {len(places)} NaPTAN localities ({places.place_name.nunique()} names), "
                        f"{(places.ward_match != 'inside').sum()} placed in the nearest ward, "
                        f"{len(district_disagreements(places))} in a district other than their stops' own")
        summaries = inputs["iod2025_district_summaries"].rename(columns={"ltla24_code": "district_code"})
        for name, frame in {"rail_stations": station_table, "station_usage": usage_long[["nlc", "financial_year_start", "entries_exits"]],
                            "bus_stops": stops, "postcode_table": postcode_table, "places": places,
                            "ofcom_constituency_timeseries": timeseries, "ofcom_district_coverage": ofcom_district,
                            "iod2025_district_summaries": summaries, "source_files": sources,
                            # change over time (geo/history.py): the /change page's tables and rules
                            "ofcom_district_timeseries": history.ofcom_district_timeseries(inputs),
                            "imd2019_lsoa21": history.imd2019_on_lsoa21(inputs),
                            "comparability": history.comparability_rules(catalogue),
                            "simplification": pd.DataFrame([dataclasses.asdict(r) for r in reports])}.items():
            connection.register("frame", frame)
            connection.execute(f"create table {name} as select * from frame")
            connection.unregister("frame")
        connection.execute("create table county as select ? as county_code, ? as county_name", [KENT_CODE, KENT_NAME])
        _create_views(connection, catalogue)
        connection.execute("checkpoint")
        return reports
    finally:
        connection.close()


def check_database(path: Path) -> dict[str, int]:
    """Data checks on a built database: counts per level, unique keys, residents add up at every level."""
    connection = _connect(path)
    try:
        counts = {level: connection.execute(f"select count(*) from {table}").fetchone()[0] for level, table in (
            ("district", "district_boundaries"), ("ward", "ward_boundaries"), ("lsoa", "lsoa21_boundaries"),
            ("lsoa11", "lsoa11_boundaries"), ("constituency", "constituency_boundaries"))}
        for level, expected in EXPECTED_AREAS.items():
            if counts[level] != expected:
                raise BuildCheckError(f"{level}: expected {expected} areas, built {counts[level]}")
        for view, key in (("districts", "district_code"), ("wards", "ward_code"), ("lsoas", "lsoa_code"),
                          ("postcodes", "postcode")):
            duplicates = connection.execute(f"select count(*) - count(distinct {key}) from {view}").fetchone()[0]
            if duplicates:
                raise BuildCheckError(f"{view}: {duplicates} duplicate {key} values")
        for level in ("lsoa", "ward", "district", "county"):
            total = connection.execute("select sum(value) from indicator_values where indicator_id = 'population' and level = ?",
                                       [level]).fetchone()[0]
            if total != KENT_RESIDENTS_CENSUS_2021:
                raise BuildCheckError(f"residents at {level} level add up to {total:,}, not {KENT_RESIDENTS_CENSUS_2021:,}")
        orphans = connection.execute("""select count(*) from lsoas where ward_code not in (select ward_code from wards)
                                        or district_code not in (select district_code from districts)""").fetchone()[0]
        if orphans:
            raise BuildCheckError(f"{orphans} LSOAs have no ward or district")
        unplaced = connection.execute("""select count(*) from places where ward_code is null
                                          or ward_code not in (select ward_code from wards)""").fetchone()[0]
        if unplaced:
            raise BuildCheckError(f"{unplaced} places have no ward")
        counts["places"] = connection.execute("select count(*) from places").fetchone()[0]
        counts["indicator_values"] = connection.execute("select count(*) from indicator_values").fetchone()[0]
        counts["postcodes"] = connection.execute("select count(*) from postcodes").fetchone()[0]
        return counts
    finally:
        connection.close()


class BuildLocked(RuntimeError):
    """Another build of the same database is running."""


PREVIOUS_SUFFIX = ".previous"  # data/kent.duckdb.previous: the database before the last build, to roll back to
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def disk_full(error: BaseException) -> bool:
    """True when a build failed because the disk (or the file-size limit) is full."""
    if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
        return True
    text = str(error)
    return isinstance(error, duckdb.Error) and ("No space left on device" in text or "File too large" in text)


@contextlib.contextmanager
def build_lock(database: Path):
    """Hold an exclusive lock for the whole build of `database` (its folder's .<name>.lock); refuse if held.
    Then remove what killed builds left behind: only a build holding the lock can have made them."""
    lock_path = database.parent / f".{database.name}.lock"
    with open(lock_path, "a+", encoding="ascii") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise BuildLocked(f"another build of {database.name} is running (pid {holder}); this one did not start. "
                              "Wait for it to finish, then build again.") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        for leftover in database.parent.glob(f".{database.name}.*.building*"):
            leftover.unlink(missing_ok=True)  # a temporary database (and its .wal) from a build that was killed
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def build(data_dir: Path | None = None, database: Path | None = None, progress: Progress | None = None,
          embed_dir: Path | None = None) -> BuildReport:
    """Build the warehouse and its light embed pages, holding the build lock throughout (a second build at
    the same time refuses); the database it replaces is kept as <database>.previous."""
    database = Path(database or database_path())
    database.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(database):
        return _build_locked(data_dir, database, progress, embed_dir)


def _build_locked(data_dir: Path | None, database: Path, progress: Progress | None,
                  embed_dir: Path | None) -> BuildReport:
    """Build the warehouse from the mirror and the light embed pages from it; put both in service only if
    everything passes (pages: `embed_dir`, default $KENT_EMBED_DIR or static/embed)."""
    data_dir = Path(data_dir or default_data_dir())
    progress = progress or Progress(total=9)
    started = time.perf_counter()

    progress.stage(f"reading and validating {data_dir.name}/ (nothing is written until this passes)")
    inputs = read_inputs(data_dir, progress=progress.detail)

    database.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{database.name}.", suffix=".building", dir=database.parent)
    os.close(handle)
    temporary = Path(temporary_name)
    temporary.unlink()  # DuckDB wants to create the file itself
    pages, served = None, False
    try:
        reports = _write(temporary, inputs, progress)
        progress.stage("checking the new database")
        counts = check_database(temporary)
        progress.stage("light embed pages from the new database (staged, not yet served)")
        pages = embed.stage(temporary, embed_dir)
        progress.detail(f"{pages.pages} pages, {pages.postcode_files} postcode files, {pages.bytes / 1e6:.1f} MB "
                        f"in {pages.seconds:.1f} s")
        progress.stage(f"putting it in service at {database.name} and the pages beside it")
        _keep_previous(database)
        os.replace(temporary, database)  # atomic: readers of the old file keep their open handle
        embed.activate(pages, embed_dir)  # atomic too: one symlink swap
        served = True
    except BaseException:
        if pages is not None and not served:
            embed.discard(pages)  # staged, never served: the previous pages stay as they were
        raise
    finally:
        db.clear_caches()  # the pages were read through geo.db from the temporary file
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    return BuildReport(database, seconds, database.stat().st_size, reports, counts, pages)


def _keep_previous(database: Path) -> None:
    """Keep the database in service as <database>.previous (a hard link: no copy, no extra space)."""
    if not database.is_file():
        return
    previous = database.with_name(database.name + PREVIOUS_SUFFIX)
    staged = previous.with_name(previous.name + ".staged")
    staged.unlink(missing_ok=True)
    try:
        os.link(database, staged)
    except OSError:  # a file system without hard links: copy
        shutil.copy2(database, staged)
    os.replace(staged, previous)
