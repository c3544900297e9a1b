# Wspólnie — the two commands of the README, and the few chores behind them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
DEMO_PASSWORD ?= wspolnie-demo-2020
DEMO_PHASE ?= e_consultation
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test coverage setup translations compile-translations clean

## Set up everything, migrate the SQLite database, load the demo and serve http://127.0.0.1:5000
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --phase $(DEMO_PHASE) --password '$(DEMO_PASSWORD)'
	$(FLASK) run --host $(HOST) --port $(PORT)

## Set up everything and run the whole test suite (SQLite; TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
# One pytest-xdist worker per core (PYTEST_WORKERS=0 runs in this process: pdb, -x, ...).
PYTEST_WORKERS ?= auto
# Compiled modules are kept (__pycache__, ignored by git) even where the shell says not to
# (PYTHONDONTWRITEBYTECODE): every xdist worker, every pass and every subprocess a test starts
# (gunicorn, flask commands) would otherwise compile the portal and rewrite the tests' asserts
# anew — 13 s instead of 4 s for each worker to collect the suite on a 2-core machine.
test coverage: export PYTHONDONTWRITEBYTECODE=
test: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## The same suite, measuring the coverage of portal/ (coverage.py through pytest-cov)
coverage: setup
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --cov=portal --cov-report=term:skip-covered $(PYTEST_ARGS)

setup: $(VENV)/.installed compile-translations static/cache_manifest.json

# Fingerprinted copies of the static files (main-<md5>.css), cached by browsers for a year.
STATIC_SOURCES := $(shell find static -type f ! -name 'cache_manifest.json' ! -regex '.*-[0-9a-f]\{32\}\..*' 2>/dev/null)
static/cache_manifest.json: $(VENV)/.installed $(STATIC_SOURCES)
	$(FLASK) digest clean >/dev/null
	$(FLASK) digest compile >/dev/null

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

compile-translations: $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -d portal/translations

## After changing texts: extract them and update the catalogues (then translate en/messages.po)
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F portal/translations/babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 --no-location \
		--sort-output --project Wspólnie -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations \
		--no-fuzzy-matching --width 100

clean:
	rm -rf $(VENV) instance/wspolnie.sqlite
