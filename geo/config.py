"""Where things live: the data mirror, the built database, the SQL folder."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = REPO_ROOT / "queries"
CATALOGUE_PATH = REPO_ROOT / "data" / "indicators.csv"
MANIFEST_PATH = REPO_ROOT / "data" / "manifest.csv"  # written from the registry (geo/pipeline/sources.py)

KENT_CODE = "E10000016"
KENT_NAME = "Kent"
DISTRICT_CODES = tuple(f"E07000{n}" for n in range(105, 117))


def data_dir() -> Path:
    """The data mirror: $KENT_DATA_DIR, else ../shared/data beside the checkout."""
    return Path(os.environ.get("KENT_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")


def database_path() -> Path:
    """The built DuckDB file: $KENT_DB_PATH, else data/kent.duckdb."""
    return Path(os.environ.get("KENT_DB_PATH") or REPO_ROOT / "data" / "kent.duckdb")


def embed_dir() -> Path:
    """Where the light embed pages are served from: $KENT_EMBED_DIR, else static/embed (a symlink to the
    build's own versioned folder, which Streamlit serves at /app/static/embed/)."""
    return Path(os.environ.get("KENT_EMBED_DIR") or REPO_ROOT / "static" / "embed")


def spatial_extension_path() -> Path:
    """The DuckDB spatial extension shipped in the duckdb-extension-spatial wheel."""
    import duckdb
    import duckdb_extension_spatial

    package_dir = Path(duckdb_extension_spatial.__file__).parent
    path = package_dir / "extensions" / duckdb.__version__ / "spatial.duckdb_extension"
    if not path.exists():
        path = package_dir / "extensions" / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(f"DuckDB spatial extension for duckdb {duckdb.__version__} not found in {package_dir}")
    return path
