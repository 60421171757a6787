#!/bin/sh
# A Beam SDK harness in the component image, for Beam's PROCESS environment:
#   --environment_type=PROCESS --environment_config='{"command": "engine/docker_harness.sh",
#       "env": {"HARNESS_IMAGE": "<image>", "HARNESS_SHARED": "<folder>"}}'
# The runner calls this with the harness flags (--id=... --control_endpoint=...); the image's
# entrypoint hands them to Beam's boot (/opt/apache/beam/boot), as Dataflow and Beam's DOCKER
# environment do. Unlike the DOCKER environment (which mounts nothing), HARNESS_SHARED is
# mounted at the same path, so a step on local files can be run in the image here.
set -eu
exec docker run --rm --network=host --user "$(id -u):$(id -g)" \
    --volume "$HARNESS_SHARED:$HARNESS_SHARED" "$HARNESS_IMAGE" "$@"
