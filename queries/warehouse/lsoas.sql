-- Question: the contract view `lsoas`: each 2021 LSOA with its best-fit ward, district, England's IMD decile and
--           one column per catalogue indicator.
-- Parameters: none
-- Filled in by the build: {indicator_ids}, the catalogue's indicator ids in catalogue order (geo/pipeline/stages.view_sql)
-- Reads: lsoa21_boundaries(lsoa_code, lsoa_name, district_code), lsoa_geography(lsoa_code, ward_code),
--        lsoa_deciles(lsoa_code, imd_decile), indicator_values(indicator_id, level, area_code, value)
-- Output: lsoa_code, lsoa_name, ward_code, district_code, imd_decile, then one column per catalogue indicator
-- Grain: one row per LSOA (938). An indicator with no value for the LSOA is null, never filled.
create view lsoas as
with values_wide as (
    pivot (select area_code as lsoa_code, indicator_id, value from indicator_values where level = 'lsoa')
    on indicator_id in ({indicator_ids}) using max(value) group by lsoa_code
)

select b.lsoa_code, b.lsoa_name, g.ward_code, b.district_code, l.imd_decile, v.* exclude (lsoa_code)
from lsoa21_boundaries as b
join lsoa_geography as g using (lsoa_code)
left join lsoa_deciles as l using (lsoa_code)
left join values_wide as v using (lsoa_code)
