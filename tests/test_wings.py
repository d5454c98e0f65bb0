"""The two wings: the build pipeline (geo/pipeline/) and the explorer (geo/explorer/) never import each other; the
shared pieces at geo/ import neither; the explorer needs no geopandas, pyproj or DuckDB spatial."""
from __future__ import annotations

import ast
import subprocess
import sys

from geo.config import REPO_ROOT

GEO = REPO_ROOT / "geo"
JOINS = {"geo.__main__", "geo.publish"}  # the command line and the build-then-embed orchestration: may import both


def _module_name(path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path) -> set[str]:
    """Every module an import statement in the file names, at any depth (imports inside functions count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _wing(name: str) -> str:
    if name.startswith("geo.pipeline"):
        return "pipeline"
    if name.startswith("geo.explorer"):
        return "explorer"
    return "shared" if name.startswith("geo") else "outside"


MODULES = {_module_name(path): path for path in sorted(GEO.rglob("*.py"))}


def test_the_layout_is_two_wings_and_the_shared_pieces():
    wings = {}
    for name in MODULES:
        wings.setdefault(_wing(name), set()).add(name.rsplit(".", 1)[-1])
    assert {"build", "inputs", "sources", "validate", "fetch", "boundaries", "transport"} <= wings["pipeline"]
    assert {"db", "layers", "maps", "state", "search", "embed", "boardpack"} <= wings["explorer"]
    assert wings["shared"] == {"geo", "__main__", "config", "catalogue", "gap", "sql", "topology", "publish", "releases"}


def test_no_import_crosses_between_the_wings():
    crossings = []
    for name, path in MODULES.items():
        if name in JOINS:
            continue
        wing = _wing(name)
        for imported in _imports(path):
            target = _wing(imported)
            if target in ("pipeline", "explorer") and target != wing:
                crossings.append(f"{name} imports {imported}")
            if imported in JOINS:
                crossings.append(f"{name} imports {imported}")
    assert crossings == []


def test_pages_and_the_app_use_only_the_explorer():
    files = [REPO_ROOT / "app.py", *sorted((REPO_ROOT / "pages").glob("*.py"))]
    crossings = [f"{path.name} imports {imported}" for path in files for imported in _imports(path)
                 if _wing(imported) == "pipeline" or imported in JOINS]
    assert crossings == []


def test_the_explorer_needs_no_geopandas_pyproj_or_spatial_extension():
    explorer = sorted(name for name in MODULES if _wing(name) == "explorer")
    direct = [f"{name} imports {imported}" for name in explorer for imported in _imports(MODULES[name])
              if imported.split(".")[0] in ("geopandas", "pyproj", "duckdb_extension_spatial")]
    assert direct == []
    # and not indirectly either: import every explorer module in a fresh interpreter and look
    script = ("import sys\n" + "".join(f"import {name}\n" for name in explorer)
              + "print(sorted(m for m in ('geopandas', 'pyproj', 'duckdb_extension_spatial') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    source = "\n".join(MODULES[name].read_text(encoding="utf-8") for name in explorer)
    assert "spatial_extension_path" not in source and "LOAD " not in source


def test_the_explorer_connection_loads_no_extension(built_database):
    from geo.explorer import db

    spatial = db.connection(built_database).cursor().execute(
        "select count(*) from duckdb_functions() where function_name in ('ST_Area', 'ST_Transform')").fetchone()[0]
    assert spatial == 0  # DuckDB spatial's functions exist only once the extension is loaded
    assert len(db.run("district_choices", path=built_database)) == 12  # and it still reads the boundary tables
