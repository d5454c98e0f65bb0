"""The light embed against the Streamlit ``?embed=true`` view of the same area and layer: ``python -m bench.embed``.

Both are served by one ``streamlit run app.py`` (the light pages from static/embed at /app/static/embed/). Loads
are interleaved (light, Streamlit, then Streamlit, light, ...), each in a fresh browser context (a first visit,
empty cache), plain and under Lighthouse's mobile throttling set through the DevTools protocol
(Emulation.setCPUThrottlingRate 4; Network.emulateNetworkConditions 150 ms latency, 1.6 Mbit/s down,
750 kbit/s up). Measured per load: time from navigation start until every ward is drawn (the light page's
``svg.map [data-code] path`` elements, or the Leaflet paths of the Streamlit view's map, checked every animation
frame on the page's own clock), bytes received on the wire and decoded, and requests (websockets count as
one). Also: the pages' sizes as the browser gets them, their gzip sizes, and the time and disk the generator
takes for all pages. Figures are medians with (min-max); ratios are light / Streamlit within the same run.
"""
from __future__ import annotations

import argparse
import gzip
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.browser_timing import CHROMIUM, CHROMIUM_ARGS, PAGE_MAP, streamlit_server
from geo.config import REPO_ROOT, database_path, embed_dir

AREAS = {"Thanet (23 wards)": ("E07000114", 23), "Kent (255 wards)": ("kent", 255)}
LAYER = "imd_score"
THROTTLING = {"cpu_rate": 4, "latency_ms": 150, "down_bps": 1_600_000, "up_bps": 750_000}
TIMEOUT_MS = 180_000

_LIGHT_DRAWN = """(n) => document.querySelectorAll('svg.map [data-code] path').length >= n
    && document.querySelector('svg.map').getBoundingClientRect().width > 0 ? performance.now() : false"""
_STREAMLIT_DRAWN = """([selector, n]) => {
  const map = document.querySelector(selector);  // the app draws its map in the page itself
  return map && map.querySelectorAll('.leaflet-overlay-pane svg path').length >= n ? performance.now() : false;
}"""


@dataclass
class Load:
    """One first visit."""

    drawn_s: float
    wire_bytes: int
    decoded_bytes: int
    requests: int


@dataclass
class Series:
    loads: list[Load] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(load, name) for load in self.loads)

    def span(self, name: str) -> tuple[float, float]:
        values = [getattr(load, name) for load in self.loads]
        return min(values), max(values)


def light_path(area: str) -> str:
    return f"/app/static/embed/{area}/{LAYER}.html"


def streamlit_path(area: str) -> str:
    return (f"/?layer={LAYER}&level=ward&embed=true" if area == "kent"
            else f"/district?district={area}&layer={LAYER}&embed=true")


def measure(browser, url: str, wards: int, light: bool, throttled: bool) -> Load:
    """One first visit to url in a fresh context; counts from the DevTools protocol's Network events."""
    context = browser.new_context(viewport={"width": 412, "height": 823})  # a phone, as Lighthouse's mobile
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    counts = {"requests": 0, "wire": 0, "decoded": 0}

    def on_request(_):
        counts["requests"] += 1

    def on_finished(event):
        counts["wire"] += int(event.get("encodedDataLength", 0))

    def on_data(event):
        counts["decoded"] += int(event.get("dataLength", 0))

    def on_frame(event):
        size = len(event["response"].get("payloadData", ""))
        counts["wire"] += size
        counts["decoded"] += size

    cdp.on("Network.requestWillBeSent", on_request)
    cdp.on("Network.webSocketCreated", on_request)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.webSocketFrameReceived", on_frame)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttled:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLING["cpu_rate"]})
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": THROTTLING["latency_ms"],
            "downloadThroughput": THROTTLING["down_bps"] / 8, "uploadThroughput": THROTTLING["up_bps"] / 8})
    try:
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        if light:
            handle = page.wait_for_function(_LIGHT_DRAWN, arg=wards, polling="raf", timeout=TIMEOUT_MS)
        else:
            handle = page.wait_for_function(_STREAMLIT_DRAWN, arg=[PAGE_MAP, wards], polling="raf",
                                            timeout=TIMEOUT_MS)
        drawn_ms = float(handle.json_value())
        page.wait_for_timeout(300)  # let the last responses finish so their bytes are counted
        return Load(drawn_ms / 1000, counts["wire"], counts["decoded"], counts["requests"])
    finally:
        context.close()


def page_sizes(folder: Path) -> list[tuple[str, int, int]]:
    """(what, bytes, gzip bytes) of what a first visit to each page fetches: the HTML, CSS and JS."""
    rows = []
    shared = [(folder / "embed.css").read_bytes(), (folder / "embed.js").read_bytes()]
    for name, (area, _) in AREAS.items():
        html = (folder / area / f"{LAYER}.html").read_bytes()
        parts = [html] + shared
        rows.append((f"{name} page: HTML + CSS + JS", sum(map(len, parts)), sum(len(gzip.compress(p, 6)) for p in parts)))
        rows.append((f"{name} page: HTML alone", len(html), len(gzip.compress(html, 6))))
    htmls = sorted(folder.glob("*/*.html"), key=lambda p: p.stat().st_size)
    rows.append((f"largest of the {len(htmls)} pages: {htmls[-1].parent.name}/{htmls[-1].name}", htmls[-1].stat().st_size,
                 len(gzip.compress(htmls[-1].read_bytes(), 6))))
    return rows


