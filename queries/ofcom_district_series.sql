-- Question: what did Ofcom publish for each Kent district in each of its local-authority files, 2016 to May 2021?
-- Parameters: none
-- Output: district_code, district_name, snapshot, snapshot_order, source_id, all_premises, sfbb_pct_as_published,
--         sfbb_or_better_pct, ufbb_pct, full_fibre_pct, gigabit_pct, below_uso_pct, unable_30mbit_pct
-- Grain: one row per district and file (12 x 7), in file order. Percentages of premises as published; null where a
--        file does not publish the measure. sfbb_or_better_pct is SFBB + UFBB while SFBB was a band (to 2019).
with final as (
    select t.district_code, d.district_name, t.snapshot, t.snapshot_order, t.source_id, t.all_premises,
           t.sfbb_pct_as_published, t.sfbb_or_better_pct, t.ufbb_pct, t.full_fibre_pct, t.gigabit_pct,
           t.below_uso_pct, t.unable_30mbit_pct
    from ofcom_district_timeseries as t
    join district_boundaries as d using (district_code)
)

select * from final order by snapshot_order, district_name
