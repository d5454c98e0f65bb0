"""Access to public transport from every postcode: straight-line distance to the nearest stop and station."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

# NaPTAN stop types a bus passenger boards at: on-street stops, bus station bays and variable bays.
BUS_STOP_TYPES = ("BCT", "BCS", "BCQ")
BUS_STOP_WALK_M = 400
RAIL_STATION_RADIUS_M = 2_000
# NaPTAN's rail station entrances; an entrance's ATCO code is the area prefix, the station's TIPLOC and an
# entrance number (2400ASHFKY0, 2400ASHFKY1: two entrances of Ashford International).
RAIL_ENTRANCE_TYPE = "RSE"
_ENTRANCE_CODE = re.compile(r"^\d{4}(?P<station>[A-Z0-9]+?)\d?$")


def rail_stations_from_naptan(stops: pd.DataFrame) -> pd.DataFrame:
    """One row per station from NaPTAN's active rail entrances: its entrances' mean position and their count."""
    entrances = stops[stops.StopType == RAIL_ENTRANCE_TYPE].copy()
    codes = entrances.ATCOCode.str.extract(_ENTRANCE_CODE)["station"]
    if codes.isna().any():
        raise ValueError(f"rail entrance {entrances.ATCOCode[codes.isna()].iloc[0]!r} does not have a station code")
    entrances["naptan_station"] = codes
    entrances["station_name"] = entrances.CommonName.str.replace(r"\s+Rail Station$", "", regex=True)
    names = entrances.groupby("naptan_station").station_name.nunique()
    if (names > 1).any():
        raise ValueError(f"rail entrances of station {names[names > 1].index[0]} have different names")
    grouped = entrances.groupby("naptan_station")
    stations = grouped.agg(station_name=("station_name", "first"), lon=("Longitude", "mean"), lat=("Latitude", "mean"),
                           Easting=("Easting", "mean"), Northing=("Northing", "mean"),
                           n_entrances=("ATCOCode", "size"), ward_code=("WD25CD", "first"),
                           district_code=("LAD25CD", "first"),
                           in_kent=("ward_match", lambda m: bool(m.fillna("").ne("nearest_ward").all())))
    return stations.reset_index().round({"lon": 6, "lat": 6, "Easting": 1, "Northing": 1})


def station_name_key(name: pd.Series) -> pd.Series:
    """Names as ORR and NaPTAN both spell them: case, "(Kent)" and punctuation dropped."""
    return (name.str.lower().str.replace(r"\(kent\)", "", regex=True)
            .str.replace(r"[^a-z0-9]+", "", regex=True))


def match_orr_stations(stations: pd.DataFrame, orr: pd.DataFrame) -> pd.DataFrame:
    """NaPTAN stations with ORR's NLC and CRS code where the names match (ORR is the key to usage figures)."""
    orr_keyed = orr.assign(name_key=station_name_key(orr["name"]))[["name_key", "NLC", "TLC"]]
    if orr_keyed.name_key.duplicated().any():
        raise ValueError(f"two ORR stations share the name {orr_keyed.name_key[orr_keyed.name_key.duplicated()].iloc[0]!r}")
    matched = stations.assign(name_key=station_name_key(stations.station_name)).merge(orr_keyed, on="name_key", how="left")
    return matched.drop(columns="name_key").rename(columns={"NLC": "nlc", "TLC": "crs_code"})


def nearest_distance_m(from_xy: np.ndarray, to_xy: np.ndarray) -> np.ndarray:
    """Straight-line distance in metres from each point to the nearest target (British National Grid)."""
    distances, _ = cKDTree(to_xy).query(from_xy, k=1)
    return distances


def postcode_access(postcodes: pd.DataFrame, stops: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Per postcode: metres to the nearest bus stop and rail station, and the catalogue's access flags."""
    postcode_xy = postcodes[["eastings", "northings"]].to_numpy(float)
    bus_stops = stops[stops.StopType.isin(BUS_STOP_TYPES)]
    to_bus = nearest_distance_m(postcode_xy, bus_stops[["Easting", "Northing"]].to_numpy(float))
    to_rail = nearest_distance_m(postcode_xy, stations[["Easting", "Northing"]].to_numpy(float))
    return pd.DataFrame({
        "postcode": postcodes.postcode.to_numpy(),
        "nearest_bus_stop_m": to_bus.round(1),
        "nearest_rail_station_m": to_rail.round(1),
        # the catalogue's source columns for the postcode-based indicators
        "within_400m_of_bus_stop": (to_bus <= BUS_STOP_WALK_M).astype(float),
        "within_2km_of_rail_station": (to_rail <= RAIL_STATION_RADIUS_M).astype(float),
        "nearest_rail_station_km": (to_rail / 1000).round(3),
    })
