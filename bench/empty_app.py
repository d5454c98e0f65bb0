"""An empty Streamlit page, a title and nothing else: the floor under any Streamlit page's first visit.

Streamlit's own frontend (its bundle, the chunks for a title, its preloaded text and icon fonts) is what this page
downloads; bench/run.py's first-visit section measures it in the same run as the app and the bare page, so the bytes
the app adds on top of Streamlit can be told apart from Streamlit's own. Run: `streamlit run bench/empty_app.py`.
"""
import streamlit as st

st.title("An empty Streamlit page")
