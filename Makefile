# NPC Admin. `make run` installs, migrates, loads the demo world and serves; `make test` tests.
# With no DATABASE_URL / REDIS_URL, private PostgreSQL and Redis start from pip packages.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.13 2>/dev/null || command -v python3)
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Compile bytecode at install: some machines set PYTHONDONTWRITEBYTECODE, costing seconds per command.
export UV_COMPILE_BYTECODE := 1
MANAGE := .venv/bin/python manage.py
BIND ?= 127.0.0.1
PORT ?= 8000
NPCS ?= 500
# make serve / make loadtest: WORKERS ASGI processes (uvicorn) behind one port, one per core.
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
# make loadtest: USERS virtual game masters for DURATION seconds against the production server.
USERS ?= 50
DURATION ?= 300
# Mean think time (s) of a virtual game master between pages (exponential, TPC-W's model; its mean is 7 s).
# THINK=0: every user asks for the next page as soon as one arrives (docs/benchmarks.md reports both).
THINK ?= 5
LOADTEST_URLS ?= /admin/ /admin/npcs/npc/ /admin/npcs/npcdecision/ /admin/npcs/npcmemory/ \
	/admin/npcs/npcrelationship/ /analytics/overview/ /analytics/decisions/ /analytics/battles/ \
	/analytics/economy/ /analytics/diplomacy/?world=demo /worlds/demo/ /runtime/ /healthz

.PHONY: install run serve test lint check stop clean loadtest faults

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python "$$( [ -f .python-version ] && command -v python$$(cat .python-version) || echo $(PYTHON))"
	touch $@

install: .venv/.synced

# The login is the last line before the server starts (migrations and roles speak first, quietly).
# A second run is fast: the demo world and its recent metric samples are reused.
run: install
	@$(MANAGE) migrate_all -v 0
	@$(MANAGE) create_roles -v 0
	@$(MANAGE) collectstatic --no-input -v 0
	@echo "Serving on http://$(BIND):$(PORT)/  (Ctrl-C to stop; 'make stop' ends the private services)"
	@NPCADMIN_URL=http://$(BIND):$(PORT) $(MANAGE) seed_demo --npcs $(NPCS)
	@.venv/bin/uvicorn npcadmin.asgi:application --host $(BIND) --port $(PORT) --lifespan off --log-level warning

# Production-style: WORKERS uvicorn processes share the port (docs/scaling.md sizes their pools).
serve: install
	.venv/bin/uvicorn npcadmin.asgi:application --host $(BIND) --port $(PORT) --workers $(WORKERS) \
		--lifespan off --timeout-keep-alive 75 --ws-per-message-deflate false

test: install
	.venv/bin/python -m pytest $(PYTEST_ARGS)

# The fault tests: Redis stopped mid-session, a world database down, database connections killed.
faults: install
	.venv/bin/python -m pytest -m faults -q $(PYTEST_ARGS)

# Production settings under WORKERS uvicorn processes on loopback; fails on any non-200 answer.
# WRITE=docs/benchmarks.md records the result there.
loadtest: install
	$(MANAGE) migrate_all
	.venv/bin/python bench/loadtest.py --serve --workers $(WORKERS) --users $(USERS) --duration $(DURATION) --think $(THINK) \
		$(if $(WRITE),--write $(WRITE)) $(LOADTEST_URLS)

lint: install
	.venv/bin/ruff check .
	$(MANAGE) makemigrations --check --dry-run

stop:
	-.venv/bin/python -c "from npcadmin.devservices import stop_all; print('stopped:', ', '.join(stop_all()) or 'nothing')"

clean: stop
	rm -rf .data
