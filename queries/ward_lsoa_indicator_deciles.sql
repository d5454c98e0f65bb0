-- Question: for one ward, which of England's deciles do its LSOAs fall in, for each IoD measure with published deciles?
-- Parameters: $ward_code
-- Output: indicator_id, n_lsoas, lowest_decile, highest_decile
-- Grain: one row per indicator whose catalogue row names a decile column (1 = most deprived 10% in England).
with final as (
    select d.indicator_id, count(*) as n_lsoas, min(d.decile) as lowest_decile, max(d.decile) as highest_decile
    from lsoa_indicator_deciles as d
    join lsoa_geography as g using (lsoa_code)
    where g.ward_code = $ward_code and d.decile is not null
    group by d.indicator_id
)

select * from final order by indicator_id
