"""Tables of change over time that `geo build` writes: Ofcom's district series, IMD 2019 on 2021 LSOAs, the rules.

The explorer side is geo/explorer/change.py, which reads these tables from the database only.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.pipeline import comparability


@dataclass(frozen=True)
class OfcomDistrictFile:
    """One of Ofcom's local-authority coverage files in the mirror, in date order."""

    source_id: str
    snapshot: str  # as shown on the chart's axis
    sfbb_banded: bool  # SFBB counted only 30-300 Mbit/s (before 2020); from 2020 it is cumulative


# The 2016-2021 file names were set by the repository they came from; Ofcom's month is not stated (SOURCES.md 4).
OFCOM_DISTRICT_FILES = (
    OfcomDistrictFile("ofcom_district_2016", "2016", True),
    OfcomDistrictFile("ofcom_district_2017", "2017", True),
    OfcomDistrictFile("ofcom_district_2018", "2018", True),
    OfcomDistrictFile("ofcom_district_2019", "2019", True),
    OfcomDistrictFile("ofcom_district_2020", "2020", False),
    OfcomDistrictFile("ofcom_district_2021", "2021 (earlier file)", False),
    OfcomDistrictFile("ofcom_district_202105", "May 2021", False),
)
# Ofcom's column headers for each series column (the first one a file has is used; none: not published then).
_OFCOM_COLUMNS = {
    "all_premises": ("All Premises",),
    "sfbb_pct_as_published": ("SFBB availability (% premises)",),
    "ufbb_pct": ("UFBB availability (% premises)",),
    "full_fibre_pct": ("Full Fibre availability (% premises)", "FTTP availability (% premises)"),
    "gigabit_pct": ("Gigabit availability (% premises)",),
    "below_uso_pct": ("% of premises below the USO",),
    "unable_30mbit_pct": ("% of premises unable to receive 30Mbit/s",),
}


def ofcom_district_timeseries(inputs) -> pd.DataFrame:
    """Long table: one row per district and Ofcom file, the published percentages, and superfast-or-better
    made comparable (SFBB + UFBB while SFBB was a band, SFBB as published once it became cumulative)."""
    parts = []
    for order, file in enumerate(OFCOM_DISTRICT_FILES, start=1):
        source = inputs[file.source_id]
        key = inputs.sources[file.source_id].key  # the district code column (the registry's key)
        part = pd.DataFrame({"district_code": source[key].to_numpy(), "snapshot": file.snapshot,
                             "snapshot_order": order, "source_id": file.source_id})
        for column, headers in _OFCOM_COLUMNS.items():
            header = next((h for h in headers if h in source.columns), None)
            part[column] = pd.to_numeric(source[header], errors="raise").to_numpy() if header else float("nan")
        part["sfbb_or_better_pct"] = (part.sfbb_pct_as_published + part.ufbb_pct).round(1) if file.sfbb_banded \
            else part.sfbb_pct_as_published
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def imd2019_on_lsoa21(inputs) -> pd.DataFrame:
    """Each 2021 LSOA's IMD 2019 (from its 2011 LSOA or LSOAs): the ONS change code, the parent codes, the
    decile when it is a single one (unchanged or split; a merged LSOA whose parents differ has none)."""
    bridge = inputs["lsoa11_lsoa21_lookup"][["lsoa11_code", "lsoa21_code", "change_code"]]
    scores = inputs["iod2019_scores"][["lsoa_code", "imd_score", "imd_decile"]].rename(columns={"lsoa_code": "lsoa11_code"})
    joined = bridge.merge(scores, on="lsoa11_code", how="left")
    grouped = joined.groupby("lsoa21_code", sort=True)
    frame = pd.DataFrame({
        "lsoa_code": list(grouped.groups),
        "change_code": grouped.change_code.agg(lambda codes: "".join(sorted(set(codes)))).to_numpy(),
        "lsoa11_codes": grouped.lsoa11_code.agg(lambda codes: ",".join(sorted(codes))).to_numpy(),
        "imd2019_deciles": grouped.imd_decile.agg(lambda d: ",".join(str(int(x)) for x in sorted(set(d)))).to_numpy(),
    })
    single = grouped.imd_decile.agg(lambda d: int(d.iloc[0]) if d.nunique() == 1 else None).to_numpy()
    frame["imd2019_decile"] = pd.array(single, dtype="Int64")
    # the parents' range decides "in the most deprived 10% / 20%" when they agree, even without a single decile
    frame["imd2019_decile_min"] = grouped.imd_decile.min().astype(int).to_numpy()
    frame["imd2019_decile_max"] = grouped.imd_decile.max().astype(int).to_numpy()
    return frame


def comparability_rules(catalogue: pd.DataFrame) -> pd.DataFrame:
    """data/comparability.csv, validated against the catalogue, for the database."""
    rules = comparability.load(catalogue.index)
    return rules.assign(rule_order=range(1, len(rules) + 1))
