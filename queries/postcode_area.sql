-- Question: which ward, district and LSOA is a Kent postcode in?
-- Parameters: $postcode (upper case, single space before the inward code, e.g. 'CT9 1AE')
-- Output: postcode, ward_code, ward_name, district_code, district_name, lsoa_code, lon, lat
-- Grain: zero or one row.
with final as (
    select p.postcode, p.ward_code, w.ward_name, p.district_code, d.district_name, p.lsoa_code, p.lon, p.lat
    from postcodes as p
    join ward_boundaries as w using (ward_code)
    join district_boundaries as d on d.district_code = p.district_code
    where p.postcode = $postcode
)

select * from final
