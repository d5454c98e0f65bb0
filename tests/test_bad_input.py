"""Hypothesis-generated URL parameters against every page (AppTest, real database).

For each generated query string the page must
- run to its end (title and attribution footer shown) with no exception and no error element;
- never show user text as markup: user text may appear only inside inline code spans of
  markdown bodies (so no HTML, links, images, colours or icons from it), and nowhere else
  (no st.html body, map, table, metric or widget carries it);
- never build SQL from user text: every statement DuckDB executes is exactly the text of a
  file in queries/ (or one of geo.explorer.db's fixed connection set-up statements), and every bound
  parameter is a known code, indicator id, level, postcode, or a number.

Adding a page is one entry in PAGES.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st
from streamlit.testing.v1 import AppTest

from geo import catalogue, releases
from geo.explorer import db
from geo.config import QUERIES_DIR, REPO_ROOT, database_path

MARKER = "Qzx"  # in every hostile payload; never in the app's own text (checked case-insensitively)

COMMON_PARAMS = ("district", "ward", "layer", "level", "classes", "overlays", "embed", "release")


@dataclass(frozen=True)
class Page:
    script: str  # under pages/
    params: tuple[str, ...]
    max_examples: int = 25


PAGES = [
    Page("kent", COMMON_PARAMS),
    Page("district", COMMON_PARAMS),
    Page("compare", COMMON_PARAMS),
    Page("data", COMMON_PARAMS),
    Page("about", COMMON_PARAMS),
    Page("change", ("district", "layer", "level", "embed", "release")),
    Page("gap", ("preset", "w_broadband", "w_transport", "w_services", "seed", "district", "embed", "release"),
         max_examples=20),
    Page("ward", COMMON_PARAMS),
    Page("find", ("q", "embed", "release"), max_examples=40),
]
# The search box echoes what was searched for as its own value (plain text, never markup): the one widget
# allowed to carry user text.
SEARCH_BOX_LABEL = "Find a postcode, place, ward or district"

# Error elements a page shows on purpose (every other st.error is a failure).
INTENDED_ERRORS = ("All three weights are zero",)  # /gap with w_broadband=w_transport=w_services=0

HOSTILE = [
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</p><b>bold</b>", "'; drop table wards; --",
    "\" or 1=1 --", "') union select * from postcodes --", "$district_code", "?", "![x](http://127.0.0.2:9/x.png)",
    "[log in](https://evil.example)", "<https://evil.example>", "www.evil.example", "javascript:alert(1)",
    ":red[red]", ":material/home:", ":smile:", "$x^2$", "`", "``", "\\", "**", "_", "# heading", "\n\n- item\n",
    "&lt;b&gt;", "&amp;", "{{7*7}}", "${7*7}", "%s%n", "../../etc/passwd", "\x00", "\u202e", "\u200b", "ß", "İ", "ﬁ",
    "😀", "E07000114", "E05005093", ",", ", ,", "  ", "true", "NaN", "-1", "1e309", "0x10",
]
JUNK_KEYS = ["embed_options", "page", "x", "", "ward[]", "<b>k</b>", "district ", "LAYER", "utm_source", "'; --"]
NUMBERS = ["0", "1", "5", "10", "11", "-1", "007", "1.5", "1e3", "²", "٣", "10 ", " 3", "+3", "99999999999",
           "4294967295", "4294967296", "nan", "inf", "-0", ""]


@dataclass
class Vocabulary:
    """The valid values a page may bind into SQL, and the valid choices offered to the generator."""

    districts: list[str]
    wards: list[str]
    layers: list[str]
    valid: dict[str, list[str]] = field(default_factory=dict)

    def allowed_parameter(self, value) -> bool:
        if value is None or isinstance(value, (bool, int, float)):
            return True
        if isinstance(value, (list, tuple)):
            return all(self.allowed_parameter(v) for v in value)
        if isinstance(value, str):
            return (value in self._strings) or bool(re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9][A-Z]{2})?", value))
        return False

    @property
    def _strings(self) -> set[str]:
        return set(self.districts) | set(self.wards) | set(self.layers) | {"district", "ward", "lsoa", "county"}


@pytest.fixture(scope="module")
def vocabulary(built_database) -> Vocabulary:
    districts = list(db.run("district_choices").district_code)
    wards = list(db.run("ward_choices").ward_code)
    layers = list(catalogue.load().index)
    try:
        from geo import gap
        layers.append(gap.INDEX_ID)
        presets = list(gap.PRESETS) + ["custom"]
    except ImportError:
        presets = []
    valid = {"district": districts, "ward": wards, "layer": layers, "level": ["district", "ward", "lsoa"],
             "classes": ["quantiles", "natural_breaks", "equal_interval", "national_deciles"],
             "overlays": ["rail_stations", "bus_stops", "rail_stations,bus_stops"], "embed": ["true", "false", "1"],
             "preset": presets, "w_broadband": NUMBERS, "w_transport": NUMBERS, "w_services": NUMBERS,
             "seed": ["0", "1", "2026", "4294967295", "4294967296", "12345678901", "-5", "1.0"],
             # the release in service, well-formed ids never built, impossible dates, a first build with a suffix
             "release": [releases.release_of(built_database), "2026-12-01", "2026-12-02.2", "2099-01-01", "2026-02-30",
                         "2026-12-02.1", "2026-12-02.0", "2026-12-2", "20261202"]}
    return Vocabulary(districts, wards, layers, valid)


# --- SQL spy -------------------------------------------------------------------------------------

class _Spy:
    """A DuckDB connection (or cursor) that records every statement and its parameters."""

    def __init__(self, real, log):
        self._real, self._log = real, log

    def execute(self, sql, parameters=None, *args, **kwargs):
        self._log.append((sql, parameters))
        if parameters is None:
            self._real.execute(sql, *args, **kwargs)
        else:
            self._real.execute(sql, parameters, *args, **kwargs)
        return self

    def cursor(self):
        return _Spy(self._real.cursor(), self._log)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture(scope="module")
def executed_sql(built_database):
    """Every (sql, parameters) DuckDB runs in this process while the module's tests run."""
    log: list[tuple[str, object]] = []
    real_connect = duckdb.connect
    patch = pytest.MonkeyPatch()

    def refuse(*args, **kwargs):
        raise AssertionError("SQL run on DuckDB's default connection, outside geo.explorer.db")

    patch.setattr(duckdb, "connect", lambda *a, **k: _Spy(real_connect(*a, **k), log))
    for name in ("sql", "query", "execute"):
        patch.setattr(duckdb, name, refuse)
    db.clear_caches()  # the next query opens a spied connection
    yield log
    patch.undo()
    db.clear_caches()


