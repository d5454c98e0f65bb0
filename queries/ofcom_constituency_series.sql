-- Question: what did Ofcom publish for each of Kent's 15 constituencies (all premises), Sept 2018 to Jan 2024?
-- Parameters: none
-- Output: constituency_code, constituency_name, snapshot_yyyymm, all_premises, sfbb_pct_as_published,
--         sfbb_or_better_pct, ufbb_pct, full_fibre_pct, gigabit_pct, below_uso_pct, unable_30mbit_pct
-- Grain: one row per constituency and Ofcom file (15 x 6), in date order; the residential-only rows are left out.
--        Names are the ONS boundary file's (Ofcom's are upper case in most files).
with final as (
    select t.constituency_code, b.constituency_name, cast(t.snapshot_yyyymm as integer) as snapshot_yyyymm,
           t.all_premises, t.sfbb_pct_as_published, t.sfbb_or_better_pct, t.ufbb_pct, t.full_fibre_pct,
           t.gigabit_pct, t.below_uso_pct, t.unable_30mbit_pct
    from ofcom_constituency_timeseries as t
    join constituency_boundaries as b using (constituency_code)
    where t.premises_set = 'all'
)

select * from final order by snapshot_yyyymm, constituency_name
