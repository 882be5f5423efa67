"""Load the tidy tables through the cache (polars: pandas is for the notebooks, see ``frames``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from crimeoutcomes.data.cache import cached_parse, uncached
from crimeoutcomes.data.digests import sha256_of
from crimeoutcomes.data.read import OUTCOMES, PARSERS, RECORDED_CRIME, detect_kind
from crimeoutcomes.errors import CrimeOutcomesError


def load_table(
    path: str | Path, kind: str | None = None, *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    kind = kind or detect_kind(path)
    return cached_parse(path, kind, PARSERS[kind], cache_dir=cache_dir, use_cache=use_cache)


#: Worker processes parsing the files not yet cached. One: a parse peaks near 0.8 GB, so two side by
#: side doubled the peak (1.67 GB for four full-size years, against 0.78 GB for one year read in
#: this process) for at best half the wall time, on a machine whose other core is rarely idle.
PARSE_WORKERS = 1


def fill_cache(
    files: Sequence[str | Path], kind: str, *, cache_dir: Path | None = None, workers: int | None = None
) -> list[Path]:
    """Parse every file not yet cached, each into its own cache file, in worker processes: the calling
    process never holds a workbook's loaded cells, so reading many years cold costs the memory of
    one year's parse (per worker), not of all of them. Returns the files given to the workers.

    The workers are plain ``python -m crimeoutcomes.data.load`` processes, not multiprocessing's,
    which would re-run the caller's script in each worker when it has no ``__main__`` guard. A file a
    worker could not parse is left uncached: the caller's own parse then raises its error."""
    missing = uncached([Path(f) for f in files], kind, cache_dir)
    if len(missing) < 2:
        return []  # one file is parsed in this process: no worker start-up to pay
    workers = min(workers or PARSE_WORKERS, os.cpu_count() or 1, len(missing))
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    running = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crimeoutcomes.data.load",
                kind,
                str(cache_dir or ""),
                *map(str, missing[i::workers]),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(workers)
    ]
    for process in running:
        process.wait()
    return missing


def _worker(kind: str, cache_dir: str, *paths: str) -> None:
    for path in paths:
        try:
            load_table(path, kind, cache_dir=Path(cache_dir) if cache_dir else None)
        except Exception:  # noqa: S112 - the caller's own parse raises it, with its full message
            continue


#: The table last loaded in this process, by its files' bytes (sha256). The force pages run one after
#: another in one kernel, each reading the same years: from here the second read costs nothing
#: (0.24 s to 0.01 s a page on the sample's twelve years). polars frames are not changed in place, so sharing is safe.
_LAST_LOADED: dict[tuple, pl.DataFrame] = {}


def load_outcomes(
    files: Sequence[str | Path], *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    """One outcomes table from several workbooks, one release per financial year (those not yet
    cached are first parsed into the cache by a worker process, see ``fill_cache``)."""
    if use_cache:
        fill_cache(files, OUTCOMES, cache_dir=cache_dir)
    key = None
    if use_cache and all(Path(f).is_file() for f in files):  # a missing file: the parser names it below
        key = (str(cache_dir), *sha256_of([Path(f) for f in files], cache_dir).values())
        if key in _LAST_LOADED:
            return _LAST_LOADED[key]
    frames: list[pl.DataFrame] = []
    seen: dict[str, str | Path] = {}
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
    table = pl.concat(frames, how="vertical")
    if key is not None:
        _LAST_LOADED.clear()  # one table held, not one a call
        _LAST_LOADED[key] = table
    return table


def load_recorded_crime(path: str | Path, *, use_cache: bool = True, cache_dir: Path | None = None) -> pl.DataFrame:
    return load_table(path, RECORDED_CRIME, use_cache=use_cache, cache_dir=cache_dir)


if __name__ == "__main__":  # a worker of fill_cache
    _worker(*sys.argv[1:])
