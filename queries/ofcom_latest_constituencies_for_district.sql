-- Question: in Ofcom's latest constituency file, what coverage did the constituencies covering a district have?
-- Parameters: $district_code, $min_district_share_pct
-- Output: constituency_code, constituency_name, district_share_pct, snapshot_yyyymm, gigabit_pct, all_premises
-- Grain: one row per constituency (2010-2024 boundaries) covering at least $min_district_share_pct of the district's
--        area (table constituency_district_shares, made by the build from the ONS boundaries: constituencies do
--        not follow district lines and no publisher assigns one to the other), largest share first; values from the
--        newest Ofcom snapshot, all premises.
with shares as (
    select s.constituency_code, c.constituency_name, s.district_share_pct
    from constituency_district_shares as s
    join constituency_boundaries as c using (constituency_code)
    where s.district_code = $district_code
),

latest as (
    select max(cast(snapshot_yyyymm as integer)) as snapshot_yyyymm from ofcom_constituency_timeseries
    where premises_set = 'all' and gigabit_pct is not null
),

final as (
    select s.constituency_code, s.constituency_name, round(s.district_share_pct, 1) as district_share_pct,
           l.snapshot_yyyymm, t.gigabit_pct, t.all_premises
    from shares as s
    join ofcom_constituency_timeseries as t using (constituency_code)
    join latest as l on cast(t.snapshot_yyyymm as integer) = l.snapshot_yyyymm
    where t.premises_set = 'all' and s.district_share_pct >= $min_district_share_pct
)

select * from final order by district_share_pct desc, constituency_name
