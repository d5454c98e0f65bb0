"""The registry of data sources: one entry per file the build reads, and the one place a source is defined.

Each `Source` says where the file sits in the mirror and who publishes it (provenance, stored in the database
as `source_files`), how many rows it must have, its key, its columns and their rules (codes, plausible ranges,
the codes they must find in another source), what the warehouse calls its columns (`renames`), and, when
`geo fetch` can refresh it, where the publisher serves it and how its columns map onto the mirror's (`fetch`).
The reader and validator (geo/pipeline/inputs.py), the build and the fetch all read this registry; the README's
list of sources is checked against it (tests/test_readme.py). To add a source, add an entry here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping
from urllib.parse import urlencode

from geo.config import DISTRICT_CODES
from geo.pipeline.validate import Column


@dataclass(frozen=True)
class Fetch:
    """How `geo fetch` refreshes a source from its publisher (geo/pipeline/fetch.py does the work)."""

    url: str | None  # None: the publisher has no fixed file; `geo fetch --base-url SOURCE_ID=URL`
    read: str  # how the download is parsed: "csv" or "arcgis_json" (fetch.READERS)
    kent_column: str  # the publisher's column that says whether a row is in Kent ...
    kent_rule: str  # ... and how (fetch.KENT_RULES): "district_code", "district_name", "lsoa21_name", "naptan_area"
    # Mirror column -> publisher column, in the mirror's order. None: keep the publisher's columns and the Kent
    # lines byte-for-byte, as the mirror's raw/ copies do.
    columns: Mapping[str, str] | None = None
    # For layouts a column mapping cannot express (fetch.RESHAPES): ORR's one column per measure and year.
    reshape: str | None = None
    measures: Mapping[str, str] = field(default_factory=dict)  # publisher measure -> the mirror's column suffix
    how_to_get_url: str = ""
    # A key column when the publisher's current file carries only its latest years: the fetched values are laid
    # over the mirror's copy (same key, same column), which keeps the earlier years it was published with.
    keep_earlier_years_by: str | None = None


@dataclass(frozen=True)
class Source:
    """One file in the mirror: where it is, who publishes it, what it must hold, and how it is refreshed."""

    source_id: str
    path: str  # relative to the mirror root
    publisher: str
    title: str
    vintage: str
    licence: str
    attribution: str
    official_url: str
    expected_rows: int
    key: str | None  # unique in the file; None: no single-column key
    columns: tuple[Column, ...]  # beyond the catalogue's indicator columns, which inputs.py adds
    renames: Mapping[str, str] = field(default_factory=dict)  # file column -> warehouse column
    fetch: Fetch | None = None

    @property
    def reader(self) -> str:
        """"geojson" or "csv", from the file's name."""
        return "geojson" if self.path.endswith(".geojson") else "csv"

    def provenance(self) -> dict[str, object]:
        """The source's row of the database's `source_files` table (before its checksum and rows loaded)."""
        return {name: getattr(self, name) for name in PROVENANCE_FIELDS}


PROVENANCE_FIELDS = ("source_id", "path", "publisher", "title", "vintage", "licence", "attribution", "official_url",
                     "expected_rows")


# ---------------------------------------------------------------- column rules

def code(name: str, kind: str, references: str | None = None, nullable: bool = False) -> Column:
    """A code column (kind: district, ward, lsoa, constituency, postcode), optionally one that must exist in
    another source ("source_id.COLUMN")."""
    return Column(name, f"code:{kind}", nullable=nullable, references=references)


def number(name: str, low=None, high=None, nullable=False, integer=False) -> Column:
    """A number (or whole number) column within a plausible range."""
    return Column(name, "integer" if integer else "number", low, high, nullable)


def name(column: str) -> Column:
    """A place or area name: plain text a page can show (validate.NAME)."""
    return Column(column, "name")


def text(column: str, accepted: tuple[str, ...] | None = None, references: str | None = None) -> Column:
    """Any text, optionally one of `accepted` values or a value of another source's column."""
    return Column(column, accepted=accepted, references=references)


PERCENT = MappingProxyType(dict(low=0, high=100))
DISTRICTS = "districts_lad25.LAD25CD"
WARDS = "wards_wd25.WD25CD"
LSOA21 = "lsoa21_boundaries.LSOA21CD"
LSOA11 = "lsoa11_boundaries.LSOA11CD"

# ---------------------------------------------------------------- publishers

