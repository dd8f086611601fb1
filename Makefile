# cnum — `make help` lists the targets. A new machine needs Python 3.11; everything else is installed here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
SERVICES := conventions payments compliance
STAMP := $(VENV)/.installed-stamp
# Where every process of `make run` keeps its files (SQLite databases, documents, keys, sessions, e-mails,
# the converter's profiles): CNUM_VAR_DIR, read by each process itself; named here for the messages.
VAR_DIR := $(or $(CNUM_VAR_DIR),var)

# Under CI the PostgreSQL half of the suite is required, never skipped.
ifeq ($(CI),true)
export CNUM_REQUIRE_POSTGRES := 1
endif

LIBREOFFICE_PACKAGES := libreoffice-writer-nogui python3-uno fonts-liberation2
# The State's design system, from npm at the version services/web/package-lock.json pins, copied into the
# web front's static files (served by it: no CDN). Only what the pages load: the CSS and its icons and
# fonts, the scripts, the favicons, and the licence that comes with them.
DSFR_DIST := services/web/node_modules/@gouvfr/dsfr/dist
DSFR_STATIC := services/web/web/static/dsfr
DSFR_STAMP := $(DSFR_STATIC)/.installed-stamp

.PHONY: bench bytecode chromium dsfr wrk help install iproute2 keys libreoffice lock migrate demo run test test-fast lint format typecheck clean-var

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/lock.txt shared/pyproject.toml $(foreach s,$(SERVICES),services/$(s)/pyproject.toml) services/web/pyproject.toml
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/lock.txt
	touch $(STAMP)

install: $(STAMP) libreoffice dsfr ## create .venv, install the pinned dependencies (requirements/lock.txt, services/web/package-lock.json) and LibreOffice

dsfr: $(DSFR_STAMP) ## the State's design system (@gouvfr/dsfr from npm, pinned) into the web front's static files

$(DSFR_STAMP): services/web/package.json services/web/package-lock.json Makefile
	@if ! command -v npm >/dev/null; then \
	  echo "Installing npm for the web front's design system: nodejs npm"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends nodejs npm; \
	fi
	cd services/web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(DSFR_STATIC) && mkdir -p $(DSFR_STATIC)/utility/icons $(DSFR_STATIC)/utility/colors
	cp $(DSFR_DIST)/dsfr.min.css $(DSFR_DIST)/dsfr.module.min.js $(DSFR_DIST)/dsfr.nomodule.min.js $(DSFR_STATIC)/
	cp -r $(DSFR_DIST)/fonts $(DSFR_DIST)/icons $(DSFR_DIST)/favicon $(DSFR_STATIC)/
	cp $(DSFR_DIST)/utility/icons/icons.min.css $(DSFR_STATIC)/utility/icons/
	cp $(DSFR_DIST)/utility/colors/colors.min.css $(DSFR_STATIC)/utility/colors/
	cp $(DSFR_DIST)/../LICENSE.md $(DSFR_STATIC)/
	touch $@

libreoffice: ## install LibreOffice and its Python bridge from Debian when missing (the PDF converter)
	@if [ -x /usr/lib/libreoffice/program/soffice.bin ] && /usr/bin/python3 -c 'import uno' 2>/dev/null; then :; \
	else \
	  echo "Installing LibreOffice for the PDF converter: $(LIBREOFFICE_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  if $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $(LIBREOFFICE_PACKAGES); then :; \
	  elif [ "$(CI)" = true ]; then echo "LibreOffice could not be installed"; exit 1; \
	  else echo "WARNING: LibreOffice could not be installed: PDF documents will answer 503."; fi; \
	fi

chromium: ## install Debian's Chromium and ChromeDriver when missing (the web interface's browser tests)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	else \
	  echo "Installing Chromium for the browser tests: chromium chromium-driver"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  if $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver; then :; \
	  elif [ "$(CI)" = true ]; then echo "Chromium could not be installed"; exit 1; \
	  else echo "WARNING: Chromium could not be installed: the browser tests will be skipped."; fi; \
	fi

