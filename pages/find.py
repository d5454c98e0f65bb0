"""/find — one search for postcodes, places, wards and districts; every result links to its ward profile (or district page)."""
import streamlit as st

from pages import components

query = components.read_find_query()
st.title("Find a place")
components.page_title(f"Find a place: results for \u201c{query}\u201d" if query else "Find a place")
components.search_box(query)
components.show_search_results(query)
components.attribution_footer()
