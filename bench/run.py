"""Benchmark the Kent Locality Explorer against a naive baseline and print the figures with the issue's goals.

    .venv/bin/python -m bench.run                 # everything, 5 runs each (about 5 minutes on 2 cores)
    .venv/bin/python -m bench.run --quick         # fewer runs, for a smoke check
    .venv/bin/python -m bench.run --repeat 9 --only pages,switch --markdown

Figures go to stdout and to bench/results/ (latest.txt, latest.md, latest.json, and a timestamped JSON).
What each measure means and what its baseline is: bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import browser_timing, gap_churn, payload, protocol_load, server_timing  # noqa: E402
from bench.report import Figure, as_json, markdown_table, text_table  # noqa: E402
from geo.explorer import layers  # noqa: E402
from geo.config import DISTRICT_CODES, REPO_ROOT  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTIONS = ("payload", "pages", "firstvisit", "newsession", "sessions", "memory", "gapchurn", "switch", "build",
            "queries")
SERVER_SECTIONS = {"pages", "firstvisit", "newsession", "sessions", "memory"}
APP_SCRIPT = "app.py"
BASELINE_SCRIPT = "bench/baseline_app.py"
EMPTY_SCRIPT = "bench/empty_app.py"  # the first-visit floor: an empty Streamlit page
# The bare page runs with Streamlit's default message size limit (200 MB): the raw LSOA map is bigger than the
# app's own 2 MB limit (.streamlit/config.toml).
BASELINE_OPTIONS = ("--server.maxMessageSize", "200")
EXAMPLE_DISTRICT = "E07000114"  # Thanet, 23 wards: the district the tests and the issue use
GOALS = {  # from issue 5, then issue 15 (ratios against the bare page, same run) where it set them
    "payload_ward_kb": 200, "payload_lsoa_kb": 500,
    "district_vs_bare": 1.0, "kent_ward_vs_bare": 0.8, "kent_lsoa_vs_bare": 0.6,  # issue 15
    "district_first_visit_mb": 2.5,  # issue 15: bytes received, uncompressed, no proxy
    "new_session_district_ms": 100,  # issue 15: server script time for a new session, median
    "protocol_sessions_p95_s": 3,  # issue 15: 50 concurrent sessions over the websocket protocol
    "memory_per_50_sessions_mb": 100, "memory_return_s": 120,  # issue 15
    "layer_switch_ms": 250, "build_s": 60, "sessions_p95_s": 4, "session_errors": 0,
    "change_vs_kent_ward_ratio": 1.2,  # issue 16: /change?level=ward within 1.2x the Kent ward page, same run
    "gap_churn_vs_alone": 1.5,  # issue 13: the district page while 12 sessions churn /gap, within 1.5x of it alone
}
PROTOCOL_SESSIONS = (20, 50)  # concurrent sessions over the websocket protocol (issue 15)
MEMORY_SESSIONS = 50
# How long the app's server keeps a closed tab's session (server.disconnectedSessionTTL), from its own config.
DISCONNECTED_SESSION_TTL_S = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))[
    "server"]["disconnectedSessionTTL"]
CHANGE_PATH = "/change?level=ward"
TOP_QUERIES = 5
# When the goals were set, a bare Streamlit page drawing a 23-polygon map took about 1.15 s here (BRIEF.md);
# the baseline's one-district page is that page, so it shows how loaded the machine is today.
BARE_PAGE_REFERENCE_S = 1.15


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _area_count(level: str, district_code: str | None = None) -> int:
    """How many areas (so SVG paths) the map of this view draws."""
    return len(layers.layer(payload.INDICATOR, level, district_code, payload.SCHEME).values)


def payload_figures() -> list[Figure]:
    """Bytes streamlit_folium sends for the IMD map at each level, app vs raw geometry."""
    section = "Map payload sent to the browser (IMD 2025 map, all of Kent)"
    goals = {"ward": GOALS["payload_ward_kb"], "lsoa": GOALS["payload_lsoa_kb"]}
    names = {"district": "Districts", "ward": "Wards", "lsoa": "LSOAs"}
    figures = []
    for level in payload.LEVELS:
        sizes = payload.measure_level(level)
        figures.append(Figure(
            section, f"{names[level]} ({_area_count(level)}): JSON sent", "kB",
            [sizes["app_bytes"]], [sizes["baseline_bytes"]], statistic="max", goal=goals.get(level),
            details=dict(sizes, notes=[f"{names[level]}: gzip would make the payload {sizes['app_gzip_bytes'] / 1e3:,.1f} kB "
                                       f"(baseline {sizes['baseline_gzip_bytes'] / 1e3:,.1f} kB)."])))
    assets = payload.static_asset_bytes(payload.app_map("ward"))
    figures[-1].details["notes"].append(
        "Not counted above: the static files the app's map loads from the app, separate and cacheable: "
        + ", ".join(f"{name} {size / 1e3:,.1f} kB" for name, size in assets.items()) + ".")
    return figures


def page_figures(app_url: str, baseline_url: str, repeat: int) -> list[Figure]:
    """Page opened -> map drawn for the three views, app and baseline interleaved."""
    wards, lsoas, district_wards = _area_count("ward"), _area_count("lsoa"), _area_count("ward", EXAMPLE_DISTRICT)
    views = [  # name, app path, baseline path, expected paths, goal on app ÷ bare page
        (f"Kent wards ({wards}): /?level=ward", "/?level=ward", "/?level=ward", wards, GOALS["kent_ward_vs_bare"]),
        (f"One district ({district_wards} wards): /district?district={EXAMPLE_DISTRICT}",
         f"/district?district={EXAMPLE_DISTRICT}", f"/?level=ward&district={EXAMPLE_DISTRICT}", district_wards,
         GOALS["district_vs_bare"]),
        (f"Kent LSOAs ({lsoas}): /?level=lsoa", "/?level=lsoa", "/?level=lsoa", lsoas, GOALS["kent_lsoa_vs_bare"]),
    ]
    pages = []
    for name, app_path, baseline_path, expected, _ in views:
        pages += [(f"app {name}", app_url + app_path, expected), (f"baseline {name}", baseline_url + baseline_path, expected)]
    pages.append(("app change", app_url + CHANGE_PATH, wards))  # interleaved with the rest, so the same run
    times = browser_timing.page_load_times(pages, repeat)
    section = "Page opened -> map drawn, headless Chromium, warm server (baseline: the bare page, interleaved)"
    figures = []
    for name, _, _, _, goal in views:
        app, baseline = times[f"app {name}"], times[f"baseline {name}"]
        map_seen = statistics.median(t.map_seen_s for t in app)
        script_runs = [t.script_run_s for t in app if t.script_run_s is not None]
        rerun_sent = [t.rerun_sent_s for t in app if t.rerun_sent_s is not None]
        script_run = (f"the browser asked for the script run at {statistics.median(rerun_sent):.2f} s, the run took "
                      f"{statistics.median(script_runs):.2f} s, " if script_runs and rerun_sent else "")
        titles = [t.title_s for t in app if t.title_s is not None]
        title = f" The page's title was shown at {statistics.median(titles):.2f} s." if titles else ""
        split = (f"{name}: in the app, {script_run}the map's div appeared in the page at {map_seen:.2f} s; "
                 f"the rest is loading Leaflet and drawing (medians).{title}")
        figures.append(Figure(section, name, "s", [t.drawn_s for t in app], [t.drawn_s for t in baseline], ratio_goal=goal,
                              details={"app": [asdict(t) for t in app], "baseline": [asdict(t) for t in baseline],
                                       "notes": [split]}))
        figures.append(Figure(section, f"{name}: the whole page there (every element drawn, the run over)", "s",
                              [t.complete_s for t in app], [t.complete_s for t in baseline]))
    kent_ward = times[f"app {views[0][0]}"]
    figures.append(Figure(
        "Change page against the Kent ward page (baseline = the app's own /?level=ward, same run, interleaved)",
        f"{CHANGE_PATH} drawn ÷ Kent ward page drawn ({wards} wards each)", "s",
        [t.drawn_s for t in times["app change"]], [t.drawn_s for t in kent_ward],
        ratio_goal=GOALS["change_vs_kent_ward_ratio"],
        details={"app": [asdict(t) for t in times["app change"]], "baseline": [asdict(t) for t in kent_ward]}))
    district = next(figure for figure in figures if figure.measure == views[1][0])  # its drawn figure
    district.details["notes"].append(
        f"Calibration: the baseline's one-district page is a bare Streamlit page drawing {district_wards} polygons, which "
        f"took about {BARE_PAGE_REFERENCE_S} s when the goals were set; in this run it took "
        f"{district.baseline_value:.2f} s ({district.baseline_value / BARE_PAGE_REFERENCE_S:.1f}× that).")
    return figures


def first_visit_figures(app_url: str, baseline_url: str, log_dir: Path) -> list[Figure]:
    """Bytes a first visit to /district receives (a new browser, empty cache), app and bare page, and an empty
    Streamlit page's (bench/empty_app.py): the floor under both, Streamlit's own frontend."""
    expected = _area_count("ward", EXAMPLE_DISTRICT)
    app = browser_timing.first_visit(f"{app_url}/district?district={EXAMPLE_DISTRICT}", expected)
    bare = browser_timing.first_visit(f"{baseline_url}/?level=ward&district={EXAMPLE_DISTRICT}", expected)
    with browser_timing.streamlit_server(EMPTY_SCRIPT, log_dir) as empty_server:
        empty = browser_timing.first_visit(f"{empty_server.url}/", 0)
    section = ("First visit to /district (a new browser, empty cache; until the map is drawn, the whole page is there "
               f"and the network has been quiet {browser_timing.QUIET_AFTER_DRAWN_MS / 1000:g} s)")
    largest = ", ".join(f"{path.rsplit('/', 1)[-1]} {size / 1e3:,.0f} kB" for path, size in app.largest[:6])
    return [
        Figure(section, f"Bytes received: response bodies uncompressed + websocket frames, no proxy", "MB",
               [app.total_bytes], [bare.total_bytes], statistic="max", goal=GOALS["district_first_visit_mb"],
               details={"app": asdict(app), "baseline": asdict(bare), "notes": [
                   f"/district first visit: {app.requests} requests ({app.websocket_bytes / 1e3:,.0f} kB of it over the "
                   f"websocket); the bare page {bare.requests}. Largest: {largest}.",
                   f"An empty Streamlit page (bench/empty_app.py, a title only) received {empty.total_bytes / 1e6:.2f} MB "
                   f"in {empty.requests} requests in this run: Streamlit's own frontend and fonts, under any page. The "
                   f"app's /district is {(app.total_bytes - empty.total_bytes) / 1e6:.2f} MB above it, the bare page "
                   f"{(bare.total_bytes - empty.total_bytes) / 1e6:.2f} MB."]}),
        Figure(section, "Requests", "count", [app.requests], [bare.requests], statistic="max"),
        Figure(section, "An empty Streamlit page (a title only): bytes received, the floor under both", "MB",
               [empty.total_bytes], statistic="max", details={"empty_page": asdict(empty)}),
    ]


def new_session_figures(app_url: str, baseline_url: str, repeat: int) -> list[Figure]:
    """Server script time for a new session, one at a time (rerun request sent -> run finished), app and bare page."""
    views = [("/district?district=" + EXAMPLE_DISTRICT, ("district", f"district={EXAMPLE_DISTRICT}"),
              ("", f"level=ward&district={EXAMPLE_DISTRICT}"), GOALS["new_session_district_ms"]),
             ("/?level=ward", ("", "level=ward"), ("", "level=ward"), None),
             ("/?level=lsoa", ("", "level=lsoa"), ("", "level=lsoa"), None)]
    repeat = max(repeat, 5)
    app = protocol_load.new_session_runs(app_url, [v[1] for v in views], repeat)
    bare = protocol_load.new_session_runs(baseline_url, [v[2] for v in views], repeat)
    section = ("Server script time for a new session (websocket protocol, one session at a time: "
               "rerun request sent -> run finished)")
    figures = []
    for name, app_page, bare_page, goal in views:
        runs = app[app_page]
        figures.append(Figure(section, name, "ms", [r.script_s for r in runs], [r.script_s for r in bare[bare_page]],
                              goal=goal, details={"notes": [
                                  f"New session on {name}: {max(r.runs for r in runs)} script run(s), "
                                  f"{statistics.median(r.received_bytes for r in runs) / 1e3:,.0f} kB over the websocket."]}))
    return figures


def protocol_session_figures(app_url: str, baseline_url: str, rounds: int) -> list[Figure]:
    """20 and 50 concurrent new sessions on /district through the websocket protocol: p50, p95, errors."""
    figures = []
    for count in PROTOCOL_SESSIONS:
        districts = [DISTRICT_CODES[i % len(DISTRICT_CODES)] for i in range(count)]
        figures += server_only_session_figures(app_url, baseline_url, districts, rounds,
                                               goal=GOALS["protocol_sessions_p95_s"] if count >= 50 else None)
    return figures


def memory_figures(app, baseline) -> list[Figure]:
    """Server RSS growth with 50 sessions open on /district, and how far it comes back after they close."""
    sessions = [("district", f"district={DISTRICT_CODES[i % len(DISTRICT_CODES)]}") for i in range(MEMORY_SESSIONS)]
    bare_sessions = [("", f"level=ward&district={DISTRICT_CODES[i % len(DISTRICT_CODES)]}")
                     for i in range(MEMORY_SESSIONS)]
    settle = GOALS["memory_return_s"]
    reap = DISCONNECTED_SESSION_TTL_S + 10  # a later visitor once closed sessions have expired (held_sessions_memory)
    app_memory = protocol_load.held_sessions_memory(app.url, app.process.pid, sessions, settle_s=settle,
                                                    reap_after_s=reap)
    bare_memory = protocol_load.held_sessions_memory(baseline.url, baseline.process.pid, bare_sessions, settle_s=settle,
                                                     reap_after_s=reap)
    section = (f"Server memory, {MEMORY_SESSIONS} sessions open on /district (12 districts in turn; resident set size "
               "of the Streamlit process, after one warm round of the same sessions; a later visitor "
               f"{reap} s after the close, once Streamlit may drop closed sessions)")

    def growth(memory):
        return memory["open"] - memory["before"]

    def left(memory):
        return memory["after"][-1][1] - memory["before"]

    def returned_at(memory):
        """Seconds after closing at which RSS was back within 10 % of the growth, or None."""
        for seconds, rss in memory["after"]:
            if rss - memory["before"] <= 0.1 * max(growth(memory), 0):
                return seconds
        return None

    app_back, bare_back = returned_at(app_memory), returned_at(bare_memory)
    errors = app_memory["errors"] + [f"baseline {e}" for e in bare_memory["errors"]]
    notes = [f"Memory: with {MEMORY_SESSIONS} sessions open the app's server grew {growth(app_memory) / 1e6:,.1f} MB "
             f"(from {app_memory['before'] / 1e6:,.0f} MB); after they closed it was "
             + (f"back within 10 % of that growth after {app_back:g} s" if app_back is not None else
                f"still {left(app_memory) / 1e6:,.1f} MB above after {app_memory['after'][-1][0]:g} s")
             + f" (the bare page: grew {growth(bare_memory) / 1e6:,.1f} MB, "
             + (f"back after {bare_back:g} s)." if bare_back is not None else
                f"still {left(bare_memory) / 1e6:,.1f} MB above after {bare_memory['after'][-1][0]:g} s).")]
    notes += [f"Memory session error: {e}" for e in errors]
    return [
        Figure(section, f"RSS growth with {MEMORY_SESSIONS} sessions open", "MB", [growth(app_memory)],
               [growth(bare_memory)], statistic="max", goal=GOALS["memory_per_50_sessions_mb"],
               details={"app": app_memory, "baseline": bare_memory, "notes": notes}),
        Figure(section, f"RSS still above the start after the sessions closed (last sample, at most {settle} s)", "MB",
               [left(app_memory)], [left(bare_memory)], statistic="max",
               goal=round(0.1 * max(growth(app_memory), 0) / 1e6, 1) if app_memory["after"] else None),
        Figure(section, "Sessions that failed", "count", [len(app_memory["errors"])], [len(bare_memory["errors"])],
               statistic="max", goal=GOALS["session_errors"]),
    ]


def gap_churn_figures(log_dir: Path) -> list[Figure]:
    """The district page's server time while twelve sessions ask /gap for new results, against the page alone."""
    with browser_timing.streamlit_server(APP_SCRIPT, log_dir, options=gap_churn.SERVED_AS_DEPLOYED) as app:
        started = time.monotonic()
        figures = protocol_load.in_own_thread(lambda: gap_churn.measure(app.url))
        worker = gap_churn.worker_pid(app.process.pid)
        worker_cpu = gap_churn.cpu_seconds(worker) if worker else 0.0
        server_cpu = gap_churn.cpu_seconds(app.process.pid)
    runs = figures["churn_runs"].get("new results", 0)
    notes = [f"Gap churn: {gap_churn.CHURNERS} sessions asked /gap for a new allowed (weights, seed) result each time, "
             f"{runs} results in {time.monotonic() - started:.0f} s, {len(figures['errors'])} errors; the gap worker used "
             f"{worker_cpu:.1f} s of CPU at nice {gap_churn.niceness(worker) if worker else '?'} (the server "
             f"{server_cpu:.1f} s in all); medians of {len(figures['alone'])} (alone) and "
             f"{len(figures['new results'])} (churning) district loads, interleaved rounds."]
    notes += [f"Gap churn error: {e}" for e in figures["errors"][:3]]
    section = ("/gap as a CPU lever: the district page's server time (websocket protocol) while 12 sessions ask /gap "
               "for new results (baseline: the page alone, interleaved)")
    return [Figure(section, f"/district?district={EXAMPLE_DISTRICT} while /gap churns, ÷ alone", "ms",
                   figures["new results"], figures["alone"], ratio_goal=GOALS["gap_churn_vs_alone"],
                   details={"churn_runs": figures["churn_runs"], "errors": figures["errors"], "notes": notes}),
            Figure(section, "Churning requests that failed", "count", [len(figures["errors"])], statistic="max",
                   goal=GOALS["session_errors"])]


