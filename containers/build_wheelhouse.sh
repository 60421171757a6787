#!/usr/bin/env bash
# Download (or build, for the few sdist-only packages) every wheel of a lock file
# into a wheelhouse, on the host, so the image build needs no network.
#
#   containers/build_wheelhouse.sh LOCK DIR     # e.g. requirements/runtime.lock wheelhouse/cpu
#
# The lock pins every transitive package, so no resolution happens (--no-deps).
# DIR/requirements.txt gets the lock's pins alone (no comments), DIR/build-tools.txt
# the image's build tools (containers/build-tools.txt): the image installs from
# them, so a comment-only change of the lock rebuilds neither the wheelhouse nor
# the image's dependency layer. A rerun with the same pins is a no-op.
set -euo pipefail

LOCK=$1
DIR=$2
PYTHON=${PYTHON:-python3}
TOOLS="$(dirname "$0")/build-tools.txt"
PINS=$(grep -E '^[A-Za-z0-9]' "$LOCK")
TOOL_PINS=$(grep -E '^[A-Za-z0-9]' "$TOOLS")

if [ -f "$DIR/.complete" ] && [ "$(cat "$DIR/requirements.txt" 2>/dev/null)" = "$PINS" ] \
        && [ "$(cat "$DIR/build-tools.txt" 2>/dev/null)" = "$TOOL_PINS" ]; then
    echo "wheelhouse: $DIR has every pin of $LOCK"
    touch "$DIR/.complete"
    exit 0
fi
mkdir -p "$DIR"
rm -f "$DIR/.complete"
echo "wheelhouse: fetching the wheels of $LOCK into $DIR"
started=$(date +%s)
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    -r <(echo "$PINS") -r <(echo "$TOOL_PINS") --wheel-dir "$DIR" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "$PINS" > "$DIR/requirements.txt"
echo "$TOOL_PINS" > "$DIR/build-tools.txt"
touch "$DIR/.complete"
echo "wheelhouse: $(ls "$DIR"/*.whl | wc -l) wheels, $(du -sh "$DIR" | cut -f1), in $(( $(date +%s) - started )) s"
