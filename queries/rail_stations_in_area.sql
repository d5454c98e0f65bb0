-- Question: which rail stations are in Kent (or one district), with their 2021-22 usage?
-- Parameters: $district_code (null for all of Kent)
-- Output: nlc, crs_code, station_name, lon, lat, ward_code, district_code, entries_exits_2021_22
-- Grain: one row per station.
with final as (
    select * from rail_stations where $district_code is null or district_code = $district_code
)

select * from final order by station_name
