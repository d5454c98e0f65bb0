-- Question: which catalogue layers have ward values (the light embed makes one page per area for each)?
-- Parameters: none
-- Output: indicator_id, theme, label (catalogue menu order)
-- Grain: one row per indicator with at least one ward value.
with ward_layers as (
    select distinct indicator_id from indicator_values where level = 'ward' and value is not null
),

final as (
    select c.indicator_id, c.theme, c.label
    from indicators as c
    where c.indicator_id in (select indicator_id from ward_layers)
)

select * from final
