-- Question: which wards do a postcode district's Kent postcodes (e.g. every 'CT9 …') lie in?
-- Parameters: $outward_code (upper case, e.g. 'CT9')
-- Output: ward_code, ward_name, district_code, district_name, n_postcodes
-- Grain: one row per ward holding at least one live Kent postcode of that postcode district; none when the
--        postcode district has no Kent postcodes.
with final as (
    select p.ward_code, w.ward_name, w.district_code, d.district_name, count(*) as n_postcodes
    from postcodes as p
    join ward_boundaries as w using (ward_code)
    join district_boundaries as d on d.district_code = w.district_code
    where split_part(p.postcode, ' ', 1) = $outward_code
    group by all
)

select * from final order by n_postcodes desc, ward_name
