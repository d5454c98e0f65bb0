#!/usr/bin/env bash
# Set up everything the app and the tests need, idempotently:
# a virtualenv with the pinned packages, the browser assets from npm, and the database.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "== installing pinned Python packages"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$wanted" > "$stamp"
fi

# The board pack's PDF (WeasyPrint) draws text with Debian's pango and subsets fonts with harfbuzz.
debs=()
ldconfig -p | grep -q 'libpango-1.0.so.0' || debs+=(libpango-1.0-0)
ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || debs+=(libpangoft2-1.0-0)
ldconfig -p | grep -q 'libharfbuzz-subset.so.0' || debs+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -q 'Liberation Sans' || debs+=(fonts-liberation)
if [ "${#debs[@]}" -gt 0 ]; then
  echo "== installing Debian's ${debs[*]} for the board pack PDF"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${debs[@]}" >/dev/null
fi

echo "== browser assets (Leaflet, axe-core) from npm"
bash scripts/setup_node.sh

if [ ! -f "${KENT_DB_PATH:-data/kent.duckdb}" ]; then
  echo "== building the database from ${KENT_DATA_DIR:-../shared/data}"
  .venv/bin/python -m geo build
fi
if [ ! -e "${KENT_EMBED_DIR:-static/embed}" ]; then
  echo "== light embed pages from the database (static/embed)"
  .venv/bin/python -m geo embed
fi
