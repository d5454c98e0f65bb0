-- Question: which names does a map draw: Kent's districts (on maps of all Kent) and the gazetteer's places, biggest first?
-- Parameters: $district_code (null for the map of all Kent)
-- Output: kind ('district' | 'place'), name, lon, lat, n_stops (places: active NaPTAN stops, the size used to
--         choose which places are named at which zoom; districts: null)
-- Grain: one row per district (Kent map only) and per place in the map's area.
with districts as (
    select 'district' as kind, district_name as name, label_lon as lon, label_lat as lat, null::bigint as n_stops
    from district_boundaries
    where $district_code is null
),

places_here as (
    select 'place' as kind, place_name as name, lon, lat, n_stops
    from places
    where $district_code is null or district_code = $district_code
),

final as (
    select * from districts union all select * from places_here
)

select * from final order by kind, n_stops desc nulls last, name
