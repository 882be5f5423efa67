"""A warm run of every notebook for one year against the floor: as many empty notebooks run and
exported the same way (papermill, nbconvert, summary.json, index page), with --jobs 1 and 2.

The data is the synthetic sample (written to a temporary folder); a first run fills the cache, so
every timed run is warm. Each run is a fresh process. Prints one line per figure.

    python benchmarks/bench_reports.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = ('financial_year = "latest"\ncount_basis = "closed"\nfirst_year = "2014/15"\n'
              'data_folder = ""\noutput_root = ""')

RUN = """
import sys
from pathlib import Path
from crimeoutcomes import pipeline
pipeline.run(source="local", raw_dir=Path(sys.argv[1]), out=Path(sys.argv[2]), notebooks_dir=Path(sys.argv[3]),
             jobs=int(sys.argv[4]), log=lambda message: None)
"""


def empty_notebooks(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        parameters = new_code_cell(PARAMETERS)
        parameters.metadata["tags"] = ["parameters"]
        notebook = new_notebook(cells=[new_markdown_cell(f"# {name}"), parameters])
        notebook.metadata["kernelspec"] = {"name": "crimeoutcomes", "display_name": "Python", "language": "python"}
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


def timed(raw: Path, out: Path, notebooks: Path, jobs: int) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", RUN, str(raw), str(out), str(notebooks), str(jobs)],
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(result.stderr)
    return time.perf_counter() - started


def main() -> None:
    from crimeoutcomes.sample import write_sample

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = write_sample(tmp / "sample").folder
        real = ROOT / "notebooks"
        names = sorted(p.stem for p in real.glob("[0-9][0-9]_*.ipynb"))
        empty = empty_notebooks(tmp / "empty", names)
        timed(raw, tmp / "warm-up", real, 2)  # fills the cache and the kernel's first-run caches
        for jobs in (1, 2):
            ours = timed(raw, tmp / f"ours-{jobs}", real, jobs)
            floor = timed(raw, tmp / f"floor-{jobs}", empty, jobs)
            print(f"--jobs {jobs}: {len(names)} notebooks {ours:.1f} s, {len(names)} empty notebooks {floor:.1f} s, "
                  f"ratio {ours / floor:.2f} (target 2)")


if __name__ == "__main__":
    main()
