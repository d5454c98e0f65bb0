"""/change for wards against the Kent ward page: page opened -> map drawn, interleaved in one run (issue 16).

    .venv/bin/python -m bench.change_timing [--runs 7]

One `streamlit run app.py` serves both pages. After one warm-up load of each, the two pages are timed in turn
(Kent ward page, then /change for wards, then the Kent page again, ...), each load in a fresh Chromium context (a new
visitor), with bench.browser_timing's clock: "drawn" is the moment the map's Leaflet overlay holds a path for every
one of Kent's 255 wards. The goal is a median ratio /change ÷ Kent of at most 1.2. The load average is printed at
the start and the end: on the shared machine both pages slow down alike, which is why they are interleaved.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.browser_timing import CHROMIUM, CHROMIUM_ARGS, streamlit_server, time_to_drawn  # noqa: E402
from geo.config import REPO_ROOT  # noqa: E402

GOAL_RATIO = 1.2
KENT_WARDS = 255
PAGES = [("Kent ward page (/?level=ward)", "/?level=ward"),
         ("/change for wards (/change?layer=imd_score&level=ward)", "/change?layer=imd_score&level=ward")]


# On the shared machine a load can take far longer than bench.run's 60 s; slow is not broken.
DRAW_TIMEOUT_MS = 240_000


async def _interleaved(pages: list[tuple[str, str]], runs: int) -> dict:
    """One warm-up load of each page, then `runs` rounds of each in turn, each load in a fresh context."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _, url in pages:
                await time_to_drawn(browser, url, KENT_WARDS, timeout_ms=DRAW_TIMEOUT_MS)
            times = {name: [] for name, _ in pages}
            for _ in range(runs):
                for name, url in pages:
                    times[name].append(await time_to_drawn(browser, url, KENT_WARDS, timeout_ms=DRAW_TIMEOUT_MS))
            return times
        finally:
            await browser.close()


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f}, n={len(values)})"


def main(argv: list[str] | None = None) -> int:
    """Print both pages' times to a drawn map, the ratio against the goal, and the load average."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed loads of each page (default 7)")
    arguments = parser.parse_args(argv)
    load_start = os.getloadavg()
    with streamlit_server("app.py", REPO_ROOT / "bench" / "results" / "logs") as server:
        times = asyncio.run(_interleaved([(name, server.url + path) for name, path in PAGES], arguments.runs))
    load_end = os.getloadavg()
    kent, change = (times[name] for name, _ in PAGES)
    kent_drawn, change_drawn = [t.drawn_s for t in kent], [t.drawn_s for t in change]
    ratio = statistics.median(change_drawn) / statistics.median(kent_drawn)
    paired = [c / k for c, k in zip(change_drawn, kent_drawn)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True).stdout.strip()
    print("| Measure | Time to every ward drawn |")
    print("|---|---|")
    for (name, _), drawn in zip(PAGES, (kent_drawn, change_drawn)):
        print(f"| {name} | {_median(drawn)} |")
    print(f"| /change ÷ Kent (medians) | {ratio:.2f}× (goal ≤ {GOAL_RATIO}×: {'PASS' if ratio <= GOAL_RATIO else 'MISS'}) |")
    print(f"| /change ÷ Kent (each interleaved pair, median) | {statistics.median(paired):.2f}× "
          f"({min(paired):.2f}-{max(paired):.2f}) |")
    scripts = [t.script_run_s for t in change if t.script_run_s is not None]
    kent_scripts = [t.script_run_s for t in kent if t.script_run_s is not None]
    if scripts and kent_scripts:
        print(f"\nServer script run (median): Kent {statistics.median(kent_scripts):.2f} s, "
              f"/change {statistics.median(scripts):.2f} s.")
    print(f"Measured at commit {commit} on {os.cpu_count()} CPU cores, load average {load_start[0]:.1f} at the start "
          f"and {load_end[0]:.1f} at the end; `python -m bench.change_timing --runs {arguments.runs}`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
