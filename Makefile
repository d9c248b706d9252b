# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NET_DIR ?= demo-net

.PHONY: demo test install lint bench reliability down clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Re-install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/coopnet net up --dir $(NET_DIR) --seed-demo
	$(BIN)/coopnet tui --network $(NET_DIR)

down:
	$(BIN)/coopnet net down --dir $(NET_DIR)

# tests/interop: matrix-js-sdk and its Rust crypto, at the versions package-lock.json pins.
INTEROP := tests/interop
$(INTEROP)/node_modules/.package-lock.json: $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund

test: install
	bash tests/system-deps.sh
	$(MAKE) $(INTEROP)/node_modules/.package-lock.json
	$(BIN)/pytest

# The checks CI runs before the tests (.ci/run): formatting, lint, types.
LINTED := coopnet bots tui tests bench
lint: install
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/latency.py

# The fault cases of RELIABILITY.md (tests/reliability/, skipped by `make test`).
reliability: install
	$(BIN)/python bench/reliability.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
