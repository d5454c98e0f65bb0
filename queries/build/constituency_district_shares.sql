-- Question: what share of each district's area lies in each of Kent's constituencies (2010-2024 boundaries)?
-- Parameters: none
-- Reads: constituency_boundaries(constituency_code, geometry), district_boundaries(district_code, geometry)
-- Output: constituency_code, district_code, district_share_pct
-- Grain: one row per constituency and district that overlap (no publisher assigns one to the other, so the
--        explorer's gigabit finding uses these area shares, made here where the spatial extension is loaded).
select c.constituency_code, d.district_code,
       100 * ST_Area(ST_Intersection(c.geometry, d.geometry)) / ST_Area(d.geometry) as district_share_pct
from constituency_boundaries as c, district_boundaries as d
where ST_Intersects(c.geometry, d.geometry)
