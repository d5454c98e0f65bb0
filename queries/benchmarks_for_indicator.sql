-- Question: what are a district's and Kent's values of one indicator, to compare an area with?
-- Parameters: $indicator_id, $district_code (null for Kent only)
-- Output: level ('district' | 'county'), area_code, area_name, value
-- Grain: one row per benchmark area that has the indicator (Ofcom's district-only figures have no Kent row).
with final as (
    select v.level, v.area_code,
           coalesce(d.district_name, c.county_name) as area_name,
           v.value
    from indicator_values as v
    left join district_boundaries as d on v.level = 'district' and d.district_code = v.area_code
    left join county as c on v.level = 'county' and c.county_code = v.area_code
    where v.indicator_id = $indicator_id
      and (v.level = 'county' or (v.level = 'district' and v.area_code = $district_code))
)

select * from final order by level desc
