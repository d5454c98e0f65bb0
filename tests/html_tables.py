"""Reading back the tables (and key-figure cards) pages draw as one st.html element (geo.explorer.text.html_table): AppTest sees only the HTML."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pandas as pd

TABLE_CLASS = "kle-table"


class _Tables(HTMLParser):
    """Every <table> inside a <details class="kle-table">: its summary, header cells and rows of cell text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "details" and TABLE_CLASS in (attributes.get("class") or "").split():
            self.tables.append({"summary": "", "open": "open" in attributes, "head": [], "rows": []})
        elif not self.tables:
            return
        elif tag == "summary":
            self._in_summary = True
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if not self.tables:
            return
        if tag == "summary":
            self._in_summary = False
        elif tag in ("th", "td") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_summary and self.tables:
            self.tables[-1]["summary"] += data


def html_tables(html_text: str) -> list[pd.DataFrame]:
    """The kle-table tables in some HTML as frames indexed by their first column (as st.table was); each frame's
    ``attrs`` holds its summary line and whether it opens expanded."""
    parser = _Tables()
    parser.feed(html_text)
    frames = []
    for table in parser.tables:
        head, *rows = table["rows"]
        frame = pd.DataFrame(rows, columns=head).set_index(head[0])
        frame.attrs.update(summary=table["summary"], open=table["open"])
        frames.append(frame)
    return frames


def map_tables(app) -> list[pd.DataFrame]:
    """Every map table an AppTest run drew, in page order."""
    return [frame for element in app.html for frame in html_tables(element.value)]


CARD = re.compile(r'<div class="kle-card"><dt>(.*?)</dt><dd class="kle-card-value">(.*?)</dd>', re.S)


def metric_cards(app) -> dict[str, str]:
    """The key-figure cards a page draws as one st.html list (pages.components.metric_cards): label -> value."""
    return {html.unescape(label): html.unescape(value)
            for element in app.get("html") for label, value in CARD.findall(element.proto.body)}


class _SearchForm(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.form: dict = {}
        self.fields: dict[str, str] = {}
        self.label = ""
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = attributes
        elif tag == "input" and "name" in attributes:
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "label":
            self._in_label = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label = False

    def handle_data(self, data):
        if self._in_label:
            self.label += data


def search_form(app) -> dict:
    """The page's search form (pages.components.search_box) read back: its action, method, label and the fields
    it would submit ({name: value})."""
    bodies = [e.proto.body for e in app.get("html") if e.proto.body.startswith('<form class="kle-search"')]
    assert len(bodies) == 1, f"{len(bodies)} search forms on the page"
    parser = _SearchForm()
    parser.feed(bodies[0])
    return {"action": parser.form.get("action"), "method": parser.form.get("method"), "label": parser.label,
            "fields": parser.fields}
