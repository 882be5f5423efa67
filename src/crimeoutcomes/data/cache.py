"""Parquet cache of parsed source files, keyed by the source's sha256 and the schema version.

A cache hit never re-parses. A cache file is written under a temporary name and renamed, so a
half-written one can never be read; one that cannot be read is discarded and rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from crimeoutcomes import config
from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.data.digests import file_sha256, sha256_of
from crimeoutcomes.data.digests import sha256 as remembered_sha256
from crimeoutcomes.data.schema import SCHEMA_VERSION

__all__ = ["cache_path", "cached_parse", "uncached", "file_sha256", "write_csv_atomic", "write_parquet_atomic"]


def cache_path(kind: str, sha256: str, cache_dir: Path | None = None) -> Path:
    return (cache_dir or config.cache_dir()) / f"{kind}-{sha256}-v{SCHEMA_VERSION}.parquet"


def uncached(sources: list[Path], kind: str, cache_dir: Path | None = None) -> list[Path]:
    """The files among ``sources`` with no cache file yet (each hashed once, and remembered)."""
    files = [Path(s) for s in sources if Path(s).is_file()]
    digests = sha256_of(files, cache_dir)
    return [f for f in files if not cache_path(kind, digests[f], cache_dir).is_file()]


def write_parquet_atomic(frame: pl.DataFrame, target: Path) -> Path:
    return write_atomically(target, lambda tmp: frame.write_parquet(tmp, compression="zstd", statistics=True))


def cached_parse(
    source: str | Path,
    kind: str,
    parse: Callable[[Path], pl.DataFrame],
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> pl.DataFrame:
    """``parse(source)``, or its cached result for a source with the same bytes."""
    source = Path(source)
    if not use_cache:
        return parse(source)
    if not source.is_file():
        return parse(source)  # the parser names the problem (missing file, folder ...)
    target = cache_path(kind, remembered_sha256(source, cache_dir), cache_dir)
    if target.is_file():
        try:
            return pl.read_parquet(target)
        except Exception:
            target.unlink(missing_ok=True)  # unreadable (damaged disk, foreign file): rebuild it
    frame = parse(source)
    write_parquet_atomic(frame, target)
    return frame


def write_csv_atomic(frame: pl.DataFrame, target: Path) -> Path:
    return write_atomically(target, frame.write_csv)
