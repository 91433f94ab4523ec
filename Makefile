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

.PHONY: run test lint bench bench-serving data features train materialize keys serve clean retrain FORCE

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

# `make train` and `make materialize` always run; `make run` does them again only when the data, the code
# that trains or the settings below changed since the last time (stamps in the home), so a second `make run`
# starts at once.
STAMPS := $(CIBLE_HOME)/.stamps
TRAINED := $(STAMPS)/trained
MATERIALIZED := $(STAMPS)/materialized
SETTINGS := $(STAMPS)/settings
TRAINING_CODE := $(shell find features training cible -name '*.py' -o -name '*.yaml' 2>/dev/null) pyproject.toml

train: features
	$(BIN)/cible train all --data $(DATA) --as-of $(AS_OF)
	mkdir -p $(STAMPS) && touch $(TRAINED)

materialize: train
	$(BIN)/cible materialize --data $(DATA) --as-of $(AS_OF)
	mkdir -p $(STAMPS) && touch $(MATERIALIZED)

# rewritten only when a setting changes, so that only then it is newer than the stamps
$(SETTINGS): FORCE
	@mkdir -p $(STAMPS)
	@echo 'AS_OF=$(AS_OF) DATA=$(DATA)' | cmp -s - $@ || echo 'AS_OF=$(AS_OF) DATA=$(DATA)' > $@

$(TRAINED): $(DATA)/orders.parquet $(TRAINING_CODE) $(SETTINGS) | $(STAMP)
	$(MAKE) --no-print-directory train

$(MATERIALIZED): $(TRAINED)
	$(BIN)/cible materialize --data $(DATA) --as-of $(AS_OF)
	touch $(MATERIALIZED)

FORCE:

# A first run makes one local key with every scope and prints it once; later runs keep it.
keys: | $(STAMP)
	$(BIN)/cible keys create local --scopes site,crm,admin --if-missing

serve: | $(STAMP)
	$(BIN)/cible serve --port $(PORT) --data $(DATA)

run: $(MATERIALIZED) keys
	$(BIN)/cible serve --port $(PORT) --data $(DATA)

# `make test TESTS="tests/serving tests/privacy"` runs part of the suite (.ci/run's time matrix does)
TESTS ?=
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(TESTS)

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

# train and materialize again on the next `make run`, even if nothing changed
retrain:
	rm -rf $(STAMPS)
