"""Load the tidy tables through the cache (polars: pandas is for the notebooks, see ``frames``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from crimeoutcomes.data.cache import cached_parse
from crimeoutcomes.data.read import OUTCOMES, PARSERS, RECORDED_CRIME, detect_kind
from crimeoutcomes.errors import CrimeOutcomesError


def load_table(
    path: str | Path, kind: str | None = None, *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    kind = kind or detect_kind(path)
    return cached_parse(path, kind, PARSERS[kind], cache_dir=cache_dir, use_cache=use_cache)


def load_outcomes(
    files: Sequence[str | Path], *, use_cache: bool = True, cache_dir: Path | None = None
) -> pl.DataFrame:
    """One outcomes table from several workbooks, one release per financial year."""
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
