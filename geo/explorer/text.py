"""Data text meeting Markdown, and cells going into a CSV a spreadsheet will open.

Names come from publishers' files (and from `geo fetch`, unreviewed). Streamlit renders st.markdown,
st.warning, st.caption and st.table cells as Markdown, where a name such as ``![m](http://host/x.png)``
would load an image from another host, so every piece of data text shown there goes through
``markdown_literal``. A spreadsheet runs a cell that starts with =, +, -, @, tab or CR as a formula, so
every text cell of a CSV download goes through ``csv_safe``. An HTML table (``html_table``) escapes every cell.
"""
from __future__ import annotations

import html
import re

import pandas as pd

# The marks that make Markdown do something (links and images, HTML, emphasis, code, Streamlit's $maths$,
# headings, table pipes); a backslash makes each literal. Ordinary punctuation in names and figures
# (. , ' ( ) - & % : /) is left alone, so "Folkestone & Hythe" and "12.5%" read, and compare, as they are.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~$])")
_WHITESPACE = re.compile(r"\s+")
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def markdown_literal(text: object) -> str:
    """Data text as Markdown that shows exactly that text: no link, image, emphasis, HTML, heading or maths."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _WHITESPACE.sub(" ", str(text)))


def markdown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for st.table: text cells, the index and the column names made literal; numbers untouched."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(lambda v: v if v is None or (isinstance(v, float) and pd.isna(v))
                                          else markdown_literal(v))
    out.columns = [markdown_literal(c) if isinstance(c, str) else c for c in out.columns]
    out.index = out.index.map(lambda v: markdown_literal(v) if isinstance(v, str) else v)
    if isinstance(frame.index.name, str):
        out.index.name = markdown_literal(frame.index.name)
    return out


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def html_table(frame: pd.DataFrame, summary: str, expanded: bool = True) -> str:
    """A table as one escaped HTML fragment (for st.html): the index as row headers, inside a <details> whose
    <summary> says what it holds, open or closed. One element, so the browser loads no table component for it."""
    index_name = frame.index.name if isinstance(frame.index.name, str) else ""
    head = "".join(f'<th scope="col">{_cell(c)}</th>' for c in [index_name, *frame.columns])
    body = "".join(f'<tr><th scope="row">{_cell(label)}</th>' + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for label, row in zip(frame.index, frame.itertuples(index=False, name=None)))
    return (f'<details class="kle-table"{" open" if expanded else ""}><summary>{_cell(summary)}</summary>'
            f'<div class="kle-table-scroll" role="region" aria-label="{_cell(summary)}" tabindex="0">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>")


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet will not run: one starting with a formula character gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_LEAD):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for a CSV download: text cells and column names neutralised; numeric columns stay numbers
    (so -3.2 stays a negative number)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column].dtype):
            out[column] = out[column].map(csv_cell)
    out.columns = [csv_cell(c) for c in out.columns]
    return out
