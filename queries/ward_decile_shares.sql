-- Question: what share of each ward's residents lives in each of England's IMD 2025 deciles?
-- Parameters: $ward_codes (list of ward codes)
-- Output: ward_code, imd_decile (1 = most deprived 10%), population, share_pct
-- Grain: one row per ward and decile present in it (absent deciles have no row: 0%).
with final as (
    select ward_code, imd_decile, population, share_pct
    from ward_imd_decile_shares
    where list_contains($ward_codes, ward_code)
)

select * from final order by ward_code, imd_decile
