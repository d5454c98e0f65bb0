-- Question: what does the catalogue say about every indicator, with its source's attribution?
-- Parameters: none
-- Output: indicator_id, theme, label, unit, polarity, geography, source_id, source_column, aggregation, decimals,
--         decile_column, vintage, method, caveat, publisher, source_title, licence, attribution, official_url
-- Grain: one row per indicator, in catalogue (menu) order.
with final as (
    select * from indicators
)

select * from final
