"""The place-name gazetteer made by `geo build`: NaPTAN's localities, each placed and given a ward.

A place is one National Public Transport Gazetteer locality (NptgLocalityCode) that has active stops in
Kent. Its point is the medoid of those stops (the stop with the least total distance to the others, in
British National Grid metres): always a real stop, so a point where people are, and never pulled into a
field between two clusters as a mean can be. The ward and district are those of the WD25 ward polygon
containing the point (the nearest ward when the point lies just outside the generalised coastline).
Each place also keeps the district holding most of its own stops, which the build checks against.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.pipeline.boundaries import BRITISH_NATIONAL_GRID

PLACE_COLUMNS = ["place_code", "place_name", "n_stops", "lon", "lat", "easting", "northing", "ward_code",
                 "district_code", "ward_match", "stops_district_code", "stops_district_share"]


def _medoid(xy: np.ndarray) -> int:
    """Index of the point with the smallest sum of distances to the others (first such point on ties)."""
    distances = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
    return int(np.argmin(distances))


def build_places(stops: pd.DataFrame, localities: pd.DataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per locality with active stops: name, medoid point, its ward and district, its stops' district.

    stops: active stops with ATCOCode, Easting, Northing, Longitude, Latitude, LAD25CD;
    localities: NaPTAN's full Stops.csv columns ATCOCode, NptgLocalityCode, LocalityName;
    wards: WD25 polygons (lon/lat) with ward_code and district_code.
    """
    joined = stops.merge(localities[["ATCOCode", "NptgLocalityCode", "LocalityName"]], on="ATCOCode", how="left",
                         validate="one_to_one", suffixes=("_stop", ""))
    if joined.NptgLocalityCode.isna().any():
        missing = joined.ATCOCode[joined.NptgLocalityCode.isna()].iloc[0]
        raise ValueError(f"active stop {missing} has no NaPTAN locality")
    rows = []
    for code, group in joined.groupby("NptgLocalityCode", sort=True):
        names = group.LocalityName.unique()
        if len(names) != 1:
            raise ValueError(f"locality {code} has {len(names)} names: {sorted(names)}")
        xy = group[["Easting", "Northing"]].to_numpy(float)
        centre = group.iloc[_medoid(xy)]
        district_counts = group.LAD25CD.value_counts()
        top = district_counts[district_counts == district_counts.max()].index
        rows.append({"place_code": code, "place_name": names[0], "n_stops": len(group),
                     "lon": float(centre.Longitude), "lat": float(centre.Latitude),
                     "easting": float(centre.Easting), "northing": float(centre.Northing),
                     # the most common district of the stops; on a tie, all tied districts (sorted, comma-separated)
                     "stops_district_code": ",".join(sorted(top)),
                     "stops_district_share": round(float(district_counts.max() / len(group)), 3)})
    places = pd.DataFrame(rows)
    # Containment in the polygons' own lon/lat (the stops' lon/lat carry 7 decimals; their eastings and
    # northings are rounded to the metre, which moves a stop on a ward edge across it).
    points = gpd.GeoDataFrame(places[["place_code"]], geometry=gpd.points_from_xy(places.lon, places.lat), crs=wards.crs)
    ward_polygons = wards[["ward_code", "district_code", "geometry"]]
    inside = gpd.sjoin(points, ward_polygons, how="left", predicate="within").drop_duplicates("place_code")
    outside = inside.ward_code.isna()
    if outside.any():
        nearest = gpd.sjoin_nearest(points[outside.to_numpy()].to_crs(BRITISH_NATIONAL_GRID),
                                    ward_polygons.to_crs(BRITISH_NATIONAL_GRID), how="left").drop_duplicates("place_code")
        inside.loc[outside, ["ward_code", "district_code"]] = nearest.set_index("place_code").loc[
            inside.place_code[outside], ["ward_code", "district_code"]].to_numpy()
    places["ward_code"] = inside.ward_code.to_numpy()
    places["district_code"] = inside.district_code.to_numpy()
    places["ward_match"] = np.where(outside.to_numpy(), "nearest_ward", "inside")
    return places[PLACE_COLUMNS]


def district_disagreements(places: pd.DataFrame) -> pd.DataFrame:
    """Places whose point lies in a district that does not hold the most of their own stops."""
    agrees = [district in tied.split(",") for district, tied in zip(places.district_code, places.stops_district_code)]
    return places[~np.array(agrees, dtype=bool)]