OGL = "OGL v3.0"
ONS = "Office for National Statistics"
MHCLG = "Ministry of Housing, Communities and Local Government"
OFCOM = "Ofcom"
DFT = "Department for Transport"
ORR = "Office of Rail and Road"


def _ons_attribution(year: int) -> str:
    return ("Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
            f"Contains OS data © Crown copyright and database right {year}")


ONS_PORTAL = "https://geoportal.statistics.gov.uk/datasets/ons::"
IOD2025 = dict(publisher=MHCLG, vintage="IoD 2025 (October 2025)", licence=OGL,
               attribution=f"{MHCLG}, English Indices of Deprivation 2025, Open Government Licence v3.0.",
               official_url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025")
IOD2019 = dict(publisher=MHCLG, vintage="IoD 2019 (September 2019)", licence=OGL,
               attribution=f"{MHCLG}, English Indices of Deprivation 2019, Open Government Licence v3.0.",
               official_url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019")
OFCOM_CONNECTED_NATIONS = dict(publisher=OFCOM, licence=OGL,
                               attribution="Contains Ofcom Connected Nations data, Open Government Licence v3.0.")
OFCOM_URL = "https://www.ofcom.org.uk/research-and-data/multi-sector-research/infrastructure-research/"
NAPTAN = dict(publisher=DFT, vintage="Snapshot 21 July 2026", licence=OGL,
              attribution=f"{DFT}, National Public Transport Access Nodes (NaPTAN), Open Government Licence v3.0.",
              official_url="https://naptan.api.dft.gov.uk/v1/access-nodes?dataFormat=csv&atcoAreaCodes=240")
ORR_USAGE_URL = "https://dataportal.orr.gov.uk/statistics/usage/estimates-of-station-usage/"

# The eight IoD domains: the mirror's column prefix, MHCLG's File 7 domain name and its score label.
IOD_DOMAINS = (
    ("IMD", "Index of Multiple Deprivation (IMD)", "Score"),
    ("Income", "Income", "Score (rate)"),
    ("Employment", "Employment", "Score (rate)"),
    ("Education", "Education, Skills and Training", "Score"),
    ("Health", "Health Deprivation and Disability", "Score"),
    ("Crime", "Crime", "Score"),
    ("Housing_and_Services", "Barriers to Housing and Services", "Score"),
    ("Environment", "Living Environment", "Score"),
)
# ONS LSOA21_WD24_LAD24_EW_LU fields -> the column names geographr gave them in the mirror.
LSOA21_WARD24_COLUMNS = {"lsoa21_name": "LSOA21NM", "lsoa21_code": "LSOA21CD", "ward24_name": "WD24NM",
                         "ward24_code": "WD24CD", "ltla24_name": "LAD24NM", "ltla24_code": "LAD24CD"}
ONS_LOOKUP_QUERY = urlencode({
    "where": "LAD24CD IN (%s)" % ",".join(f"'{district}'" for district in DISTRICT_CODES),
    "outFields": ",".join(LSOA21_WARD24_COLUMNS.values()),
    "returnGeometry": "false",
    "f": "json",
})


def _ofcom_district(year: str, file: str, title: str, vintage: str, key: str = "laua",
                    official_url: str = OFCOM_URL + "connected-nations", columns=(), renames=None) -> Source:
    """One of Ofcom's local-authority coverage files (2016 to May 2021; the change page's series)."""
    return Source(
        f"ofcom_district_{year}", f"raw/broadband_ofcom_laua/{file}", title=title, vintage=vintage,
        official_url=official_url, expected_rows=12, key=key, renames=renames or {}, **OFCOM_CONNECTED_NATIONS,
        columns=tuple(columns) or (
            code(key, "district", DISTRICTS), text("laua_name"), number("SFBB availability (% premises)", **PERCENT),
            number("UFBB availability (% premises)", **PERCENT),
            number("% of premises unable to receive 30Mbit/s", **PERCENT)))


def _ofcom_yearly(year: int, note: str = "") -> Source:
    return _ofcom_district(str(year), f"kent_{year}_data.csv",
                           f"Connected Nations fixed broadband coverage by local authority, {year} file",
                           f"{year} file; month not stated by the source repository{note}",
                           key="laua_code" if year == 2016 else "laua")


# ---------------------------------------------------------------- the sources, in build order

_SOURCES = (
    Source(
        "wards_wd25", "raw/boundaries_wards_wd25_bgc/kent_wards_wd25_bgc.geojson", ONS,
        "Wards (May 2025) boundaries, generalised (BGC)", "WD25 (May 2025)", OGL, _ons_attribution(2025),
        ONS_PORTAL + "wards-may-2025-boundaries-uk-bgc", 255,
        key="WD25CD", columns=(code("WD25CD", "ward"), name("WD25NM"), code("LAD25CD", "district", DISTRICTS)),
        renames={"WD25CD": "ward_code", "WD25NM": "ward_name", "LAD25CD": "district_code"}),
    Source(
        "districts_lad25", "processed/kent_lad_from_wd25_bgc.geojson", ONS,
        "Local authority districts (union of WD25 BGC wards)", "LAD25 (May 2025)", OGL, _ons_attribution(2025),
        ONS_PORTAL + "wards-may-2025-boundaries-uk-bgc", 12,
        key="LAD25CD", columns=(code("LAD25CD", "district"), text("LAD25NM")),
        renames={"LAD25CD": "district_code", "LAD25NM": "district_name"}),
    Source(
        "lsoa21_boundaries", "processed/kent_lsoa21_bgc.geojson", ONS,
        "Lower layer super output areas (December 2021), generalised (BGC)", "LSOA 2021", OGL, _ons_attribution(2021),
        ONS_PORTAL + "lower-layer-super-output-areas-december-2021-boundaries-ew-bgc-v5", 938,
        key="LSOA21CD", columns=(code("LSOA21CD", "lsoa"), name("LSOA21NM"), code("LAD_FILE", "district")),
        renames={"LSOA21CD": "lsoa_code", "LSOA21NM": "lsoa_name"}),  # its district: the best-fit lookup's
    Source(
        "lsoa11_boundaries", "processed/kent_lsoa11_bgc.geojson", ONS,
        "Lower layer super output areas (December 2011), generalised (BGC)", "LSOA 2011", OGL, _ons_attribution(2011),
        ONS_PORTAL + "lower-layer-super-output-areas-december-2011-boundaries-ew-bgc-v3", 902,
        key="LSOA11CD", columns=(code("LSOA11CD", "lsoa"), name("LSOA11NM"), code("LAD_FILE", "district")),
        renames={"LSOA11CD": "lsoa11_code", "LSOA11NM": "lsoa11_name", "LAD_FILE": "district_code"}),
    Source(
        "pcon21_boundaries", "raw/boundaries_pcon21_buc/kent_pcon_dec2021_buc.geojson", ONS,
        "Westminster parliamentary constituencies (December 2021), ultra generalised (BUC)", "PCON Dec 2021", OGL,
        _ons_attribution(2021), ONS_PORTAL + "westminster-parliamentary-constituencies-december-2021-uk-buc", 15,
        key="PCON21CD", columns=(code("PCON21CD", "constituency"), name("PCON21NM")),
        renames={"PCON21CD": "constituency_code", "PCON21NM": "constituency_name"}),
    Source(
        "lsoa21_ward_lookup", "raw/lookups_geographr/kent_lsoa21_ward24_ltla24.csv", ONS,
        "LSOA (2021) to electoral ward (2024) to LAD (2024) best-fit lookup", "LSOA21 to WD24 (May 2024)", OGL,
        _ons_attribution(2025), ONS_PORTAL + "lsoa-2021-to-electoral-ward-2024-to-lad-2024-best-fit-lookup-in-ew", 938,
        key="lsoa21_code",
        columns=(code("lsoa21_code", "lsoa", LSOA21), name("lsoa21_name"), code("ward24_code", "ward", WARDS),
                 name("ward24_name"), code("ltla24_code", "district")),
        renames={"lsoa21_code": "lsoa_code", "ward24_code": "ward_code", "ltla24_code": "district_code"},
        fetch=Fetch(
            # ONS Open Geography Portal API for this lookup (official_url is its portal page), asked for the Kent
            # rows only. Unchecked here: check it on a connected machine.
            url="https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
            "LSOA21_WD24_LAD24_EW_LU/FeatureServer/0/query?" + ONS_LOOKUP_QUERY,
            read="arcgis_json", kent_column="LAD24CD", kent_rule="district_code", columns=LSOA21_WARD24_COLUMNS)),
    Source(
        "lsoa11_lsoa21_lookup", "raw/lookups_geographr/kent_lsoa11_lsoa21_ltla22.csv", ONS,
        "LSOA (2011) to LSOA (2021) to LAD (2022) lookup", "LSOA11 to LSOA21", OGL, _ons_attribution(2022),
        ONS_PORTAL + "lsoa-2011-to-lsoa-2021-to-local-authority-district-2022-exact-fit-lookup-for-ew-v3", 939,
        key=None, columns=(code("lsoa11_code", "lsoa", LSOA11), code("lsoa21_code", "lsoa"),
                           text("change_code", accepted=("U", "S", "M", "X")))),
    Source(
        "census2021_population", "raw/population_census2021/kent_census21_lsoa21_usual_residents_age6.csv", ONS,
        "Census 2021 usual residents by LSOA and six age bands", "Census 2021 (21 March 2021)", OGL,
        "Source: Office for National Statistics, Census 2021, licensed under the Open Government Licence v.3.0.",
        "https://www.ons.gov.uk/datasets/create", 5628,
        key=None, columns=(code("lsoa21_code", "lsoa", LSOA21), text("age_group"),
                           number("usual_residents", 0, 10_000, integer=True)),
        fetch=Fetch(
            # ONS serves this table only through "Create a custom dataset", whose download link is made per
            # request, so there is no fixed URL to put here.
            url=None, read="csv", kent_column="Lower layer Super Output Areas", kent_rule="lsoa21_name",
            columns={"lsoa21_code": "Lower layer Super Output Areas Code", "lsoa21_name": "Lower layer Super Output Areas",
                     "age_group": "Age (6 categories)", "usual_residents": "Observation"},
            how_to_get_url="at https://www.ons.gov.uk/datasets/create choose Census 2021 usual residents, "
            "Lower layer Super Output Areas and Age (6 categories), then pass the CSV link as "
            "--base-url census2021_population=URL")),
    Source(
        "iod2025_domains", "raw/iod2025/kent_imd2025_lsoa21_domains.csv",
        title="English Indices of Deprivation 2025, File 7: ranks, scores and deciles", expected_rows=938, **IOD2025,
        key="lsoa21_code",
        columns=(code("lsoa21_code", "lsoa", LSOA21), code("lad_code", "district"), number("IMD_score", 0, 100),
                 *(number(f"{domain}_decile", 1, 10, integer=True) for domain, _, _ in IOD_DOMAINS),
                 *(number(f"{domain}_rank", 1, 33_755, integer=True) for domain, _, _ in IOD_DOMAINS)),
        fetch=Fetch(
            # Best-known direct link to File 7 from the IoD2025 release page (official_url is that page).
            # Unchecked here: check it on a connected machine.
            url="https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
            "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
            read="csv", kent_column="Local Authority District code (2024)", kent_rule="district_code",
            # MHCLG's File 7 headers (the same wording for IoD 2019 and 2025) -> the mirror's columns
            columns={"lsoa21_code": "LSOA code (2021)", "lad_code": "Local Authority District code (2024)",
                     **{f"{prefix}_decile": f"{domain} Decile (where 1 is most deprived 10% of LSOAs)"
                        for prefix, domain, _ in IOD_DOMAINS},
                     **{f"{prefix}_rank": f"{domain} Rank (where 1 is most deprived)" for prefix, domain, _ in IOD_DOMAINS},
                     **{f"{prefix}_score": f"{domain} {score}" for prefix, domain, score in IOD_DOMAINS}})),
    Source(
        "iod2025_subdomains", "raw/iod2025/kent_imd2025_lsoa21_subdomains.csv",
        title="English Indices of Deprivation 2025, sub-domains", expected_rows=938, **IOD2025,
        key="lsoa21_code", columns=(code("lsoa21_code", "lsoa", LSOA21),)),
    Source(
        "iod2025_indicators", "raw/iod2025/kent_imd2025_lsoa21_indicators.csv",
        title="English Indices of Deprivation 2025, File 8: underlying indicators", expected_rows=938, **IOD2025,
        key="lsoa21_code", columns=(code("lsoa21_code", "lsoa", LSOA21),)),
    Source(
        "iod2025_district_summaries", "raw/iod2025/kent_imd2025_ltla24_summaries.csv",
        title="English Indices of Deprivation 2025, File 10: local authority district summaries", expected_rows=12,
        **IOD2025, key="ltla24_code",
        columns=(code("ltla24_code", "district"), name("ltla24_name"), number("imd_average_score", 0, 100)),
        renames={"ltla24_code": "district_code"}),
    Source(
        "iod2019_scores", "raw/iod2019/kent_imd2019_lsoa11_imd_score_nhsr.csv",
        title="English Indices of Deprivation 2019, IMD score and decile", expected_rows=902, **IOD2019,
        key="lsoa_code", columns=(code("lsoa_code", "lsoa", LSOA11), number("imd_score", 0, 100),
                                  number("imd_decile", 1, 10, integer=True))),
    Source(
        "iod2019_indicators", "raw/iod2019/kent_imd2019_lsoa11_indicators.csv",
        title="English Indices of Deprivation 2019, File 8: underlying indicators", expected_rows=902, **IOD2019,
        key="lsoa11_code", columns=(code("lsoa11_code", "lsoa", LSOA11),)),
    _ofcom_yearly(2016),
    _ofcom_yearly(2017),
    _ofcom_yearly(2018),
    _ofcom_yearly(2019),
    _ofcom_yearly(2020),
    _ofcom_yearly(2021, " (an earlier snapshot than May 2021)"),
    _ofcom_district(
        "202105", "kent_202105_fixed_laua_coverage_r01.csv",
        "Connected Nations fixed broadband coverage by local authority, Spring 2021 update", "May 2021",
        official_url=OFCOM_URL + "connected-nations-update-spring-2021",
        columns=(code("laua", "district", DISTRICTS), name("laua_name"), number("All Premises", 1, 500_000)),
        renames={"laua": "district_code", "laua_name": "district_name_ofcom"}),
    Source(
        "ofcom_constituency_timeseries", "processed/kent_ofcom_pcon_fixed_coverage_timeseries.csv",
        title="Connected Nations fixed broadband coverage by constituency, 2018 to January 2024",
        vintage="Sept 2018 to Jan 2024", official_url=OFCOM_URL + "connected-nations-2023/data-downloads-2023",
        expected_rows=120, **OFCOM_CONNECTED_NATIONS,
        key=None,
        columns=(code("PCON21CD", "constituency"), name("PCON21NM"),
                 number("snapshot_yyyymm", 201801, 203012, integer=True), text("premises_set"),
                 number("all_premises", 1, 200_000),
                 *(number(column, nullable=True, **PERCENT) for column in (
                     "sfbb_or_better_pct", "ufbb_pct", "full_fibre_pct", "gigabit_pct", "below_uso_pct",
                     "unable_30mbit_pct"))),
        renames={"PCON21CD": "constituency_code", "PCON21NM": "constituency_name"}),
    Source(
        "ofcom_postcode_2013_ward", "processed/kent_ofcom2013_postcode_broadband_wd25.csv", OFCOM,
        "UK fixed broadband postcode level data 2013, aggregated to WD25 wards", "2013", OGL,
        "Contains Ofcom data, UK fixed broadband postcode level data 2013, Open Government Licence v3.0.",
        OFCOM_URL + "broadband-2013", 255,
        key="WD25CD", columns=(code("WD25CD", "ward"), number("connections", 0, 100_000))),
    Source(
        "naptan_stops", "processed/kent_naptan_active_stops_with_ward.csv",
        title="National Public Transport Access Nodes (NaPTAN), active stops, ATCO area 240 (Kent)",
        expected_rows=7829, **NAPTAN,
        key="ATCOCode",
        columns=(text("ATCOCode", references="naptan_localities.ATCOCode"), name("CommonName"),
                 number("Longitude", -0.2, 1.6), number("Latitude", 50.8, 51.6),
                 number("Easting", 500_000, 660_000), number("Northing", 100_000, 200_000), text("StopType"),
                 code("WD25CD", "ward", WARDS), code("LAD25CD", "district")),
        renames={"ATCOCode": "atco_code", "CommonName": "stop_name", "StopType": "stop_type", "Longitude": "lon",
                 "Latitude": "lat", "WD25CD": "ward_code", "LAD25CD": "district_code"}),
    Source(
        "rail_stations", "raw/transport_rail/kent_rail_stations.csv", ORR, "National Rail stations in Kent",
        "December 2022", OGL,
        f"{ORR}, Estimates of station usage, Open Government Licence v3.0. "
        "Contains OS data © Crown copyright and database right 2022.", ORR_USAGE_URL, 98,
        key="NLC",
        columns=(text("NLC"), text("TLC"), name("name"), number("x_lon", -0.2, 1.6), number("y_lat", 50.8, 51.6),
                 number("Easting", 500_000, 660_000), number("Northing", 100_000, 200_000),
                 code("WD25CD", "ward", WARDS), code("LAD25CD", "district"))),
    Source(
        "station_usage", "raw/transport_rail/kent_station_usage_orr.csv", ORR,
        "Estimates of station usage, 1997-98 to 2021-22", "2021-22 (published 24 November 2022)", OGL,
        f"{ORR}, Estimates of station usage, Open Government Licence v3.0.", ORR_USAGE_URL, 98,
        key="NLC",
        columns=(text("NLC"), *(number(f"{year}_Total", 0, 200_000_000, nullable=True) for year in range(2017, 2022))),
        renames={"NLC": "nlc"},
        fetch=Fetch(
            # Best-known direct link to ORR Table 1410 (latest year, by station) as CSV. The URL and the measure
            # names below are unchecked here: check them on a connected machine. Table 1410 has one year (plus
            # last year's total and rank), so the fetch lays it over the mirror's earlier years.
            url="https://dataportal.orr.gov.uk/media/1909/"
            "table-1410-passenger-entries-and-exits-and-interchanges-by-station.csv",
            read="csv", kent_column="Local authority: district or unitary", kent_rule="district_name",
            columns={"NLC": "National Location Code (NLC)"}, reshape="orr_station_usage",
            # each measure (the header before "Apr YYYY to Mar YYYY") -> the mirror's column suffix
            measures={"Entries and exits: full tickets": "Full", "Entries and exits: reduced tickets": "Reduced",
                      "Entries and exits: season tickets": "Season", "Entries and exits: all tickets": "Total",
                      "Interchanges": "Changes", "Rank": "Rank"},
            keep_earlier_years_by="NLC")),  # the build reads 2017-2021
    Source(
        "postcodes", "processed/kent_postcodes_cpo2025_to_wd25.csv", "Ordnance Survey",
        "Code-Point Open 2025.2 postcodes in Kent, with WD25 ward", "Code-Point Open 2025.2 (April 2025)", OGL,
        "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail copyright "
        "and database right 2025. Contains National Statistics data © Crown copyright and database right 2025.",
        "https://osdatahub.os.uk/downloads/open/CodePointOpen", 45828,
        key="postcode",
        columns=(code("postcode", "postcode"), number("eastings", 500_000, 660_000), number("northings", 100_000, 200_000),
                 number("lon", -0.2, 1.6), number("lat", 50.8, 51.6), code("WD25CD", "ward", WARDS),
                 code("LAD25CD", "district"),
                 # the publisher's own assignment (Code-Point Open), which the build uses
                 code("cpo_admin_ward", "ward", WARDS), code("cpo_admin_district", "district", DISTRICTS)),
        renames={"cpo_admin_ward": "ward_code", "cpo_admin_district": "district_code"}),
    Source(
        # The full Stops.csv, for each stop's gazetteer locality (code and name): the place-name search's source.
        "naptan_localities", "raw/transport_naptan/kent_naptan_240Stops.csv",
        title="National Public Transport Access Nodes (NaPTAN) Stops.csv with National Public Transport Gazetteer "
        "localities, ATCO area 240 (Kent)", expected_rows=9403, **NAPTAN,
        key="ATCOCode",
        columns=(text("ATCOCode"), text("NptgLocalityCode"), name("LocalityName"), text("Status")),
        fetch=Fetch(
            # official_url (DfT NaPTAN API). Unchecked here: check it on a connected machine. The active stops
            # with wards (naptan_stops) are derived from this file and are not fetched.
            url=NAPTAN["official_url"], read="csv", kent_column="ATCOCode", kent_rule="naptan_area")),
)

SOURCES: Mapping[str, Source] = MappingProxyType({source.source_id: source for source in _SOURCES})
FETCHED: tuple[Source, ...] = tuple(source for source in _SOURCES if source.fetch is not None)

MANIFEST_COLUMNS = (*PROVENANCE_FIELDS, "key", "fetched")


def manifest_csv() -> str:
    """data/manifest.csv as the registry says it: one line per source, its provenance, key and whether `geo fetch`
    refreshes it (the human-readable list of files; `python -m geo manifest` writes it, a test keeps it current)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for source in _SOURCES:
        writer.writerow([*source.provenance().values(), source.key or "", "yes" if source.fetch else "no"])
    return out.getvalue()
