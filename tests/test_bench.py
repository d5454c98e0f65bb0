"""The benchmark script runs and produces figures of the right shape (no timings are asserted)."""
from __future__ import annotations

import json

import pytest

from bench import run

pytestmark = pytest.mark.serial  # it runs the benchmarks: alone, as they are meant to run


def test_bench_quick_payload_and_queries_write_figures_with_app_baseline_and_verdicts(built_database, tmp_path):
    assert run.main(["--quick", "--only", "payload,queries", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    figures = record["figures"]
    payload = [f for f in figures if f["unit"] == "kB"]
    assert [f["measure"].split(" (")[0] for f in payload] == ["Districts", "Wards", "LSOAs"]
    assert all(f["app_value"] > 0 and f["baseline_value"] > 0 and f["ratio"] > 0 for f in payload)
    assert payload[0]["verdict"] == "" and {f["verdict"] for f in payload[1:]} <= {"PASS", "MISS"}  # goals: wards, LSOAs
    queries = [f for f in figures if f["unit"] == "ms"]
    assert len(queries) == run.TOP_QUERIES and all(f["baseline"] and f["app"] for f in queries)
    assert "## Performance" in (tmp_path / "latest.md").read_text(encoding="utf-8")
