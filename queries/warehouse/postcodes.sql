-- Question: the contract view `postcodes`: each live Kent postcode with the ward and district Code-Point Open
--           assigns it, the 2021 LSOA holding its point, and the point.
-- Parameters: none
-- Reads: postcode_table(postcode, ward_code, district_code, lsoa_code, lon, lat)
-- Output: postcode, ward_code, district_code, lsoa_code (null outside every generalised LSOA polygon), lon, lat
-- Grain: one row per postcode.
create view postcodes as
select postcode, ward_code, district_code, lsoa_code, lon, lat from postcode_table
