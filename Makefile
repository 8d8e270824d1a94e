# Lifeline: `make run` to serve the site, `make test` to run every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
.PHONY: run test test-fast test-tools mutants bench bench-seed worker lint audit format migrate sync superuser clean

$(PY):
	@interp=$$(scripts/find-python) || exit 1; \
	echo "Creating $(VENV) with $$interp"; \
	"$$interp" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The local targets run with DEBUG on unless the environment says otherwise (so a fresh
# clone needs no SECRET_KEY), and keep their files under var/ (the SQLite database,
# media, the beat schedule): settings create no folder when imported.
run migrate sync worker superuser: export DEBUG ?= true
# Links in certificates, QR codes and e-mails start with SITE_URL: the address served.
run worker: export SITE_URL ?= http://$(HOST):$(PORT)

var:
	mkdir -p var

# Open Badges credentials are signed; locally with a development key made once here
# (settings' default CREDENTIAL_SIGNING_KEY_FILE; `check --deploy` refuses it).
var/credential-signing-key.pem: | var $(VENV)/.installed
	$(PY) manage.py generate_signing_key $@

migrate: $(VENV)/.installed | var
	$(PY) manage.py migrate --no-input

sync: migrate
	$(PY) manage.py sync_content

# `make run` migrates and loads content/ only when the migrations, the content or the
# database changed since the last run (stamps in var/, scripts/when-changed), so a
# restart takes a few seconds; `make migrate` and `make sync` always run.
run: $(VENV)/.installed | var var/credential-signing-key.pem
	@scripts/when-changed var/.migrated.stamp requirements.txt $(wildcard */migrations) \
	  -- $(PY) manage.py migrate --no-input
	@scripts/when-changed var/.synced.stamp var/.migrated.stamp content curriculum \
	  -- $(PY) manage.py sync_content
	$(PY) manage.py runserver $(HOST):$(PORT)

# An administrator whose e-mail address is verified (asks for the address and a
# password; DJANGO_SUPERUSER_EMAIL / DJANGO_SUPERUSER_PASSWORD answer without asking).
# Staff set up an authenticator app on their first admin visit.
superuser: migrate
	$(PY) manage.py create_admin

test: $(VENV)/.installed-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The page checkers of the browser tests, from the npm registry npm is configured for
# (package.json, package-lock.json): axe-core, and the Nu HTML checker (vnu-jar, run
# with the machine's Java). Without them those checks skip, or fail under
# REQUIRE_SERVICES=1; .ci/run installs them.
test-tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# Everything but the browser journeys (about a minute on SQLite); CI runs them all.
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# Plants each bug of scripts/mutants_list.py alone and checks a test fails
# (docs/TESTING.md). Run with DATABASE_URL/REDIS_URL set to include service tests.
mutants: $(VENV)/.installed-dev
	$(PY) scripts/mutants.py $(MUTANTS_ARGS)

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(BENCH_ARGS)

worker: $(VENV)/.installed | var var/credential-signing-key.pem
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run a worker."; exit 1; }
	$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 & \
	$(VENV)/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule; \
	kill %1

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# Apps depend one way (pyproject.toml [tool.importlinter], docs/ARCHITECTURE.md).
	$(VENV)/bin/lint-imports
	@# Known vulnerabilities fail lint; an audit that could not run (offline) says so
	@# and does not (exit 2): see `make audit` and docs/OPERATIONS.md.
	@$(PY) scripts/audit_dependencies.py || test $$? -eq 2

# Fails unless every installed dependency was audited and none is vulnerable.
audit: $(VENV)/.installed-dev
	$(PY) scripts/audit_dependencies.py $(AUDIT_ARGS)

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var

# The scale benchmark's data (bench/seed.py): PostgreSQL database lifeline_scale<SCALE>
# beside the one DATABASE_URL names, dropped and filled again (1 = 1,000 learners).
# SEED_ARGS="--recount bench" rebuilds only the statistics counters the benchmark reads.
SCALE ?= 1
bench-seed: $(VENV)/.installed-dev
	$(PY) bench/seed.py --scale $(SCALE) $(SEED_ARGS)
