"""Kent Locality Explorer: the Streamlit entry point. Page URLs are a public contract: keep them."""
import streamlit as st

# No page_icon: a Material icon favicon would be fetched from a third-party font host.
st.set_page_config(page_title="Kent Locality Explorer", layout="wide")

embed = st.context.is_embedded  # ?embed=true: Streamlit's own embed mode, plus our light view
PAGES = [
    st.Page("pages/kent.py", title="Kent", url_path="", default=True),
    st.Page("pages/district.py", title="District", url_path="district"),
    st.Page("pages/compare.py", title="Compare wards", url_path="compare"),
    st.Page("pages/ward.py", title="Ward profile", url_path="ward"),
    st.Page("pages/find.py", title="Find a place", url_path="find"),
    st.Page("pages/gap.py", title="Infrastructure gap", url_path="gap"),
    st.Page("pages/change.py", title="Change over time", url_path="change"),
    st.Page("pages/data.py", title="Rankings and downloads", url_path="data"),
    st.Page("pages/about.py", title="About the data", url_path="about"),
]
navigation = st.navigation(PAGES, position="hidden" if embed else "top")
navigation.run()
