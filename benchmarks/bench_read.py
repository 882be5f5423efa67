"""Time the reader on a full-size synthetic outcomes workbook (712,448 rows, as 2024/25).

Each measurement runs in its own Python process, so its peak memory (resident set size, which
counts the Rust reader's allocations too) is its own. Prints one line per figure.

    python benchmarks/bench_read.py [--skip-pandas]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURES = {
    "bare fastexcel -> Arrow (data sheet, types inferred)": """
import fastexcel
reader = fastexcel.read_excel(PATH)
sheet = [s for s in reader.sheet_names if 'open data' in s.lower() or 'open_data' in s.lower()][0]
table = reader.load_sheet(sheet).to_arrow()
rows = table.num_rows
""",
    "crimeoutcomes parse (no cache) -> tidy table": """
from crimeoutcomes.read import parse_outcomes
rows = parse_outcomes(PATH).height
""",
    "crimeoutcomes load, cache hit": """
from crimeoutcomes.tables import load_table
rows = load_table(PATH, 'outcomes', cache_dir=CACHE).height
""",
    "pandas.read_excel, default engine (openpyxl)": """
import pandas as pd
frame = pd.read_excel(PATH, sheet_name=-1)
rows = len(frame)
""",
}

GENERATE = """
from crimeoutcomes.sample import write_outcomes_workbook
rows = write_outcomes_workbook(Path(PATH), "2024/25", full_size=True).height
"""
FILL_CACHE = """
from crimeoutcomes.read import parse_outcomes
from crimeoutcomes.store import cached_parse
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


def measure(body: str, path: Path, cache: Path) -> dict:
    code = _RUNNER.format(body=body)
    result = subprocess.run([sys.executable, "-c", code, str(path), str(cache)], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pandas", action="store_true", help="leave out pandas.read_excel (minutes)")
    args = parser.parse_args()
    # This process stays small: Linux carries a process's peak RSS into the children it starts,
    # so the heavy work (generating, filling the cache) runs in children too.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "full-size-2024-25.xlsx"
        cache = Path(tmp) / "cache"
        made = measure(GENERATE, path, cache)
        print(f"generate full-size workbook: {made['seconds']:.1f} s, {path.stat().st_size / 1e6:.1f} MB")
        measure(FILL_CACHE, path, cache)
        results = {}
        for name, body in MEASURES.items():
            if args.skip_pandas and name.startswith("pandas"):
                continue
            results[name] = r = measure(body, path, cache)
            print(f"{name}: {r['seconds']:.2f} s, peak {r['peak_mb']:.0f} MB, {r['rows']:,} rows", flush=True)
        ours = results["crimeoutcomes parse (no cache) -> tidy table"]["seconds"]
        bare = results["bare fastexcel -> Arrow (data sheet, types inferred)"]["seconds"]
        print(f"ratio crimeoutcomes / bare fastexcel: {ours / bare:.2f}x")
        if "pandas.read_excel, default engine (openpyxl)" in results:
            pandas = results["pandas.read_excel, default engine (openpyxl)"]["seconds"]
            print(f"speed-up over pandas.read_excel: {pandas / ours:.1f}x")


if __name__ == "__main__":
    main()
