# Two commands for a fresh clone: `make chat` and `make test`. Both install what they need
# into .venv first (Python 3.11+ and pip's access to PyPI are all they assume).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install chat test lint messages mutation

$(BIN)/qabot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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
		-k _ -k ngettext:1,2 -k UnreadableFile -k Reason -o bot/locale/qabot.pot bot index
	$(BIN)/pybabel update -i bot/locale/qabot.pot -d bot/locale -D qabot --no-wrap
	$(BIN)/pybabel compile -d bot/locale -D qabot --statistics

# Mutation testing of the modules that carry the reliability promises ([tool.mutmut] in
# pyproject.toml); not part of CI: it takes about ten minutes.
mutation: install
	$(BIN)/python -m pip install --quiet 'mutmut>=3.3,<4'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results
