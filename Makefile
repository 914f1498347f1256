# GNU make. Recipes are indented with tabs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

POLICIES := $(wildcard policies/*.pol)
COMPILE_POLICIES := $(filter-out %.test.pol,$(POLICIES))
CALC_DIR := build/calculators
# Generated policy pages (pol docs), built into the site beside the hand-written pages.
DOCS_POLICIES := docs/policies

.PHONY: venv build test bench clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

build: venv
	$(BIN)/pol check $(COMPILE_POLICIES)
	$(BIN)/pol compile $(COMPILE_POLICIES) -o $(CALC_DIR)
	$(BIN)/pol docs $(COMPILE_POLICIES) -o $(DOCS_POLICIES)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The browser tests open the built site, so the suite runs on a fresh build.
test: build
	$(BIN)/python -m pytest -q

# Coverage-guided fuzzing of check/compile/fmt/eval (fuzz/fuzz_pol.py) under atheris, for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1
fuzz: venv
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[fuzz]'
	mkdir -p build/fuzz-corpus
	$(BIN)/python fuzz/fuzz_pol.py -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 build/fuzz-corpus

clean:
	rm -rf $(VENV) build site $(DOCS_POLICIES) .pytest_cache .hypothesis *.egg-info
	find . -type d -name __pycache__ -prune -exec rm -rf {} +

# Not part of `make test`: a few minutes on 2 cores (N = 10^4, 10^5, 10^6). OpenFisca-core
# (the `bench` extra) is installed into .venv when missing.
bench: venv
	$(BIN)/python -c "import openfisca_core" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.check_speed
