"""The tidy tables written out for other tools: Parquet, CSV or gzipped CSV, chosen by the file's suffix.

Writing is the mirror of reading, so it lives beside the reader: ``python -m crimeoutcomes read``
and each year's data package (``build.data_package``) both write through ``write_tidy``.

- Parquet is written from pandas with the API's dtypes (``frames.to_pandas``), so pyarrow stores
  the pandas metadata and a plain ``pd.read_parquet`` gives back nullable Int64 counts (a missing
  count stays <NA>, never NaN or 0) and categorical keys. Its key-value metadata says whether the
  numbers are synthetic.
- CSV leaves a missing count empty (never 0). Read it back with ``read_csv_options``:
  ``pd.read_csv(path, **read_csv_options(path))`` (the dtypes of ``CSV_DTYPES``: the same as the
  Parquet's but for the two code columns, which come back as text, not categories; only the empty
  cell is missing, so a note reading ``N/A`` stays text).
- ``.csv.gz`` is gzip with no file name and mtime 0: the same table gives the same bytes.
- Built from the synthetic sample, the first column ``data`` says SYNTHETIC DATA on every row (as
  every figure's CSV does), so a number copied out of the file carries the warning with it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import polars as pl

from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.config import SYNTHETIC_COLUMN, SYNTHETIC_MARK
from crimeoutcomes.data.frames import to_pandas
from crimeoutcomes.data.manifest import load_manifest
from crimeoutcomes.errors import CrimeOutcomesError

#: The formats, by the suffix of the file written.
TIDY_SUFFIXES = (".parquet", ".csv", ".csv.gz")
#: The Parquet key-value metadata that says where the numbers come from.
PARQUET_METADATA_KEY = b"crimeoutcomes"

#: How each column of a tidy table reads back from CSV (pandas dtype names).
CSV_DTYPES: dict[str, str] = {
    SYNTHETIC_COLUMN: "string",
    "financial_year": "category",
    "quarter": "Int8",
    "force": "category",
    # The codes as text (4.10 is not 4.1; outcome type "8"): read as "category", pandas would turn
    # the outcome types into numbers.
    "offence_code": "string",
    "offence_description": "category",
    "offence_group": "category",
    "offence_subgroup": "category",
    "offence_code_expired": "boolean",
    "outcome_type": "string",
    "outcome_description": "category",
    "outcome_group": "category",
    "recorded": "Int64",
    "closed": "Int64",
    "offences": "Int64",
    "note": "string",
}


def tidy_format(path: str | Path, option: str = "the output file") -> str:
    """The format ``path`` asks for by its suffix: one of ``TIDY_SUFFIXES``."""
    name = Path(path).name.lower()
    for suffix in sorted(TIDY_SUFFIXES, key=len, reverse=True):  # .csv.gz before .csv
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    raise CrimeOutcomesError(
        f"{option} {path}: the suffix says which format to write; give a name ending in "
        + ", ".join(TIDY_SUFFIXES[:-1])
        + f" or {TIDY_SUFFIXES[-1]}"
    )


def read_csv_options(path: str | Path | None = None, columns: list[str] | None = None) -> dict:
    """Keyword arguments for ``pd.read_csv`` that give a tidy CSV its dtypes back (``columns``: those
    of the file, default: read from its header)."""
    if columns is None:
        if path is None:
            raise ValueError("read_csv_options needs the file or its columns")
        columns = list(pd.read_csv(path, nrows=0).columns)
    return {
        "dtype": {c: CSV_DTYPES[c] for c in columns if c in CSV_DTYPES},
        "keep_default_na": False,
        "na_values": [""],
    }


def for_export(frame: pl.DataFrame | pd.DataFrame, synthetic: bool) -> pd.DataFrame:
    """The table in pandas with the API's dtypes, and the SYNTHETIC column first where it applies."""
    data = frame.copy() if isinstance(frame, pd.DataFrame) else to_pandas(frame)
    if synthetic:
        data.insert(0, SYNTHETIC_COLUMN, pd.Series(SYNTHETIC_MARK, index=data.index, dtype="string"))
    return data


