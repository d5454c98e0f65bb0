-- Question: what is every indicator's value for Kent as a whole?
-- Parameters: none
-- Output: indicator_id, value
-- Grain: one row per indicator with a county value.
with final as (
    select indicator_id, value from indicator_values where level = 'county'
)

select * from final order by indicator_id
