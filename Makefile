# The README's commands. Everything installs into .venv from the lock (uv.lock).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench install axe clean

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

clean:
	rm -rf $(VENV) var .cache .pytest_cache .mypy_cache .ruff_cache
