# Cible: `make run` sets everything up and runs; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CIBLE_HOME ?= $(CURDIR)/.cible
DATA := $(CIBLE_HOME)/data/synthetic
CUSTOMERS ?= 20000
MONTHS ?= 24
AS_OF ?= 2026-11-01
PORT ?= 3000

.PHONY: run test lint bench bench-serving data features train materialize keys serve clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DATA)/orders.parquet: | $(STAMP)
	$(BIN)/cible data synth --out $(DATA) --customers $(CUSTOMERS) --months $(MONTHS)

data: $(DATA)/orders.parquet
	$(BIN)/cible data validate $(DATA)

features: data
	$(BIN)/cible features build $(DATA) --as-of $(AS_OF) --out $(CIBLE_HOME)/features/customers_$(AS_OF).parquet

train: features
	$(BIN)/cible train all --data $(DATA) --as-of $(AS_OF)

materialize: train
	$(BIN)/cible materialize --data $(DATA) --as-of $(AS_OF)

# A first run makes one local key with every scope and prints it once; later runs keep it.
keys: | $(STAMP)
	$(BIN)/cible keys create local --scopes site,crm,admin --if-missing

serve: | $(STAMP)
	$(BIN)/cible serve --port $(PORT) --data $(DATA)

run: materialize keys
	$(BIN)/cible serve --port $(PORT) --data $(DATA)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python experiments/bench_synth.py
	$(BIN)/python experiments/bench_features.py

# p50/p99 at 200 req/s and saturated req/s of the service's endpoints (needs `make materialize` first)
bench-serving: $(STAMP)
	$(BIN)/python experiments/bench_serving.py --home $(CIBLE_HOME)

clean:
	rm -rf $(CIBLE_HOME)