def _allowed_statements() -> set[str]:
    files = {path.read_text(encoding="utf-8") for path in QUERIES_DIR.glob("*.sql")}
    return files | set(db.setup_statements(database_path())) | {db.OPEN_CHECK}  # geo.explorer.db's fixed check of a new opening


# --- markup checks -------------------------------------------------------------------------------

def _outside_code_spans(markdown: str) -> str:
    """The markdown with its inline code spans removed (CommonMark backtick-string rules)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown):
            out.append(markdown[i:i + 2])
            i += 2
            continue
        if markdown[i] != "`":
            out.append(markdown[i])
            i += 1
            continue
        run = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
        closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)")
        end = closing.search(markdown, i + run)
        if end is None:  # no closing run: the backticks are literal text
            out.append(markdown[i:i + run])
            i += run
        else:
            i = end.end()
    return "".join(out)


MARKDOWN_TYPES = {"markdown", "caption", "warning", "info", "success", "error", "title", "header", "subheader"}


def _elements(app: AppTest):
    stack = [app._tree]
    while stack:
        node = stack.pop()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
        if getattr(node, "proto", None) is not None and node is not app._tree:
            yield node


def _check_search_form(body: str) -> None:
    """The search form echoes the search text (and a pinned release) as attribute values only: no markup of the
    user's, no text of theirs outside an input's value."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in {"form", "label", "div", "input", "button"}, f"user markup in the search form: {body!r}"
            for name, value in attrs:
                assert MARKER.lower() not in (value or "").lower() or (tag, name) == ("input", "value"), body

        def handle_data(self, data):
            assert MARKER.lower() not in data.lower(), f"user text outside an input value: {body!r}"

    Form().feed(body)
    assert SEARCH_BOX_LABEL in body


def _check_markup(app: AppTest) -> int:
    """Fail if user text (the marker) is shown anywhere but inside a code span; return how often it was shown."""
    shown = 0
    for element in _elements(app):
        kind = getattr(element, "type", "")
        proto_text = str(element.proto)
        if MARKER.lower() not in proto_text.lower():
            continue
        if kind == "html" and element.proto.body.startswith('<form class="kle-search"'):
            _check_search_form(element.proto.body)
            continue
        is_html = kind == "html" or (kind == "markdown" and element.proto.allow_html)
        assert kind in MARKDOWN_TYPES and not is_html, f"user text reached a {kind} element: {proto_text[:300]}"
        body = element.value
        outside = _outside_code_spans(body)
        assert MARKER.lower() not in outside.lower(), f"user text outside a code span in {kind}: {body!r}"
        shown += 1
    return shown


def _unintended_errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error if not any(text in e.value for text in INTENDED_ERRORS)]


# --- the property --------------------------------------------------------------------------------

