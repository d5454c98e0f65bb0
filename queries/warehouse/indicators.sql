-- Question: the contract view `indicators`: each catalogue indicator with its source's publisher, title and licence.
-- Parameters: none
-- Reads: indicator_catalogue(*), source_files(source_id, publisher, title, licence, attribution, official_url)
-- Output: every indicator_catalogue column, then publisher, source_title, licence, attribution, official_url
-- Grain: one row per catalogue indicator.
create view indicators as
select c.*, s.publisher, s.title as source_title, s.licence, s.attribution, s.official_url
from indicator_catalogue as c
join source_files as s using (source_id)
