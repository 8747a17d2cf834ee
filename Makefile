# YiZhi 医智 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
YIZHI := $(VENV)/bin/yizhi
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)

.PHONY: install run test test-sqlite test-postgres system-deps messages bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run: install, migrate, seed the demo (idempotent) and serve on YIZHI_HOST:YIZHI_PORT.
run: install
	$(YIZHI) migrate
	$(YIZHI) demo
	$(YIZHI) serve

## make test: system packages (chromium, Chinese fonts, PostgreSQL), then the suite on SQLite and PostgreSQL.
test: install system-deps
	bash scripts/test.sh

test-sqlite: install
	$(PY) -m pytest -q

test-postgres: install system-deps
	bash scripts/test.sh --postgres-only

system-deps:
	bash scripts/system-deps.sh

## make messages: extract translatable strings into each domain's zh catalog.
messages: install
	$(PY) scripts/messages.py

bench: install
	$(PY) -m pip install --quiet -e '.[test,cluster,bench]'
	for script in bench/*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
