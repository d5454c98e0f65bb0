-- Question: which attribution lines must a page show, given the sources it draws on?
-- Parameters: none
-- Output: attribution, publishers, source_ids
-- Grain: one row per distinct attribution line.
with final as (
    select attribution, string_agg(distinct publisher, '; ' order by publisher) as publishers,
           string_agg(source_id, ', ' order by source_id) as source_ids
    from source_files
    group by attribution
)

select * from final order by publishers, attribution
