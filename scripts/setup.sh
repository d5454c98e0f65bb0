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

echo "== browser assets (Leaflet, axe-core) from npm"
bash scripts/setup_node.sh

if [ ! -f "${KENT_DB_PATH:-data/kent.duckdb}" ]; then
  echo "== building the database from ${KENT_DATA_DIR:-../shared/data}"
  .venv/bin/python -m geo build
fi
