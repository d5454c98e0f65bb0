-- Question: the contract view `wards`: each ward with its district, how well its LSOAs fit it, and one column per
--           catalogue indicator.
-- Parameters: none
-- Filled in by the build: {indicator_ids}, the catalogue's indicator ids in catalogue order (geo/pipeline/stages.view_sql)
-- Reads: ward_boundaries(ward_code, ward_name, district_code), ward_fit(ward_code, n_lsoas, is_approximate),
--        indicator_values(indicator_id, level, area_code, value)
-- Output: ward_code, ward_name, district_code, n_lsoas, is_approximate, then one column per catalogue indicator
-- Grain: one row per ward (255). An indicator with no value for the ward is null, never filled.
create view wards as
with values_wide as (
    pivot (select area_code as ward_code, indicator_id, value from indicator_values where level = 'ward')
    on indicator_id in ({indicator_ids}) using max(value) group by ward_code
)

select b.ward_code, b.ward_name, b.district_code, f.n_lsoas, f.is_approximate, v.* exclude (ward_code)
from ward_boundaries as b
left join ward_fit as f using (ward_code)
left join values_wide as v using (ward_code)
