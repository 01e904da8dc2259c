# `make run` and `make test` set everything up from this repository's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hub db upgrade
	$(BIN)/hub serve --demo --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check hub workers tests bench migrations
	$(BIN)/ruff format --check hub workers tests bench migrations

bench: $(STAMP)
	$(BIN)/python -m bench.queue_claim
	$(BIN)/python -m bench.score_bench
	$(BIN)/python -m bench.payments_bench

clean:
	rm -rf $(VENV) var
