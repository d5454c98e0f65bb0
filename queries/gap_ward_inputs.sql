-- Question: what are the gap index's inputs (and the need and check indicators) for every ward in Kent?
-- Parameters: $indicator_ids (list of catalogue indicator ids)
-- Output: ward_code, ward_name, district_code, district_name, indicator_id, value
-- Grain: one row per ward and requested indicator (255 wards x indicators); a missing value stays null.
with wanted as (
    select c.indicator_id
    from indicator_catalogue as c
    where list_contains($indicator_ids, c.indicator_id)
),

final as (
    select w.ward_code, w.ward_name, w.district_code, d.district_name, wanted.indicator_id, v.value
    from ward_boundaries as w
    join district_boundaries as d using (district_code)
    cross join wanted
    left join indicator_values as v
        on v.level = 'ward' and v.area_code = w.ward_code and v.indicator_id = wanted.indicator_id
)

select * from final order by ward_code, indicator_id
