# The two commands of the README: `make run` and `make test`.
# Both need only Python 3.11+ and make; they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration clean

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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info
