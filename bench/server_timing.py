"""Server-side figures: a layer switch's rerun (AppTest), `geo build` end to end, and each named query."""
from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geo.explorer import db, metadata
from geo.config import QUERIES_DIR, REPO_ROOT
from geo.sql import load_query

SWITCH_LAYERS = ("imd_score", "digital_connectivity_score", "transport_connectivity_score", "income_score")
APP_PAGE = "pages/kent.py"  # the Kent page: 255 wards, legend, map and the 255-row table
BASELINE_PAGE = "bench/baseline_app.py"
THANET = "E07000114"


def _app_test(script: str):
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    return AppTest.from_file(str(REPO_ROOT / script), default_timeout=300)


def layer_switch_times(script: str, repeat: int, layers=SWITCH_LAYERS) -> list[float]:
    """Seconds of each rerun after choosing another layer (warm: every layer once first): the page's "layer" select
    box, or on the bare baseline page its ``layer`` query parameter."""
    app = _app_test(script).run()
    if app.exception:
        raise RuntimeError(f"{script} raised: {app.exception[0].message}")
    known = set(metadata.layer_choices().indicator_id)
    available = [layer for layer in layers if layer in known]
    sequence = available * (repeat + 1)
    times = []
    for i, layer in enumerate(sequence[1:], start=1):
        if script == BASELINE_PAGE:  # the bare page has no widgets: its layer comes from the URL
            app.query_params["layer"] = layer
        else:
            app.selectbox(key="layer").set_value(layer)
        started = time.perf_counter()
        app.run()
        elapsed = time.perf_counter() - started
        if app.exception:
            raise RuntimeError(f"{script} raised after choosing {layer}: {app.exception[0].message}")
        if i >= len(available):  # the first pass only warms
            times.append(elapsed)
    return times


def build_times(repeat: int) -> list[float]:
    """Seconds of `python -m geo build` end to end (a subprocess), into a scratch database."""
    times = []
    with tempfile.TemporaryDirectory(prefix="kent-bench-") as scratch:
        for _ in range(repeat):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "geo", "build", "--database", str(Path(scratch) / "kent.duckdb")],
                                  cwd=REPO_ROOT, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"geo build failed: {done.stderr.strip()[-500:]}")
            times.append(elapsed)
    return times


def representative_parameters() -> dict[str, list]:
    """Values to bind for each parameter name the queries declare: the heaviest realistic view first."""
    thanet_wards = list(db.run("ward_choices").query("district_code == @THANET").ward_code)
    postcode = db.connection().cursor().execute(
        "select postcode from postcodes where district_code = ? order by postcode limit 1", [THANET]).fetchone()[0]
    return {"indicator_id": ["imd_score"], "indicator_ids": [list(metadata.layer_choices().indicator_id)], "level": ["lsoa", "ward"], "district_code": [None],
            "ward_codes": [thanet_wards[:6]], "postcode": [postcode]}


def _cases(declared: tuple[str, ...], values: dict[str, list]) -> list[dict]:
    cases = [{}]
    for name in declared:
        cases = [dict(case, **{name: value}) for case in cases for value in values[name]]
    return cases


def _describe(parameters: dict) -> str:
    shown = []
    for name, value in parameters.items():
        if isinstance(value, list):
            value = f"{len(value)} {'ids' if name.endswith('_ids') else 'codes'}"
        shown.append(f"{name}={value}")
    return ", ".join(shown)


def query_times(repeat: int) -> tuple[list[dict], list[str]]:
    """Each queries/*.sql with representative parameters: uncached (own cursor) and cached (geo.explorer.db.run) seconds."""
    values = representative_parameters()
    results, skipped = [], []
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        query = load_query(path.stem)
        unknown = [p for p in query.declared_parameters if p not in values]
        if unknown:
            skipped.append(f"{path.name} (no representative value for ${', $'.join(unknown)})")
            continue
        for parameters in _cases(query.declared_parameters, values):
            uncached = []
            for _ in range(repeat + 1):
                cursor = db.connection().cursor()
                started = time.perf_counter()
                cursor.execute(query.sql, parameters).df()
                uncached.append(time.perf_counter() - started)
                cursor.close()
            db.run(path.stem, **parameters)  # fill the cache
            cached = []
            for _ in range(repeat):
                started = time.perf_counter()
                db.run(path.stem, **parameters)
                cached.append(time.perf_counter() - started)
            results.append({"query": path.stem, "parameters": _describe(parameters),
                            "uncached": uncached[1:], "cached": cached})
    return results, skipped
