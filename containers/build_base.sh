#!/usr/bin/env bash
# Build the component image's base without Docker Hub: a Debian 12 (bookworm)
# minbase root filesystem made with debootstrap, with Python 3.11 and its venv
# module, imported as a local image.
#
#   containers/build_base.sh [IMAGE]     # default kfp-tf-base:bookworm
#
# Does nothing when IMAGE exists. DEBIAN_MIRROR picks the mirror (default
# deb.debian.org; a snapshot.debian.org URL pins the packages to a date).
set -euo pipefail

IMAGE=${1:-kfp-tf-base:bookworm}
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=python3,python3-venv,ca-certificates

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
