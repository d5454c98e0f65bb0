-- Question: where is each ward in British National Grid metres (its web boundary's rings and its label point)?
-- Parameters: none
-- Output: ward_code, grid_rings (JSON: the rings of web_geojson, same order and points, as [easting, northing]), label_easting, label_northing
-- Grain: one row per Kent ward; the light embed's SVG drawings are made from it (projected by the build).
select ward_code, grid_rings, label_easting, label_northing
from ward_grid_shapes
order by ward_code
