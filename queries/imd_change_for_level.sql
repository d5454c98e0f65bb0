-- Question: how did each area's IMD position change from 2019 to 2025: Kent rank, and England's decile (or,
--           for wards and districts, the share of residents in England's most deprived 10% and 20% of LSOAs)?
-- Parameters: $level ('district' | 'ward' | 'lsoa'), $district_code (null for all of Kent)
-- Output: area_code, area_name, district_code, district_name, score_2019, score_2025, kent_rank_2019,
--         kent_rank_2025, kent_areas_ranked, change_code, lsoa11_codes, deciles_2019, decile_2019, decile_2025,
--         most_deprived_10pct_2019, most_deprived_10pct_2025, most_deprived_20pct_2019, most_deprived_20pct_2025
-- Grain: one row per area of the level. Ranks are within Kent at this level in each edition (1 = most deprived),
--        on 2021 LSOAs in both (IMD 2019 carried from 2011 LSOAs by the build). LSOA-only columns (change_code,
--        lsoa11_codes, deciles_2019, decile_2019, decile_2025) are null for wards and districts. A share is null
--        when an LSOA without a single 2019 decile would decide it.
with lsoa_editions as (
    select g.lsoa_code, g.ward_code, g.district_code, p.population, e.change_code, e.lsoa11_codes,
           e.imd2019_deciles, e.imd2019_decile, d.imd_decile as imd2025_decile,
           case when e.imd2019_decile_max <= 1 then 1.0 when e.imd2019_decile_min > 1 then 0.0 end as in_10pct_2019,
           case when e.imd2019_decile_max <= 2 then 1.0 when e.imd2019_decile_min > 2 then 0.0 end as in_20pct_2019,
           case when d.imd_decile <= 1 then 1.0 else 0.0 end as in_10pct_2025,
           case when d.imd_decile <= 2 then 1.0 else 0.0 end as in_20pct_2025
    from lsoa_geography as g
    join lsoa_population as p using (lsoa_code)
    join imd2019_lsoa21 as e using (lsoa_code)
    join lsoa_deciles as d using (lsoa_code)
),

by_level as (
    select 'lsoa' as level, lsoa_code as area_code, * from lsoa_editions
    union all
    select 'ward', ward_code, * from lsoa_editions
    union all
    select 'district', district_code, * from lsoa_editions
),

shares as (
    select area_code,
           -- a null LSOA flag makes the whole share unknown (never filled): count(*) <> count(flag)
           case when count(*) = count(in_10pct_2019) then 100 * sum(population * in_10pct_2019) / sum(population) end
               as most_deprived_10pct_2019,
           100 * sum(population * in_10pct_2025) / sum(population) as most_deprived_10pct_2025,
           case when count(*) = count(in_20pct_2019) then 100 * sum(population * in_20pct_2019) / sum(population) end
               as most_deprived_20pct_2019,
           100 * sum(population * in_20pct_2025) / sum(population) as most_deprived_20pct_2025,
           any_value(change_code) filter (where level = 'lsoa') as change_code,
           any_value(lsoa11_codes) filter (where level = 'lsoa') as lsoa11_codes,
           any_value(imd2019_deciles) filter (where level = 'lsoa') as deciles_2019,
           any_value(imd2019_decile) filter (where level = 'lsoa') as decile_2019,
           any_value(imd2025_decile) filter (where level = 'lsoa') as decile_2025
    from by_level
    where level = $level
    group by area_code
),

scores as (
    select a.area_code, a.area_name, a.district_code,
           max(v.value) filter (where v.indicator_id = 'imd2019_score') as score_2019,
           max(v.value) filter (where v.indicator_id = 'imd_score') as score_2025
    from areas as a
    join indicator_values as v on v.area_code = a.area_code and v.level = a.level
    where a.level = $level and v.indicator_id in ('imd2019_score', 'imd_score')
    group by a.area_code, a.area_name, a.district_code
),

ranked as (
    select *,
           rank() over (order by score_2019 desc) as kent_rank_2019,
           rank() over (order by score_2025 desc) as kent_rank_2025,
           count(*) over () as kent_areas_ranked
    from scores
),

final as (
    select r.area_code, r.area_name, r.district_code, d.district_name, r.score_2019, r.score_2025,
           r.kent_rank_2019, r.kent_rank_2025, r.kent_areas_ranked,
           s.change_code, s.lsoa11_codes, s.deciles_2019, s.decile_2019, s.decile_2025,
           s.most_deprived_10pct_2019, s.most_deprived_10pct_2025, s.most_deprived_20pct_2019, s.most_deprived_20pct_2025
    from ranked as r
    join shares as s using (area_code)
    join district_boundaries as d on d.district_code = r.district_code
    where $district_code is null or r.district_code = $district_code
)

select * from final order by kent_rank_2025, area_name
