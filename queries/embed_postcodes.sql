-- Question: which ward and district is each Kent postcode in, as the publisher assigns it (for the embed's
--           postcode search files)?
-- Parameters: none
-- Output: postcode, ward_code, ward_name, district_code, district_name
-- Grain: one row per postcode with a ward, in postcode order.
with final as (
    select p.postcode, p.ward_code, w.ward_name, w.district_code, d.district_name
    from postcodes as p
    join ward_boundaries as w using (ward_code)
    join district_boundaries as d on d.district_code = w.district_code
)

select * from final order by postcode
