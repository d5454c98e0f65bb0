-- Question: what is each LSOA-based indicator for every ward, district and for Kent?
-- Parameters: $county_code (Kent's code, used as the area code of the county row)
-- Reads: lsoa_values(indicator_id, lsoa_code, value), lsoa_population(lsoa_code, population),
--        lsoa_geography(lsoa_code, ward_code, district_code), indicator_catalogue(indicator_id, aggregation)
-- Output: indicator_id, level ('ward' | 'district' | 'county'), area_code, value, n_lsoas, n_lsoas_with_value
-- Grain: one row per indicator and area. Missing LSOA values are left out of both sums, never filled;
--        n_lsoas_with_value says how many LSOAs the figure rests on.
with joined as (
    select v.indicator_id, c.aggregation, v.lsoa_code, v.value, p.population, g.ward_code, g.district_code
    from lsoa_values as v
    join indicator_catalogue as c using (indicator_id)
    join lsoa_population as p using (lsoa_code)
    join lsoa_geography as g using (lsoa_code)
),

by_level as (
    select *, 'ward' as level, ward_code as area_code from joined
    union all
    select *, 'district' as level, district_code as area_code from joined
    union all
    select *, 'county' as level, $county_code as area_code from joined
),

final as (
    select
        indicator_id,
        level,
        area_code,
        case
            when any_value(aggregation) = 'population_sum' then sum(value)
            else sum(value * population) filter (where value is not null)
                 / nullif(sum(population) filter (where value is not null), 0)
        end as value,
        count(*) as n_lsoas,
        count(value) as n_lsoas_with_value
    from by_level
    group by indicator_id, level, area_code
)

select * from final
