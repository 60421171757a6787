#!/usr/bin/env bash
# Download (or build, for the few sdist-only packages) every wheel of a lock file
# into a wheelhouse, on the host, so the image build needs no network.
#
#   containers/build_wheelhouse.sh LOCK DIR     # e.g. requirements/runtime.lock wheelhouse/cpu
#
# The lock pins every transitive package, so no resolution happens (--no-deps).
# The image's build tools (containers/build-tools.txt) go into the same folder.
# DIR/.complete records the lock it was made from; a rerun with the same lock is a no-op.
set -euo pipefail

LOCK=$1
DIR=$2
PYTHON=${PYTHON:-python3}
TOOLS="$(dirname "$0")/build-tools.txt"
STAMP="$DIR/.complete"
fingerprint=$(cat "$LOCK" "$TOOLS" | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$fingerprint" ]; then
    echo "wheelhouse: $DIR is up to date with $LOCK"
    exit 0
fi
mkdir -p "$DIR"
echo "wheelhouse: fetching the wheels of $LOCK into $DIR"
started=$(date +%s)
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    -r "$LOCK" -r "$TOOLS" --wheel-dir "$DIR"
echo "$fingerprint" > "$STAMP"
echo "wheelhouse: $(ls "$DIR"/*.whl | wc -l) wheels, $(du -sh "$DIR" | cut -f1), in $(( $(date +%s) - started )) s"
