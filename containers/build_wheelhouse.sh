#!/usr/bin/env bash
# Download (or build, for the few sdist-only packages) every wheel of a lock file
# into a wheelhouse, on the host, so the image build needs no network.
#
#   containers/build_wheelhouse.sh LOCK DIR     # e.g. requirements/runtime.lock wheelhouse/cpu
#
# A lock for another Python than the host's (the modern track: requirements/modern.lock,
# Python 3.13 on glibc 2.39+) sets TARGET_PYTHON=3.13 and TARGET_GLIBC=2.39: the wheels
# for that interpreter and platform are downloaded, and the few packages published
# only as sdists are built into wheels inside BUILDER_IMAGE (the track's base with
# g++ and python3-dev, made by containers/build_base.sh; run with --network none).
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
if [ -z "${TARGET_PYTHON:-}" ]; then
    "$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps \
        -r <(echo "$PINS") -r <(echo "$TOOL_PINS") --wheel-dir "$DIR" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
else
    : "${TARGET_GLIBC:?TARGET_GLIBC (e.g. 2.39) goes with TARGET_PYTHON}" "${BUILDER_IMAGE:?BUILDER_IMAGE goes with TARGET_PYTHON}"
    # Every manylinux tag a glibc-$TARGET_GLIBC host accepts, newest first.
    platforms=()
    for (( minor=${TARGET_GLIBC#*.}; minor >= 5; minor-- )); do
        platforms+=(--platform "manylinux_2_${minor}_x86_64")
    done
    platforms+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 \
                --platform manylinux1_x86_64 --platform linux_x86_64 --platform any)
    abi=cp${TARGET_PYTHON/./}
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --prefer-binary \
        --python-version "$TARGET_PYTHON" --implementation cp --abi "$abi" --abi abi3 --abi none \
        "${platforms[@]}" -r <(echo "$PINS") -r <(echo "$TOOL_PINS") --dest "$DIR"
    # What came as an sdist is built for the target interpreter, offline, from the
    # wheelhouse's own setuptools; the sdist is then removed so the image sees wheels only.
    shopt -s nullglob
    sdists=("$DIR"/*.tar.gz "$DIR"/*.zip)
    if [ ${#sdists[@]} -gt 0 ]; then
        echo "wheelhouse: building ${#sdists[@]} sdist(s) in $BUILDER_IMAGE: ${sdists[*]##*/}"
        docker run --rm --network none --user "$(id -u):$(id -g)" -e HOME=/tmp \
            -v "$(realpath "$DIR")":/wheelhouse "$BUILDER_IMAGE" bash -c \
            'python3 -m venv /tmp/build && /tmp/build/bin/pip wheel --quiet --disable-pip-version-check \
                 --no-deps --no-index --find-links /wheelhouse --wheel-dir /wheelhouse "$@"' \
            build "${sdists[@]/#$DIR//wheelhouse}"
        rm -f "${sdists[@]}"
    fi
fi
echo "$PINS" > "$DIR/requirements.txt"
echo "$TOOL_PINS" > "$DIR/build-tools.txt"
touch "$DIR/.complete"
echo "wheelhouse: $(ls "$DIR"/*.whl | wc -l) wheels, $(du -sh "$DIR" | cut -f1), in $(( $(date +%s) - started )) s"
