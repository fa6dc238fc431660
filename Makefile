# tradepit: `make demo` runs the main job offline, `make test` runs the whole suite.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen --no-sync
export LITELLM_LOCAL_MODEL_COST_MAP ?= True
export HF_HUB_OFFLINE ?= 1

.PHONY: env demo chat test lint bench data clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

env: .venv/.synced

demo: env
	$(RUN) tradepit demo

chat: env
	$(RUN) tradepit chat

test: env
	$(RUN) pytest

lint: env
	$(RUN) ruff check src tests benchmarks scripts
	$(RUN) ruff format --check src tests benchmarks scripts

# Benchmarks print our figures side by side with peers (vectorbt and backtesting.py come
# from the `bench` dependency group).
bench: env
	$(UV) run --frozen --group bench --group dev python benchmarks/indicators.py
	$(UV) run --frozen --group bench --group dev python benchmarks/backtest.py

# Regenerate the bundled market data from its source packages (dev only).
data: | $(UV)
	$(UV) run --frozen --group data python scripts/build_data.py

clean:
	rm -rf .venv .tools .pytest_cache .ruff_cache
