# The README's two commands are `make demo` and `make test`; both run `make setup` first.
VENV   := .venv
PY     := $(VENV)/bin/python
XXGK   := $(VENV)/bin/xxgk
export XXGK_HOME ?= $(CURDIR)/data

.PHONY: setup demo test bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(XXGK) demo

test: setup
	$(PY) -m pytest -q tests

bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf data .pytest_cache tests/artifacts bench/out