iproute2: ## install Debian's iproute2 when missing (`ip netns`: the worker hosts of the document batch test)
	@if command -v ip >/dev/null; then :; \
	else \
	  echo "Installing iproute2 for the worker hosts of the batch test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  if $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends iproute2; then :; \
	  elif [ "$(CI)" = true ]; then echo "iproute2 could not be installed"; exit 1; \
	  else echo "WARNING: iproute2 could not be installed: the two-host batch test will be skipped."; fi; \
	fi

wrk: ## install Debian's wrk when missing (the HTTP load generator of `make bench`)
	@if command -v wrk >/dev/null; then :; \
	else \
	  echo "Installing wrk for the HTTP benchmarks"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends wrk \
	    || { echo "wrk could not be installed: make bench measures HTTP with it"; exit 1; }; \
	fi

lock: $(BIN)/python ## recompile requirements/lock.txt from requirements/all.in
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile requirements/all.in --python-version 3.11 -o requirements/lock.txt

# `make run` and its steps run the development environment, said explicitly: the services refuse to start
# without CNUM_ENVIRONMENT (DESIGN §5). An environment that sets it keeps its own value.
migrate demo keys run: export CNUM_ENVIRONMENT := $(or $(CNUM_ENVIRONMENT),development)

keys: install ## make the development key pair for tokens ($CNUM_VAR_DIR/keys) and the local test authority of the seal ($CNUM_VAR_DIR/seal), kept when they exist
	$(BIN)/cnum keys
	$(BIN)/cnum seal-authority

migrate: install ## apply every service's migrations (SQLite under $CNUM_VAR_DIR unless <SVC>_DATABASE_URL is set)
	@for service in $(SERVICES); do $(BIN)/python -m $$service.manage migrate || exit 1; done

demo: migrate ## load the demo data set (only on the first start)
	$(BIN)/python -m conventions.manage load-demo

run: keys demo ## run the whole product in the foreground (Ctrl-C stops everything)
	@echo
	@echo "  cnum is starting:"
	@echo "    web interface http://127.0.0.1:5000   (sign in at the local OpenID provider: pick a demo person)"
	@echo "    OpenID provider http://127.0.0.1:5004  (oidc-provider-mock: infra/oidc-users.yaml, decision 0042)"
	@echo "    conventions  http://127.0.0.1:5001/docs   (OpenAPI: /openapi.json)"
	@echo "    payments     http://127.0.0.1:5002/docs"
	@echo "    compliance   http://127.0.0.1:5003/docs"
	@echo "    PDF converter http://127.0.0.1:2002/healthz (LibreOffice pool)"
	@echo "  A token:   $(BIN)/cnum token --role legal      (roles: admin legal finance compliance structure auditor service reporter)"
	@echo "  Try:       curl -H \"Authorization: Bearer \$$($(BIN)/cnum token --role legal)\" http://127.0.0.1:5001/api/v1/structures"
	@echo "  E-mails:   $(VAR_DIR)/mail/*.eml (SMTP sink on 127.0.0.1:8025)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho -f infra/Procfile -d . start

# Every process the tests start (services, schedulers, job commands) imports a few hundred modules: from
# .pyc files that is about a second, compiling them from source three or four, in each process, when
# bytecode is never written (PYTHONDONTWRITEBYTECODE, or a read-only tree). 2 s when all is compiled.
bytecode: install ## compile the dependencies' and the project's Python files (the tests' processes start faster)
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib shared services tests bench conftest.py

test: install chromium iproute2 lint typecheck bytecode ## the whole suite: ruff, mypy, then pytest on SQLite and PostgreSQL
	$(BIN)/python -m pytest -n 2

test-fast: install bytecode ## pytest without the tests that start processes
	$(BIN)/python -m pytest -n 2 -m "not slow"

lint: install ## ruff check, ruff format --check, and the architecture's contracts (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install ## format the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy (strict on cnum_shared, domain/ and service_layer/)
	$(BIN)/mypy shared/cnum_shared $(foreach s,$(SERVICES),services/$(s)/$(s)) services/web/web

clean-var: ## delete $CNUM_VAR_DIR, var/ by default (local databases, documents, mail): destructive
	rm -rf -- "$(VAR_DIR)"

bench: install wrk ## the performance targets of DESIGN §7, as ratios in one run (writes docs/benchmarks.md)
	$(BIN)/python bench/run.py
