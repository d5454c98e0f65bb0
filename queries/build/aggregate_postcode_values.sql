-- Question: what is each postcode-based indicator for every LSOA, ward, district and for Kent?
-- Parameters: $county_code
-- Reads: postcode_values(indicator_id, aggregation, postcode, lsoa_code, ward_code, district_code, value)
-- Output: indicator_id, level ('lsoa' | 'ward' | 'district' | 'county'), area_code, value, n_postcodes
-- Grain: one row per indicator and area. postcode_share is the percentage of postcodes with the flag;
--        postcode_median is the median over the area's postcodes.
with by_level as (
    select *, 'lsoa' as level, lsoa_code as area_code from postcode_values where lsoa_code is not null
    union all
    select *, 'ward' as level, ward_code as area_code from postcode_values
    union all
    select *, 'district' as level, district_code as area_code from postcode_values
    union all
    select *, 'county' as level, $county_code as area_code from postcode_values
),

final as (
    select
        indicator_id,
        level,
        area_code,
        case any_value(aggregation)
            when 'postcode_share' then 100 * avg(value)
            when 'postcode_median' then median(value)
        end as value,
        count(value) as n_postcodes
    from by_level
    group by indicator_id, level, area_code
)

select * from final
