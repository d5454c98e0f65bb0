"""/gap is not a CPU lever (issue 13, finding 5): twelve sessions pulling it as hard as a URL allows, each asking
for a result never asked for before, on a server started as deploy/run_app.sh starts a replica. Every request is
answered without an error, another visitor's district page is served all the while, and the gap maths runs in
the server's worker process at nice 19, not in the server (the worker's CPU time grows with the results).

How much the district page slows meanwhile is a timing, so it is measured by the benchmark, never asserted here:
`python -m bench.run --only gapchurn` prints it against the page alone, interleaved in one run, with issue 13's
goal of 1.5x (bench/gap_churn.py; as a test gate it failed on 2 shared cores with figures from 0.76x to 1.81x).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import gap_churn
from bench.protocol_load import page_script_run
from geo.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "deploy"))
from deployment import free_port, wait_healthy  # noqa: E402
from tests.event_loop import run_coroutine  # noqa: E402

pytestmark = pytest.mark.serial  # a dozen sessions and a server of its own: not beside other tests
MIN_CPU_PER_RESULT_S = 0.05  # each new gap result is one rank-stability run, 0.1-0.8 s of CPU


@pytest.mark.timeout(900)  # one round of churn, plus the session's database build and a server start
def test_twelve_sessions_churning_gap_get_answers_while_the_district_page_is_served(built_database, tmp_path):
    port = free_port()
    log_path = tmp_path / "streamlit.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   *gap_churn.SERVED_AS_DEPLOYED],
                                  cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "KENT_DB_PATH": str(built_database)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server, "streamlit", lambda: log_path.read_text())
        run_coroutine(page_script_run(url, "gap", "preset=custom&w_broadband=1&w_transport=0&w_services=0"))
        worker = gap_churn.worker_pid(server.pid)
        assert worker is not None, "a new gap result started no worker process"
        worker_cpu_before = gap_churn.cpu_seconds(worker)
        figures = run_coroutine(gap_churn.measure(url, rounds=1, samples=3))
        worker_cpu = gap_churn.cpu_seconds(worker) - worker_cpu_before
        worker_niceness = gap_churn.niceness(worker)
    finally:
        server.terminate()
        server.wait(timeout=30)
    results = figures["churn_runs"]["new results"]
    print(f"{results} new gap results from {gap_churn.CHURNERS} sessions, worker CPU {worker_cpu:.1f} s; "
          f"district loads: {len(figures['alone'])} alone, {len(figures['new results'])} while churning")
    assert figures["errors"] == [], figures["errors"][:3]
    assert results >= gap_churn.CHURNERS  # every churner was answered at least once
    assert len(figures["alone"]) >= 3 and len(figures["new results"]) >= 3  # the district page served throughout
    assert worker_niceness == 19
    assert worker_cpu >= MIN_CPU_PER_RESULT_S * results, (worker_cpu, results)  # the maths ran in the worker
