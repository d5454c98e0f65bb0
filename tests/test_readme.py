"""The README's lists agree with the code: the sources and what `geo fetch` does with each, and the URL parameters
with their values. A new source, a fetch change or a new parameter fails here until the README says so."""
from __future__ import annotations

import re

from geo.config import REPO_ROOT
from geo.explorer import state as url_state
from geo.gap import PRESETS
from geo.pipeline.sources import FETCHED, SOURCES

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _table_after(heading_text: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first Markdown table after the line containing heading_text."""
    lines = README[README.index(heading_text):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_the_readme_lists_every_source_and_what_fetch_does_with_it():
    rows = {row[0]: _codes(row[1]) for row in _table_after("### What a refresh covers")}
    listed = [source for sources in rows.values() for source in sources]
    assert sorted(listed) == sorted(SOURCES), "README sources differ from the registry, geo/pipeline/sources.py"
    fetched = sorted(source.source_id for source in FETCHED if source.fetch.url)
    no_url = sorted(source.source_id for source in FETCHED if not source.fetch.url)
    assert sorted(rows["downloads from the publisher and cuts to Kent"]) == fetched
    assert sorted(rows["no fixed download URL: says where to get it"]) == no_url


def _code_parameters() -> set[str]:
    """Every query parameter the explorer writes, from the URL state itself (every field away from its default)."""
    view = url_state.ViewState(district="E07000114", wards=("E05000001",), layer="income_score", level="lsoa",
                               classes="natural_breaks", embed=True, overlays=url_state.OVERLAYS, scale="kent", fifth=1,
                               rank_max=10, value_filters=(("imd_score", 1.0, 2.0),))
    names = set(url_state.to_params(view))
    names |= set(url_state.gap_params(url_state.GapView(district="E07000114", weights=(1, 2, 3), seed=1, embed=True)))
    names |= set(url_state.gap_params(url_state.GapView(weights=PRESETS["transport_led"])))
    names |= set(url_state.CHANGE_PARAMS) | {"q"}  # /find's one parameter (pages/components.read_find_query)
    names |= {url_state.RELEASE_PARAM}  # every page writes the data release it shows (pages/components.write_state)
    return {re.sub(r"^(min|max)_imd_score$", r"\1_<indicator_id>", name) for name in names}


def test_the_readme_lists_every_url_parameter_and_its_values():
    rows = _table_after("URL query\nparameters hold the view")
    documented = {name: row[2] for row in rows for name in _codes(row[0])}
    assert set(documented) == _code_parameters()
    assert _codes(documented["level"]) == list(url_state.LEVELS)
    assert _codes(documented["classes"]) == list(url_state.CLASS_SCHEMES)
    assert _codes(documented["overlays"]) == list(url_state.OVERLAYS)
    assert _codes(documented["scale"]) == list(url_state.SCALE_LABELS)
    assert _codes(documented["preset"]) == list(PRESETS)
