-- Question: what lies inside each of some wards: their best-fit LSOAs, residents, IMD score and national decile?
-- Parameters: $ward_codes (list of ward codes)
-- Output: ward_code, lsoa_code, lsoa_name, population, imd_score, imd_decile
-- Grain: one row per LSOA assigned (ONS best fit) to one of the wards.
with final as (
    select ward_code, lsoa_code, lsoa_name, population, imd_score, imd_decile
    from lsoas
    where list_contains($ward_codes, ward_code)
)

select * from final order by ward_code, imd_score desc
