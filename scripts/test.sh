#!/usr/bin/env bash
# Set everything up (if needed), install Debian's chromium (browser tests), nginx (reverse-proxy test) and
# poppler-utils (PDF test),
# run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)  # the board pack PDF test reads and renders it
command -v ip >/dev/null 2>&1 || missing+=(iproute2)  # the Origin-abuse test runs in a network namespace
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian's ${missing[*]} for the browser and proxy tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # The tests run their own nginx without root (deploy/run_proxy.sh); keep the package's postinst from
  # starting a system nginx on port 80, unless the machine already has a policy of its own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# scripts/test.sh: do not start services while installing test dependencies\nexit 101\n' \
      | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    created_policy=1
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  trap - EXIT
  if [ -n "${created_policy:-}" ]; then $SUDO rm -f "$policy"; fi
fi
bash scripts/setup.sh
# The suite, in two passes that between them run every test once (-m "not serial", then -m serial), each given the
# arguments (a file, -k ..., --ignore=...): first the parallel-safe tests on both cores (pytest-xdist, two worker
# processes), then, in one process, the `serial` ones (pytest.ini): the timing-sensitive tests and every browser and
# deploy test. The session's database is built once into a folder both passes share (tests/conftest.py). Both
# passes always run; the command fails if either does (a pass that selects no test, pytest's 5, is not a failure).
session_dir="$(mktemp -d -t kle-test-session.XXXXXX)"
trap 'rm -rf "$session_dir"' EXIT
export KENT_TEST_SESSION_DIR="$session_dir"
status=0 empty=0
.venv/bin/python -m pytest -n 2 -m "not serial" "$@" || { code=$?; [ "$code" -eq 5 ] && empty=$((empty + 1)) || status=$code; }
.venv/bin/python -m pytest -m serial "$@" || { code=$?; [ "$code" -eq 5 ] && empty=$((empty + 1)) || status=$code; }
[ "$empty" -lt 2 ] || status=5  # the arguments selected no test at all
exit "$status"
