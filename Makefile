# Two commands from a fresh clone (Python 3.11+ and make):
#   make run    set up .venv and run the service: every source on its schedule (SQLite, console alerts)
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run once demo test bench fuzz soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/govwatch run

once: $(STAMP)
	$(BIN)/govwatch crawl --all

demo: $(STAMP)
	$(BIN)/govwatch demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# govsim (the simulated government sites the benchmark polls) is not part of this repo.
GOVSIM_DIR ?= ../shared/govsim
# make bench BENCH_ARGS="--sources 500 --quick --peers"   (docs/performance.md)
BENCH_ARGS ?= --sources 50,500,2000 --peers

bench: $(STAMP)
	@test -d "$(GOVSIM_DIR)" || { echo "make bench: govsim not found at $(GOVSIM_DIR) (it is not part of this repository); put a govsim checkout there or run: make bench GOVSIM_DIR=/path/to/govsim" >&2; exit 2; }
	$(BIN)/python benchmarks/bench.py --govsim "$(GOVSIM_DIR)" $(BENCH_ARGS)

# On demand (not in `make test`): many more generated inputs for the property tests, and the
# kill -9 soak against govsim's ground truth. Figures: docs/reliability.md.
FUZZ_EXAMPLES ?= 2000

fuzz: $(STAMP)
	GOVWATCH_HYPOTHESIS_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/property

soak: $(STAMP)
	@test -d "$(GOVSIM_DIR)" || { echo "make soak: govsim not found at $(GOVSIM_DIR) (it is not part of this repository); run: make soak GOVSIM_DIR=/path/to/govsim" >&2; exit 2; }
	$(BIN)/python benchmarks/soak_kill.py --sources 50 --kills 10 --govsim-dir "$(GOVSIM_DIR)"

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .hypothesis
