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
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest "$@"  # what you asked for (a file, a test, -k ...), in one process
fi
# The whole suite, in two passes that between them run every test once (-m "not serial", then -m serial):
# first the parallel-safe tests on both cores (pytest-xdist, two worker processes, each building its own session
# database), then, in one process, the `serial` ones (pytest.ini): the timing-sensitive tests and every browser and
# deploy test. Both passes always run; the suite fails if either does.
status=0
.venv/bin/python -m pytest -n 2 -m "not serial" || status=$?
.venv/bin/python -m pytest -m serial || status=$?
exit "$status"
