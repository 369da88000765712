# Everything a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: bench-exports install system run test lint clean bench load explain messages mutation mutation-sample

# What comes from Debian, once: Pango for WeasyPrint (PDF reports), Chromium for the
# browser tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 chromium chromium-driver
system:
	sudo apt-get install -y $(SYSTEM_PACKAGES)

# Runtime Python packages, and the front-end packages pinned by package-lock.json.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed node_modules/.package-lock.json

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_instrument
	$(BIN)/python manage.py load_interventions
	$(BIN)/python manage.py seed_demo --if-empty
	@echo "Readiness on http://127.0.0.1:$(PORT)/  Demo sign-in: demo / demo-readiness, then set up two-step sign-in with any authenticator app"
	@# The task worker prepares large downloads beside the site, and stops with it.
	DEBUG=true $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# One test worker per core (pytest-xdist), each with its own test database; a file's
# tests stay on one worker, so module- and class-wide set-ups are built once and the one
# file using a shared Redis database has it alone. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev node_modules/.package-lock.json
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# After changing what respondents read: the catalogues' new messages to translate, then
# the compiled catalogues, which are committed (docs/translating.md; needs GNU gettext).
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemessages --all --add-location file --no-obsolete
	$(BIN)/python manage.py compilemessages --ignore '.venv' --ignore node_modules

# Mutation testing of the modules that carry the rules (docs/testing.md): mutmut changes
# them one small way at a time and runs their tests; each change the tests let through
# is a rule nothing guards. The whole run takes hours on two cores; CI runs the sample
# (123 mutants: the previous round, group hiding, language counts, access to rounds).
# On SQLite whatever DATABASE_URL says: parallel workers would share one PostgreSQL test
# database. The results go to a file first, so that a failing `mutmut results` fails.
MUTATION_MIN_SCORE := 90
MUTATION_SAMPLE_MIN_SCORE := 95
MUTATION_SAMPLE := 'readiness.scoring.history.x_earlier_rounds*' \
	'readiness.disclosure.groups.x_groups_to_hide*' \
	'readiness.disclosure.language_counts.x_language_hiding*' \
	'readiness.disclosure.language_counts.x_languages_shown*' \
	'readiness.permissions.x_round_for*' \
	'readiness.permissions.x_owner_access*' \
	'readiness.permissions.x_require*' \
	'readiness.permissions.xǁFacilityAccessǁ*'

mutants/node_modules:
	mkdir -p mutants && ln -sfn ../node_modules mutants/node_modules

mutation: $(VENV)/.installed-dev node_modules/.package-lock.json mutants/node_modules
	DATABASE_URL= $(BIN)/mutmut run --max-children $(shell nproc)
	$(BIN)/mutmut results --all true > mutants/results.txt
	$(BIN)/python tests/mutation_score.py $(MUTATION_MIN_SCORE) < mutants/results.txt

mutation-sample: $(VENV)/.installed-dev node_modules/.package-lock.json mutants/node_modules
	DATABASE_URL= $(BIN)/mutmut run --max-children $(shell nproc) $(MUTATION_SAMPLE)
	$(BIN)/mutmut results --all true > mutants/results.txt
	$(BIN)/python tests/mutation_score.py $(MUTATION_SAMPLE_MIN_SCORE) $(MUTATION_SAMPLE) < mutants/results.txt

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache mutants

# The benchmark's own database unless DATABASE_URL names one (docs/performance.md).
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/bench.sqlite3

bench: $(VENV)/.installed-dev node_modules/.package-lock.json
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python manage.py bench $(BENCH_ARGS)

# Creates the PostgreSQL database that the URL $(1) names, when it is missing.
ensure_database = psql "$(dir $(1))postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$(notdir $(1))'" | grep -q 1 \
	|| psql "$(dir $(1))postgres" -qc 'CREATE DATABASE "$(notdir $(1))"'

# Query plans of the pages that must stay flat, on PostgreSQL at the benchmark's size.
EXPLAIN_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/readiness_bench

explain: $(VENV)/.installed-dev
	$(call ensure_database,$(EXPLAIN_DATABASE_URL))
	DATABASE_URL=$(EXPLAIN_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(EXPLAIN_DATABASE_URL) $(BIN)/python manage.py bench --explain

# Answer downloads of networks of 300 and 12 sites among 1,000 facilities (opt-in: the
# first run seeds about 6 million answers; docs/performance.md, Downloads).
EXPORTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/readiness_exports
EXPORTS_SMALL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/readiness_exports_small

bench-exports: $(VENV)/.installed-dev
	$(call ensure_database,$(EXPORTS_DATABASE_URL))
	$(call ensure_database,$(EXPORTS_SMALL_DATABASE_URL))
	DATABASE_URL=$(EXPORTS_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(EXPORTS_DATABASE_URL) $(BIN)/python manage.py bench --exports \
		--small-database-url $(EXPORTS_SMALL_DATABASE_URL)

LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/readiness_load

$(VENV)/.installed-load: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	touch $@

load: $(VENV)/.installed-load node_modules/.package-lock.json
	$(call ensure_database,$(LOAD_DATABASE_URL))
	DATABASE_URL=$(LOAD_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(LOAD_DATABASE_URL) $(BIN)/python manage.py loadtest $(LOAD_ARGS)
