"""Server time of the one search behind /find: median over 200 mixed queries, against a naive scan in the same run.

    .venv/bin/python -m bench.search_timing [--runs 5]

The 200 queries are made from the database with a fixed seed: exact place, ward and district names, place names
with one letter changed, Kent postcodes written several ways, well-formed postcodes outside Kent, Kent-looking
postcodes that do not exist, and junk. Each run clears geo.explorer.db's caches, rebuilds the name and postcode indexes
(timed on their own: once per database file), then times every query once with geo.explorer.search.search, interleaved query by query with the baseline: a naive
scan that compares the text with every name using the standard library's difflib and looks a postcode up by
scanning every postcode. The goal (issue 12) is a median of at most 50 ms.
"""
from __future__ import annotations

import argparse
import difflib
import os
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.explorer import db, search  # noqa: E402
from geo.explorer.state import normalise_postcode  # noqa: E402

GOAL_MS = 50.0
SEED = 12


def mixed_queries(seed: int = SEED) -> list[str]:
    """200 queries of every kind /find answers, made from the database (deterministic)."""
    rng = random.Random(seed)
    names = db.run("search_names")
    places = sorted(names[names.kind == "place"].name.unique())
    wards = sorted(names[names.kind == "ward"].name.unique())
    districts = sorted(names[names.kind == "district"].name.unique())
    postcodes = sorted(db.connection().cursor().execute("select postcode from postcodes").df().postcode)

    def misspelt(name: str) -> str:
        letters = [i for i, c in enumerate(name) if c.isalpha()]
        i = rng.choice(letters)
        return name[:i] + rng.choice("aeiourstn") + name[i + 1:]

    kent = rng.sample(postcodes, 40)
    written = [p if i % 3 == 0 else p.lower().replace(" ", "") if i % 3 == 1 else f"  {p.lower()} " for i, p in enumerate(kent)]
    queries = (rng.sample(places, 50) + [misspelt(p) for p in rng.sample(places, 40)] + rng.sample(wards, 30)
               + districts + written
               + ["SW1A 1AA", "M1 1AE", "EH1 1YZ", "B33 8TH", "CR2 6XH", "ME4 4TZ", "RH10 1AA", "E1 6AN", "CB2 1TN", "LS1 4AP"]
               + ["CT9 9QQ", "TN1 9ZZ", "ME15 0QQ", "DA1 9QX", "CT1 9ZZ", "TN23 9QQ", "ME10 9ZZ", "CT20 9QQ", "DA11 9ZZ", "BR8 9QQ"]
               + ["%%%", "zzqxv", "<script>", "'; drop table places; --", "a" * 300, "12345", "!!", "   "])
    assert len(queries) == 200, len(queries)
    return queries


class NaiveScan:
    """The baseline: every name and every postcode in plain Python lists, compared one by one."""

    def __init__(self):
        self.names = list(db.run("search_names").name)
        self.postcodes = list(db.connection().cursor().execute("select postcode, ward_code from postcodes").fetchall())

    def search(self, text: str):
        postcode = normalise_postcode(text)
        if postcode:
            return [ward for code, ward in self.postcodes if code == postcode]
        key = text.strip().lower()
        scored = [(difflib.SequenceMatcher(None, key, name.lower()).ratio(), name) for name in self.names]
        return sorted(scored, reverse=True)[:20]


def one_run(queries: list[str]) -> dict:
    """Clear the caches, build the index, time every query (app, then baseline, interleaved)."""
    db.clear_caches()
    db.connection()  # opening the database file is not the search's cost
    started = time.perf_counter()
    search.name_index()
    search.postcode_index()
    index_ms = 1000 * (time.perf_counter() - started)
    baseline = NaiveScan()
    app_ms, base_ms = [], []
    for query in queries:
        started = time.perf_counter()
        search.search(query)
        app_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        baseline.search(query)
        base_ms.append(1000 * (time.perf_counter() - started))
    slowest = sorted(zip(app_ms, queries), reverse=True)[:3]
    return {"slowest": slowest, "index_ms": index_ms, "app_median_ms": statistics.median(app_ms), "app_p95_ms": sorted(app_ms)[189],
            "base_median_ms": statistics.median(base_ms), "base_p95_ms": sorted(base_ms)[189]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    queries = mixed_queries()
    load_before = os.getloadavg()
    runs = [one_run(queries) for _ in range(args.runs)]
    load_after = os.getloadavg()

    def summary(key):
        values = [r[key] for r in runs]
        return f"{statistics.median(values):8.2f} ({min(values):.2f}-{max(values):.2f})"

    app, base = statistics.median(r["app_median_ms"] for r in runs), statistics.median(r["base_median_ms"] for r in runs)
    print(f"Search server time, 200 mixed queries, {args.runs} runs (median of runs, min-max), ms")
    print(f"  load average before {load_before[0]:.2f} / after {load_after[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"  name and postcode index build (once per database file): {summary('index_ms')}")
    print(f"  app (geo.explorer.search)   median per query {summary('app_median_ms')}   95th percentile {summary('app_p95_ms')}")
    print(f"  naive scan         median per query {summary('base_median_ms')}   95th percentile {summary('base_p95_ms')}")
    print("  slowest queries in the last run: " + "; ".join(f"{q[:24]!r} {ms:.0f} ms" for ms, q in runs[-1]["slowest"]))
    print(f"  app / naive scan   {app / base:.3f}x   goal: median <= {GOAL_MS:.0f} ms -> {'PASS' if app <= GOAL_MS else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
