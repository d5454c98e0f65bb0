-- Question: how well do the best-fit LSOAs of some wards match the ward boundaries?
-- Parameters: $ward_codes (list of ward codes)
-- Output: ward_code, ward_name, district_code, district_name, n_lsoas, population,
--         lsoa_area_inside_ward_pct, ward_area_covered_pct, is_approximate
-- Grain: one row per ward.
with final as (
    select w.ward_code, w.ward_name, w.district_code, d.district_name, f.n_lsoas, w.population,
           f.lsoa_area_inside_ward_pct, f.ward_area_covered_pct, f.is_approximate
    from wards as w
    join ward_fit as f using (ward_code)
    join district_boundaries as d using (district_code)
    where list_contains($ward_codes, w.ward_code)
)

select * from final order by ward_name
