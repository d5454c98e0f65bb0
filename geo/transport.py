"""Access to public transport from every postcode: straight-line distance to the nearest stop and station."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

# NaPTAN stop types a bus passenger boards at: on-street stops, bus station bays and variable bays.
BUS_STOP_TYPES = ("BCT", "BCS", "BCQ")
BUS_STOP_WALK_M = 400
RAIL_STATION_RADIUS_M = 2_000


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
