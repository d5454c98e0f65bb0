-- Question: what is one indicator's value, and Kent rank, for every area at one level (optionally in one district)?
-- Parameters: $indicator_id, $level ('district' | 'ward' | 'lsoa'), $district_code (null for all of Kent)
-- Output: area_code, area_name, district_code, district_name, value, kent_rank, kent_areas_ranked,
--         n_lsoas, n_lsoas_with_value, n_postcodes, web_geojson, label_lon, label_lat
-- Grain: one row per area. kent_rank 1 is the worst area in Kent (by the catalogue's polarity; for neutral
--        indicators, the highest). Areas with no value keep value null and kent_rank null.
with polarity as (
    select polarity from indicator_catalogue where indicator_id = $indicator_id
),

level_areas as (
    select a.*, v.value, v.n_lsoas, v.n_lsoas_with_value, v.n_postcodes
    from areas as a
    left join indicator_values as v
        on v.area_code = a.area_code and v.level = a.level and v.indicator_id = $indicator_id
    where a.level = $level
),

ranked as (
    select
        *,
        case
            when value is null then null
            when (select polarity from polarity) = 'higher_better' then rank() over (order by value asc nulls last)
            else rank() over (order by value desc nulls last)
        end as kent_rank,
        count(value) over () as kent_areas_ranked
    from level_areas
),

final as (
    select r.area_code, r.area_name, r.district_code, d.district_name, r.value, r.kent_rank, r.kent_areas_ranked,
           r.n_lsoas, r.n_lsoas_with_value, r.n_postcodes, r.web_geojson, r.label_lon, r.label_lat
    from ranked as r
    join district_boundaries as d using (district_code)
    where $district_code is null or r.district_code = $district_code
)

select * from final order by kent_rank nulls last, area_name
