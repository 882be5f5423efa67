# Every target creates .venv on first use, so one command does all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: data reports site review lab lint test browser sample bench clean mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m crimeoutcomes kernel
	touch $(STAMP)

## data: get the source files (download, or the synthetic sample where GOV.UK is out of reach) and read them
data: $(STAMP)
	$(PY) -m crimeoutcomes data

## reports: the main job: get the data, run every notebook, write reports/ and figures/
## (options go in ARGS, e.g. make reports ARGS="--year 2025/26 --basis recorded")
ARGS ?=
reports: $(STAMP)
	$(PY) run_all.py $(ARGS)

## site: gather every year built into site/ (one folder for any static host)
site: $(STAMP)
	$(PY) -m crimeoutcomes site

## review: a contact sheet per year built (scratch/<slug>/review.html): every figure side by side, for reviewers
review: $(STAMP)
	$(PY) -m crimeoutcomes review

## lab: JupyterLab at the project folder (so scratch/, where a Lab run writes, and reports/ can be browsed),
## opened on notebooks/, with the project's environment as the kernel
## (as root, as in most containers, JupyterLab needs --allow-root)
LAB_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(STAMP)
	$(PY) -m crimeoutcomes kernel
	$(VENV)/bin/jupyter lab $(LAB_ROOT) --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks

## lint: the pre-commit hooks (.pre-commit-config.yaml) on every tracked file: ruff (lint and format), notebooks
## without outputs (nbstripout), no large file, mypy on src/. A hook that changes a file fails the run, so a
## notebook with outputs fails lint (and is left stripped, to commit). The rest of tests/test_notebooks_clean.py
## (parameters cell, kernel, pandas only) runs with the test suite.
lint: $(STAMP)
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

## test: lint, then the test suite on two workers (what CI runs; tests/README.md); installs Debian's Chromium for the browser test where it may
test: $(STAMP) browser lint
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

## browser: Debian's chromium and chromium-driver for the browser test (apt-get, as root or with sudo).
## Where neither is possible the browser test skips and says why; in CI (CI set) that is an error.
browser:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "browser: cannot install chromium (not root, no sudo): the browser test will skip"; \
	     [ -z "$$CI" ] || exit 1; exit 0; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    chromium chromium-driver fonts-dejavu-core >/dev/null \
	|| { echo "browser: apt-get could not install chromium: the browser test will skip"; [ -z "$$CI" ] || exit 1; }

## sample: write the synthetic sample to data/sample
sample: $(STAMP)
	$(PY) -m crimeoutcomes sample --out data/sample

## bench: the speed and memory figures of docs/benchmarks.md (reader, all years, reports); about an hour with pandas.
## `make bench QUICK=1`: no pandas, 4 full-size years instead of 12, reports at --jobs 2 only; each ratio the
## median of 3 alternated runs
BENCH_READ := $(if $(QUICK),--skip-pandas --repeat 3,)
BENCH_YEARS := $(if $(QUICK),--years 4 --repeat 3,)
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -u benchmarks/bench_read.py $(BENCH_READ)
	$(PY) -u benchmarks/bench_all_years.py $(BENCH_YEARS)
	$(PY) -u benchmarks/bench_reports.py $(if $(QUICK),--quick,)

clean:
	rm -rf data/cache data/sample reports/sample figures/sample site

## mutation: mutmut on the modules that compute published numbers, with the fast tests ([tool.mutmut] in
## pyproject.toml), not part of `make test`/CI. MUTANTS narrows it to some modules, e.g.
## `make mutation MUTANTS='crimeoutcomes.stats.change.*'`; MUTATION_JOBS sets the workers (default 1, since
## the machine is shared). The stats modules take about 50 minutes with one worker. The score is in the
## docs/testing.md (Mutation score); `mutmut results` lists survivors, `mutmut show NAME` shows one.
MUTATION_JOBS ?= 1
MUTANTS ?=
mutation: $(STAMP)
	$(PY) -m pip install --quiet -e ".[mutation]"
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) $(foreach m,$(MUTANTS),'$(m)')
	$(VENV)/bin/mutmut results
