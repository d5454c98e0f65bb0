-- Question: which active bus stops are in one district (or Kent)?
-- Parameters: $district_code (null for all of Kent)
-- Output: atco_code, stop_name, stop_type, lon, lat, ward_code
-- Grain: one row per active NaPTAN bus stop (types BCT, BCS, BCQ).
with final as (
    select atco_code, stop_name, stop_type, lon, lat, ward_code
    from bus_stops
    where stop_type in ('BCT', 'BCS', 'BCQ') and ($district_code is null or district_code = $district_code)
)

select * from final
