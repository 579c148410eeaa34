# The two commands a researcher needs: `make run` and `make test`. Both bootstrap everything
# on a fresh machine: uv (installed with pip if missing), then the locked environment.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/data/derived/dagster_home
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
# Bytecode is compiled at install: where it is never written at run time
# (PYTHONDONTWRITEBYTECODE), every process would otherwise recompile dagster & co. (~4 s)
SYNC = $(UV) sync --frozen --quiet --compile-bytecode

.PHONY: run test ui bootstrap dagster-home check

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(SYNC)

# Copies the instance config once; an older copy (made before the UI's first-visit pop-up was
# switched off) gets the `nux` setting appended, the rest of it is left as the user made it.
dagster-home:
	@mkdir -p "$(DAGSTER_HOME)"
	@cp -n pipeline/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml" 2>/dev/null || true
	@grep -q '^nux:' "$(DAGSTER_HOME)/dagster.yaml" || \
		printf 'nux:\n  enabled: false\n' >> "$(DAGSTER_HOME)/dagster.yaml"

run: bootstrap dagster-home  ## materialize every asset into data/derived/warehouse.duckdb
	$(UV) run --frozen pipeline run

test: bootstrap  ## run the test suite (real data from ../shared/data/raw)
	$(UV) run --frozen pytest -q --durations=15

ui: bootstrap dagster-home  ## Dagster UI on http://127.0.0.1:3000
	$(UV) run --frozen dagster dev -h 127.0.0.1 -p 3000

check: bootstrap  ## definitions load (dg check defs)
	$(UV) run --frozen dg check defs
