"""Incremental re-runs, and a warm run of every notebook for one year against the floor: as many
empty notebooks run and exported the same way (papermill, nbconvert, summary.json, index page),
with --jobs 1 and 2.

Incremental: a full build, then a re-run with nothing changed, then a re-run after a markdown cell of
one notebook changed (a copy of the notebooks), each timed as a whole process and side by side with
the full build; the log says which notebooks ran.

Another question (``--question``, issue 28): with a cache of its own, the default build (cold: every
workbook parsed), then the charges for rape offences into the same output folder (the tidy table
read from the cache: no workbook parsed again, checked on the cache's files), then the default again
warm, side by side as ratios; then the question re-run with nothing changed.

The data is the synthetic sample (written to a temporary folder); a first run fills the cache, so
every timed run is warm. Each run is a fresh process. Prints one line per figure.

    python benchmarks/bench_reports.py [--incremental-only] [--quick: --jobs 2 only] [--question]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = (
    'financial_year = "latest"\ncount_basis = "closed"\nfirst_year = "2014/15"\ndata_folder = ""\noutput_root = ""'
)

REPEAT = 3

RUN = """
import sys
from pathlib import Path
from crimeoutcomes.build import pipeline
log = []
import json
pipeline.run(source="local", raw_dir=Path(sys.argv[1]), out=Path(sys.argv[2]), notebooks_dir=Path(sys.argv[3]),
             jobs=int(sys.argv[4]), log=log.append, **json.loads(sys.argv[5]))
print("\\n".join(line.split(": ")[0].split("] ")[1] for line in log if line.endswith(": running")))
"""


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _parameters_of(notebook: Path) -> str:
    """The notebook's own parameters cell: the floor runs each notebook as often as the build does (05
    declares ``force``, so the build runs it once a force)."""
    document = nbformat.read(notebook, as_version=4)
    cells = [c for c in document.cells if "parameters" in c.metadata.get("tags", [])]
    return cells[0].source if cells else PARAMETERS


def empty_notebooks(folder: Path, names: list[str], real: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        parameters = new_code_cell(_parameters_of(real / f"{name}.ipynb"))
        parameters.metadata["tags"] = ["parameters"]
        notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"), parameters])
        notebook.metadata["kernelspec"] = {"name": "crimeoutcomes", "display_name": "Python", "language": "python"}
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def timed(
    raw: Path,
    out: Path,
    notebooks: Path,
    jobs: int,
    ran: list | None = None,
    cpu: list | None = None,
    cache: Path | None = None,
    **options,
) -> float:
    """Seconds for one run in a fresh process; ``ran`` gets the names of the notebooks it ran, ``cpu``
    the CPU seconds of the run's whole process tree (kernels included: less swayed by other load);
    ``cache``: a cache folder of its own; ``options``: more of ``pipeline.run``'s arguments."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", RUN, str(raw), str(out), str(notebooks), str(jobs), json.dumps(options)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | ({} if cache is None else {"CRIMEOUTCOMES_CACHE": str(cache)}),
    )
    if result.returncode:
        raise SystemExit(result.stderr)
    if ran is not None:
        ran[:] = result.stdout.split()
    if cpu is not None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[:] = [after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime]
    return time.perf_counter() - started


def edit_markdown(notebook: Path) -> None:
    document = nbformat.read(notebook, as_version=4)
    next(c for c in document.cells if c.cell_type == "markdown").source += "\n\nEdited for the benchmark."
    nbformat.write(document, notebook)


def incremental(raw: Path, tmp: Path, real: Path) -> None:
    notebooks = Path(shutil.copytree(real, tmp / "notebooks-copy"))
    out = tmp / "incremental"
    ran: list[str] = []
    full = timed(raw, out, notebooks, 2, ran)
    print(f"full build: {len(ran)} notebooks in {full:.1f} s")
    unchanged = timed(raw, out, notebooks, 2, ran)
    print(
        f"re-run, nothing changed: {unchanged:.2f} s ({unchanged / full:.3f} of the full build), "
        f"{len(ran)} notebooks run (target <= 3 s, none)"
    )
    changed = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))[1]
    edit_markdown(changed)
    one = timed(raw, out, notebooks, 2, ran)
    print(
        f"re-run, {changed.name} changed: {one:.1f} s ({one / full:.2f} of the full build), ran "
        f"{', '.join(ran) or 'nothing'} (target: that notebook only)"
    )


def _parsed_workbooks(cache: Path) -> dict[str, float]:
    """The cache's parsed source files (one Parquet file per workbook read) and when each was written."""
    return {p.name: p.stat().st_mtime for p in cache.glob("*.parquet")}


def another_question(raw: Path, tmp: Path, real: Path) -> None:
    cache, out = tmp / "question-cache", tmp / "question-out"
    rape_charges = {"offences": "Rape offences", "outcome_types": "1"}
    ran: list[str] = []
    cold = timed(raw, out, real, 2, ran, cache=cache)
    parsed = _parsed_workbooks(cache)
    print(
        f"default question, cold cache: {len(ran)} runs (a report or a batch of force pages) in {cold:.1f} s "
        f"({len(parsed)} workbooks parsed)"
    )
    second = timed(raw, out, real, 2, ran, cache=cache, **rape_charges)
    again = _parsed_workbooks(cache) == parsed
    warm = timed(raw, out, real, 2, cache=cache, rebuild=True)
    print(
        f"then charges for rape offences: {len(ran)} runs in {second:.1f} s, "
        f"{'no workbook parsed again' if again else 'WORKBOOKS PARSED AGAIN'}; "
        f"ratio {second / cold:.2f} of the default's cold build, {second / warm:.2f} of its warm rebuild ({warm:.1f} s)"
    )
    unchanged = timed(raw, out, real, 2, ran, cache=cache, **rape_charges)
    print(f"the question re-run, nothing changed: {unchanged:.2f} s, {len(ran)} runs")


def main() -> None:
    from crimeoutcomes.synthetic.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = write_sample(tmp / "sample").folder
        real = ROOT / "notebooks"
        names = sorted(p.stem for p in real.glob("[0-9][0-9]_*.ipynb"))
        empty = empty_notebooks(tmp / "empty", names, real)
        if "--question" in sys.argv:
            another_question(raw, tmp, real)
            return
        timed(raw, tmp / "warm-up", real, 2)  # fills the cache and the kernel's first-run caches
        incremental(raw, tmp, real)
        if "--incremental-only" in sys.argv:
            return
        for jobs in (2,) if "--quick" in sys.argv else (1, 2):
            walls: dict[str, list[float]] = {"ours": [], "floor": []}
            cpus: dict[str, list[float]] = {"ours": [], "floor": []}
            for run in range(REPEAT):  # alternated, so that both see the same load
                for kind, folder in (("ours", real), ("floor", empty)):
                    cpu: list[float] = []
                    walls[kind].append(timed(raw, tmp / f"{kind}-{jobs}-{run}", folder, jobs, cpu=cpu))
                    cpus[kind].append(cpu[0])
            ours, floor = median(walls["ours"]), median(walls["floor"])
            print(
                f"--jobs {jobs}: {len(names)} notebooks (force pages included) {ours:.1f} s, "
                f"the same empty {floor:.1f} s, "
                f"ratio {ours / floor:.2f} wall, {median(cpus['ours']) / median(cpus['floor']):.2f} CPU "
                f"(median of {REPEAT}, alternated; target 1.5)"
            )


if __name__ == "__main__":
    main()
