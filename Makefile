# GNU make. Recipes are indented with tabs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

POLICIES := $(wildcard policies/*.pol)
COMPILE_POLICIES := $(filter-out %.test.pol,$(POLICIES))
CALC_DIR := build/calculators

.PHONY: venv build test clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

build: venv
	$(BIN)/pol check $(POLICIES)
	$(BIN)/pol compile $(COMPILE_POLICIES) -o $(CALC_DIR)
	$(BIN)/mkdocs build --strict --site-dir site

test: venv
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build site .pytest_cache .hypothesis *.egg-info
	find . -type d -name __pycache__ -prune -exec rm -rf {} +
