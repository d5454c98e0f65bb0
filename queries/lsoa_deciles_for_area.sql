-- Question: what is England's decile of one IoD measure for every LSOA (optionally in one district)?
-- Parameters: $indicator_id, $district_code (null for all of Kent)
-- Output: area_code, decile (1 = most deprived 10% in England)
-- Grain: one row per LSOA, for indicators whose catalogue row names a decile column.
with final as (
    select d.lsoa_code as area_code, d.decile
    from lsoa_indicator_deciles as d
    join lsoa21_boundaries as b using (lsoa_code)
    where d.indicator_id = $indicator_id and ($district_code is null or b.district_code = $district_code)
)

select * from final
