-- Question: the view `areas`: every district, ward and LSOA with its name, district, web geometry and label point.
-- Parameters: none
-- Reads: district_boundaries, ward_boundaries, lsoa21_boundaries (area code and name, district_code, web_geojson,
--        label_lon, label_lat)
-- Output: level ('district' | 'ward' | 'lsoa'), area_code, area_name, district_code, web_geojson, label_lon, label_lat
-- Grain: one row per area and level (12 + 255 + 938).
create view areas as
select 'district' as level, district_code as area_code, district_name as area_name, district_code,
       web_geojson, label_lon, label_lat
from district_boundaries
union all
select 'ward', ward_code, ward_name, district_code, web_geojson, label_lon, label_lat from ward_boundaries
union all
select 'lsoa', lsoa_code, lsoa_name, district_code, web_geojson, label_lon, label_lat from lsoa21_boundaries
