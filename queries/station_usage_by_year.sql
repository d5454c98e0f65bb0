-- Question: how many entries and exits did ORR estimate for each Kent station (optionally in one district), by year?
-- Parameters: $district_code (null for all of Kent)
-- Output: nlc, station_name, district_code, district_name, financial_year_start, entries_exits
-- Grain: one row per station and financial year (1997 = 1997-98, ... 2021 = 2021-22); entries_exits null for a
--        year with no estimate (e.g. before a station opened).
with final as (
    select s.nlc, s.station_name, s.district_code, d.district_name, u.financial_year_start,
           try_cast(u.entries_exits as double) as entries_exits
    from station_usage as u
    join rail_stations as s using (nlc)
    join district_boundaries as d on d.district_code = s.district_code
    where $district_code is null or s.district_code = $district_code
)

select * from final order by station_name, financial_year_start
