# Two commands matter: `make run` and `make test`. Both install what they need into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-deps
DEV_STAMP := $(VENV)/.dev-deps

.PHONY: run test lint typecheck pytest bench screenshots migration clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(PY) -m integrations run

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

pytest: $(DEV_STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(DEV_STAMP)
	$(PY) -m bench

# The README's screenshots (docs/screenshots/*.png), taken by the browser tests; `make test` does
# not write them, so a test run leaves the checkout unchanged.
screenshots: $(DEV_STAMP)
	SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser $(PYTEST_ARGS)

migration: $(DEV_STAMP)
	@test -n "$(MESSAGE)" || { echo 'usage: make migration MESSAGE="what changed"'; exit 2; }
	rm -f /tmp/newym-migration.db
	$(PY) -c "import sys; from alembic import command; from db.migrate import alembic_config, upgrade; \
	url = 'sqlite:////tmp/newym-migration.db'; upgrade(url); \
	command.revision(alembic_config(url), message=sys.argv[1], autogenerate=True)" "$(MESSAGE)"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
