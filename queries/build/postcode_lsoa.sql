-- Question: which 2021 LSOA holds each postcode's Code-Point Open point?
-- Parameters: none
-- Reads: postcode_points(postcode, lon, lat), lsoa21_boundaries(lsoa_code, geometry)
-- Output: postcode, lsoa_code (null where the point lies outside every generalised LSOA polygon, e.g. on the coast),
--         n_lsoas_containing (how many LSOA polygons contain the point: the build refuses more than one)
-- Grain: one row per postcode.
with points as (
    select postcode, ST_Point(lon, lat) as point from postcode_points
),

matched as (
    select p.postcode, l.lsoa_code
    from points as p
    join lsoa21_boundaries as l on ST_Contains(l.geometry, p.point)
),

final as (
    select p.postcode, min(m.lsoa_code) as lsoa_code, count(m.lsoa_code) as n_lsoas_containing
    from postcode_points as p
    left join matched as m using (postcode)
    group by p.postcode
)

select * from final
