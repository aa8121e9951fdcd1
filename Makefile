# make demo | make test | make up | make down | make lint | make compose-test   (see README.md)
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test up down venv lint up-ha test-ha compose-test

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# Servers and schema, then the business service, both reused when already running.
up: venv
	bash scripts/stack.sh up
	bash scripts/stack.sh busi-start

# The batch simulation, streamed by the service itself; then where to watch the next one.
demo: up
	@echo "--- curl -sN \$$BUSI_URL/flashSales-batch"
	@curl -sSN "$$($(PY) -m busi config | sed -n 's/^BUSI_URL=//p')/flashSales-batch"
	@$(PY) -m busi config | sed -n -e 's|^BUSI_URL=\(.*\)/api/busi$$|--- the live page: \1/ (its "run the batch" button runs this, live)|p' \
		-e 's|^DTM_URL=\(.*\)/api/dtmsvr$$|--- DTM dashboard: \1/|p'

# The business service is restarted so that it serves the code on disk. TEST_BROWSER=1: the
# browser test's Chromium is installed too (Debian's; Playwright cannot download one here).
test: venv
	TEST_BROWSER=1 bash scripts/stack.sh up
	bash scripts/stack.sh busi-restart
	$(PY) -m pytest

# ruff (ruff.toml): the lint and the format check; import-linter (.importlinter): imports run one way.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --config .importlinter --no-cache

# The HA stack (scripts/ha.sh): the same targets with HA=1. `make down` stops either shape.
up-ha: export HA=1
up-ha: up

test-ha: export HA=1
test-ha: test

down:
	@if [ -x $(PY) ]; then bash scripts/stack.sh down; fi

# The Docker stack (docker-compose.yml, docs/docker.md), for real: a Docker engine, the base image
# and Compose made once (scripts/docker.sh), then tests/docker builds the images, starts the
# containers on loopback, runs the seed's lines, the batch and the container faults, and
# removes them. Stop the local stack first (make down): the containers take its ports.
compose-test: venv
	bash scripts/docker.sh prepare
	COMPOSE_TEST=1 $(PY) -m pytest -s tests/docker
