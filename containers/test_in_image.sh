#!/usr/bin/env bash
# Run a command inside a component image against this checkout's source and tests.
#
#   containers/test_in_image.sh IMAGE COMMAND...
#   containers/test_in_image.sh kfp-tf-components:0.1.0-tfx-1.21 python -m pytest tests/test_predict.py
#
# The repository is mounted read-only at /src, the working folder and PYTHONPATH, so
# every process (pytest and the tasks it starts) imports this checkout's components/
# and pipelines/ ahead of the copy the image holds (the image's venv supplies the locked runtime stack). No
# network, the image's non-root user, a private /tmp; nothing is written back.
# `make test-modern` runs the tfx-1.21 track's tests this way.
set -euo pipefail

IMAGE=$1
shift
cd "$(dirname "$0")/.."
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "test_in_image: no image $IMAGE (make image first)" >&2; exit 1; }
started=$(date +%s)
status=0
docker run --rm --network none --tmpfs /tmp:exec,size=8g --shm-size 1g \
    -v "$PWD":/src:ro -w /src -e PYTHONPATH=/src -e HOME=/home/kfp -e PYTHONDONTWRITEBYTECODE=1 \
    "$IMAGE" "$@" || status=$?
echo "test_in_image: $IMAGE: exit $status in $(( $(date +%s) - started )) s"
exit $status
