"""Load the tidy tables through the cache (polars: pandas is for the notebooks, see ``frames``)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path

import polars as pl

from crimeoutcomes.data.cache import cached_parse, uncached
from crimeoutcomes.data.read import OUTCOMES, PARSERS, RECORDED_CRIME, detect_kind
from crimeoutcomes.errors import CrimeOutcomesError


def load_table(
    path: str | Path, kind: str | None = None, *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    kind = kind or detect_kind(path)
    return cached_parse(path, kind, PARSERS[kind], cache_dir=cache_dir, use_cache=use_cache)


#: Workbooks parsed side by side when several are not yet cached: each parse peaks near 0.7 GB.
PARSE_WORKERS = 2


def _fill_cache(path: Path, kind: str, cache_dir: Path | None) -> bool:
    """Parse one file into its cache file in a worker process; the table stays there. A failure is
    left for the caller's own parse to raise, in its own process, with its full message."""
    try:
        load_table(path, kind, cache_dir=cache_dir)
    except Exception:
        return False
    return True


def fill_cache(
    files: Sequence[str | Path], kind: str, *, cache_dir: Path | None = None, workers: int | None = None
) -> list[Path]:
    """Parse every file not yet cached, each into its own cache file, in worker processes: the calling
    process never holds a workbook's loaded cells, so reading many years cold costs the memory of
    ``workers`` years, not of all of them. Returns the files parsed."""
    missing = uncached([Path(f) for f in files], kind, cache_dir)
    workers = min(workers or PARSE_WORKERS, os.cpu_count() or 1, len(missing))
    if len(missing) < 2:
        return []  # one file is parsed in this process: no worker start-up to pay
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_fill_cache, missing, repeat(kind), repeat(cache_dir)))
    return missing


def load_outcomes(
    files: Sequence[str | Path], *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    """One outcomes table from several workbooks, one release per financial year (those not yet
    cached are first parsed side by side into the cache, see ``fill_cache``)."""
    if use_cache:
        fill_cache(files, OUTCOMES, cache_dir=cache_dir)
    frames, seen = [], {}
    for path in files:
        frame = load_table(path, OUTCOMES, use_cache=use_cache, cache_dir=cache_dir)
        for year in frame["financial_year"].unique().sort().to_list():
            if year in seen:
                raise CrimeOutcomesError(
                    f"{seen[year]} and {path} both hold {year}: pass one release of each year "
                    "(compare releases with 'python -m crimeoutcomes diff')"
                )
            seen[year] = path
        frames.append(frame)
    if not frames:
        raise CrimeOutcomesError("no outcomes files given")
    return pl.concat(frames, how="vertical")


def load_recorded_crime(path: str | Path, *, use_cache: bool = True, cache_dir: Path | None = None) -> pl.DataFrame:
    return load_table(path, RECORDED_CRIME, use_cache=use_cache, cache_dir=cache_dir)
