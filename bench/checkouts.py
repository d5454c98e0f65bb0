"""The explorer's speed in two checkouts, interleaved in one run: ``python -m bench.checkouts --before DIR``.

For "nothing in the explorer's behaviour or speed gets worse" (issue 13): DIR is another checkout of the
repository (a ``git worktree`` at an older commit, with its own built ``data/kent.duckdb`` and
``static/vendor``); the other side is this checkout. Each side runs its own ``streamlit run app.py`` on a free
port of 127.0.0.1, from its own folder, reading its own database (KENT_DB_PATH is removed from the
environment). Measured per page, alternating which side goes first in each round:

- server time: Streamlit's websocket protocol, connect -> the page's script run finished (no browser);
- browser time: headless Chromium, a fresh context (first visit), page opened -> every area of the map drawn.

Figures are medians with (min-max, n) and the ratio this checkout / DIR in the same run, with the load average
at the start and end. The machine is shared: read the ratios, not the seconds.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.browser_timing import _launch, streamlit_server, time_to_drawn
from bench.protocol_load import page_script_run
from geo.config import REPO_ROOT

# (name, page name for the protocol, query string, areas drawn on its map or None for no browser timing)
PAGES = (
    ("Kent wards /?level=ward", "", "level=ward", 255),
    ("Thanet /district?district=E07000114", "district", "district=E07000114", 23),
    ("Kent LSOAs /?level=lsoa", "", "level=lsoa", 938),
    ("Compare /compare?ward=E05005093,E05005010", "compare", "ward=E05005093,E05005010", None),
    ("Gap /gap", "gap", "", None),
)
DRAW_TIMEOUT_MS = 240_000  # a shared machine under load is slow, not broken


@contextmanager
def checkout_server(folder: Path, log_dir: Path):
    """`streamlit run app.py` in folder (its own code and its own data/kent.duckdb) on a free port; its URL."""
    env = {k: v for k, v in os.environ.items() if k != "KENT_DB_PATH"}
    with streamlit_server("app.py", log_dir, cwd=folder, env=env) as server:
        yield server.url


async def _measure(urls: dict[str, str], repeat: int, browser_timing: bool = True) -> dict:
    from playwright.async_api import async_playwright

    samples = {(side, name, kind): [] for side in urls for name, *_ in PAGES for kind in ("server", "browser")}
    async with async_playwright() as playwright:
        browser = await _launch(playwright)
        try:
            for side, url in urls.items():  # warm: every page once on each side
                for name, page, query, areas in PAGES:
                    await page_script_run(url, page, query)
                    if areas and browser_timing:
                        await time_to_drawn(browser, f"{url}/{page}?{query}", areas, timeout_ms=DRAW_TIMEOUT_MS)
            sides = list(urls)
            for round_number in range(repeat):
                order = sides if round_number % 2 == 0 else sides[::-1]
                for name, page, query, areas in PAGES:
                    for side in order:
                        samples[(side, name, "server")].append((await page_script_run(urls[side], page, query))[0])
                        if areas and browser_timing:
                            timing = await time_to_drawn(browser, f"{urls[side]}/{page}?{query}", areas,
                                                         timeout_ms=DRAW_TIMEOUT_MS)
                            samples[(side, name, "browser")].append(timing.drawn_s)
        finally:
            await browser.close()
    return samples


def _describe(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f}, n={len(values)})"


def report(samples: dict, before: str, after: str) -> list[str]:
    """One line per page and measure: before, after, after / before."""
    lines = [f"{'page':<44} {'measure':<8} {before:<30} {after:<30} after/before"]
    for name, *_ in PAGES:
        for kind in ("server", "browser"):
            old, new = samples[(before, name, kind)], samples[(after, name, kind)]
            if old and new:
                lines.append(f"{name:<44} {kind:<8} {_describe(old):<30} {_describe(new):<30} "
                             f"{statistics.median(new) / statistics.median(old):.2f}x")
    return lines


def _commit(folder: Path) -> str:
    return subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (with its own database)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (each page once per side per round)")
    parser.add_argument("--server-only", action="store_true", help="no browser timings (quicker; less noise)")
    arguments = parser.parse_args(argv)
    before = f"before {_commit(arguments.before)}"
    after = f"this checkout {_commit(REPO_ROOT)}"
    load_start = os.getloadavg()
    logs = REPO_ROOT / "bench" / "results" / "logs"
    with ExitStack() as stack:
        urls = {before: stack.enter_context(checkout_server(arguments.before.resolve(), logs)),
                after: stack.enter_context(checkout_server(REPO_ROOT, logs))}
        samples = asyncio.run(_measure(urls, arguments.repeat, browser_timing=not arguments.server_only))
    load_end = os.getloadavg()
    print("\n".join(report(samples, before, after)))
    print(f"Medians of {arguments.repeat} interleaved rounds; load average {load_start[0]:.1f} {load_start[1]:.1f} at the "
          f"start, {load_end[0]:.1f} {load_end[1]:.1f} at the end, on {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
