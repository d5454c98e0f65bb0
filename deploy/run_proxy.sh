#!/usr/bin/env bash
# Render the nginx configuration (deploy/render_nginx.py) and run nginx in the foreground, without root:
# pid, logs and temp files live in the run directory ($KLE_RUN_DIR, default deploy/run).
#
#   KLE_LISTEN=0.0.0.0:8080 KLE_UPSTREAMS="127.0.0.1:8501 127.0.0.1:8502" \
#   KLE_FRAME_ANCESTORS="https://www.kent.gov.uk" bash deploy/run_proxy.sh
#
# Options after the script name go to render_nginx.py (e.g. --upstream, --frame-ancestor). nginx stops on
# SIGTERM/SIGQUIT; reload a changed configuration with `kill -HUP $(cat $KLE_RUN_DIR/nginx.pid)`.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=${KLE_RUN_DIR:-deploy/run}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [ ! -x "$nginx" ]; then
  echo "run_proxy: nginx not found (apt-get install nginx-light, or set NGINX=/path/to/nginx)" >&2
  exit 1
fi
python3 deploy/render_nginx.py --out "$run_dir" "$@"
run_dir=$(cd "$run_dir" && pwd)
"$nginx" -q -t -p "$run_dir/" -e "$run_dir/logs/error.log" -c "$run_dir/nginx.conf"
exec "$nginx" -p "$run_dir/" -e "$run_dir/logs/error.log" -c "$run_dir/nginx.conf" -g 'daemon off;'
