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

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/embedded_broker.py 300

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
