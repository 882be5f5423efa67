# Every target creates .venv on first use, so one command does all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: data reports lab test sample bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

## data: get the source files (download, or the synthetic sample where GOV.UK is out of reach) and read them
data: $(STAMP)
	$(PY) -m crimeoutcomes build

## reports: the main job: get the data, run every notebook, write reports/ and figures/
## (options go in ARGS, e.g. make reports ARGS="--year 2025/26 --basis recorded")
ARGS ?=
reports: $(STAMP)
	$(PY) run_all.py $(ARGS)

## lab: JupyterLab on the notebooks, with the project's environment as the kernel
lab: $(STAMP)
	$(PY) -c "from crimeoutcomes.pipeline import ensure_kernel; ensure_kernel()"
	$(VENV)/bin/jupyter lab notebooks/

## test: the test suite (what CI runs)
test: $(STAMP)
	$(PY) -m pytest

## sample: write the synthetic sample to data/sample
sample: $(STAMP)
	$(PY) -m crimeoutcomes sample --out data/sample

## bench: the speed and memory figures of the README (reader, all years, reports); about an hour with pandas
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/bench_read.py
	$(PY) benchmarks/bench_all_years.py
	$(PY) benchmarks/bench_reports.py

clean:
	rm -rf data/cache data/sample reports/sample figures/sample
