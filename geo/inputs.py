"""Every input file the build reads: its expected columns, codes and ranges, and the cross-file rules."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import catalogue as indicator_catalogue
from geo.config import DISTRICT_CODES
from geo.history import OFCOM_DISTRICT_FILES
from geo.sources import Source, load_manifest, read_csv, read_geojson
from geo.validate import Column, DataError, check_members

def _code(name: str, kind: str, nullable: bool = False) -> Column:
    return Column(name, f"code:{kind}", nullable=nullable)


def _number(name: str, low=None, high=None, nullable=False, integer=False) -> Column:
    return Column(name, "integer" if integer else "number", low, high, nullable)


PERCENT = dict(low=0, high=100)
LON_LAT = [_number("lon", -0.2, 1.6), _number("lat", 50.8, 51.6)]
EASTING_NORTHING = [_number("eastings", 500_000, 660_000), _number("northings", 100_000, 200_000)]
IOD_DOMAINS = ("IMD", "Income", "Employment", "Education", "Health", "Crime", "Housing_and_Services", "Environment")

# What each file must hold, beyond the catalogue columns that are added to it automatically.
# (columns, key column, reader)
FILE_RULES: dict[str, tuple[list[Column], str | None, str]] = {
    "wards_wd25": ([_code("WD25CD", "ward"), Column("WD25NM", "name"), _code("LAD25CD", "district")], "WD25CD", "geojson"),
    "districts_lad25": ([_code("LAD25CD", "district"), Column("LAD25NM")], "LAD25CD", "geojson"),
    "lsoa21_boundaries": ([_code("LSOA21CD", "lsoa"), Column("LSOA21NM", "name"), _code("LAD_FILE", "district")], "LSOA21CD", "geojson"),
    "lsoa11_boundaries": ([_code("LSOA11CD", "lsoa"), Column("LSOA11NM", "name"), _code("LAD_FILE", "district")], "LSOA11CD", "geojson"),
    "pcon21_boundaries": ([_code("PCON21CD", "constituency"), Column("PCON21NM", "name")], "PCON21CD", "geojson"),
    "lsoa21_ward_lookup": ([_code("lsoa21_code", "lsoa"), Column("lsoa21_name", "name"), _code("ward24_code", "ward"),
                            Column("ward24_name", "name"), _code("ltla24_code", "district")], "lsoa21_code", "csv"),
    "lsoa11_lsoa21_lookup": ([_code("lsoa11_code", "lsoa"), _code("lsoa21_code", "lsoa"), Column("change_code")], None, "csv"),
    "census2021_population": ([_code("lsoa21_code", "lsoa"), Column("age_group"),
                               _number("usual_residents", 0, 10_000, integer=True)], None, "csv"),
    "iod2025_domains": ([_code("lsoa21_code", "lsoa"), _code("lad_code", "district"), _number("IMD_score", 0, 100)]
                        + [_number(f"{d}_decile", 1, 10, integer=True) for d in IOD_DOMAINS]
                        + [_number(f"{d}_rank", 1, 33_755, integer=True) for d in IOD_DOMAINS], "lsoa21_code", "csv"),
    "iod2025_subdomains": ([_code("lsoa21_code", "lsoa")], "lsoa21_code", "csv"),
    "iod2025_indicators": ([_code("lsoa21_code", "lsoa")], "lsoa21_code", "csv"),
    "iod2025_district_summaries": ([_code("ltla24_code", "district"), Column("ltla24_name", "name"),
                                    _number("imd_average_score", 0, 100)], "ltla24_code", "csv"),
    "iod2019_scores": ([_code("lsoa_code", "lsoa"), _number("imd_score", 0, 100),
                        _number("imd_decile", 1, 10, integer=True)], "lsoa_code", "csv"),
    "iod2019_indicators": ([_code("lsoa11_code", "lsoa")], "lsoa11_code", "csv"),
    "ofcom_district_202105": ([_code("laua", "district"), Column("laua_name", "name"), _number("All Premises", 1, 500_000)],
                              "laua", "csv"),
    "ofcom_constituency_timeseries": ([_code("PCON21CD", "constituency"), Column("PCON21NM", "name"),
                                       _number("snapshot_yyyymm", 201801, 203012, integer=True), Column("premises_set"),
                                       _number("all_premises", 1, 200_000)]
                                      + [_number(c, nullable=True, **PERCENT) for c in (
                                          "sfbb_or_better_pct", "ufbb_pct", "full_fibre_pct", "gigabit_pct",
                                          "below_uso_pct", "unable_30mbit_pct")], None, "csv"),
    "ofcom_postcode_2013_ward": ([_code("WD25CD", "ward"), _number("connections", 0, 100_000)], "WD25CD", "csv"),
    "naptan_stops": ([Column("ATCOCode"), Column("CommonName", "name"), _number("Longitude", -0.2, 1.6), _number("Latitude", 50.8, 51.6),
                      _number("Easting", 500_000, 660_000), _number("Northing", 100_000, 200_000), Column("StopType"),
                      _code("WD25CD", "ward"), _code("LAD25CD", "district")], "ATCOCode", "csv"),
    # The full Stops.csv, for each stop's gazetteer locality (code and name): the place-name search's source.
    "naptan_localities": ([Column("ATCOCode"), Column("NptgLocalityCode"), Column("LocalityName", "name"), Column("Status")],
                          "ATCOCode", "csv"),
    "rail_stations": ([Column("NLC"), Column("TLC"), Column("name", "name"), _number("x_lon", -0.2, 1.6), _number("y_lat", 50.8, 51.6),
                       _number("Easting", 500_000, 660_000), _number("Northing", 100_000, 200_000),
                       _code("WD25CD", "ward"), _code("LAD25CD", "district")], "NLC", "csv"),
    "station_usage": ([Column("NLC")] + [_number(f"{year}_Total", 0, 200_000_000, nullable=True) for year in range(2017, 2022)],
                      "NLC", "csv"),
    "postcodes": ([_code("postcode", "postcode")] + EASTING_NORTHING + LON_LAT
                  + [_code("WD25CD", "ward"), _code("LAD25CD", "district"),
                     # the publisher's own assignment (Code-Point Open), which the build uses
                     _code("cpo_admin_ward", "ward"), _code("cpo_admin_district", "district")], "postcode", "csv"),
}
# Ofcom's earlier district files, for the change page's series (the May 2021 file is above).
FILE_RULES.update({
    file.source_id: ([_code(file.key, "district"), Column("laua_name"), _number("SFBB availability (% premises)", **PERCENT),
                      _number("UFBB availability (% premises)", **PERCENT),
                      _number("% of premises unable to receive 30Mbit/s", **PERCENT)], file.key, "csv")
    for file in OFCOM_DISTRICT_FILES if file.source_id not in FILE_RULES})


@dataclass
class Inputs:
    """All validated input frames, by source_id, with their manifest rows."""

    frames: dict[str, pd.DataFrame | gpd.GeoDataFrame]
    sources: dict[str, Source]
    data_dir: Path

    def __getitem__(self, source_id: str):
        return self.frames[source_id]


def _rules_with_catalogue_columns(catalogue: pd.DataFrame) -> dict[str, tuple[list[Column], str | None, str]]:
    """Add each indicator's source column to its file's rules, as a number."""
    rules = {source_id: (list(columns), key, reader) for source_id, (columns, key, reader) in FILE_RULES.items()}
    for row in catalogue.itertuples():
        if row.source_id not in rules or row.geography == "postcode" or row.aggregation == "gap_index":
            continue
        columns = rules[row.source_id][0]
        known = {column.name for column in columns}
        if row.source_column not in known:
            percent = PERCENT if row.unit.startswith("%") else {}
            columns.append(_number(row.source_column, nullable=True, **percent))
        if row.decile_column and row.decile_column not in known:
            columns.append(_number(row.decile_column, 1, 10, integer=True))
    return rules


def read_inputs(data_dir: Path, progress=lambda message: None) -> Inputs:
    """Read and validate every file in the manifest, then check that the files agree with each other."""
    sources = load_manifest()
    catalogue = indicator_catalogue.load()
    unknown = set(catalogue.source_id) - set(sources)
    if unknown:
        raise DataError("data/indicators.csv", "source_id", None, f"unknown source {sorted(unknown)[0]!r}")
    rules = _rules_with_catalogue_columns(catalogue)
    frames = {}
    for source_id, source in sources.items():
        columns, key, reader = rules[source_id]
        progress(f"reading {source.path}")
        if reader == "geojson":
            frames[source_id] = read_geojson(source, data_dir, columns, key)
            repaired = frames[source_id].attrs.get("repaired", [])
            progress(f"  {len(repaired)} invalid polygon(s) repaired, holes kept as holes"
                     + (f": {', '.join(repaired)}" if repaired else ""))
        else:
            frames[source_id] = read_csv(source, data_dir, columns, key)
    inputs = Inputs(frames, sources, data_dir)
    check_relationships(inputs)
    return inputs


def check_relationships(inputs: Inputs) -> None:
    """Cross-file rules: every LSOA in exactly one ward, every ward in one of the 12 districts, codes that join."""
    districts = set(inputs["districts_lad25"].LAD25CD)
    if districts != set(DISTRICT_CODES):
        path = inputs.sources["districts_lad25"].path
        raise DataError(path, "LAD25CD", None, f"expected Kent's 12 districts E07000105-E07000116, found {sorted(districts)}")
    wards = inputs["wards_wd25"]
    check_members(wards.LAD25CD, districts, inputs.sources["wards_wd25"].path, "LAD25CD", "Kent district",
                  row_of=lambda i: i + 1)
    ward_codes = set(wards.WD25CD)
    lsoa_codes = set(inputs["lsoa21_boundaries"].LSOA21CD)
    lookup = inputs["lsoa21_ward_lookup"]
    lookup_path = inputs.sources["lsoa21_ward_lookup"].path
    check_members(lookup.lsoa21_code, lsoa_codes, lookup_path, "lsoa21_code", "LSOA 2021 in the boundaries")
    check_members(lookup.ward24_code, ward_codes, lookup_path, "ward24_code", "WD25 ward in the boundaries")
    missing = lsoa_codes - set(lookup.lsoa21_code)
    if missing:
        raise DataError(lookup_path, "lsoa21_code", None, f"LSOA {sorted(missing)[0]} has no ward")
    ward_district = dict(zip(wards.WD25CD, wards.LAD25CD))
    wrong_district = lookup.ltla24_code != lookup.ward24_code.map(ward_district)
    if wrong_district.any():
        i = int(wrong_district.to_numpy().nonzero()[0][0])
        raise DataError(lookup_path, "ltla24_code", i + 2, f"ward {lookup.ward24_code.iloc[i]} is not in district {lookup.ltla24_code.iloc[i]}")
    empty_wards = ward_codes - set(lookup.ward24_code)
    if empty_wards:
        raise DataError(lookup_path, "ward24_code", None, f"ward {sorted(empty_wards)[0]} receives no LSOA")
    for source_id, column in (("iod2025_domains", "lsoa21_code"), ("iod2025_subdomains", "lsoa21_code"),
                              ("iod2025_indicators", "lsoa21_code"), ("census2021_population", "lsoa21_code")):
        check_members(inputs[source_id][column], lsoa_codes, inputs.sources[source_id].path, column, "LSOA 2021 in the boundaries")
    lsoa11_codes = set(inputs["lsoa11_boundaries"].LSOA11CD)
    for source_id, column in (("iod2019_scores", "lsoa_code"), ("iod2019_indicators", "lsoa11_code"),
                              ("lsoa11_lsoa21_lookup", "lsoa11_code")):
        check_members(inputs[source_id][column], lsoa11_codes, inputs.sources[source_id].path, column, "LSOA 2011 in the boundaries")
    bridge = inputs["lsoa11_lsoa21_lookup"]
    bad_change = ~bridge.change_code.isin(["U", "S", "M", "X"])
    if bad_change.any():
        i = int(bad_change.to_numpy().nonzero()[0][0])
        raise DataError(inputs.sources["lsoa11_lsoa21_lookup"].path, "change_code", i + 2,
                        f"{bridge.change_code.iloc[i]!r} is not one of U, S, M, X")
    population_counts = inputs["census2021_population"].groupby("lsoa21_code").size()
    if (population_counts != 6).any() or len(population_counts) != len(lsoa_codes):
        bad = population_counts[population_counts != 6]
        raise DataError(inputs.sources["census2021_population"].path, "lsoa21_code", None,
                        f"each LSOA needs 6 age bands; {bad.index[0] if len(bad) else 'some LSOA'} does not")
    for file in OFCOM_DISTRICT_FILES:
        codes = inputs[file.source_id][file.key]
        check_members(codes, districts, inputs.sources[file.source_id].path, file.key, "Kent district")
        if set(codes) != districts:
            raise DataError(inputs.sources[file.source_id].path, file.key, None, "expected a row for each of Kent's 12 districts")
    check_members(inputs["naptan_stops"].ATCOCode, set(inputs["naptan_localities"].ATCOCode),
                  inputs.sources["naptan_stops"].path, "ATCOCode", "stop in NaPTAN's Stops.csv (for its locality)")
    for source_id in ("naptan_stops", "rail_stations", "postcodes"):
        check_members(inputs[source_id].WD25CD, ward_codes, inputs.sources[source_id].path, "WD25CD", "WD25 ward")
    postcodes, postcodes_path = inputs["postcodes"], inputs.sources["postcodes"].path
    check_members(postcodes.cpo_admin_ward, ward_codes, postcodes_path, "cpo_admin_ward", "WD25 ward")
    check_members(postcodes.cpo_admin_district, districts, postcodes_path, "cpo_admin_district", "Kent district")
    wrong_district = postcodes.cpo_admin_district != postcodes.cpo_admin_ward.map(ward_district)
    if wrong_district.any():
        i = int(wrong_district.to_numpy().nonzero()[0][0])
        raise DataError(postcodes_path, "cpo_admin_district", i + 2,
                        f"ward {postcodes.cpo_admin_ward.iloc[i]} is not in district {postcodes.cpo_admin_district.iloc[i]}")
