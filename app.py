"""Kent Locality Explorer: the Streamlit entry point (page config, then the navigation of
pages/components.py PAGES). Page URLs are a public contract: keep them."""
import streamlit as st

from pages import components

# No page_icon: a Material icon favicon would be fetched from a third-party font host.
st.set_page_config(page_title="Kent Locality Explorer", layout="wide")
components.navigation().run()
