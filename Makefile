# Two commands for a fresh clone: `make chat` and `make test`. Both install what they need
# into .venv first (Python 3.11+ and pip's access to PyPI are all they assume), at the exact
# versions of requirements.lock; `make lock` refreshes the lock from pyproject.toml's ranges.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: install chat test lint lock

$(BIN)/qabot: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(BIN)/qabot

install: $(BIN)/qabot

chat: install
	$(BIN)/qabot chat

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Resolve pyproject.toml's ranges for every platform, with hashes: pins already in the lock
# stay while they still fit; `make lock UPGRADE=1` moves everything to the newest allowed.
# `make test` then installs and tests what the lock says.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --quiet $(if $(UPGRADE),--upgrade) -o requirements.lock
