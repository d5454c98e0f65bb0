"""The database is the explorer's only contract: it runs with data/*.csv absent, and a catalogue (or gap
components) edit without a rebuild changes nothing it shows."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from geo.config import REPO_ROOT

# Runs in a copy of the code; prints what the pages and the explorer's functions show.
SCRIPT = r'''
import json, sys
from streamlit.testing.v1 import AppTest
from geo.explorer import gap_view, layers, metadata
from geo.gap import Weights

shown = {}
for page, params in (("kent", {}), ("kent", {"level": "district", "layer": "gap_index"}), ("gap", {}),
                     ("data", {}), ("about", {})):
    app = AppTest.from_file(f"pages/{page}.py", default_timeout=300)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    shown[f"{page}?{params}"] = {"exception": [str(e.value) for e in app.exception],
                                 "tables": [t.value.to_csv() for t in app.table], "html": [h.value for h in app.html]}
catalogue = metadata.catalogue()
shown["layers"] = {i: layers.layer(i, "ward", None, "quantiles").values.value.round(9).tolist() for i in catalogue.index}
shown["gap"] = gap_view.from_database(Weights(5, 5, 5)).wards.head(20).to_csv()
print(json.dumps(shown))
'''


def _explorer_copy(folder):
    for name in ("geo", "pages", "queries"):
        shutil.copytree(REPO_ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "app.py", folder / "app.py")
    (folder / "data").mkdir()
    return folder


def _shown(folder, database) -> dict:
    environment = dict(os.environ, KENT_DB_PATH=str(database), PYTHONPATH=str(folder))
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=folder, env=environment, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_explorer_reads_only_the_database(built_database, tmp_path):
    folder = _explorer_copy(tmp_path / "explorer")
    assert not list((folder / "data").glob("*.csv"))
    without_csv = _shown(folder, built_database)
    assert all(not page["exception"] for key, page in without_csv.items() if "?" in key)
    kent = without_csv["kent?{}"]
    assert "Margate Central" in " ".join(kent["html"] + kent["tables"])  # the map's table of the 255 wards

    # A catalogue row and a gap input added, an existing label changed, but no rebuild: nothing changes.
    catalogue = (REPO_ROOT / "data" / "indicators.csv").read_text(encoding="utf-8")
    lines = catalogue.splitlines()
    added = lines[1].replace(lines[1].split(",")[0], "new_indicator_not_built", 1)
    (folder / "data" / "indicators.csv").write_text(
        "\n".join([lines[0], added, *lines[1:]]).replace("Usual residents", "Renamed residents") + "\n", encoding="utf-8")
    components = (REPO_ROOT / "data" / "gap_components.csv").read_text(encoding="utf-8").splitlines()
    (folder / "data" / "gap_components.csv").write_text(
        "\n".join([*components, "broadband,new_indicator_not_built,1,higher,,,not built"]) + "\n", encoding="utf-8")
    with_edits = _shown(folder, built_database)
    assert with_edits.keys() == without_csv.keys()
    for key in without_csv:  # one view at a time, so a failure names the view and the first part that changed
        assert with_edits[key] == without_csv[key], (key, _first_difference(without_csv[key], with_edits[key]))


def _first_difference(before, after):
    """The first (path, before, after) where two JSON-like values differ, for a readable failure."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                return (key, *_first_difference(before.get(key), after.get(key)))
    if isinstance(before, list) and isinstance(after, list):
        for index, (a, b) in enumerate(zip(before, after)):
            if a != b:
                return (index, *_first_difference(a, b))
        return ("length", len(before), len(after))
    if isinstance(before, str) and isinstance(after, str):
        start = next((i for i, (a, b) in enumerate(zip(before, after)) if a != b), min(len(before), len(after)))
        return (f"from character {start}", before[max(0, start - 80):start + 200], after[max(0, start - 80):start + 200])
    return (before, after)
