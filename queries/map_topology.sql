-- Question: what boundary geometry does the browser get for a map of one level (all of Kent or one district)?
-- Parameters: $level ('district' | 'ward' | 'lsoa'), $district_code (null for all of Kent)
-- Output: topojson (compact TopoJSON, one GeometryCollection "areas" whose geometry ids are area codes),
--         area_codes (the geometries' order), west, south, east, north (degrees), topojson_bytes
-- Grain: one row. Made by `geo build` from the shared-arc web geometry (geo/pipeline/boundaries.py).
select topojson, area_codes, west, south, east, north, topojson_bytes
from map_topology
where level = $level and district_code is not distinct from $district_code
