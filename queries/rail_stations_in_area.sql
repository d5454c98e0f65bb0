-- Question: which rail stations (NaPTAN) serve Kent (or one district), with their ORR 2021-22 usage?
-- Parameters: $district_code (null for all of Kent)
-- Output: nlc, crs_code, station_name, lon, lat, ward_code, district_code, naptan_station, n_entrances, in_kent,
--         entries_exits_2021_22 (nlc, crs_code and usage are ORR's, null for stations ORR does not list)
-- Grain: one row per station.
with final as (
    select * from rail_stations where $district_code is null or district_code = $district_code
)

select * from final order by station_name
