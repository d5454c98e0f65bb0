-- Question: which indicators make up each component of the infrastructure-gap index, with what weight and direction?
-- Parameters: none
-- Output: component, indicator_id, input_weight, gap_when, check_indicator, check_expected, why
-- Grain: one row per input, in the order of data/gap_components.csv as the build validated it.
select component, indicator_id, input_weight, gap_when, check_indicator, check_expected, why
from gap_components
order by input_order