def generation_figures(repeat: int) -> tuple[list[float], list[float], int, int]:
    """Wall and CPU seconds of generating every page and postcode file from the built database; files; bytes."""
    from geo.explorer import embed

    walls, cpus, files, total = [], [], 0, 0
    for _ in range(repeat):
        scratch = Path(tempfile.mkdtemp(prefix="bench-embed-"))
        try:
            cpu = time.process_time()
            report = embed.generate(database_path(), scratch / "out")
            cpus.append(time.process_time() - cpu)
            walls.append(report.seconds)
            files = sum(1 for p in report.folder.rglob("*") if p.is_file())
            total = report.bytes
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return walls, cpus, files, total


def _s(series: Series, name: str = "drawn_s") -> str:
    low, high = series.span(name)
    return f"{series.median(name):.2f} s ({low:.2f}-{high:.2f}, n={len(series.loads)})"


def _kb(value: float) -> str:
    return f"{value / 1000:,.1f} kB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.embed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="loads per page and condition (default 3)")
    parser.add_argument("--build-repeat", type=int, default=2, help="timed generations of all pages (default 2)")
    arguments = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    load_start = os.getloadavg()
    folder = embed_dir()
    if not (folder / "embed.css").exists():
        raise SystemExit(f"no light embed pages at {folder}: run `python -m geo build` (or `python -m geo embed`)")
    results: dict[tuple[str, bool, bool], Series] = {}
    with streamlit_server("app.py", REPO_ROOT / "bench" / "results") as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            measure(browser, server.url + light_path("kent"), 255, True, False)  # warm the server, not counted
            measure(browser, server.url + streamlit_path("kent"), 255, False, False)
            for round_ in range(arguments.repeat):
                for name, (area, wards) in AREAS.items():
                    for throttled in (False, True):
                        order = (True, False) if round_ % 2 == 0 else (False, True)  # interleaved, alternating
                        for light in order:
                            url = server.url + (light_path(area) if light else streamlit_path(area))
                            load = measure(browser, url, wards, light, throttled)
                            results.setdefault((name, throttled, light), Series()).loads.append(load)
                            print(f"  {name:18} {'throttled' if throttled else 'plain    '} "
                                  f"{'light    ' if light else 'streamlit'} {load.drawn_s:6.2f} s "
                                  f"{_kb(load.wire_bytes):>10} wire {load.requests:4d} requests", flush=True)
        finally:
            browser.close()
    walls, cpus, files, total = generation_figures(arguments.build_repeat)
    load_end = os.getloadavg()

    lines = ["| Measure | Light embed | Streamlit ?embed=true | Light / Streamlit | Goal |", "|---|---|---|---|---|"]
    for name in AREAS:
        for throttled in (False, True):
            light, heavy = results[(name, throttled, True)], results[(name, throttled, False)]
            condition = "mobile throttling (CPU x4, 150 ms, 1.6 Mbit/s)" if throttled else "no throttling"
            goal = "<= 0.1" if throttled else ""
            ratio = light.median("drawn_s") / heavy.median("drawn_s")
            lines.append(f"| {name}, {condition}: time to every ward drawn | {_s(light)} | {_s(heavy)} | "
                         f"{ratio:.3f} | {goal} |")
        light, heavy = results[(name, False, True)], results[(name, False, False)]
        lines.append(f"| {name}: bytes received on the wire (median) | {_kb(light.median('wire_bytes'))} | "
                     f"{_kb(heavy.median('wire_bytes'))} | {light.median('wire_bytes') / heavy.median('wire_bytes'):.3f} | |")
        lines.append(f"| {name}: bytes received, decoded (median) | {_kb(light.median('decoded_bytes'))} | "
                     f"{_kb(heavy.median('decoded_bytes'))} | "
                     f"{light.median('decoded_bytes') / heavy.median('decoded_bytes'):.3f} | |")
        lines.append(f"| {name}: requests (median) | {light.median('requests'):.0f} | {heavy.median('requests'):.0f} | "
                     f"{light.median('requests') / heavy.median('requests'):.3f} | {'<= 3' if 'Thanet' in name else ''} |")
    lines += ["", "| What a first visit fetches (from static/embed) | Bytes | gzip | Goal |", "|---|---|---|---|"]
    goals = {"Thanet (23 wards) page: HTML + CSS + JS": "<= 60 kB in <= 3 requests",
             "Kent (255 wards) page: HTML + CSS + JS": "<= 250 kB"}
    for what, size, zipped in page_sizes(folder):
        lines.append(f"| {what} | {_kb(size)} | {_kb(zipped)} | {goals.get(what, '')} |")
    lines += ["", f"Generating all pages from the database ({files} files, {total / 1e6:.1f} MB on disk): "
                  f"{statistics.median(walls):.1f} s wall ({min(walls):.1f}-{max(walls):.1f}, n={len(walls)}), "
                  f"{statistics.median(cpus):.1f} s CPU; goal <= 30 s.",
              f"Load average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end, on {os.cpu_count()} CPU "
              f"cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
