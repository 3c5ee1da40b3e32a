# OrgWell: `make run` starts everything on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Links in mails point at the port the app runs on, unless ORGWELL_BASE_URL says otherwise.
run: export ORGWELL_BASE_URL ?= http://127.0.0.1:$(or $(PORT),5000)
run: $(STAMP)
	$(BIN)/orgwell db upgrade
	$(BIN)/orgwell demo
	$(BIN)/orgwell run-all --port $${PORT:-5000}

# Four processes: most tests wait on a worker, a browser or a server, so four overlap that waiting
# on two cores (measured 631 s against 695 s with two). Each process gets its own PostgreSQL
# database, Redis database number and RabbitMQ vhost. worksteal, because a run's end used to
# wait for one process still working through long tests while the others were idle.
#
# The suite starts well over a hundred Python processes (workers, servers, CLI commands), each
# compiling the project's modules again where PYTHONDONTWRITEBYTECODE is set: so they write
# their bytecode once, under .venv rather than beside the sources.
test: $(STAMP)
	$(BIN)/ruff check .
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/$(VENV)/pycache \
		$(BIN)/python -m pytest -n 4 --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks print figures and ratios (bench/RESULTS.md keeps the last ones measured); they need
# the PostgreSQL and Redis of a CI machine, and take about half an hour, most of it generating
# a million survey responses.
bench: $(STAMP)
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/mail_cpu.py
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/embedded_broker.py 300

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