def _value(vocabulary: Vocabulary, key: str):
    valid = vocabulary.valid.get(key) or ["x"]
    hostile = st.lists(st.sampled_from(HOSTILE), max_size=3).flatmap(
        lambda parts: st.integers(0, len(parts)).map(lambda at: "".join(parts[:at]) + MARKER + "".join(parts[at:])))
    one = st.one_of(
        st.sampled_from(valid),
        st.sampled_from(valid).map(lambda v: v.lower()) | st.sampled_from(valid).map(lambda v: f" {v.upper()} "),
        st.lists(st.sampled_from(valid), min_size=2, max_size=9).map(",".join),
        hostile,
        hostile.map(lambda h: f"{valid[0]},{h},{valid[-1]}"),
        st.text(max_size=40),
        st.tuples(st.sampled_from(HOSTILE + [MARKER, "E05005093,"]), st.integers(100, 4000)).map(lambda t: t[0] * t[1]),
        st.sampled_from(NUMBERS),
    )
    return st.one_of(one, st.lists(one, min_size=2, max_size=3))  # a repeated key: ?k=a&k=b


@pytest.mark.parametrize("page", PAGES, ids=[p.script for p in PAGES])
def test_generated_url_parameters_never_break_a_page(page, vocabulary, executed_sql):
    script = REPO_ROOT / "pages" / f"{page.script}.py"
    if not script.exists():
        pytest.skip(f"pages/{page.script}.py does not exist")
    allowed = _allowed_statements()
    stats = Counter()

    keys = st.lists(st.sampled_from(page.params) | st.sampled_from(JUNK_KEYS) | st.text(max_size=8), max_size=6,
                    unique=True)
    parameters = keys.flatmap(lambda names: st.fixed_dictionaries({k: _value(vocabulary, k) for k in names}))

    examples = min(page.max_examples, settings.default.max_examples)  # the loaded profile caps it (conftest)

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(params=parameters)
    @example(params={page.params[0]: f"{MARKER}<img src=x onerror=alert(1)>"})  # at least one echo to check
    def run(params):
        app = AppTest.from_file(str(script), default_timeout=120)
        for key, value in params.items():
            app.query_params[key] = value
        db.clear_caches()  # so every query this run needs executes (and is checked), none served from the cache
        start = len(executed_sql)
        app.run()

        assert not app.exception, [e.value for e in app.exception]
        assert not _unintended_errors(app), _unintended_errors(app)
        assert len(app.title) >= 1
        assert "Open Government Licence" in " ".join(c.value for c in app.caption), "the page stopped before its footer"
        stats["user text shown (in code spans)"] += _check_markup(app)

        for sql, bound in executed_sql[start:]:
            assert sql in allowed, f"SQL not from queries/: {sql[:300]!r}"
            if bound is not None:
                assert isinstance(bound, dict)
                for name, value in bound.items():
                    assert vocabulary.allowed_parameter(value), f"user text bound as ${name}: {value!r}"
            stats["statements"] += 1
        stats["examples"] += 1
        stats["hostile examples"] += any(MARKER.lower() in str(v).lower() for v in params.values())

    run()
    print(f"\n{page.script}: {dict(stats)}")
    # The checks above must have had something to check.
    assert stats["examples"] >= examples
    assert stats["hostile examples"] > 0 and stats["user text shown (in code spans)"] > 0
    assert stats["statements"] > 0


def test_the_code_span_reader_follows_commonmark():
    assert _outside_code_spans("a `b` c") == "a  c"
    assert _outside_code_spans("a ``b ` c`` d") == "a  d"
    assert _outside_code_spans("a `b c") == "a `b c"  # unclosed: literal
    assert _outside_code_spans("a ``b` c") == "a ``b` c"  # runs of different lengths do not pair
    assert _outside_code_spans(r"a \`b` c") == r"a \`b` c"  # escaped backtick opens nothing


def test_the_markup_check_catches_user_text_outside_a_code_span():
    class Fake:
        type = "warning"

        def __init__(self, value):
            self.value = value
            self.proto = value

    class FakeApp:
        def __init__(self, value):
            self._tree = type("Root", (), {"children": {0: Fake(value)}, "proto": None})()

    assert _check_markup(FakeApp(f"Unknown layer `{MARKER}<img src=x>`.")) == 1
    with pytest.raises(AssertionError, match="outside a code span"):
        _check_markup(FakeApp(f"Unknown layer '{MARKER}![x](http://127.0.0.2/x.png)'."))


def test_an_intended_error_is_shown_without_a_traceback(built_database):
    """The one error element a page shows on purpose: /gap with every weight zero."""
    if not (REPO_ROOT / "pages" / "gap.py").exists():
        pytest.skip("pages/gap.py does not exist")
    app = AppTest.from_file(str(REPO_ROOT / "pages" / "gap.py"), default_timeout=120)
    for name in ("w_broadband", "w_transport", "w_services"):
        app.query_params[name] = "0"
    app.run()
    assert not app.exception
    assert len(app.error) == 1 and not _unintended_errors(app)
    assert "Open Government Licence" in " ".join(c.value for c in app.caption)
