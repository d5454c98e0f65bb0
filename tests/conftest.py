"""Shared fixtures: one real database built from the real mirror for the whole test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo import db
from geo.build import build
from geo.config import data_dir


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real data mirror (../shared/data or $KENT_DATA_DIR)."""
    path = data_dir()
    if not path.is_dir():
        pytest.fail(f"data mirror not found at {path}; set KENT_DATA_DIR")
    return path


@pytest.fixture()
def mirror_with(mirror):
    """``mirror_with(folder, relative, change)``: a copy of the real mirror in folder (symlinks) in which the file
    at relative is replaced by ``change(original_text)``, or removed when change is None."""
    def make(folder: Path, relative: str, change) -> Path:
        for source in mirror.rglob("*"):
            target = folder / source.relative_to(mirror)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(source)
        broken = folder / relative
        text = (mirror / relative).read_text(encoding="utf-8")
        broken.unlink()
        if change is not None:
            broken.write_text(change(text), encoding="utf-8")
        return folder
    return make


@pytest.fixture(scope="session")
def built_database(tmp_path_factory, mirror) -> Path:
    """A database built once from the real mirror, used read-only by the tests."""
    path = tmp_path_factory.mktemp("warehouse") / "kent.duckdb"
    build(mirror, path)
    os.environ["KENT_DB_PATH"] = str(path)  # so app and browser tests read the same file
    db.clear_caches()
    return path


@pytest.fixture()
def query(built_database):
    """Run a named query against the test database."""
    def run(name: str, **parameters):
        return db.run(name, path=built_database, **parameters)
    return run


@pytest.fixture()
def sql(built_database):
    """Run ad-hoc SQL against the test database (tests only; the app uses named queries)."""
    def run(text: str, parameters=None):
        return db.connection(built_database).cursor().execute(text, parameters or []).df()
    return run
