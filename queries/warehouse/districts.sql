-- Question: the contract view `districts`: each Kent district with one column per catalogue indicator.
-- Parameters: none
-- Filled in by the build: {indicator_ids}, the catalogue's indicator ids in catalogue order (geo/pipeline/stages.view_sql)
-- Reads: district_boundaries(district_code, district_name), indicator_values(indicator_id, level, area_code, value)
-- Output: district_code, district_name, then one column per catalogue indicator (population, imd_score, ...)
-- Grain: one row per district (12). An indicator with no value for the district is null, never filled.
create view districts as
with values_wide as (
    pivot (select area_code as district_code, indicator_id, value from indicator_values where level = 'district')
    on indicator_id in ({indicator_ids}) using max(value) group by district_code
)

select b.district_code, b.district_name, v.* exclude (district_code)
from district_boundaries as b
left join values_wide as v using (district_code)
