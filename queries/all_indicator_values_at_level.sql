-- Question: what are all indicators' values for every area at one level (optionally in one district)?
-- Parameters: $level ('district' | 'ward' | 'lsoa'), $district_code (null for all of Kent)
-- Output: area_code, area_name, district_code, district_name, indicator_id, value
-- Grain: one row per area and catalogue indicator that has a value at this level.
with final as (
    select a.area_code, a.area_name, a.district_code, d.district_name, v.indicator_id, v.value
    from areas as a
    join indicator_values as v on v.level = a.level and v.area_code = a.area_code
    join district_boundaries as d using (district_code)
    where a.level = $level and ($district_code is null or a.district_code = $district_code)
)

select * from final order by area_name, indicator_id
