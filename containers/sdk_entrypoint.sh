#!/bin/sh
# The component image's entrypoint: it is also a Beam SDK harness container.
# Dataflow and Beam's DOCKER environment start the image with flags only
# (--id=..., --control_endpoint=..., ...): those go to Beam's boot program, which starts
# the Python SDK worker. Anything else (KFP's task commands, `docker run IMAGE python ...`)
# runs as given; on Kubernetes a task's command replaces this entrypoint altogether.
case "${1:-}" in
    --*) exec /opt/apache/beam/boot "$@" ;;
esac
exec "$@"