def csv_bytes(data: pd.DataFrame) -> bytes:
    fast = _polars_csv_bytes(data)
    if fast is not None:
        return fast
    return data.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def _polars_csv_bytes(data: pd.DataFrame) -> bytes | None:
    """The bytes pandas' ``to_csv`` writes for a table of text, whole numbers and true/false only,
    written by polars (five times faster on a tidy table); None for anything else (floats, dates),
    whose text the two libraries write differently. Where they differ on text, polars is made to
    agree: it quotes an empty string (made missing here: both are an empty cell in pandas) and a
    carriage return (pandas does not; such a table goes to pandas)."""
    # plain names only (polars renames an empty one; a comma or quote in a header is quoted its own way)
    if not all(isinstance(c, str) and c.isidentifier() for c in data.columns) or not data.columns.is_unique:
        return None
    kinds = [pd.api.types.is_integer_dtype(t) or pd.api.types.is_bool_dtype(t) for t in data.dtypes]
    texts = [c for c, numeric in zip(data.columns, kinds, strict=True) if not numeric]
    if any(not _is_text(data[c]) for c in texts):
        return None
    frame = pl.from_pandas(data)
    text = [pl.col(c).cast(pl.String) for c in texts]
    if texts and frame.select(pl.any_horizontal(e.str.contains("\r", literal=True).any() for e in text)).item():
        return None
    frame = frame.with_columns(
        *(e.replace("", None) for e in text),
        pl.col(pl.Boolean).replace_strict({True: "True", False: "False"}, return_dtype=pl.String),
    )
    return frame.write_csv(line_terminator="\n", null_value="", quote_style="necessary").encode("utf-8")


def _is_text(column: pd.Series) -> bool:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(column.cat.categories, skipna=True) in ("string", "empty")
    return pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")


def gzip_bytes(payload: bytes) -> bytes:
    """gzip with no file name and mtime 0, so that the same payload always gives the same bytes."""
    return gzip.compress(payload, compresslevel=9, mtime=0)


def _write_parquet(data: pd.DataFrame, target: Path, metadata: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(data, preserve_index=False)
    stored = dict(table.schema.metadata or {})
    stored[PARQUET_METADATA_KEY] = json.dumps(metadata, sort_keys=True, ensure_ascii=False).encode("utf-8")
    pq.write_table(table.replace_schema_metadata(stored), target, compression="zstd")


def write_tidy(frame: pl.DataFrame | pd.DataFrame, target: str | Path, *, synthetic: bool) -> Path:
    """Write ``frame`` to ``target`` in the format its suffix names, atomically (nothing is written
    for a suffix it does not know)."""
    tidy_format(target)
    return write_exported(for_export(frame, synthetic), target, synthetic=synthetic)


def write_exported(data: pd.DataFrame, target: str | Path, *, synthetic: bool) -> Path:
    """``write_tidy`` of a table already made ready by ``for_export``."""
    target = Path(target)
    suffix = tidy_format(target)
    if suffix == ".parquet":
        metadata: dict[str, object] = {"synthetic": synthetic}
        if synthetic:
            metadata["notice"] = f"{SYNTHETIC_MARK}: invented by the crimeoutcomes sample generator; not official"
        return write_atomically(target, lambda tmp: _write_parquet(data, tmp, metadata))
    payload = csv_bytes(data)
    if suffix == ".csv.gz":
        payload = gzip_bytes(payload)
    return write_atomically(target, lambda tmp: tmp.write_bytes(payload))


def synthetic_files(paths: list[Path]) -> bool:
    """Whether any of ``paths`` is from the synthetic sample: as the manifest beside it says, or, for a
    file without one, by the sample's file names (as ``source_files.from_folder`` decides)."""
    for path in paths:
        manifest = load_manifest(Path(path).parent)
        entry = next((e for e in manifest.get("files", []) if e.get("filename") == Path(path).name), None)
        if entry is not None and (entry.get("synthetic") or manifest.get("synthetic")):
            return True
        if Path(path).name.lower().startswith("synthetic"):
            return True
    return False
