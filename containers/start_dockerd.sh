#!/usr/bin/env bash
# Make sure a Docker daemon answers; start Debian's when none does.
#
#   containers/start_dockerd.sh        # no-op when `docker info` already works
#
# Installs docker.io (Debian's packages; nothing from Docker Hub) and debootstrap
# with apt-get when they are missing (needs root). Then tries, in order, the
# settings a sandbox may need: overlay2 with a bridge, overlay2 without iptables
# or bridge, vfs without them. The daemon that started is recorded in
# $KFP_TF_DOCKERD_DIR (default /var/run/kfp-tf-dockerd: pid, log, the settings
# that worked) so containers/stop_dockerd.sh stops only a daemon started here.
set -euo pipefail

STATE_DIR=${KFP_TF_DOCKERD_DIR:-/var/run/kfp-tf-dockerd}
WAIT_SECONDS=${KFP_TF_DOCKERD_WAIT:-40}

if docker info >/dev/null 2>&1; then
    echo "dockerd: a daemon already answers ($(docker info --format '{{.ServerVersion}}, storage {{.Driver}}'))"
    exit 0
fi

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "dockerd: docker.io and debootstrap are missing; install them as root:" >&2
        echo "  apt-get install -y --no-install-recommends docker.io debootstrap iptables" >&2
        exit 1
    fi
    echo "dockerd: installing docker.io and debootstrap from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends docker.io debootstrap iptables >/dev/null \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends docker.io debootstrap iptables >/dev/null; }
fi

if [ "$(id -u)" != 0 ]; then
    echo "dockerd: no daemon answers and starting one needs root (or start it yourself)." >&2
    exit 1
fi

mkdir -p "$STATE_DIR"

try_start() {  # try_start FLAGS... : start dockerd, wait until it answers; 0 on success
    local log="$STATE_DIR/dockerd.log"
    echo "dockerd: trying dockerd $*"
    setsid dockerd "$@" >"$log" 2>&1 < /dev/null &
    local pid=$!
    for _ in $(seq "$WAIT_SECONDS"); do
        if docker info >/dev/null 2>&1; then
            echo "$pid" > "$STATE_DIR/dockerd.pid"
            echo "$*" > "$STATE_DIR/flags"
            echo "dockerd: started (pid $pid, $(docker info --format 'storage {{.Driver}}'), log $log)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 1
    done
    echo "dockerd: did not come up with '$*'; last lines of its log:" >&2
    tail -n 5 "$log" >&2 || true
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -f /var/run/docker.pid
    return 1
}

try_start --storage-driver=overlay2 \
    || try_start --storage-driver=overlay2 --iptables=false --bridge=none \
    || try_start --storage-driver=vfs --iptables=false --bridge=none \
    || { echo "dockerd: could not start a daemon in this environment (see above)." >&2; exit 1; }
