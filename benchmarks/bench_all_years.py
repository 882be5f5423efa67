"""Twelve full-size years read cold into the tidy multi-year table, then warm (from the cache).

Generates full-size synthetic outcomes workbooks for 2014/15 to 2025/26 (about 700k rows each) in
a temporary folder, then times, each in its own process: the cold read (parse every workbook and
fill the cache) and the warm read (the same call, every file a cache hit). Prints one line each.

    python benchmarks/bench_all_years.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2026)]

LOAD = """
import json, resource, sys, time
from pathlib import Path
from crimeoutcomes.data.load import load_outcomes
paths = sorted(Path(sys.argv[1]).glob("*.xlsx"))
start = time.perf_counter()
table = load_outcomes(paths, cache_dir=Path(sys.argv[2]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": table.height, "years": table["financial_year"].n_unique(),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

GENERATE = """
import sys
from pathlib import Path
from crimeoutcomes.synthetic.sample import outcomes_filename, write_outcomes_workbook
year = sys.argv[1]
write_outcomes_workbook(Path(sys.argv[2]) / outcomes_filename(year), year, full_size=True)
"""


def run(code: str, *arguments: str) -> dict | None:
    result = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr)
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp) / "raw", Path(tmp) / "cache"
        folder.mkdir()
        started = time.perf_counter()
        for year in YEARS:
            run(GENERATE, year, str(folder))
        size = sum(p.stat().st_size for p in folder.glob("*.xlsx")) / 1e6
        print(f"generated {len(YEARS)} full-size years ({size:,.0f} MB) in {time.perf_counter() - started:.1f} s")
        cold = run(LOAD, str(folder), str(cache))
        print(
            f"cold: {cold['years']} years, {cold['rows']:,} rows read and cached in {cold['seconds']:.1f} s, "
            f"peak RSS {cold['peak_mb']:,.0f} MB"
        )
        warm = run(LOAD, str(folder), str(cache))
        print(
            f"warm: the same table from the cache in {warm['seconds']:.2f} s, peak RSS {warm['peak_mb']:,.0f} MB "
            f"(target under 2 s)"
        )


if __name__ == "__main__":
    main()
