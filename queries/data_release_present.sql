-- Question: was this database built with a data release record (table data_release)?
-- Parameters: none
-- Output: n_tables (1 when the table exists, 0 for a database built before releases)
-- Grain: one row.
select count(*) as n_tables from duckdb_tables() where database_name = current_database() and table_name = 'data_release'
