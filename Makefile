# The two commands of the README. Both install everything they need (uv, then the locked environment).
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: run test setup bench ui

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	$(UV) run --frozen python -m compileall -q -j 0 handoff pipelines contracts models assets

run: setup  ## set up, generate a sample world if landing is empty, materialize everything, print a summary
	$(UV) run --frozen handoff run

test: setup  ## the whole test suite (CI runs exactly this)
	$(UV) run --frozen pytest -q

ui: setup
	$(UV) run --frozen handoff ui

bench: setup
	$(UV) run --frozen python bench/ingest.py --persons 1000000
