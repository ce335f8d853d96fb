# The two commands of the README: `make run` and `make test`.
# Both need only Python 3.11+ and make; they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration clean deploy-manifests

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local,test]'
	touch $(STAMP)

# Starts Kestrel with embedded Kafka and Elasticsearch, deploys examples/, runs the
# hello-world example and shows its result, then keeps serving until Ctrl-C.
run: $(STAMP)
	$(BIN)/kestrel flow validate examples/
	$(BIN)/kestrel server local --data-dir .kestrel/data --deploy examples/ --run kestrel.examples.hello-world

test: $(STAMP)
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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
