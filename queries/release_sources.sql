-- Question: which source files went into this database's data release, with their vintage and checksum?
-- Parameters: none
-- Output: source_id, title, publisher, vintage, sha256
-- Grain: one row per manifest source (the table source_files).
select source_id, title, publisher, vintage, sha256 from source_files order by publisher, title, source_id
