# Two commands: `make run` (set up, build the default index, open the app) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: setup setup-dev browser run test lint typecheck bench

# The app needs the core only; tests and tools also install the dev extra (pytest, ruff,
# playwright, and the optional ONNX/OpenVINO backends whose agreement tests run).
setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 ($(PYTHON)) not found; set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# Debian's chromium for the end-to-end browser test (Playwright's own browser download
# is not used: it needs network access beyond package registries).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

# The index (and its sentence vectors) is brought up to date before the app starts; the app
# can also build it itself on first visit (another data directory, or after a reset).
run: setup
	$(BIN)/casesearch index
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true

test: setup-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest

# mypy checks the package as it is installed (ingest/ is casesearch.ingest, ...). It cannot
# follow the editable install's folder mapping, so a tree of links lays the folders out that
# way first (.typecheck/, ignored by git).
typecheck: setup-dev
	@rm -rf .typecheck && mkdir -p .typecheck/casesearch
	@for f in casesearch/*; do ln -s ../../$$f .typecheck/casesearch/; done
	@for d in ingest index eval ui; do ln -s ../../$$d .typecheck/casesearch/$$d; done
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml casesearch

lint: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup-dev
	$(BIN)/python benchmarks/bench_search.py
