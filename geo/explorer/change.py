"""Change over time, as the /change page shows it, read from the database only (no Streamlit here).

What may be compared with what, and how, is data: the ``comparability`` table (data/comparability.csv, loaded and
validated by ``geo build``). Three kinds of view follow from it:

- editions (rule ``rank`` / ``decile`` against another catalogue indicator): IMD 2019 -> 2025, as a change in Kent
  rank (a diverging map and a table) and in England's decile (LSOAs) or in the share of residents in England's most
  deprived 10% / 20% (wards and districts); never as a change in score;
- series (rule ``level`` against a series table): Ofcom's own district (2016-May 2021) and constituency
  (Sept 2018-Jan 2024) files, as line charts with the same points as tables;
- none: the indicator has no comparable predecessor, and the rule's caveat says why; a ``related`` rule may add a
  series shown for context only (ORR station usage beside the rail-access indicators).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from geo.explorer import db, maps
from geo.catalogue import NO_DATA
from geo.explorer.state import LEVEL_NOUN, LEVEL_PLURAL

RANK_CHANGE = {"indicator_id": "imd_rank_change", "label": "Places moved towards the most deprived in Kent, IMD 2019 to 2025",
               "unit": "places", "decimals": 0, "polarity": "higher_worse"}
IMD_EDITIONS = ("IMD 2019 (September 2019)", "IMD 2025 (October 2025)")
SERIES_LABELS = {"ofcom_district_timeseries": "Ofcom, by district: 2016 to May 2021",
                 "ofcom_constituency_timeseries": "Ofcom, by parliamentary constituency: Sept 2018 to Jan 2024",
                 "station_usage": "ORR estimates of station usage: 1997-98 to 2021-22"}
MEDWAY_DOMINATED = {"E14000626": "Chatham and Aylesford (mostly Medway)"}  # SOURCES.md section 9
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ------------------------------------------------------------------ the rules

def rules(indicator_id: str) -> pd.DataFrame:
    """The comparability rules of one indicator (at least one row for every catalogue indicator)."""
    return db.run("comparability_rules", indicator_id=indicator_id)


def view_kind(indicator_rules: pd.DataFrame) -> str:
    """Which view the rules call for: 'editions', 'series' or 'none'."""
    kinds = set(indicator_rules.comparison)
    if kinds & {"rank", "decile"}:
        return "editions"
    if "level" in kinds:
        return "series"
    return "none"


def rules_in_words(indicator_rules: pd.DataFrame) -> list[str]:
    """One sentence per rule: what it may be compared with, how, and the caveat."""
    how = {"rank": "by Kent rank", "decile": "by England's decile", "level": "by value, as published",
           "related": "only as context (a different measure)"}
    lines = []
    for rule in indicator_rules.itertuples():
        if rule.comparison == "none":
            lines.append(rule.caveat)
            continue
        other = rule.compared_label if isinstance(rule.compared_label, str) else SERIES_LABELS.get(rule.compared_with,
                                                                                                  rule.compared_with)
        vintage = f", {rule.compared_vintage}" if isinstance(rule.compared_vintage, str) else ""
        lines.append(f"With {other}{vintage}: compare {how[rule.comparison]}. {rule.caveat}")
    return lines


# ------------------------------------------------------------------ IMD 2019 -> 2025

def shift_thresholds(n_areas: int) -> tuple[int, int, int]:
    """Rank-change class edges for a level of n areas: within t1 places is 'little change'; t2 and t3 mark bigger moves
    (2%, 8% and 20% of the areas ranked, kept at least one place apart)."""
    t1 = round(0.02 * n_areas)
    t2 = max(t1 + 2, round(0.08 * n_areas))
    t3 = max(t2 + 1, round(0.20 * n_areas))
    return t1, t2, t3


def _places(low: int, high: int | None) -> str:
    if high is None:
        return f"{low} or more places"
    if low == high:
        return f"{low} place" + ("" if low == 1 else "s")
    return f"{low} to {high} places"


def rank_change_classes(shifts, n_areas: int) -> maps.Classification:
    """Seven diverging classes of rank change (positive = moved towards the most deprived), edges from n_areas."""
    t1, t2, t3 = shift_thresholds(n_areas)
    less, more = "towards the least deprived", "towards the most deprived"
    labels = (f"{_places(t3, None)} {less}", f"{_places(t2, t3 - 1)} {less}", f"{_places(t1 + 1, t2 - 1)} {less}",
              "No change" if t1 == 0 else f"Within {_places(t1, t1)} either way",
              f"{_places(t1 + 1, t2 - 1)} {more}", f"{_places(t2, t3 - 1)} {more}", f"{_places(t3, None)} {more}")
    upper = (-t3, -t2, -(t1 + 1), t1, t2 - 1, t3 - 1, float("inf"))

    def class_of(shift):
        if shift is None or pd.isna(shift):
            return None
        return next(i for i, bound in enumerate(upper) if shift <= bound)

    return maps.Classification("rank_change", tuple(float(b) for b in upper), tuple(class_of(s) for s in shifts), labels)


def _rank(rank, out_of) -> str:
    return "" if pd.isna(rank) else f"{int(rank)} of {int(out_of)}"


def _percent(value) -> str:
    return NO_DATA if pd.isna(value) else f"{value:.1f}%"


def _signed(value, unit: str = "") -> str:
    if pd.isna(value):
        return NO_DATA
    number = f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.1f}"
    return (number.replace("+0", "0") if value == 0 else number) + unit


def _boundary_note(row) -> str:
    """How a 2021 LSOA relates to its 2011 LSOA(s), for the table."""
    if row.change_code == "U":
        return "Unchanged"
    if row.change_code == "S":
        return f"Split from {row.lsoa11_codes} (2019 figures are the parent's)"
    if row.change_code == "M":
        return (f"Merged from {row.lsoa11_codes.replace(',', ' and ')} (2019 score: the mean of theirs; "
                f"2019 deciles {row.deciles_2019.replace(',', ' and ')}, so no single 2019 decile)")
    return f"Change code {row.change_code}"


@dataclass
class ImdChange:
    """IMD 2019 -> 2025 for one level (optionally one district's areas): ranks, deciles or shares, classes."""

    level: str
    district_code: str | None
    values: pd.DataFrame  # queries/imd_change_for_level.sql plus rank_shift and decile_shift
    classification: maps.Classification
    indicator: dict = field(default_factory=dict)  # what the legend, tooltip and source line say
    notes: list[str] = field(default_factory=list)

    @property
    def out_of(self) -> int:
        """How many areas each edition ranks (all of Kent at this level)."""
        return int(self.values.kent_areas_ranked.max()) if len(self.values) else 0

    @cached_property
    def colours(self) -> list[str]:
        """The diverging palette, one colour per class."""
        return maps.diverging_palette(self.classification.k)

    def features(self) -> list[dict]:
        """Map features: name and places moved (the tooltip), by area code."""
        return [{"area_code": r.area_code, "area_name": r.area_name, "value": None if pd.isna(r.rank_shift) else float(r.rank_shift),
                 "rank": None} for r in self.values.itertuples()]

    def map(self, selected_codes=(), overlays=None):
        """The diverging folium map of the rank change, on the TopoJSON built for this level and district."""
        built = db.run("map_topology", level=self.level, district_code=self.district_code).iloc[0]
        geometry = maps.MapGeometry(built.topojson, tuple(built.area_codes), (built.west, built.south, built.east, built.north))
        return maps.choropleth(self.features(), self.indicator, self.classification, selected_codes=selected_codes,
                               overlays=overlays or {}, geometry=geometry, colours=self.colours)

    def legend_html(self) -> str:
        """The HTML legend with each class's range in words."""
        return maps.legend_html(self.indicator, self.classification, palette=self.colours)

    def table(self) -> pd.DataFrame:
        """Every area on the map: both editions' Kent ranks, the places moved, and deciles (LSOAs) or shares."""
        return self._table.copy()

    @cached_property
    def _table(self) -> pd.DataFrame:
        v, noun = self.values, LEVEL_NOUN[self.level][0].upper() + LEVEL_NOUN[self.level][1:]
        table = pd.DataFrame({f"{noun} code": v.area_code, noun: v.area_name, "District": v.district_name})
        if self.level == "lsoa":
            table["2011 LSOA(s)"] = v.lsoa11_codes
            table["Boundary 2011 to 2021"] = [_boundary_note(r) for r in v.itertuples()]
        table["Kent rank, IMD 2019"] = [_rank(r, self.out_of) for r in v.kent_rank_2019]
        table["Kent rank, IMD 2025"] = [_rank(r, self.out_of) for r in v.kent_rank_2025]
        table["Places moved towards most deprived (negative: towards least)"] = [_signed(s) for s in v.rank_shift]
        if self.level == "lsoa":
            table["England decile, IMD 2019 (1 = most deprived 10%)"] = [
                (str(int(d)) if not pd.isna(d) else f"None ({all_.replace(',', ' and ')} in its 2011 parts)")
                for d, all_ in zip(v.decile_2019, v.deciles_2019)]
            table["England decile, IMD 2025"] = [str(int(d)) for d in v.decile_2025]
            table["Deciles moved towards most deprived"] = [_signed(s) for s in v.decile_shift]
        else:
            table["In England's most deprived 10%: 2019"] = [_percent(x) for x in v.most_deprived_10pct_2019]
            table["2025"] = [_percent(x) for x in v.most_deprived_10pct_2025]
            table["In England's most deprived 20%: 2019"] = [_percent(x) for x in v.most_deprived_20pct_2019]
            table["2025 "] = [_percent(x) for x in v.most_deprived_20pct_2025]
            table["Change in most deprived 20% (points)"] = [
                _signed(b - a, "") for a, b in zip(v.most_deprived_20pct_2019, v.most_deprived_20pct_2025)]
        return table

    def summary(self) -> list[str]:
        """Sentences about the change, each naming both editions."""
        v, plural = self.values, LEVEL_PLURAL[self.level]
        t1, t2, _ = shift_thresholds(self.out_of)
        where = "" if self.district_code is None else f" in {v.district_name.iloc[0]}"
        editions = f"Between {IMD_EDITIONS[0]} and {IMD_EDITIONS[1]}"
        lines = [f"{editions}, {int((v.rank_shift >= t2).sum())} of the {len(v)} {plural}{where} moved {t2} or more "
                 f"places towards the most deprived in Kent's ranking of its {self.out_of} {plural}, "
                 f"{int((v.rank_shift <= -t2).sum())} moved {t2} or more places towards the least deprived, and "
                 f"{int((v.rank_shift.abs() <= t1).sum())} stayed within {t1} places."]
        if self.level == "lsoa":
            known = v.decile_shift.dropna()
            lines.append(f"{editions}, {int((known > 0).sum())} of these {len(v)} LSOAs moved into a more deprived England "
                         f"decile, {int((known < 0).sum())} into a less deprived one and {int((known == 0).sum())} stayed "
                         f"in the same decile" + (f"; {len(v) - len(known)} (merged from 2011 LSOAs in different deciles) "
                                                  "has no single 2019 decile." if len(known) < len(v) else "."))
            split = v[v.change_code != "U"]
            lines.append(f"{len(split)} of these LSOAs were split or merged between the 2011 and 2021 LSOA boundaries "
                         f"(ONS LSOA 2011 to 2021 lookup): their 2019 figures are their 2011 parents', flagged in the table.")
        return lines


def imd_change(level: str, district_code: str | None) -> ImdChange:
    """IMD 2019 -> 2025 at a level (district, ward or lsoa), for all of Kent or one district's areas; cached per
    database file like query results (the object is shared: treat it as read-only)."""
    return db.derived("imd_change", lambda: _imd_change(level, district_code), level=level, district_code=district_code)


def _imd_change(level: str, district_code: str | None) -> ImdChange:
    values = db.run("imd_change_for_level", level=level, district_code=district_code)
    values = values.assign(rank_shift=values.kent_rank_2019 - values.kent_rank_2025,
                           decile_shift=pd.to_numeric(values.decile_2019, errors="coerce")
                           - pd.to_numeric(values.decile_2025, errors="coerce"))
    n_areas = int(values.kent_areas_ranked.max()) if len(values) else 0
    catalogue_rows = db.run("indicator_catalogue").set_index("indicator_id")
    imd = catalogue_rows.loc["imd_score"]
    shown = dict(RANK_CHANGE, publisher=imd.publisher, vintage=f"{IMD_EDITIONS[0]} and {IMD_EDITIONS[1]}", caveat="",
                 method=f"Each edition's IMD score ranked within Kent's {n_areas} {LEVEL_PLURAL[level]} (1 = most deprived); "
                        f"the map shows Kent rank in 2019 minus Kent rank in 2025, so a positive number is a move "
                        f"towards the most deprived. {catalogue_rows.loc['imd2019_score'].method}")
    return ImdChange(level, district_code, values, rank_change_classes(values.rank_shift.tolist(), n_areas), shown)


# ------------------------------------------------------------------ series (Ofcom) and related series (ORR)

def _month(yyyymm: int) -> str:
    return f"{_MONTHS[yyyymm % 100 - 1]} {yyyymm // 100}"


@dataclass
class Series:
    """One published series for one measure: the points (area, snapshot, value) in order, ready to chart and tabulate."""

    title: str
    area_heading: str
    value_heading: str
    points: pd.DataFrame  # area_code, area, snapshot, snapshot_order, value
    notes: list[str] = field(default_factory=list)
    decimals: int = 1

    @property
    def snapshots(self) -> list[str]:
        """The x-axis labels in order."""
        return list(self.points.drop_duplicates("snapshot_order").sort_values("snapshot_order").snapshot)

    def chart(self, highlight: str | None = None) -> tuple[pd.DataFrame, dict]:
        """The points and a Vega-Lite line chart spec of them (one line per area; a file that does not publish the
        measure has no point); ``highlight`` (an area code) dims the other lines."""
        data = self.points.assign(shown=self.points.value.round(self.decimals))
        if highlight:
            data = data.assign(emphasis=(data.area_code == highlight).map({True: 1.0, False: 0.25}))
        encoding = {
            "x": {"field": "snapshot", "type": "ordinal", "sort": self.snapshots, "title": None,
                  "axis": {"labelAngle": 0, "labelOverlap": True}},
            "y": {"field": "shown", "type": "quantitative", "title": self.value_heading},
            "color": {"field": "area", "type": "nominal", "title": self.area_heading,
                      "scale": {"scheme": "tableau20"}, "legend": {"orient": "bottom", "columns": 3, "labelLimit": 260}},
            "tooltip": [{"field": "area", "title": self.area_heading}, {"field": "snapshot", "title": "Ofcom file"
                        if "Ofcom" in self.title else "Year"}, {"field": "shown", "title": self.value_heading}],
        }
        if highlight:
            encoding["opacity"] = {"field": "emphasis", "type": "quantitative", "legend": None, "scale": None}
        return (data.dropna(subset=["value"]).reset_index(drop=True),
                {"height": 380, "mark": {"type": "line", "point": True, "strokeWidth": 2}, "encoding": encoding})

    def table(self) -> pd.DataFrame:
        """The same points as a table: one row per area, one column per snapshot ('Not published' where absent)."""
        wide = self.points.pivot(index=["area_code", "area"], columns="snapshot", values="value").reindex(
            columns=self.snapshots)
        wide = wide.reset_index().rename(columns={"area_code": "Code", "area": self.area_heading})
        for column in self.snapshots:
            wide[column] = ["Not published" if pd.isna(x) else f"{x:,.{self.decimals}f}" for x in wide[column]]
        wide.columns.name = None
        return wide


def ofcom_series(compared_with: str, column: str, indicator_row: dict) -> Series:
    """Ofcom's published series of one coverage column, by district or by constituency."""
    heading = str(indicator_row["unit"])[0].upper() + str(indicator_row["unit"])[1:]
    if compared_with == "ofcom_district_timeseries":
        rows = db.run("ofcom_district_series")
        points = pd.DataFrame({"area_code": rows.district_code, "area": rows.district_name, "snapshot": rows.snapshot,
                               "snapshot_order": rows.snapshot_order, "value": rows[column]})
        return Series(SERIES_LABELS[compared_with], "District", heading, points)
    rows = db.run("ofcom_constituency_series")
    points = pd.DataFrame({"area_code": rows.constituency_code,
                           "area": [MEDWAY_DOMINATED.get(c, n) for c, n in zip(rows.constituency_code, rows.constituency_name)],
                           "snapshot": [_month(int(m)) for m in rows.snapshot_yyyymm],
                           "snapshot_order": rows.snapshot_yyyymm, "value": rows[column]})
    return Series(SERIES_LABELS[compared_with], "Constituency", heading, points)


def _financial_year(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def station_usage(district_code: str | None) -> tuple[Series, Series]:
    """ORR entries and exits by year: per district (sum of its stations) and per station (one district's, or all)."""
    rows = db.run("station_usage_by_year", district_code=None)
    rows = rows.assign(snapshot=rows.financial_year_start.map(_financial_year), thousands=rows.entries_exits / 1e3)
    totals = rows.groupby(["district_code", "district_name", "financial_year_start", "snapshot"], as_index=False).agg(
        thousands=("thousands", lambda x: x.sum(min_count=1)), stations=("thousands", "count"))
    by_district = Series(SERIES_LABELS["station_usage"] + ", by district (sum of its stations)", "District",
                         "Entries and exits (thousands)",
                         pd.DataFrame({"area_code": totals.district_code, "area": totals.district_name,
                                       "snapshot": totals.snapshot, "snapshot_order": totals.financial_year_start,
                                       "value": totals.thousands}), decimals=0)
    late = rows[rows.entries_exits.isna()].groupby("station_name").financial_year_start.max()
    if len(late):
        by_district.notes.append("Stations with no estimate for the early years add nothing to their district's total "
                                 "then: " + "; ".join(f"{name} (none until {_financial_year(int(year) + 1)})"
                                                      for name, year in late.items()) + ".")
    here = rows if district_code is None else rows[rows.district_code == district_code]
    by_station = Series(SERIES_LABELS["station_usage"] + ", by station", "Station", "Entries and exits (thousands)",
                        pd.DataFrame({"area_code": here.nlc.astype(str), "area": here.station_name,
                                      "snapshot": here.snapshot, "snapshot_order": here.financial_year_start,
                                      "value": here.thousands}), decimals=0)
    return by_district, by_station
