#!/usr/bin/env bash
# Build the component image's base without Docker Hub: a Debian minbase root
# filesystem made with debootstrap, with the suite's python3 and its venv module,
# imported as a local image. The tag names the suite (one script for both runtime
# tracks): kfp-tf-base:bookworm is Debian 12 (Python 3.11, the TFX 1.16 track),
# kfp-tf-base:trixie Debian 13 (Python 3.13, glibc 2.41, the TFX 1.21 track). A tag
# ending in -build (kfp-tf-base:trixie-build) adds g++ and python3-dev: the image
# containers/build_wheelhouse.sh builds a track's sdist-only packages in.
#
#   containers/build_base.sh [IMAGE]     # default kfp-tf-base:bookworm
#
# Does nothing when IMAGE exists. DEBIAN_MIRROR picks the mirror (default
# deb.debian.org; a snapshot.debian.org URL pins the packages to a date).
set -euo pipefail

IMAGE=${1:-kfp-tf-base:bookworm}
TAG=${IMAGE##*:}
SUITE=${TAG%-build}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,ca-certificates
[ "$TAG" = "$SUITE" ] || PACKAGES=$PACKAGES,python3-dev,g++
case $SUITE in
    bookworm|trixie) ;;
    *) echo "base: $IMAGE: the tag must name a Debian suite this project uses (bookworm, trixie)" >&2; exit 1 ;;
esac

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "base: $IMAGE exists"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "base: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }

ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/kfp-tf-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS"' EXIT

echo "base: debootstrap --variant=minbase $SUITE from $MIRROR (a minute or two)"
started=$(date +%s)
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 \
    || { tail -n 20 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"

# What an image does not need: package caches and lists, documentation, man pages.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
    "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old

tar -C "$ROOTFS" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap --variant=minbase --include=$PACKAGES $SUITE $MIRROR" \
    - "$IMAGE" >/dev/null
echo "base: $IMAGE built in $(( $(date +%s) - started )) s ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
