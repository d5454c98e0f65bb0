#!/usr/bin/env bash
# Run one Streamlit replica of the app for the proxy: loopback only, so the only way in is through nginx.
#
#   bash deploy/run_app.sh 8501      # replica on 127.0.0.1:8501 (PORT or the first argument)
#
# PYTHON (default .venv/bin/python) runs it; KENT_DB_PATH chooses the database (default data/kent.duckdb).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-${PORT:-8501}}
python=${PYTHON:-.venv/bin/python}
# client.allowedOrigins: the parent pages that may send the embedded app postMessage commands (the
# /_stcore/host-config list): the same origins the proxy lets frame it.
origins=()
for origin in ${KLE_FRAME_ANCESTORS:-https://www.kent.gov.uk}; do
  origins+=(--client.allowedOrigins "${origin%,}")
done
# server.address: listen on loopback only.  enableXsrfProtection / enableCORS: Streamlit's defaults, kept on;
# behind the proxy the browser's Origin is the public host and nginx passes Host through, so Streamlit's
# same-origin websocket check holds.  No frame headers come from Streamlit: the proxy sets frame-ancestors.
# deploy/asgi.py: app.py with a health check that also reports a bad database file (geo.explorer.db.health).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m streamlit run deploy/asgi.py \
  --server.address "${KLE_APP_ADDRESS:-127.0.0.1}" \
  --server.port "$port" \
  --server.headless true \
  --server.runOnSave false \
  --server.fileWatcherType none \
  --server.enableXsrfProtection true \
  --server.enableCORS true \
  --browser.gatherUsageStats false \
  --global.developmentMode false \
  --client.showErrorDetails none \
  --server.maxUploadSize 1 \
  --server.maxMessageSize 2 \
  "${origins[@]}"
