-- Question: which names can a search find: every NaPTAN place, ward and district, with the ward each leads to?
-- Parameters: none
-- Output: kind ('district' | 'ward' | 'place'), code, name, ward_code (null for districts), ward_name,
--         district_code, district_name, n_stops (places: active NaPTAN stops; else null), lon, lat
-- Grain: one row per place (NPTG locality), ward and district.
with final as (
    select 'district' as kind, d.district_code as code, d.district_name as name, null as ward_code, null as ward_name,
           d.district_code, d.district_name, null::bigint as n_stops, d.label_lon as lon, d.label_lat as lat
    from district_boundaries as d
    union all
    select 'ward', w.ward_code, w.ward_name, w.ward_code, w.ward_name, w.district_code, d.district_name, null,
           w.label_lon, w.label_lat
    from ward_boundaries as w join district_boundaries as d using (district_code)
    union all
    select 'place', p.place_code, p.place_name, p.ward_code, w.ward_name, p.district_code, d.district_name, p.n_stops,
           p.lon, p.lat
    from places as p
    join ward_boundaries as w using (ward_code)
    join district_boundaries as d on d.district_code = p.district_code
)

select * from final order by kind, name, district_name
