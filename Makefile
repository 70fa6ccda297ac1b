# On a fresh machine these do all the set-up (see README):
#   make render   the main job: offline render of the dev stack into rendered/dev
#   make test     lint + the fast test suite
#   make e2e      the end-to-end suite: the real Pulumi engine against a local API server (.ci/run runs both suites)
# Each bootstraps .venv from the pinned requirements-dev.txt on first use; make e2e also builds its tools.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: render test lint bench requirements

$(VENV)/.installed: requirements-dev.txt requirements.txt sidecar/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements-dev.txt
	touch $@

render: $(VENV)/.installed
	$(PY) -m tools.render --stack $(STACK)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q -m "not e2e" -n 2

# Re-pins every requirements file from its .in (uv), the program's and the pack's against the dev pins. uv takes no
# editable path as a constraint, so the constraints are the dev pins without the `-e ./sidecar` line.
requirements: $(VENV)/.installed
	$(VENV)/bin/uv pip compile -q requirements-dev.in -o requirements-dev.txt
	grep -v '^-e ' requirements-dev.txt > $(VENV)/constraints.txt
	for in in requirements.in policy/requirements.in sidecar/requirements.in; do \
	  $(VENV)/bin/uv pip compile -q $$in -c $(VENV)/constraints.txt -o $${in%.in}.txt \
	    --custom-compile-command "make requirements"; done

bench: $(VENV)/.installed
	$(PY) -m bench.render
	$(PY) -m bench.sidecar

# Builds pulumi, the Python language host, the Kubernetes provider, etcd, kube-apiserver and kube-controller-manager
# from Go modules into a cache outside the repository and links them into .e2e/bin/ (docs/e2e.md).
.PHONY: e2e-tools e2e
e2e-tools:
	bash e2e/toolchain/build.sh

# The end-to-end suite: the real CLI and provider against a local API server (builds the tools on first use).
e2e: e2e-tools $(VENV)/.installed
	$(PY) -m pytest -q -m e2e

# The token-refresh sidecar's image, with a local Docker and buildx (docs/sidecar-image.md): builds linux/amd64 and
# linux/arm64 (the result stays in the build cache), then loads this machine's platform as $(SIDECAR_IMAGE) to run.
# Publishing is the sidecar-image workflow's job.
SIDECAR_IMAGE ?= ecr-token-refresh:local
.PHONY: sidecar-image
sidecar-image:
	docker buildx build --platform linux/amd64,linux/arm64 sidecar/
	docker buildx build --load --tag $(SIDECAR_IMAGE) sidecar/
