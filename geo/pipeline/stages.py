"""The build's named stages, in the order it runs them: boundaries → lookups → values → transport → gap index →
reference tables → views. Each stage writes its tables into the new database and hands what later stages need
on the `Warehouse`; geo/pipeline/build.py runs them (and then the data tests, geo/pipeline/data_tests.py).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from geo import gap
from geo.config import KENT_CODE, KENT_NAME, QUERIES_DIR
from geo.pipeline import history, values
from geo.pipeline.boundaries import BRITISH_NATIONAL_GRID, SimplificationReport, WebCoverage, geometry_json, grid_shapes
from geo.pipeline.boundary_cache import cached_web_coverage
from geo.pipeline.inputs import Inputs
from geo.pipeline.places import build_places, district_disagreements
from geo.pipeline.readers import sha256_of
from geo.pipeline.transport import match_orr_stations, postcode_access, rail_stations_from_naptan
from geo.sql import read_sql
from geo.topology import subset_topology, topology_json

# A ward is flagged as an approximation when its best-fit LSOAs and its boundary differ by more than this.
APPROXIMATION_THRESHOLD_PCT = 90.0
VIEWS_DIR = QUERIES_DIR / "warehouse"  # one SQL file per view of the database contract (README)


class BuildCheckError(Exception):
    """The database was built but failed a data check, so it was not put in service."""


@dataclass
class Warehouse:
    """The database being built, and what one stage hands to the next."""

    connection: duckdb.DuckDBPyConnection
    inputs: Inputs
    catalogue: pd.DataFrame
    detail: Callable[[str], None]  # a progress line under the current stage
    boundaries: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    simplification: list[SimplificationReport] = field(default_factory=list)
    lsoa_geography: pd.DataFrame | None = None
    population: pd.DataFrame | None = None

    def store(self, name: str, frame: pd.DataFrame, select: str = "select * from frame") -> None:
        """Write a frame as the table `name` (`select` may reshape it on the way)."""
        self.connection.register("frame", frame)
        try:
            self.connection.execute(f"create table {name} as {select}")
        finally:
            self.connection.unregister("frame")

    def add_values(self, frame: pd.DataFrame) -> None:
        """Append rows to indicator_values (columns matched by name)."""
        self.connection.register("frame", frame[[column for column in VALUE_COLUMNS if column in frame.columns]])
        try:
            self.connection.execute("insert into indicator_values by name select * from frame")
        finally:
            self.connection.unregister("frame")


# ---------------------------------------------------------------- boundaries

def boundaries(warehouse: Warehouse) -> None:
    """Each level's boundaries with full and web geometry (shared arcs, simplified within 80 m, measured), the
    ward shapes for the light embed, and the TopoJSON each map sends."""
    frames = _boundary_frames(warehouse.inputs)
    tables, coverages = _web_ready(frames, warehouse.detail)
    for level, table in tables.items():
        warehouse.store(f"{level}_boundaries", table,
                        "select * exclude (geometry_wkb), ST_GeomFromWKB(geometry_wkb) as geometry from frame")
    wards = tables["ward"]
    warehouse.store("ward_grid_shapes", grid_shapes(wards.ward_code, wards.web_geojson, wards.label_lon, wards.label_lat),
                    "select area_code as ward_code, grid_rings, label_easting, label_northing from frame order by ward_code")
    warehouse.store("map_topology", _map_topologies(frames, coverages),
                    "select * from frame order by level, district_code nulls first")
    warehouse.boundaries = frames
    warehouse.simplification = [web.report for web in coverages.values()]


def _boundary_frames(inputs: Inputs) -> dict[str, gpd.GeoDataFrame]:
    """Each level's polygons with the warehouse's column names (the registry's renames)."""
    lsoa_district = inputs["lsoa21_ward_lookup"].set_index("lsoa21_code").ltla24_code
    lsoa21 = inputs.renamed("lsoa21_boundaries", only_renamed=True)
    return {
        "district": inputs.renamed("districts_lad25", only_renamed=True),
        "ward": inputs.renamed("wards_wd25", only_renamed=True),
        "lsoa21": lsoa21.assign(district_code=lsoa21.lsoa_code.map(lsoa_district))[
            ["lsoa_code", "lsoa_name", "district_code", "geometry"]],
        "lsoa11": inputs.renamed("lsoa11_boundaries", only_renamed=True),
        "constituency": inputs.renamed("pcon21_boundaries", only_renamed=True),
    }


def _web_ready(frames: dict[str, gpd.GeoDataFrame], detail) -> tuple[dict[str, pd.DataFrame], dict[str, WebCoverage]]:
    """Per level: full geometry as WKB, web GeoJSON (the browser's TopoJSON decoded), a label point, and area."""
    tables, coverages = {}, {}
    for level in ("district", "ward", "lsoa21", "lsoa11", "constituency"):
        frame = frames[level]
        web, reused = cached_web_coverage(frame, frame.columns[0], level)
        coverages[level] = web
        report = web.report
        detail(f"{level}{' (web geometry reused: same boundaries, same code)' if reused else ''}: {report.areas} areas, {report.vertices_before:,} -> {report.vertices_after:,} vertices, "
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


# ---------------------------------------------------------------- lookups

def lookups(warehouse: Warehouse) -> None:
    """LSOA → ward → district (the ONS best fit), residents and deciles per LSOA, the 2011 → 2021 bridge, how well
    each ward's LSOAs fit it, the catalogue and the gap index's inputs as built."""
    inputs, catalogue = warehouse.inputs, warehouse.catalogue
    warehouse.lsoa_geography = lsoa_geography = pd.DataFrame(inputs.renamed("lsoa21_ward_lookup", only_renamed=True))
    warehouse.population = values.lsoa_population(inputs)
    deciles = inputs["iod2025_domains"][["lsoa21_code", "IMD_decile"]].rename(
        columns={"lsoa21_code": "lsoa_code", "IMD_decile": "imd_decile"}).astype({"imd_decile": int})
    for name, frame in {"lsoa_geography": lsoa_geography, "lsoa_population": warehouse.population,
                        "lsoa_deciles": deciles,
                        "lsoa11_lsoa21_lookup": inputs["lsoa11_lsoa21_lookup"][["lsoa11_code", "lsoa21_code", "change_code"]],
                        "ward_fit": _ward_fit(warehouse.boundaries, lsoa_geography),
                        "lsoa_indicator_deciles": values.lsoa_deciles(inputs, catalogue),
                        "indicator_catalogue": pd.DataFrame(catalogue).reset_index(drop=True),
                        "gap_components": gap.load_components().assign(input_order=lambda f: range(len(f)))}.items():
        warehouse.store(name, frame)
    warehouse.connection.execute("create table ward_imd_decile_shares as " + read_sql("build/ward_imd_decile_shares"))


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


# ---------------------------------------------------------------- values

VALUE_COLUMNS = ("indicator_id", "level", "area_code", "value", "n_lsoas", "n_lsoas_with_value", "n_postcodes")
INDICATOR_VALUES = """create table indicator_values (indicator_id varchar, level varchar, area_code varchar, value double,
                      n_lsoas double, n_lsoas_with_value double, n_postcodes double)"""


def indicator_values(warehouse: Warehouse) -> None:
    """The published values: LSOA values (IoD 2019 carried onto 2021 LSOAs) aggregated to wards, districts and Kent,
    and values published only for wards or districts, as published (the postcode measures follow in transport)."""
    inputs, catalogue = warehouse.inputs, warehouse.catalogue
    lsoa_values = values.lsoa_values(inputs, catalogue, warehouse.population)
    warehouse.connection.register("lsoa_values", lsoa_values)
    aggregated = warehouse.connection.execute(read_sql("build/aggregate_lsoa_values"), {"county_code": KENT_CODE}).df()
    warehouse.connection.unregister("lsoa_values")
    native = values.native_values(inputs, catalogue)
    warehouse.connection.execute(INDICATOR_VALUES)
    warehouse.add_values(pd.concat([
        lsoa_values.assign(level="lsoa", area_code=lsoa_values.lsoa_code, n_lsoas=1,
                           n_lsoas_with_value=lsoa_values.value.notna().astype(int)).drop(columns="lsoa_code"),
        aggregated,
        native.assign(level=native.level.replace({"lsoa21": "lsoa"})),
    ], ignore_index=True))


# ---------------------------------------------------------------- transport

def transport(warehouse: Warehouse) -> None:
    """Each live postcode's LSOA (geometry) and the publisher's ward and district, its distance to the nearest bus
    stop and rail station (NaPTAN's, matched to ORR for usage), the postcode measures, stops, stations and usage."""
    inputs, connection = warehouse.inputs, warehouse.connection
    postcodes = inputs["postcodes"]
    connection.register("postcode_points", postcodes[["postcode", "lon", "lat"]])
    postcode_lsoa = connection.execute(read_sql("build/postcode_lsoa")).df()
    connection.unregister("postcode_points")
    check_postcodes_in_one_lsoa(postcode_lsoa)
    postcode_lsoa = postcode_lsoa.drop(columns="n_lsoas_containing")
    stations = match_orr_stations(rail_stations_from_naptan(inputs["naptan_stops"]), inputs["rail_stations"])
    _report_stations(stations, inputs["rail_stations"], warehouse.detail)
    access = postcode_access(postcodes, inputs["naptan_stops"], stations)
    # A postcode's ward and district are the ones Code-Point Open assigns (the registry renames its cpo_admin_*
    # columns), not a point-in-polygon guess.
    postcode_table = inputs.renamed("postcodes")[["postcode", "lon", "lat", "eastings", "northings", "ward_code",
                                                  "district_code"]].merge(postcode_lsoa, on="postcode").merge(
        access[["postcode", "nearest_bus_stop_m", "nearest_rail_station_m"]], on="postcode")
    warehouse.detail(f"{len(postcode_table):,} postcodes; {postcode_table.lsoa_code.isna().sum()} outside every "
                     "generalised LSOA polygon")
    _report_postcode_geography(postcodes, postcode_table, warehouse.lsoa_geography, warehouse.detail)
    connection.register("postcode_values", values.postcode_values(
        access, postcode_table[["lsoa_code", "ward_code", "district_code"]], warehouse.catalogue))
    warehouse.add_values(connection.execute(read_sql("build/aggregate_postcode_values"), {"county_code": KENT_CODE}).df())
    connection.unregister("postcode_values")

    usage_columns = [c for c in inputs["station_usage"].columns if c.endswith("_Total")]
    usage = inputs["station_usage"][["NLC"] + usage_columns]
    station_table = stations[["nlc", "crs_code", "station_name", "lon", "lat", "ward_code", "district_code",
                              "naptan_station", "n_entrances", "in_kent"]].merge(
        usage.rename(columns={"NLC": "nlc", "2021_Total": "entries_exits_2021_22"})[["nlc", "entries_exits_2021_22"]],
        on="nlc", how="left")
    usage_long = usage.melt(id_vars="NLC", var_name="year", value_name="entries_exits").rename(
        columns=dict(inputs.sources["station_usage"].renames))
    usage_long["financial_year_start"] = usage_long.year.str.slice(0, 4).astype(int)
    for name, frame in {"rail_stations": station_table,
                        "station_usage": usage_long[["nlc", "financial_year_start", "entries_exits"]],
                        "bus_stops": inputs.renamed("naptan_stops", only_renamed=True),
                        "postcode_table": postcode_table}.items():
        warehouse.store(name, frame)


def check_postcodes_in_one_lsoa(postcode_lsoa: pd.DataFrame) -> None:
    """Every LSOA that contains live postcodes gets them: no postcode may fall in two LSOA polygons (an invalid
    polygon whose hole is read as part of it swallows its neighbour's postcodes)."""
    doubled = postcode_lsoa[postcode_lsoa.n_lsoas_containing > 1]
    if len(doubled):
        raise BuildCheckError(f"{len(doubled)} postcodes lie in more than one LSOA polygon, e.g. {doubled.postcode.iloc[0]}: "
                              "an LSOA boundary overlaps its neighbour")


def _report_stations(stations: pd.DataFrame, orr: pd.DataFrame, detail) -> None:
    """How the NaPTAN stations (used for distances) and ORR's (used for usage) match."""
    matched = stations.nlc.notna()
    outside = stations.station_name[~stations.in_kent].tolist()
    detail(f"{len(stations)} rail stations from NaPTAN's active entrances (outside Kent: {', '.join(outside) or 'none'}); "
           f"matched to ORR by name for usage: {matched.sum()} of {len(stations)} NaPTAN stations, "
           f"{stations.nlc.dropna().nunique()} of {len(orr)} ORR stations; "
           f"not in ORR: {', '.join(stations.station_name[~matched]) or 'none'}")
    unmatched_orr = sorted(set(orr.NLC) - set(stations.nlc.dropna()))
    if unmatched_orr:
        names = orr.set_index("NLC").loc[unmatched_orr, "name"]
        raise BuildCheckError(f"ORR stations with no active NaPTAN station of the same name: {', '.join(names)}")


def _report_postcode_geography(postcodes: pd.DataFrame, postcode_table: pd.DataFrame, lsoa_geography: pd.DataFrame,
                               detail) -> None:
    """How far geometry and the publisher's assignment disagree (wards, districts, and the geometric LSOA)."""
    other_ward = int((postcodes.WD25CD != postcodes.cpo_admin_ward).sum())
    other_district = int((postcodes.LAD25CD != postcodes.cpo_admin_district).sum())
    detail(f"ward and district from Code-Point Open; point-in-polygon would have placed {other_ward} postcodes "
           f"in another ward and {other_district} in another district")
    lsoa_of = postcode_table[["postcode", "ward_code", "district_code", "lsoa_code"]].merge(
        lsoa_geography.rename(columns={"ward_code": "lsoa_ward", "district_code": "lsoa_district"}), on="lsoa_code")
    detail(f"geometric LSOA (Code-Point has none): {len(lsoa_of):,} postcodes placed; its best-fit ward is the "
           f"postcode's own for {(lsoa_of.lsoa_ward == lsoa_of.ward_code).mean():.1%}; "
           f"its district differs from the postcode's for {(lsoa_of.lsoa_district != lsoa_of.district_code).sum()}")


# ---------------------------------------------------------------- gap index

def gap_index(warehouse: Warehouse) -> None:
    """The infrastructure-gap index at the default (balanced) weights, from every other value (transport access
    among them), stored as the catalogue layer gap_index; indicator_values is then complete, in key order."""
    connection = warehouse.connection
    ward_names = pd.DataFrame(warehouse.boundaries["ward"].drop(columns="geometry")).merge(
        pd.DataFrame(warehouse.boundaries["district"].drop(columns="geometry")), on="district_code")
    stored = connection.execute("select * from indicator_values").df()
    warehouse.add_values(gap.stored_layer_values(stored, ward_names, warehouse.catalogue))
    connection.execute("create or replace table indicator_values as "
                       "select * from indicator_values order by indicator_id, level, area_code")


# ---------------------------------------------------------------- reference tables

def reference_tables(warehouse: Warehouse) -> None:
    """The gazetteer, Ofcom's series, MHCLG's district summaries, change over time (geo/pipeline/history.py), the
    sources with their checksums, the simplification measured, Kent itself and the constituencies' district shares."""
    inputs, catalogue = warehouse.inputs, warehouse.catalogue
    sources = pd.DataFrame([source.provenance() for source in inputs.sources.values()])
    sources["sha256"] = [sha256_of(inputs.data_dir / path) for path in sources.path]
    sources["rows_loaded"] = [len(inputs[source_id]) for source_id in sources.source_id]
    places = build_places(inputs["naptan_stops"], inputs["naptan_localities"], warehouse.boundaries["ward"])
    warehouse.detail(f"gazetteer: {len(places)} NaPTAN localities ({places.place_name.nunique()} names), "
                     f"{(places.ward_match != 'inside').sum()} placed in the nearest ward, "
                     f"{len(district_disagreements(places))} in a district other than their stops' own")
    for name, frame in {"places": places,
                        "ofcom_constituency_timeseries": inputs.renamed("ofcom_constituency_timeseries"),
                        "ofcom_district_coverage": inputs.renamed("ofcom_district_202105"),
                        "iod2025_district_summaries": inputs.renamed("iod2025_district_summaries"),
                        "source_files": sources,
                        # change over time (geo/pipeline/history.py): the /change page's tables and rules
                        "ofcom_district_timeseries": history.ofcom_district_timeseries(inputs),
                        "imd2019_lsoa21": history.imd2019_on_lsoa21(inputs),
                        "comparability": history.comparability_rules(catalogue),
                        "simplification": pd.DataFrame([dataclasses.asdict(r) for r in warehouse.simplification])}.items():
        warehouse.store(name, frame)
    warehouse.connection.execute("create table county as select ? as county_code, ? as county_name", [KENT_CODE, KENT_NAME])
    warehouse.connection.execute("create table constituency_district_shares as "  # the dated gigabit finding's areas
                                 + read_sql("build/constituency_district_shares"))


# ---------------------------------------------------------------- views

def views(warehouse: Warehouse) -> None:
    """The database contract's views (README), one SQL file each in queries/warehouse/."""
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        warehouse.connection.execute(view_sql(path.stem, warehouse.catalogue.index))


def view_sql(name: str, indicator_ids) -> str:
    """queries/warehouse/<name>.sql with its one filled-in slot: {indicator_ids}, the catalogue's indicator ids as
    SQL string literals in catalogue order (validated lower_snake_case ids, never user input), which the wide
    views pivot into one column each."""
    return read_sql(f"warehouse/{name}").replace("{indicator_ids}", ", ".join(f"'{i}'" for i in indicator_ids))


@dataclass(frozen=True)
class Stage:
    """One named step of the build: its name as printed, and the function that runs it."""

    name: str
    run: Callable[[Warehouse], None]


STAGES = (
    Stage("boundaries: shared arcs, simplified within 80 m, checked valid", boundaries),
    Stage("lookups: LSOA to ward and district, residents, deciles, ward fit, catalogue", lookups),
    Stage("values: indicator values at LSOA, ward, district and Kent", indicator_values),
    Stage("transport: access from postcodes to stops and stations", transport),
    Stage("gap index at the default weights", gap_index),
    Stage("reference tables: gazetteer, broadband series, change over time, sources", reference_tables),
    Stage("views: the database contract (queries/warehouse/)", views),
)
