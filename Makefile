# Two commands for a fresh clone: `make chat` and `make test`. Both install what they need
# into .venv first (Python 3.11+ and pip's access to PyPI are all they assume), at the exact
# versions of requirements.lock; `make lock` refreshes the lock from pyproject.toml's ranges.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

.PHONY: install chat test lint messages mutation lock

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
	$(BIN)/mypy

# The interface's texts: extract them from the code, update the catalogs, compile them.
messages: install
	$(BIN)/pybabel extract --no-location --sort-output --project=qabot \
		-k _ -k ngettext:1,2 -k UnreadableFile -k Reason -k UsageError -o bot/locale/qabot.pot bot index
	$(BIN)/pybabel update -i bot/locale/qabot.pot -d bot/locale -D qabot --no-wrap
	$(BIN)/pybabel compile -d bot/locale -D qabot --statistics

# Mutation testing of the modules that carry the reliability promises ([tool.mutmut] in
# pyproject.toml); not part of CI: it takes about ten minutes.
mutation: install
	$(BIN)/python -m pip install --quiet 'mutmut>=3.3,<4'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

# Resolve pyproject.toml's ranges for every platform, with hashes: pins already in the lock
# stay while they still fit; `make lock UPGRADE=1` moves everything to the newest allowed.
# `make test` then installs and tests what the lock says.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes --quiet $(if $(UPGRADE),--upgrade) -o requirements.lock
