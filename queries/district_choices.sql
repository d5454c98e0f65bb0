-- Question: which districts can be chosen, in name order?
-- Parameters: none
-- Output: district_code, district_name, population, n_wards
-- Grain: one row per district (12).
with final as (
    select d.district_code, d.district_name, d.population,
           (select count(*) from wards as w where w.district_code = d.district_code) as n_wards
    from districts as d
)

select * from final order by district_name
