# Every target creates .venv on first use, so one command does all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: data reports test sample bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## data: get the source files (download, or the synthetic sample where GOV.UK is out of reach) and read them
data: $(STAMP)
	$(PY) -m crimeoutcomes build

## reports: the main job
reports: data

## test: the test suite (what CI runs)
test: $(STAMP)
	$(PY) -m pytest

## sample: write the synthetic sample to data/sample
sample: $(STAMP)
	$(PY) -m crimeoutcomes sample --out data/sample

## bench: time the reader on a full-size synthetic workbook
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_read.py

clean:
	rm -rf data/cache data/sample reports/sample figures/sample
