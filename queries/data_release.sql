-- Question: which data release is this database, and when was it built?
-- Parameters: none
-- Output: release_id, built_at_utc
-- Grain: one row (the table data_release, written by geo build; see geo/releases.py).
select release_id, built_at_utc from data_release
