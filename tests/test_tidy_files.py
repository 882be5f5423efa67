"""python -m crimeoutcomes read --out: Parquet, CSV or gzipped CSV by suffix, each read back with
plain pandas as the docs say, against the generator's own truth."""

import gzip
import json
import shutil

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import sample_truth

from crimeoutcomes import cli
from crimeoutcomes.data.tidy_files import read_csv_options

# reads go through the run's shared cache of parsed workbooks (this file tests the tidy files, not the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")
YEARS = ["2014/15", "2024/25"]  # 2014/15 has forces' data not provided: whole force-quarters of NA

#: The dtypes the README and datapackage.json tell a reader to pass to pd.read_csv, written out here
#: (not imported) so that the test checks what a reader is told.
DOCUMENTED_CSV = {
    "dtype": {
        "data": "string",
        "quarter": "Int8",
        "recorded": "Int64",
        "closed": "Int64",
        "offence_code": "string",
        "outcome_type": "string",
        "offence_code_expired": "boolean",
        "note": "string",
    },
    "keep_default_na": False,
    "na_values": [""],
}


def _read_back(path) -> pd.DataFrame:
    if path.name.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, **DOCUMENTED_CSV)


@pytest.fixture(scope="module")
def truth() -> pl.DataFrame:
    return pl.concat([sample_truth(y) for y in YEARS])


@pytest.mark.parametrize("name", ["tidy.csv", "tidy.csv.gz", "tidy.parquet"])
def test_read_out_round_trips_through_plain_pandas(sample_files, truth, tmp_path, name, capsys):
    out = tmp_path / name
    assert cli.main(["read", *(str(sample_files.outcomes[y]) for y in YEARS), "--out", str(out)]) == 0
    assert "SYNTHETIC" in capsys.readouterr().err
    got = _read_back(out)
    if not name.endswith(".parquet"):  # the helper the module offers reads the same, with categories
        helped = pd.read_csv(out, **read_csv_options(out))
        assert isinstance(helped["force"].dtype, pd.CategoricalDtype)
        # Every category column compared as text on both sides: a category against a text column is
        # compared cell by cell in Python (half a minute); as text, the same values in a second.
        as_text = {c: "string" for c in helped.columns if isinstance(helped[c].dtype, pd.CategoricalDtype)}
        pd.testing.assert_frame_equal(helped.astype(as_text), got.astype(as_text), check_dtype=False)
    assert list(got.columns) == ["data", *truth.columns]
    assert (got["data"] == "SYNTHETIC DATA").all()
    assert len(got) == truth.height
    for column in ("recorded", "closed"):
        assert got[column].dtype == "Int64", column
        # NA exactly where the workbook has a marker, never 0; the numbers equal elsewhere
        assert got[column].isna().tolist() == truth[column].is_null().to_list(), column
        assert got[column].fillna(-999_999).tolist() == truth[column].fill_null(-999_999).to_list(), column
    assert truth["recorded"].is_null().sum() > 0 and truth["closed"].is_null().sum() > 0
    for column in ("financial_year", "force", "offence_code", "outcome_type", "offence_description"):
        assert got[column].astype(str).tolist() == truth[column].cast(pl.String).to_list(), column
    assert got["quarter"].tolist() == truth["quarter"].to_list()
    assert got["note"].fillna("<none>").tolist() == truth["note"].fill_null("<none>").to_list()
    assert got["offence_code_expired"].tolist() == truth["offence_code_expired"].to_list()


def test_parquet_keeps_the_pandas_dtypes_and_says_synthetic(sample_files, tmp_path):
    out = tmp_path / "tidy.parquet"
    assert cli.main(["read", str(sample_files.outcomes["2024/25"]), "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    for column in ("force", "offence_code", "outcome_type", "financial_year", "offence_group"):
        assert isinstance(got[column].dtype, pd.CategoricalDtype), column
    assert str(got["quarter"].dtype) == "Int8" and str(got["recorded"].dtype) == "Int64"
    metadata = json.loads(pq.read_schema(out).metadata[b"crimeoutcomes"])
    assert metadata["synthetic"] is True and "SYNTHETIC" in metadata["notice"]


def test_gzipped_csv_has_no_name_or_time_and_the_same_bytes_twice(sample_files, tmp_path):
    first, second = tmp_path / "a.csv.gz", tmp_path / "b" / "a.csv.gz"
    for out in (first, second):
        assert cli.main(["read", str(sample_files.outcomes["2024/25"]), "--out", str(out)]) == 0
    raw = first.read_bytes()
    assert raw == second.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[4:8] == b"\0\0\0\0"  # mtime 0
    assert not raw[3] & 0x08  # FNAME flag clear: no file name stored
    text = gzip.decompress(raw).decode("utf-8")
    assert text.splitlines()[0].startswith("data,financial_year,quarter,force")


def test_files_not_from_the_sample_have_no_synthetic_column(sample_files, tmp_path):
    folder = tmp_path / "hand-copied"
    folder.mkdir()
    copy = folder / "prc-outcomes-open-data-mar2025-tables-241025.xlsx"  # no manifest, a Home Office name
    shutil.copy(sample_files.outcomes["2024/25"], copy)
    out = tmp_path / "tidy.csv"
    assert cli.main(["read", str(copy), "--out", str(out)]) == 0
    got = pd.read_csv(out, **DOCUMENTED_CSV)
    assert got.columns[0] == "financial_year" and "data" not in got.columns
    assert got["recorded"].isna().sum() == sample_truth("2024/25")["recorded"].is_null().sum()


@pytest.mark.parametrize("name", ["tidy.txt", "tidy.json", "tidy", "tidy.csv.zip", ".csv"])
def test_an_unknown_suffix_is_refused_before_anything_is_written(sample_files, tmp_path, capsys, name):
    out = tmp_path / "out" / name
    assert cli.main(["read", str(sample_files.outcomes["2024/25"]), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--out" in err and ".parquet" in err and ".csv.gz" in err and name in err
    assert not (tmp_path / "out").exists()
