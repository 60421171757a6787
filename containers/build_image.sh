#!/usr/bin/env bash
# Build the component image from the repository's Dockerfile, with no network.
#
#   containers/build_image.sh IMAGE [docker build options...]
#
# `make image` / `make image-gpu` call it with the build args (BASE_IMAGE, LOCK,
# WHEELHOUSE, VARIANT, VERSION). --network none proves the build needs nothing
# beyond the base image and the wheelhouse. Prints the image's id, size and the
# build time.
set -euo pipefail

IMAGE=$1
shift
cd "$(dirname "$0")/.."
started=$(date +%s)
# The classic builder: Debian's docker.io ships no buildx, and BuildKit would fetch
# its Dockerfile frontend from Docker Hub for some syntax features.
# SDK_CONTAINER_IMAGE: the image knows its own URI (the default --sdk_container_image of
# its Beam steps on Dataflow and other non-local runners).
DOCKER_BUILDKIT=0 docker build --network none --tag "$IMAGE" --build-arg SDK_CONTAINER_IMAGE="$IMAGE" "$@" . \
    2> >(grep -v -e "legacy builder is deprecated" -e "BuildKit is currently disabled" \
              -e "Install the buildx component" -e "docs.docker.com/go/buildx" -e "environment-variable\." -e "^ *$" >&2)
seconds=$(( $(date +%s) - started ))
docker image inspect --format '{{.Id}} {{.Size}}' "$IMAGE" | \
    awk -v image="$IMAGE" -v s="$seconds" '{printf "image: %s (%s), %.2f GB, built in %d s\n", image, substr($1, 1, 19), $2/1e9, s}'
