# The component image: every kfp-tf component runs in it (components/image.py).
#
#   make image                 # CPU image, tagged components.image.COMPONENT_IMAGE
#   make image-gpu             # GPU variant (TensorFlow's CUDA wheels) for training
#
# Built without Docker Hub or network: BASE_IMAGE is a Debian root filesystem with
# the lock's Python (containers/build_base.sh makes it with debootstrap:
# kfp-tf-base:bookworm, Debian 12 with Python 3.11, for the tfx-1.16 track;
# kfp-tf-base:trixie, Debian 13 with Python 3.13, for the tfx-1.21 track), and the
# Python packages come from a wheelhouse the host downloaded with the same lock
# (containers/build_wheelhouse.sh). One definition for every variant and track:
# WHEELHOUSE chooses the CPU set (wheelhouse/cpu, from requirements/runtime.lock),
# the GPU set (wheelhouse/gpu, from requirements/gpu.lock) or the tfx-1.21 set
# (wheelhouse/modern, from requirements/modern.lock; `make image TRACK=tfx-1.21`).
ARG BASE_IMAGE=kfp-tf-base:bookworm

# --- build: a venv with the locked stack and this package, bytecode compiled ---
FROM ${BASE_IMAGE} AS build
ARG WHEELHOUSE=wheelhouse/cpu
# The wheels, requirements.txt (the lock's pins) and build-tools.txt (uv, setuptools),
# as containers/build_wheelhouse.sh wrote them.
COPY ${WHEELHOUSE}/ /wheelhouse/
RUN python3 -m venv /opt/tools \
 && /opt/tools/bin/pip install --quiet --no-index --find-links /wheelhouse -r /wheelhouse/build-tools.txt
ENV UV_NO_CACHE=1 UV_PYTHON_DOWNLOADS=never
# --compile-bytecode: the image is read-only to its user and PYTHONDONTWRITEBYTECODE
# is set, so .pyc files must be made here (TensorFlow imports 2.4x faster with them).
# The venv is Python's own (with pip, from ensurepip), not `uv venv`: Beam's boot program
# asks `python -m pip show apache-beam` before it starts the SDK worker.
RUN python3 -m venv /opt/venv \
 && /opt/tools/bin/uv pip install --quiet --python /opt/venv/bin/python --compile-bytecode \
        --no-index --find-links /wheelhouse -r /wheelhouse/requirements.txt
# This package apart from its dependencies (/opt/package, on PYTHONPATH), so that a
# change of the source rebuilds and copies a few hundred kilobytes, not the venv.
COPY pyproject.toml README.md /src/
COPY components/ /src/components/
COPY pipelines/ /src/pipelines/
RUN /opt/tools/bin/uv pip install --quiet --python /opt/venv/bin/python --compile-bytecode \
        --no-index --find-links /wheelhouse --no-deps --target /opt/package /src \
 && PYTHONPATH=/opt/package TF_CPP_MIN_LOG_LEVEL=3 PYTHONWARNINGS=ignore /opt/venv/bin/python -c \
        "import components.catalog, pipelines, kfp, tensorflow_data_validation, tensorflow_model_analysis"

# --- the image: the venv on the same base, a non-root user, nothing else ---
FROM ${BASE_IMAGE}
ARG VERSION=unknown
ARG VARIANT=cpu
LABEL org.opencontainers.image.title="kfp-tf-components" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="KFP v2 components for the TensorFlow model lifecycle (${VARIANT})" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --create-home --uid 1000 --user-group --shell /usr/sbin/nologin kfp
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/package /opt/package
ENV PATH=/opt/venv/bin:/opt/package/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    VIRTUAL_ENV=/opt/venv \
    PYTHONPATH=/opt/package \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2
# A Beam SDK harness too (README, "Running the Beam steps on Dataflow"): Beam's boot program
# (built on the host from Beam's Go module, static: `make beam-boot`), the entrypoint that
# hands it the harness flags, the SDK worker run in /opt/venv (no per-worker venv), and the
# image's own URI, which a Beam step on a non-local runner passes as --sdk_container_image
# (components/common/beam_options.py).
COPY wheelhouse/beam-boot/boot /opt/apache/beam/boot
COPY containers/sdk_entrypoint.sh /opt/apache/beam/entrypoint.sh
ARG SDK_CONTAINER_IMAGE=""
ENV RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1 \
    KFP_TF_SDK_CONTAINER_IMAGE=${SDK_CONTAINER_IMAGE}
ENTRYPOINT ["/opt/apache/beam/entrypoint.sh"]
USER 1000:1000
WORKDIR /home/kfp
