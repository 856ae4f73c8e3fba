#!/usr/bin/env bash
# stop.sh [SITE_DIR]: stops the Gerrit daemon that start.sh started for
# SITE_DIR (PID in SITE_DIR/gerrit.pid): SIGTERM, then waits up to
# $GERRIT_STOP_TIMEOUT seconds (60) for it to exit, then SIGKILL. The site
# itself is kept; remove the directory to throw it away.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

site="$(gerrit_site_dir "${1:-}")"
timeout="${GERRIT_STOP_TIMEOUT:-60}"

if ! pid="$(gerrit_pid "$site")"; then
  gerrit_log "no Gerrit daemon of $site is running"
  rm -f "$site/gerrit.pid"
  exit 0
fi

gerrit_log "stopping the daemon of $site (PID $pid)"
t0=$SECONDS
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do
  if [ $((SECONDS - t0)) -ge "$timeout" ]; then
    gerrit_log "still running after ${timeout}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.5
done
rm -f "$site/gerrit.pid"
gerrit_log "stopped after $((SECONDS - t0))s"
