"""Indicator values as the build makes them: LSOA values on 2021 LSOAs, values published for wards or districts
as published, and the postcode-based measures; the SQL in queries/build/ aggregates them to wards, districts and Kent."""
from __future__ import annotations

import pandas as pd

from geo.pipeline.inputs import Inputs


def lsoa_population(inputs: Inputs) -> pd.DataFrame:
    """Census 2021 usual residents per 2021 LSOA (the six age bands added up)."""
    census = inputs["census2021_population"]
    return census.groupby("lsoa21_code", as_index=False).usual_residents.sum().rename(
        columns={"lsoa21_code": "lsoa_code", "usual_residents": "population"})


def lsoa11_carried_to_lsoa21(values: pd.DataFrame, bridge: pd.DataFrame) -> pd.DataFrame:
    """LSOA 2011 values on 2021 LSOAs: unchanged and split LSOAs take their parent's value;
    merged LSOAs take the unweighted mean of their parents (no 2011 populations in the mirror)."""
    joined = bridge[["lsoa11_code", "lsoa21_code"]].merge(values, on="lsoa11_code", how="left")
    return joined.groupby("lsoa21_code", as_index=False).value.mean(numeric_only=True).rename(columns={"lsoa21_code": "lsoa_code"})


def lsoa_values(inputs: Inputs, catalogue: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Long table (indicator_id, lsoa_code, value) of every LSOA-based indicator on 2021 LSOAs."""
    parts = []
    for row in catalogue.itertuples():
        if row.geography not in ("lsoa21", "lsoa11"):
            continue
        if row.aggregation == "population_sum":
            values = population.rename(columns={"population": "value"})
        else:
            source = inputs[row.source_id]
            values = pd.DataFrame({"lsoa_code": source[inputs.sources[row.source_id].key], "value": source[row.source_column]})
            if row.aggregation.startswith("population_share_decile"):
                worst_decile = 2 if row.aggregation.endswith("1_2") else 1
                values["value"] = (values.value <= worst_decile).astype(float) * 100
            if row.geography == "lsoa11":
                values = lsoa11_carried_to_lsoa21(values.rename(columns={"lsoa_code": "lsoa11_code"}), inputs["lsoa11_lsoa21_lookup"])
        parts.append(values.assign(indicator_id=row.indicator_id)[["indicator_id", "lsoa_code", "value"]])
    return pd.concat(parts, ignore_index=True)


def lsoa_deciles(inputs: Inputs, catalogue: pd.DataFrame) -> pd.DataFrame:
    """England's published decile of each IoD 2025 measure per LSOA, for national-decile map classes."""
    parts = []
    for row in catalogue[catalogue.decile_column != ""].itertuples():
        source = inputs[row.source_id]
        parts.append(pd.DataFrame({"indicator_id": row.indicator_id, "lsoa_code": source.lsoa21_code,
                                   "decile": source[row.decile_column].astype(int)}))
    return pd.concat(parts, ignore_index=True)


def native_values(inputs: Inputs, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Indicators published only at ward or district level, as published."""
    parts = []
    for row in catalogue[catalogue.aggregation == "none"].itertuples():
        source = inputs[row.source_id]
        parts.append(pd.DataFrame({"indicator_id": row.indicator_id, "level": row.geography,
                                   "area_code": source[inputs.sources[row.source_id].key], "value": source[row.source_column]}))
    return pd.concat(parts, ignore_index=True)


def postcode_values(access: pd.DataFrame, postcode_geography: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Long table of the postcode-based indicators, with each postcode's LSOA, ward and district."""
    parts = []
    for row in catalogue[catalogue.geography == "postcode"].itertuples():
        parts.append(postcode_geography.assign(indicator_id=row.indicator_id, aggregation=row.aggregation,
                                               value=access[row.source_column].to_numpy()))
    return pd.concat(parts, ignore_index=True)
