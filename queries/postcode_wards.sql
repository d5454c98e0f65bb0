-- Question: which ward and district is every Kent postcode in (for the search's in-memory postcode index)?
-- Parameters: none
-- Output: postcode, outward_code (the part before the space, e.g. 'CT9'), ward_code, ward_name, district_code,
--         district_name
-- Grain: one row per live Kent postcode in the postcodes table (its ward as that table assigns it).
with final as (
    select p.postcode, split_part(p.postcode, ' ', 1) as outward_code, p.ward_code, w.ward_name, p.district_code,
           d.district_name
    from postcodes as p
    join ward_boundaries as w using (ward_code)
    join district_boundaries as d on d.district_code = p.district_code
)

select * from final order by postcode
