-- Question: what share of each ward's residents lives in LSOAs of each England IMD 2025 decile?
-- Parameters: none
-- Reads: lsoa_geography(lsoa_code, ward_code), lsoa_population(lsoa_code, population), lsoa_deciles(lsoa_code, imd_decile)
-- Output: ward_code, imd_decile, population, share_pct
-- Grain: one row per ward and decile present in it (the /ward page's "what lies inside").
select g.ward_code, d.imd_decile, sum(p.population) as population,
       100.0 * sum(p.population) / sum(sum(p.population)) over (partition by g.ward_code) as share_pct
from lsoa_geography g join lsoa_population p using (lsoa_code) join lsoa_deciles d using (lsoa_code)
group by g.ward_code, d.imd_decile