def switch_figures(repeat: int) -> list[Figure]:
    """Server time of the rerun after choosing another layer (AppTest), app then baseline."""
    app = server_timing.layer_switch_times(server_timing.APP_PAGE, repeat)
    baseline = server_timing.layer_switch_times(server_timing.BASELINE_PAGE, repeat)
    return [Figure("Switching layer: server time of the rerun (AppTest, Kent wards, warm)",
                   f"Kent ward page, {len(server_timing.SWITCH_LAYERS)} layers in turn", "ms", app, baseline,
                   goal=GOALS["layer_switch_ms"])]


def build_figures(repeat: int) -> list[Figure]:
    """`python -m geo build` end to end; there is no naive baseline."""
    return [Figure("Data pipeline", "`python -m geo build` end to end (mirror -> checked DuckDB)", "s",
                   server_timing.build_times(repeat), goal=GOALS["build_s"])]


def query_figures(repeat: int) -> list[Figure]:
    """The slowest named queries uncached (baseline) vs through geo.explorer.db's cache (app)."""
    results, skipped = server_timing.query_times(repeat)
    results.sort(key=lambda r: sorted(r["uncached"])[len(r["uncached"]) // 2], reverse=True)
    section = f"Slowest queries in queries/ (top {TOP_QUERIES} of {len(results)} query x parameter cases; app = cached)"
    figures = [Figure(section, f"{r['query']}.sql ({r['parameters'] or 'no parameters'})", "ms", r["cached"], r["uncached"])
               for r in results[:TOP_QUERIES]]
    if figures and skipped:
        figures[0].details["notes"] = [f"Queries not timed: {', '.join(skipped)}."]
    return figures


def session_figures(app_url: str, baseline_url: str, sessions: int, rounds: int) -> list[Figure]:
    """`sessions` browser contexts at once opening /district for the districts in turn: p50, p95, errors."""
    districts = [DISTRICT_CODES[i % len(DISTRICT_CODES)] for i in range(sessions)]
    expected = {code: _area_count("ward", code) for code in DISTRICT_CODES}
    bursts = {"app": [(f"{app_url}/district?district={c}", expected[c]) for c in districts],
              "baseline": [(f"{baseline_url}/?level=ward&district={c}", expected[c]) for c in districts]}
    results = browser_timing.concurrent_sessions(bursts, rounds)
    app, baseline = results["app"], results["baseline"]
    section = f"{sessions} concurrent browser sessions opening /district (12 districts in turn, {rounds} burst(s))"
    errors = app["errors"] + [f"baseline {e}" for e in baseline["errors"]]

    def drawn(timings):
        return [t.drawn_s for t in timings]

    def script_runs(timings):
        return [t.script_run_s for t in timings if t.script_run_s is not None]

    return [
        Figure(section, "Time to a drawn map, p50", "s", drawn(app["times"]), drawn(baseline["times"]), statistic="p50"),
        Figure(section, "Time to a drawn map, p95", "s", drawn(app["times"]), drawn(baseline["times"]), statistic="p95",
               goal=GOALS["sessions_p95_s"]),
        Figure(section, "Server script run within that (rerun request -> finished), p95", "s",
               script_runs(app["times"]), script_runs(baseline["times"]), statistic="p95"),
        Figure(section, "Sessions that failed to draw or showed an error", "count", [len(app["errors"])],
               [len(baseline["errors"])], statistic="max", goal=GOALS["session_errors"],
               details={"notes": [f"Session error: {e}" for e in errors]}),
    ]


def server_only_session_figures(app_url: str, baseline_url: str, districts: list[str], rounds: int,
                                goal: float | None = None) -> list[Figure]:
    """The same sessions through Streamlit's websocket protocol, no browsers: the server's share of the wait."""
    app = protocol_load.concurrent_script_runs(app_url, [("district", f"district={c}") for c in districts], rounds)
    baseline = protocol_load.concurrent_script_runs(baseline_url, [("", f"level=ward&district={c}") for c in districts],
                                                    rounds)
    section = (f"The same {len(districts)} sessions, server only (Streamlit's websocket protocol, no browsers; "
               "connect -> page content sent)")
    errors = app["errors"] + [f"baseline {e}" for e in baseline["errors"]]
    return [
        Figure(section, "Page content sent, p50", "s", app["times"], baseline["times"], statistic="p50"),
        Figure(section, "Page content sent, p95", "s", app["times"], baseline["times"], statistic="p95", goal=goal),
        Figure(section, "Sessions that failed or showed an error", "count", [len(app["errors"])], [len(baseline["errors"])],
               statistic="max", goal=GOALS["session_errors"],
               details={"notes": [f"Server-only session error: {e}" for e in errors]}),
    ]


def _estimate_for_separate_machines(by_section: dict[str, list[Figure]]) -> list[str]:
    """What 20 users would wait with their browsers on their own machines: server p95 + one browser's own work."""
    district = next((f for f in by_section.get("pages", []) if f.measure.startswith("One district")), None)
    server_p95 = next((f for f in by_section.get("newsession", []) + by_section.get("sessions", [])
                       if f.measure == "Page content sent, p95" and f.section.startswith("The same 20 ")), None)
    if district is None or server_p95 is None or server_p95.app_value is None:
        return []
    browser_work = statistics.median(t["drawn_s"] - t["script_run_s"] for t in district.details["app"]
                                     if t["script_run_s"] is not None)
    return [f"Estimate, each user's browser on their own machine: the server's p95 under the burst "
            f"({server_p95.app_value:.2f} s) plus one browser's own work on the district page measured alone "
            f"(drawn minus script run, {browser_work:.2f} s) = {server_p95.app_value + browser_work:.2f} s "
            f"against the goal of {GOALS['sessions_p95_s']} s."]


def environment() -> dict:
    """Where and when the figures were measured."""
    def output(*command):
        try:
            return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=20).stdout.strip()
        except OSError:
            return ""

    return {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": output("git", "rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(output("git", "status", "--porcelain", "--untracked-files=no")),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "python": platform.python_version(),
        "chromium": output(browser_timing.CHROMIUM, "--version"),
    }


def _describe_run(env: dict, arguments) -> str:
    dirty = " with uncommitted changes" if env["uncommitted_changes"] else ""
    return (f"Measured {env['when']} at commit {env['commit']}{dirty}, on {env['cpus']} CPU cores "
            f"(load average {env['load_average'][0]} at the start, {env['load_end'][0]} at the end), {env['chromium']}; "
            f"`{arguments.command}`.")


def markdown_section(figures: list[Figure], env: dict, arguments, notes: list[str]) -> str:
    """The README "Performance" section."""
    return "\n".join([
        "## Performance",
        "",
        "Measured by `.venv/bin/python -m bench.run` (figures printed and written to `bench/results/`; "
        "what each measure means: `bench/README.md`). Each figure is the median of several runs with (min–max), "
        "against a naive baseline measured in the same run (interleaved): the bare page, one `st_folium` map "
        "of the same layer on the raw published boundaries (no simplification), no widgets, no table, nothing "
        "cached (`bench/baseline_app.py`). App ÷ baseline below 1 means the app is smaller or faster; issue 15's "
        "page goals are on that ratio. kB = 1,000 bytes, MB = 1,000,000 bytes.",
        "",
        markdown_table(figures),
        "",
        *[f"- {note}" for note in notes],
        "",
        _describe_run(env, arguments),
    ])


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (2 per timing, 1 build, 1 burst)")
    parser.add_argument("--repeat", type=int, help="timed runs per figure (default 5; --quick 2)")
    parser.add_argument("--builds", type=int, help="timed `geo build` runs (default 3; --quick 1)")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--rounds", type=int, help="bursts of concurrent sessions (default 2; --quick 1)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--markdown", action="store_true", help="also print the README Performance section")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where results go (default bench/results)")
    arguments = parser.parse_args(argv)
    arguments.repeat = arguments.repeat or (2 if arguments.quick else 5)
    arguments.builds = arguments.builds or (1 if arguments.quick else 3)
    arguments.rounds = arguments.rounds or (1 if arguments.quick else 2)
    arguments.only = [s.strip() for s in arguments.only.split(",") if s.strip()]
    unknown = set(arguments.only) - set(SECTIONS)
    if unknown or arguments.repeat < 1 or arguments.sessions < 1:
        parser.error(f"unknown section(s) {sorted(unknown)}" if unknown else "--repeat and --sessions must be at least 1")
    arguments.command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    return arguments


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections, print the table, write bench/results/."""
    arguments = parse_arguments(argv)
    env = environment()
    by_section: dict[str, list[Figure]] = {}
    notes: list[str] = []
    failures: list[str] = []
    wanted = arguments.only

    def attempt(section: str, measure) -> None:
        """Run one section; a failure is reported and the other sections still run."""
        _log(f"{section} ...")
        try:
            by_section[section] = measure()
        except Exception as error:  # noqa: BLE001 - one broken section must not hide the others' figures
            failures.append(f"{section}: {type(error).__name__}: {str(error).strip()[:400]}")
            _log(f"{section} FAILED: {failures[-1]}")

    if "payload" in wanted:
        attempt("payload", payload_figures)
    if SERVER_SECTIONS & set(wanted):
        logs = arguments.out / "logs"
        with browser_timing.streamlit_server(APP_SCRIPT, logs) as app, \
                browser_timing.streamlit_server(BASELINE_SCRIPT, logs, options=BASELINE_OPTIONS) as baseline:
            if "newsession" in wanted:  # first: a new server's first sessions, before any burst has grown it
                attempt("newsession", lambda: new_session_figures(app.url, baseline.url, arguments.repeat))
            if "pages" in wanted:
                attempt("pages", lambda: page_figures(app.url, baseline.url, arguments.repeat))
            if "firstvisit" in wanted:
                attempt("firstvisit", lambda: first_visit_figures(app.url, baseline.url, logs))
            if "memory" in wanted:  # before the bursts, so the start is a server that has served only a few pages
                attempt("memory", lambda: memory_figures(app, baseline))
            if "sessions" in wanted:
                attempt("sessions", lambda: session_figures(app.url, baseline.url, arguments.sessions, arguments.rounds)
                        + protocol_session_figures(app.url, baseline.url, arguments.rounds))
    if "gapchurn" in wanted:  # a server of its own, started as a replica is
        attempt("gapchurn", lambda: gap_churn_figures(arguments.out / "logs"))
    if "switch" in wanted:
        attempt("switch", lambda: switch_figures(arguments.repeat))
    if "queries" in wanted:
        attempt("queries", lambda: query_figures(max(arguments.repeat, 3)))
    if "build" in wanted:
        attempt("build", lambda: build_figures(arguments.builds))
    for section in SECTIONS:
        for figure in by_section.get(section, []):
            notes += figure.details.get("notes", [])
    notes += _estimate_for_separate_machines(by_section)
    env["load_end"] = [round(x, 1) for x in os.getloadavg()]

    figures = [f for section in SECTIONS for f in by_section.get(section, [])]
    table = text_table(figures)
    misses = [f"{f.measure}: app ÷ baseline {f.ratio:.2f} against a goal of {f.ratio_goal:g}" if f.ratio_goal is not None
              else f"{f.measure}: {f.app_value:,.2f} {f.unit} against a goal of {f.goal:g} {f.unit}"
              for f in figures if f.verdict == "MISS" and f.app_value is not None
              and (f.ratio_goal is None or f.ratio is not None)]
    print(table)
    print()
    for note in notes:
        print(f"- {note}")
    print(_describe_run(env, arguments))
    if misses:
        print("Goals missed: " + "; ".join(misses))
    for failure in failures:
        print(f"SECTION FAILED: {failure}")
    markdown = markdown_section(figures, env, arguments, notes + [f"Section failed: {f}" for f in failures])
    if arguments.markdown:
        print("\n" + markdown)

    out = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    record = {"environment": env, "failures": failures, "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(arguments).items()},
              "figures": as_json(figures), "notes": notes}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"bench-{stamp}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    (out / "latest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    (out / "latest.md").write_text(markdown + "\n", encoding="utf-8")
    (out / "latest.txt").write_text(table + "\n", encoding="utf-8")
    _log(f"written to {out}/ (latest.txt, latest.md, latest.json)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
