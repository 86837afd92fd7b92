# The two commands: `make run` and `make test`. Each sets up its own .venv from nothing.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
AT ?= 2026-03-13T15:00:00Z
CHROMIUM := /usr/lib/chromium/chromium

.PHONY: run evaluate test lint typecheck unit bench evaluation format clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0  # the CPU build on this disk, before anything pulls CUDA
	$(BIN)/pip install --quiet -e '.[dev,bench,ai]'
	touch $(STAMP)

## Start the service on embedded defaults: SQLite in ./data, the example SLA and a live demo
## history, an admin token printed once, the API on http://127.0.0.1:8000 (docs at /docs).
run: $(STAMP)
	$(BIN)/slakeeper serve --demo --worker

## Evaluate the bundled example SLA and ticket history and print every clock as a table.
evaluate: $(STAMP)
	$(BIN)/slakeeper evaluate --config examples/sla.yaml --events examples/events.jsonl --at $(AT) --format table

## What CI runs: format check, lint, strict typing, the whole test suite.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q -n 2

## The dashboard's tests drive Debian's Chromium (nothing is downloaded at test time).
$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq chromium

## Benchmarks against the named peers; writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

## The learning features against their baselines (prediction, routing, what-if, assistant);
## writes their sections of bench/RESULTS.md and examples/risk-model.json.
evaluation: $(STAMP)
	$(BIN)/python -m bench --learning

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
