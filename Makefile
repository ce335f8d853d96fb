# The two commands of the README: `make run` and `make test`.
# Both need only Python 3.11+ and make; they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UI_BUILT := orchestrator/webserver/static/ui/index.html
UI_DEPS := ui/node_modules/.installed
UI_SOURCES := $(shell find ui -path ui/node_modules -prune -o -type f -print 2>/dev/null)

.PHONY: run test lint typecheck unit integration clean deploy-manifests ui ui-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local,test,plugins]'
	touch $(STAMP)

# Starts Kestrel with embedded Kafka and Elasticsearch, deploys examples/, runs the
# hello-world example and shows its result, then keeps serving until Ctrl-C.
run: $(STAMP) $(UI_BUILT)
	$(BIN)/kestrel flow validate examples/
	$(BIN)/kestrel server local --data-dir .kestrel/data --deploy examples/ --run kestrel.examples.hello-world

test: $(STAMP) ui-test $(UI_BUILT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

# Regenerates the KafkaTopic/KafkaUser resources from the topic registry and renders every
# Kubernetes overlay into deploy/kubernetes/rendered/ (needs kustomize or kubectl).
deploy-manifests: $(STAMP)
	$(BIN)/python deploy/kubernetes/generate_kafka.py
	for overlay in dev production; do \
		if command -v kustomize >/dev/null; then kustomize build deploy/kubernetes/overlays/$$overlay; \
		else kubectl kustomize deploy/kubernetes/overlays/$$overlay; fi \
			> deploy/kubernetes/rendered/$$overlay.yaml || exit 1; \
	done

# The web UI (ui/): npm ci from the lockfile, built into the Python package when the build
# is missing or older than anything under ui/; `ui-test` runs its lint, types and Vitest.

$(UI_DEPS): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

$(UI_BUILT): $(UI_DEPS) $(UI_SOURCES)
	cd ui && npm run build

ui: $(UI_BUILT)

ui-test: $(UI_DEPS)
	cd ui && npm run lint && npm run typecheck && npm test

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
