"""What /compare shows: chosen wards beside their districts and Kent, and each ward's fit to its neighbourhoods."""
from __future__ import annotations

import pandas as pd

from geo import catalogue
from geo.catalogue import NO_DATA, format_value
from geo.explorer import db, metadata
from geo.explorer.areas import wards
from geo.explorer.layers import missing_reason
from geo.explorer.metadata import indicator


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
    population, imd = indicator("population"), indicator("imd_score")
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
    for row in metadata.catalogue().itertuples():
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
