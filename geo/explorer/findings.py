"""Plain-English findings about a district's wards, each sentence dated, with its source and vintage."""
from __future__ import annotations

import calendar
import math
import re

from geo import catalogue
from geo.catalogue import format_value
from geo.explorer import db
from geo.explorer.areas import districts
from geo.explorer.change import MEDWAY_DOMINATED
from geo.explorer.layers import benchmarks, layer
from geo.explorer.metadata import indicator

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
    """Plain-English findings about a district's wards, each dated in its sentence, with its source and vintage.
    Made once per database file and district; treat them as read-only."""
    return db.derived("district_findings", lambda: _district_findings(district_code), db.VIEW_POOL,
                      district_code=district_code)


def _district_findings(district_code: str) -> list[dict]:
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
    district_figure = (f"{catalogue.data_date(gigabit['vintage'])}, gigabit-capable broadband reached "
                       f"{format_value(gigabit_values.value[district_code], gigabit)} of premises in {name}: "
                       f"{place} of Kent's 12 districts")
    findings.append(_latest_gigabit(district_code, name, gigabit, district_figure))
    return check_dated(findings)


CONSTITUENCY_SHARE_PCT = 10  # a constituency "covers" a district when it holds at least this share of its area


def _latest_gigabit(district_code: str, name: str, gigabit: dict, district_figure: str) -> dict:
    """Gigabit coverage from the newest data the database has: Ofcom's constituency file (Jan 2024) for the
    constituencies covering the district, then Ofcom's last district figure (May 2021), each with its date."""
    rows = db.run("ofcom_latest_constituencies_for_district", district_code=district_code,
                  min_district_share_pct=CONSTITUENCY_SHARE_PCT).dropna(subset=["gigabit_pct"])
    if rows.empty:
        return {"text": f"{district_figure} (Ofcom's newest figure for {name}).", "source": gigabit["publisher"],
                "vintage": gigabit["vintage"]}
    snapshot = int(rows.snapshot_yyyymm.iloc[0])
    month = f"{calendar.month_name[snapshot % 100]} {snapshot // 100}"
    parts = [f"{r.gigabit_pct:.1f}% {'of premises ' if i == 0 else ''}in {r.constituency_name} ("
             + ("mostly in Medway; " if r.constituency_code in MEDWAY_DOMINATED else "")
             + f"{r.district_share_pct:.0f}% of {name}'s area)" for i, r in enumerate(rows.itertuples())]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    text = (f"In {month}, Ofcom's newest figures, published by parliamentary constituency (2010-2024 boundaries, "
            f"which do not follow district lines), put gigabit-capable broadband at {listed}. "
            f"{district_figure}, in Ofcom's last figures by district.")
    return {"text": text, "source": gigabit["publisher"],
            "vintage": f"Connected Nations {month} (constituencies); {gigabit['vintage']} (districts)"}
