-- Question: for one ward, every indicator that has ward values: the ward's value, its district's and Kent's,
--           its Kent rank, and the spread across Kent's wards?
-- Parameters: $ward_code
-- Output: indicator_id, ward_value, district_value, kent_value, kent_rank, kent_wards_ranked,
--         kent_min, kent_p25, kent_median, kent_p75, kent_max
-- Grain: one row per catalogue indicator with at least one ward value. kent_rank 1 is the worst ward in Kent by
--        the catalogue's polarity, and for neutral indicators the largest value; a ward without a value has
--        ward_value and kent_rank null.
with ward as (
    select ward_code, district_code from wards where ward_code = $ward_code
),

ward_values as (
    select v.indicator_id, v.area_code, v.value
    from indicator_values as v
    where v.level = 'ward' and v.value is not null
),

ranked as (
    select
        w.indicator_id, w.area_code, w.value,
        case when c.polarity = 'higher_better' then rank() over (partition by w.indicator_id order by w.value asc)
             else rank() over (partition by w.indicator_id order by w.value desc)
        end as kent_rank,
        count(*) over (partition by w.indicator_id) as kent_wards_ranked
    from ward_values as w
    join indicator_catalogue as c using (indicator_id)
),

spread as (
    select indicator_id, min(value) as kent_min, quantile_cont(value, 0.25) as kent_p25, median(value) as kent_median,
           quantile_cont(value, 0.75) as kent_p75, max(value) as kent_max, count(*) as kent_wards_ranked
    from ward_values
    group by indicator_id
),

final as (
    select s.indicator_id, r.value as ward_value, d.value as district_value, k.value as kent_value, r.kent_rank,
           s.kent_wards_ranked, s.kent_min, s.kent_p25, s.kent_median, s.kent_p75, s.kent_max
    from spread as s
    cross join ward
    left join ranked as r on r.indicator_id = s.indicator_id and r.area_code = ward.ward_code
    left join indicator_values as d
        on d.indicator_id = s.indicator_id and d.level = 'district' and d.area_code = ward.district_code
    left join indicator_values as k on k.indicator_id = s.indicator_id and k.level = 'county'
)

select * from final order by indicator_id
