# The README's commands. Everything installs into .venv from the lock (uv.lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
# `make certify` judges the SDK against a running simulator at SIMULATOR_URL, or, left empty,
# against one it starts itself (docs/simulator.md).
SIMULATOR_URL ?=

.PHONY: run test lint bench install axe clean simulate certify

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(UV) || ($(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==$(UV_VERSION))
	# --inexact keeps uv itself, which the lock does not list, in the venv. Bytecode is compiled
	# here because the server must start fast even where PYTHONDONTWRITEBYTECODE is set.
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --frozen --inexact --all-extras --compile-bytecode
	$(BIN)/python -m compileall -q src
	touch $@

run: install
	$(BIN)/status-dashboard db upgrade
	$(BIN)/status-dashboard serve --demo --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy --strict src
	$(BIN)/lint-imports

# axe-core (npm) for the browser tests' accessibility checks, into .cache/axe when missing.
axe:
	sh scripts/install-axe.sh

test: lint axe
	$(BIN)/pytest

bench: install
	$(BIN)/python scripts/bench.py

simulate: install
	$(BIN)/status-dashboard simulate --host $(HOST) --port 8001

certify: install
	$(BIN)/status-dashboard client certify $(if $(SIMULATOR_URL),--url $(SIMULATOR_URL))

clean:
	rm -rf $(VENV) var .cache .pytest_cache .mypy_cache .ruff_cache
