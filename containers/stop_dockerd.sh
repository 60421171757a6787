#!/usr/bin/env bash
# Stop the daemon containers/start_dockerd.sh started (and only that one).
set -euo pipefail

STATE_DIR=${KFP_TF_DOCKERD_DIR:-/var/run/kfp-tf-dockerd}
PID_FILE="$STATE_DIR/dockerd.pid"

if [ ! -f "$PID_FILE" ]; then
    echo "dockerd: none was started by containers/start_dockerd.sh; nothing to stop"
    exit 0
fi
pid=$(cat "$PID_FILE")
if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ]; then
    kill "$pid"
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    echo "dockerd: stopped (pid $pid)"
else
    echo "dockerd: pid $pid is no longer a dockerd; nothing to stop"
fi
rm -f "$PID_FILE"
