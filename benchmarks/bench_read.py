"""Time the reader on a full-size synthetic outcomes workbook (712,448 rows, as 2024/25) and on a
full-size recorded-crime ods (one sheet a year, 2012/13 to 2024/25).

Each measurement runs in its own Python process, so its peak memory (resident set size, which
counts the Rust reader's allocations too) is its own. Prints one line per figure. pandas on the
ods (odfpy) is stopped after --pandas-timeout seconds and reported as "more than" that.

On a real-shaped 2024/25 workbook (the real rows and their long descriptions, rebuilt from
../shared/realdata in a temporary folder as the real-data tests do) the parse and the bare read are
alternated --repeat times and the medians compared; without ../shared that row is skipped.

    python benchmarks/bench_read.py [--skip-pandas] [--kind outcomes|recorded_crime|real|all] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CRIMEOUTCOMES_SHARED", ROOT.parent / "shared"))

# The real-data tests' own rebuild (tests/realdata_rebuild.py), so the benchmark reads what they check.
BUILD_REAL = """
sys.path.insert(0, sys.argv[4])
from realdata_rebuild import real_outcome_rows, write_outcomes_2024_25
real = real_outcome_rows(Path(sys.argv[3]))
write_outcomes_2024_25(real, Path(PATH))
rows = real.height
"""

MEASURES = {
    "bare fastexcel -> Arrow (data sheet, types inferred)": """
import fastexcel
reader = fastexcel.read_excel(PATH)
sheet = [s for s in reader.sheet_names if 'open data' in s.lower() or 'open_data' in s.lower()][0]
table = reader.load_sheet(sheet).to_arrow()
rows = table.num_rows
""",
    "crimeoutcomes parse (no cache) -> tidy table": """
from crimeoutcomes.data.read import parse_outcomes
rows = parse_outcomes(PATH).height
""",
    "crimeoutcomes load, cache hit": """
from crimeoutcomes.data.load import load_table
rows = load_table(PATH, 'outcomes', cache_dir=CACHE).height
""",
    "pandas.read_excel, default engine (openpyxl)": """
import pandas as pd
frame = pd.read_excel(PATH, sheet_name=-1)
rows = len(frame)
""",
}

ODS_MEASURES = {
    "bare fastexcel -> Arrow (every year sheet, types inferred)": """
import fastexcel
reader = fastexcel.read_excel(PATH)
rows = sum(reader.load_sheet(name).to_arrow().num_rows for name in reader.sheet_names
           if name[:4].isdigit())
""",
    "crimeoutcomes parse (no cache) -> tidy table": """
from crimeoutcomes.data.read import parse_recorded_crime
rows = parse_recorded_crime(PATH).height
""",
    "crimeoutcomes load, cache hit": """
from crimeoutcomes.data.load import load_table
rows = load_table(PATH, 'recorded_crime', cache_dir=CACHE).height
""",
    "pandas.read_excel, default engine (odf)": """
