# Cible: `make run` sets everything up and runs; `make test` sets up and runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CIBLE_HOME ?= $(CURDIR)/.cible
SYNTHETIC := $(CIBLE_HOME)/data/synthetic
DATA := $(SYNTHETIC)
CUSTOMERS ?= 20000
MONTHS ?= 24
# The training cutoff, and the end of the synthetic data: the first day of the retailer's current month,
# from the one clock (features/clock.py: CIBLE_NOW and CIBLE_TZ hold). Not a fixed date: events older
# than the 13-month retention are dropped relative to now, so a fixed date would in time leave none.
# Computed once, when a recipe first needs it (the virtual environment exists by then), by the venv's
# Python rather than `cible` (which imports every command: seconds at each `make run`) or `date` (a
# second clock, and BSD date has no -d).
AS_OF ?= $(eval AS_OF := $(or $(shell $(BIN)/python -c \
  'from features.clock import month_start; print(month_start().date())'), \
  $(error $(BIN)/python could not give the first day of the month: set AS_OF=YYYY-MM-DD)))$(AS_OF)
PORT ?= 3000
STAMPS := $(CIBLE_HOME)/.stamps

.PHONY: run test lint bench bench-serving data features train materialize keys serve clean retrain FORCE

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The synthetic data are generated again when their size or end changes, so a new month brings data
# that end at the new cutoff rather than training on stale ones. Only the Makefile's own folder: a
# DATA=folder given on the command line is never overwritten.
SYNTH_SETTINGS := $(STAMPS)/synthetic
$(SYNTH_SETTINGS): FORCE | $(STAMP)
	@mkdir -p $(STAMPS)
	@echo 'END=$(AS_OF) CUSTOMERS=$(CUSTOMERS) MONTHS=$(MONTHS)' | cmp -s - $@ \
	  || echo 'END=$(AS_OF) CUSTOMERS=$(CUSTOMERS) MONTHS=$(MONTHS)' > $@

$(SYNTHETIC)/orders.parquet: $(SYNTH_SETTINGS) | $(STAMP)
	$(BIN)/cible data synth --out $(SYNTHETIC) --customers $(CUSTOMERS) --months $(MONTHS) --end $(AS_OF)

data: $(DATA)/orders.parquet
	$(BIN)/cible data validate $(DATA)

features: data
	$(BIN)/cible features build $(DATA) --as-of $(AS_OF) --out $(CIBLE_HOME)/features/customers_$(AS_OF).parquet

# `make train` and `make materialize` always run; `make run` does them again only when the data, the code
# that trains or the settings below changed since the last time (stamps in the home), so a second `make run`
# starts at once.
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
$(SETTINGS): FORCE | $(STAMP)
	@mkdir -p $(STAMPS)
	@echo 'AS_OF=$(AS_OF) DATA=$(DATA)' | cmp -s - $@ || echo 'AS_OF=$(AS_OF) DATA=$(DATA)' > $@

$(TRAINED): $(DATA)/orders.parquet $(TRAINING_CODE) $(SETTINGS) | $(STAMP)
	$(MAKE) --no-print-directory train AS_OF=$(AS_OF)

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
