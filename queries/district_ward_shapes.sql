-- Question: what are the web boundaries and label points of one district's wards, for a small locator map?
-- Parameters: $district_code
-- Output: ward_code, ward_name, district_name, web_geojson, label_lon, label_lat
-- Grain: one row per ward of the district.
with final as (
    select w.ward_code, w.ward_name, d.district_name, w.web_geojson, w.label_lon, w.label_lat
    from ward_boundaries as w
    join district_boundaries as d using (district_code)
    where w.district_code = $district_code
)

select * from final order by ward_code