import pandas as pd
frames = pd.read_excel(PATH, sheet_name=None)
rows = sum(len(f) for name, f in frames.items() if name[:4].isdigit())
""",
}
GENERATE_ODS = """
from crimeoutcomes.synthetic.sample import write_recorded_crime_workbook
rows = write_recorded_crime_workbook(Path(PATH), "2024/25", full_size=True).height
"""
FILL_ODS_CACHE = """
from crimeoutcomes.data.read import parse_recorded_crime
from crimeoutcomes.data.cache import cached_parse
rows = cached_parse(PATH, "recorded_crime", parse_recorded_crime, cache_dir=CACHE).height
"""

GENERATE = """
from crimeoutcomes.synthetic.sample import write_outcomes_workbook
rows = write_outcomes_workbook(Path(PATH), "2024/25", full_size=True).height
"""
FILL_CACHE = """
from crimeoutcomes.data.read import parse_outcomes
from crimeoutcomes.data.cache import cached_parse
rows = cached_parse(PATH, "outcomes", parse_outcomes, cache_dir=CACHE).height
"""

_RUNNER = """
import json, resource, sys, time
from pathlib import Path
PATH, CACHE = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak, "rows": rows}}))
"""


def measure(body: str, path: Path, cache: Path, timeout: float | None = None, *extra: str) -> dict:
    code = _RUNNER.format(body=body)
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path), str(cache), *extra], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"seconds": timeout, "peak_mb": float("nan"), "rows": 0, "stopped": True}
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench(label: str, suffix: str, generate: str, fill: str, measures: dict, args) -> None:
    # This process stays small: Linux carries a process's peak RSS into the children it starts,
    # so the heavy work (generating, filling the cache) runs in children too.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"full-size{suffix}"
        cache = Path(tmp) / "cache"
        made = measure(generate, path, cache)
        print(
            f"{label}: generated in {made['seconds']:.1f} s, {path.stat().st_size / 1e6:.1f} MB, {made['rows']:,} rows"
        )
        measure(fill, path, cache)
        results = {}
        for name, body in measures.items():
            if args.skip_pandas and name.startswith("pandas"):
                continue
            timeout = args.pandas_timeout if name.startswith("pandas") else None
            results[name] = r = measure(body, path, cache, timeout)
            if r.get("stopped"):
                print(f"  {name}: stopped after {r['seconds']:.0f} s (more than that)", flush=True)
            else:
                print(f"  {name}: {r['seconds']:.2f} s, peak {r['peak_mb']:.0f} MB, {r['rows']:,} rows", flush=True)
        ours = results["crimeoutcomes parse (no cache) -> tidy table"]["seconds"]
        bare = next(r["seconds"] for n, r in results.items() if n.startswith("bare"))
        print(f"  ratio crimeoutcomes / bare fastexcel: {ours / bare:.2f}x (target at most 1.5x)")
        pandas = next((r for n, r in results.items() if n.startswith("pandas")), None)
        if pandas:
            more = "more than " if pandas.get("stopped") else ""
            print(f"  speed-up over pandas.read_excel: {more}{pandas['seconds'] / ours:.1f}x (target at least 10x)")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def bench_real(args) -> None:
    """The reader against the bare read on the real strings, alternated, medians compared."""
    if not (SHARED / "realdata").is_dir():
        print(f"real-shaped outcomes 2024/25: skipped ({SHARED / 'realdata'} not found)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outcomes-2024-25.xlsx"
        made = measure(BUILD_REAL, path, Path(tmp), None, str(SHARED), str(ROOT / "tests"))
        print(f"real-shaped outcomes 2024/25: rebuilt in {made['seconds']:.1f} s, {made['rows']:,} rows")
        bare_body = next(b for n, b in MEASURES.items() if n.startswith("bare"))
        ours_body = MEASURES["crimeoutcomes parse (no cache) -> tidy table"]
        runs: dict[str, list[dict]] = {"bare": [], "ours": []}
        for _ in range(args.repeat):
            runs["bare"].append(measure(bare_body, path, Path(tmp)))
            runs["ours"].append(measure(ours_body, path, Path(tmp)))
        bare, ours = (median([r["seconds"] for r in runs[k]]) for k in ("bare", "ours"))
        peak = max(r["peak_mb"] for r in runs["ours"])
        print(f"  bare fastexcel -> Arrow: {bare:.2f} s (median of {args.repeat})")
        print(f"  crimeoutcomes parse (no cache) -> tidy table: {ours:.2f} s, peak {peak:.0f} MB")
        each = ", ".join(f"{o['seconds'] / b['seconds']:.2f}" for b, o in zip(runs["bare"], runs["ours"]))
        print(f"  ratio crimeoutcomes / bare fastexcel: {ours / bare:.2f}x (pairs: {each}; target at most 1.25x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pandas", action="store_true", help="leave out pandas.read_excel (minutes)")
    parser.add_argument("--kind", choices=("outcomes", "recorded_crime", "real", "all"), default="all")
    parser.add_argument("--repeat", type=int, default=3, help="alternated runs on the real-shaped workbook")
    parser.add_argument("--pandas-timeout", type=float, default=1800, help="seconds before pandas is stopped")
    args = parser.parse_args()
    if args.kind in ("real", "all"):
        bench_real(args)
    if args.kind in ("outcomes", "all"):
        bench("outcomes workbook (2024/25)", ".xlsx", GENERATE, FILL_CACHE, MEASURES, args)
    if args.kind in ("recorded_crime", "all"):
        bench("recorded-crime ods (2012/13-2024/25)", ".ods", GENERATE_ODS, FILL_ODS_CACHE, ODS_MEASURES, args)


if __name__ == "__main__":
    main()
