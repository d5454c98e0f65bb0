"""/find — one search for postcodes, places, wards and districts; every result links to its ward profile (or district page)."""
import streamlit as st

from pages import components

query = components.read_find_query()
st.title("Find a place")
components.search_box(query, on_find_page=True)
components.show_search_results(query)
components.attribution_footer()
