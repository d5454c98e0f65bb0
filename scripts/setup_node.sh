#!/usr/bin/env bash
# Install the pinned npm packages (Leaflet, axe-core) and copy the browser assets into static/vendor/.
# Idempotent: `npm ci` runs only when node_modules is missing or was installed from a different
# package-lock.json; vendor_assets.py rewrites only files that changed.
# Usage: scripts/setup_node.sh   (PYTHON=/path/to/python to choose the interpreter)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python}"
cd "$ROOT"

command -v npm >/dev/null || { echo "setup_node: npm not found (install Node 20+)" >&2; exit 1; }

STAMP="node_modules/.installed-from-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [[ ! -d node_modules/leaflet || ! -d node_modules/axe-core || "$want" != "$have" ]]; then
    echo "setup_node: npm ci (node_modules missing or stale)" >&2
    npm ci --no-audit --no-fund
    echo "$want" > "$STAMP"
else
    echo "setup_node: node_modules matches package-lock.json" >&2
fi

"$PYTHON" scripts/vendor_assets.py
