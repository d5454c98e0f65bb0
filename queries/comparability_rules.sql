-- Question: what may one indicator be compared with over time, how, and with what caveat?
-- Parameters: $indicator_id
-- Output: indicator_id, compared_with, compared_column, comparison ('rank' | 'decile' | 'level' | 'related' | 'none'),
--         caveat, compared_label (the compared indicator's label, null for a series or none), compared_vintage
-- Grain: one row per rule, in the order of data/comparability.csv (every indicator has at least one).
with final as (
    select r.indicator_id, r.compared_with, r.compared_column, r.comparison, r.caveat,
           c.label as compared_label, c.vintage as compared_vintage, r.rule_order
    from comparability as r
    left join indicator_catalogue as c on c.indicator_id = r.compared_with
    where r.indicator_id = $indicator_id
)

select * exclude (rule_order) from final order by rule_order
