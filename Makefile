# COS Console. `make run` starts the whole stack; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: run test check bench venv dev-venv chromium gettext axe messages translations postgresql clean

# Reinstalls only when a requirements file changed (stamp files), so repeat runs are fast.
$(VENV)/.runtime-stamp: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-stamp: requirements.txt requirements-dev.txt $(VENV)/.runtime-stamp
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime-stamp
dev-venv: $(VENV)/.dev-stamp

# Translations are compiled with polib (stack/i18n.py), so running needs no GNU gettext.
translations: venv
	$(PY) -m stack.i18n

run: venv translations
	$(PY) -m stack.run

# Browser tests drive Debian's Chromium; install it when it is missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: run 'sudo apt-get install -y chromium'"; fi; }

# The catalogue test runs msgfmt --check --statistics (GNU gettext); install it when missing.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "gettext missing: run 'sudo apt-get install -y gettext'"; fi; }

# axe-core (accessibility checks in the browser tests): a pinned release from the npm registry,
# checked against its published integrity, cached under var/cache; never committed.
axe: dev-venv
	$(PY) tests/e2e/fetch_axe.py

# The suite runs once per database backend: SQLite, and a throwaway PostgreSQL cluster that the
# test session starts itself (tests/pgcluster.py). `make test TEST_DBS=sqlite` for one run.
TEST_DBS ?= sqlite postgres

# PostgreSQL's server binaries (initdb, pg_ctl) from Debian; install them when missing.
postgresql:
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "postgresql missing: run 'sudo apt-get install -y postgresql'"; fi; }

# Both backends run side by side (tests/run_backends.py; TEST_SERIAL=1 for one after the other).
test: dev-venv chromium gettext axe translations postgresql
	$(PY) tests/run_backends.py $(TEST_DBS) -- $(PYTEST_ARGS)

# Re-extract every marked string into locale/zh_Hans (existing translations are kept).
messages: dev-venv gettext
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location \
	  -i ".venv/*" -i "var/*" -i "coslocal/*" -i "objects_app/cos/*" -i "tests/*" -i "bench/*" \
	  -i "stack/*" -i "staticfiles/*" -i "docs/*"
	$(PY) -m stack.i18n

check: dev-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: dev-venv
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
