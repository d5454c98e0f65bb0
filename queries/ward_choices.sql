-- Question: which wards can be chosen, with their districts, in name order?
-- Parameters: none
-- Output: ward_code, ward_name, district_code, district_name
-- Grain: one row per ward (255).
with final as (
    select w.ward_code, w.ward_name, w.district_code, d.district_name
    from ward_boundaries as w
    join district_boundaries as d using (district_code)
)

select * from final order by ward_name, district_name
