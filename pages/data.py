"""/data — the planners' table: every measure for each ward (or district, LSOA) with its Kent rank, kept by Kent
fifth, rank and value filters (all in the URL), and downloads that say what was filtered and where it came from."""
from datetime import date

import streamlit as st

from geo.explorer import areas, downloads, state as url_state
from geo.explorer.release_view import in_this_release as in_release
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
st.title("Rankings and downloads")
view = components.table_controls(view)
components.write_state(view, DEFAULT)

place = "All of Kent" if view.district is None else areas.districts().set_index("district_code").district_name[view.district]
components.page_title(f"Rankings and downloads: {url_state.LEVEL_LABELS[view.level]}, {place}")
table = downloads.planner_table(view.level, view.district, view.layer, view.fifth, view.rank_max, view.value_filters)
components.match_status(len(table.frame), table.total, table.description)
st.caption("Sorted by Kent rank; click a column header to sort by another. Empty cells are missing values, never zero. "
           "Values are shown at the publisher's precision.")
st.dataframe(table.frame, hide_index=True, width="stretch",
             column_config={column: st.column_config.NumberColumn(format=f) for column, f in table.formats.items()})

files = st.columns(3)
# Files are made on click, not on every rerun.
files[0].download_button("Download CSV", in_release(table.csv), file_name=f"{table.slug}.csv", mime="text/csv",
                         icon=":material/download:", on_click="ignore")
files[1].download_button("Download metadata (CSVW)",
                         in_release(lambda: table.csvw(date.today().isoformat())), file_name=f"{table.slug}.csv-metadata.json",
                         mime="application/csvm+json", icon=":material/download:", on_click="ignore",
                         help="CSV on the Web metadata: each column's unit, vintage, method, source and licence.")
files[2].download_button("Download GeoJSON", in_release(table.geojson), file_name=f"{table.slug}.geojson",
                         mime="application/geo+json", icon=":material/download:", on_click="ignore")
if view.embed:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
