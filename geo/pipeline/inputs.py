"""Read every source in the registry (geo/pipeline/sources.py), validate it against its entry, then check the
files against each other: the codes each column references, and the cross-file rules a declaration cannot say."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import catalogue as indicator_catalogue
from geo.config import DISTRICT_CODES
from geo.pipeline.readers import read_csv, read_geojson
from geo.pipeline.sources import PERCENT, SOURCES, Source, number
from geo.pipeline.validate import Column, DataError, check_members, file_row


@dataclass
class Inputs:
    """All validated input frames, by source_id, with their registry entries."""

    frames: dict[str, pd.DataFrame | gpd.GeoDataFrame]
    sources: dict[str, Source]
    data_dir: Path

    def __getitem__(self, source_id: str):
        return self.frames[source_id]

    def renamed(self, source_id: str, only_renamed: bool = False):
        """The source's frame with the warehouse's column names (its registry `renames`); with `only_renamed`,
        just those columns, in the registry's order (and the geometry of a boundary file)."""
        renames = self.sources[source_id].renames
        frame = self.frames[source_id].rename(columns=dict(renames))
        if only_renamed:
            frame = frame[list(renames.values()) + (["geometry"] if "geometry" in frame.columns else [])]
        return frame


def _columns_with_catalogue(catalogue: pd.DataFrame) -> dict[str, list[Column]]:
    """Each source's columns, plus each indicator's source column (a number) and decile column."""
    columns = {source_id: list(source.columns) for source_id, source in SOURCES.items()}
    for row in catalogue.itertuples():
        if row.source_id not in columns or row.geography == "postcode" or row.aggregation == "gap_index":
            continue
        known = {column.name for column in columns[row.source_id]}
        if row.source_column not in known:
            percent = PERCENT if row.unit.startswith("%") else {}
            columns[row.source_id].append(number(row.source_column, nullable=True, **percent))
        if row.decile_column and row.decile_column not in known:
            columns[row.source_id].append(number(row.decile_column, 1, 10, integer=True))
    return columns


def read_inputs(data_dir: Path, progress=lambda message: None) -> Inputs:
    """Read and validate every source in the registry, then check that the files agree with each other."""
    catalogue = indicator_catalogue.load()
    unknown = set(catalogue.source_id) - set(SOURCES)
    if unknown:
        raise DataError("data/indicators.csv", "source_id", None, f"unknown source {sorted(unknown)[0]!r}")
    all_columns = _columns_with_catalogue(catalogue)
    frames = {}
    for source_id, source in SOURCES.items():
        columns, key = all_columns[source_id], source.key
        progress(f"reading {source.path}")
        if source.reader == "geojson":
            frames[source_id] = read_geojson(source, data_dir, columns, key)
            repaired = frames[source_id].attrs.get("repaired", [])
            progress(f"  {len(repaired)} invalid polygon(s) repaired, holes kept as holes"
                     + (f": {', '.join(repaired)}" if repaired else ""))
        else:
            frames[source_id] = read_csv(source, data_dir, columns, key)
    inputs = Inputs(frames, dict(SOURCES), data_dir)
    check_relationships(inputs)
    return inputs


def _row_of(source: Source):
    """Row numbers as a reader of the file counts them: GeoJSON features from 1, CSV lines after the header."""
    return (lambda index: index + 1) if source.reader == "geojson" else file_row


def check_references(inputs: Inputs) -> None:
    """Every column that references another source's column holds only codes that source has (sources.py)."""
    for source_id, source in inputs.sources.items():
        for column in source.columns:
            if column.references is None:
                continue
            target_id, target_column = column.references.split(".")
            target = inputs.sources[target_id]
            check_members(inputs[source_id][column.name], set(inputs[target_id][target_column]), source.path, column.name,
                          f"{target_column} in {target.path}", row_of=_row_of(source))


def check_relationships(inputs: Inputs) -> None:
    """Cross-file rules: Kent's 12 districts, then every declared reference, then what a declaration cannot say:
    every LSOA in exactly one ward, wards in their lookup districts, six age bands, postcodes' wards in their districts."""
    districts = set(inputs["districts_lad25"].LAD25CD)
    if districts != set(DISTRICT_CODES):
        path = inputs.sources["districts_lad25"].path
        raise DataError(path, "LAD25CD", None, f"expected Kent's 12 districts E07000105-E07000116, found {sorted(districts)}")
    check_references(inputs)
    wards = inputs["wards_wd25"]
    ward_codes = set(wards.WD25CD)
    lsoa_codes = set(inputs["lsoa21_boundaries"].LSOA21CD)
    lookup = inputs["lsoa21_ward_lookup"]
    lookup_path = inputs.sources["lsoa21_ward_lookup"].path
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
    population_counts = inputs["census2021_population"].groupby("lsoa21_code").size()
    if (population_counts != 6).any() or len(population_counts) != len(lsoa_codes):
        bad = population_counts[population_counts != 6]
        raise DataError(inputs.sources["census2021_population"].path, "lsoa21_code", None,
                        f"each LSOA needs 6 age bands; {bad.index[0] if len(bad) else 'some LSOA'} does not")
    postcodes, postcodes_path = inputs["postcodes"], inputs.sources["postcodes"].path
    wrong_district = postcodes.cpo_admin_district != postcodes.cpo_admin_ward.map(ward_district)
    if wrong_district.any():
        i = int(wrong_district.to_numpy().nonzero()[0][0])
        raise DataError(postcodes_path, "cpo_admin_district", i + 2,
                        f"ward {postcodes.cpo_admin_ward.iloc[i]} is not in district {postcodes.cpo_admin_district.iloc[i]}")
