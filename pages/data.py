"""/data — rankings of every ward (or district, LSOA) with combined threshold filters, and downloads."""
from dataclasses import replace

import streamlit as st

from geo import catalogue, explore, state as url_state
from pages import components

DEFAULT = url_state.ViewState(level="ward")

view = components.read_state(DEFAULT)
st.title("Rankings and downloads")
districts = explore.districts()
names = {None: "All of Kent"} | dict(zip(districts.district_code, districts.district_name))
columns = st.columns(2)
level = columns[0].radio("Areas", list(url_state.LEVELS), index=url_state.LEVELS.index(view.level),
                         format_func=url_state.LEVEL_LABELS.get, horizontal=True, key="level")
district_code = columns[1].selectbox("District", list(names), index=list(names).index(view.district),
                                     format_func=names.get, key="district")
view = replace(view, level=level, district=district_code)
components.write_state(view, DEFAULT)

components.page_title(f"Rankings and downloads: {url_state.LEVEL_LABELS[level]}, {names[district_code]}")
table = explore.download_frame(level, district_code)
rows = catalogue.load()
available = [i for i in rows.index if i in table.columns]
st.markdown("**Filters** — combine thresholds across indicators; every filter must hold.")
filters = st.multiselect("Indicators to filter on", available, format_func=lambda i: rows.label[i], key="filters")
mask = table.index == table.index
for indicator_id in filters:
    values = table[indicator_id].dropna()
    low, high = float(values.min()), float(values.max())
    if low == high:
        continue
    chosen = st.slider(f"{rows.label[indicator_id]} ({rows.unit[indicator_id]})", low, high, (low, high),
                       key=f"filter_{indicator_id}")
    mask &= table[indicator_id].between(*chosen)
filtered = table[mask]
st.caption(f"{len(filtered)} of {len(table)} areas match. Click a column header to sort. Empty cells are missing values, never zero.")
st.dataframe(filtered.rename(columns={i: f"{rows.label[i]} ({rows.unit[i]})" for i in available}), hide_index=True,
             width="stretch")

slug = f"kent-{level}s" + (f"-{district_code}" if district_code else "")
left, right = st.columns(2)
# Files are made on click, not on every rerun.
left.download_button("Download CSV", lambda: explore.csv_download(filtered), file_name=f"{slug}.csv", mime="text/csv",
                     icon=":material/download:", on_click="ignore")
right.download_button("Download GeoJSON", lambda: explore.geojson_download(filtered, level, district_code),
                      file_name=f"{slug}.geojson", mime="application/geo+json", icon=":material/download:",
                      on_click="ignore")
if view.embed:
    components.full_explorer_link(url_state.to_params(view, DEFAULT))
components.attribution_footer()
