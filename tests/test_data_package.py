"""Each year's data package (reports/<slug>/data/): its tables against independent pandas sums of the
generator's truth, NA kept; frictionless validate on the site's copy; the same bytes twice; the index
links it; build.json records it, so an incremental run rebuilds it when it is damaged."""

import hashlib
import json
import re
import shutil

import pandas as pd
import polars as pl
import pytest
from conftest import sample_truth
from helpers import validate_data_package

from crimeoutcomes.build import data_package, incremental
from crimeoutcomes.build.record import read_record

YEAR = "2024/25"
ROWS = "synthetic-sexual-offences-rows-2024-25"
TOTALS = "synthetic-all-offences-totals-2024-25"
#: As the index page tells a reader to read the CSV.
CSV = {
    "dtype": {
        "quarter": "Int8",
        "recorded": "Int64",
        "closed": "Int64",
        "offence_code": "string",
        "outcome_type": "string",
    },
    "keep_default_na": False,
    "na_values": [""],
}


def _pandas_truth(financial_year: str) -> pd.DataFrame:
    """The generator's rows in pandas (counts nullable), independent of the package's code."""
    truth = sample_truth(financial_year).with_columns(pl.col(pl.Categorical).cast(pl.String))
    frame = truth.to_pandas()
    for column in ("recorded", "closed"):
        frame[column] = pd.array(truth[column].to_list(), dtype="Int64")
    return frame


def _expected_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """Sums by force, quarter and outcome type; an expired code's marker adds nothing, any other NA
    makes the sum NA (skipna=False)."""
    sums = {}
    for column in ("recorded", "closed"):
        kept = rows[~(rows["offence_code_expired"] & rows[column].isna())]
        sums[column] = kept.groupby(["quarter", "force", "outcome_type"])[column].sum(skipna=False, min_count=1)
    return pd.DataFrame(sums)


def _published(folder, stem):
    return pd.read_parquet(folder / f"{stem}.parquet"), pd.read_csv(folder / f"{stem}.csv.gz", **CSV)


def _keys(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(map(str, key)) for key in frame.index]


@pytest.fixture(scope="module")
def package_folder(built):
    return built["reports"] / data_package.FOLDER


def test_sexual_rows_are_every_sexual_offence_row_of_the_year(package_folder):
    truth = _pandas_truth(YEAR)
    wanted = truth[truth["offence_group"] == "Sexual offences"]
    key = ["quarter", "force", "offence_code", "outcome_type"]
    wanted = wanted.set_index(key).sort_index()
    for got in _published(package_folder, ROWS):
        assert (got["data"] == "SYNTHETIC DATA").all()
        assert len(got) == len(wanted) > 0
        got = got.assign(force=got["force"].astype(str), offence_code=got["offence_code"].astype(str))
        got = got.assign(outcome_type=got["outcome_type"].astype(str)).set_index(key).sort_index()
        assert _keys(got) == _keys(wanted)
        for column in ("recorded", "closed"):
            assert got[column].dtype == "Int64"
            assert got[column].isna().tolist() == wanted[column].isna().tolist()
            assert got[column].sum() == wanted[column].sum()
        assert wanted["closed"].isna().any()  # type 0 has no closed count: NA in the package too


def test_totals_equal_independent_sums_with_na_kept(package_folder):
    wanted = _expected_totals(_pandas_truth(YEAR))
    for got in _published(package_folder, TOTALS):
        got = got.assign(force=got["force"].astype(str), outcome_type=got["outcome_type"].astype(str))
        got = got.set_index(["quarter", "force", "outcome_type"]).sort_index()
        assert _keys(got) == _keys(wanted.sort_index())
        for column in ("recorded", "closed"):
            expected = wanted.sort_index()[column]
            assert got[column].dtype == "Int64"
            assert got[column].isna().tolist() == expected.isna().tolist(), column
            assert got[column].dropna().tolist() == expected.dropna().tolist(), column
        type0 = got.xs("0", level="outcome_type")
        assert type0["closed"].isna().all() and (type0["note"] == "N/A").all()  # never 0


def test_totals_are_na_where_a_force_did_not_provide_its_data():
    """2014/15 has force-quarters marked 'data not provided': their totals are NA, never 0."""
    rows = sample_truth("2014/15")
    got = data_package.all_offence_totals(rows, "2014/15").to_pandas().set_index(["quarter", "force", "outcome_type"])
    wanted = _expected_totals(_pandas_truth("2014/15"))
    assert got["recorded"].isna().sort_index().tolist() == wanted["recorded"].isna().sort_index().tolist()
    cumbria = got.xs("Cumbria", level="force")
    assert cumbria["recorded"].isna().all() and cumbria["closed"].isna().all()
    assert set(cumbria["note"]) == {"N/A - data not provided"}
    assert got["recorded"].notna().sum() > 0


def test_a_hand_made_table_sums_as_described():
    def row(code, expired, recorded, closed, note=None):
        return {
            "financial_year": "2024/25",
            "quarter": 1,
            "force": "Kent",
            "offence_code": code,
            "offence_code_expired": expired,
            "outcome_type": "8",
            "outcome_description": "Community resolution",
            "outcome_group": "Out-of-court (informal)",
            "recorded": recorded,
            "closed": closed,
            "note": note,
        }

    rows = pl.DataFrame(
        [row("1", False, 3, 2), row("2", False, 4, None, "N/A - data not provided"), row("3", True, None, 5, "x")],
        schema_overrides={"quarter": pl.Int8},
    )
    (total,) = data_package.all_offence_totals(rows, "2024/25").to_dicts()
    assert total["recorded"] == 7  # the expired code's marker adds nothing
    assert total["closed"] is None  # code 2's closed count is missing: the total is not 2 + 5
    assert total["note"] == "N/A - data not provided"


def test_frictionless_validates_the_sites_copy_of_the_package(built, site, sample_files):
    descriptor = site / "sample" / "2024-25" / data_package.FOLDER / data_package.DESCRIPTOR
    rows = validate_data_package(descriptor)
    truth = sample_truth(YEAR)
    sexual_rows = truth.filter(pl.col("offence_group") == "Sexual offences").height
    cells = truth.select("quarter", "force", "outcome_type").unique().height
    assert rows == {
        f"{ROWS}-csv": sexual_rows,
        f"{ROWS}-parquet": sexual_rows,
        f"{TOTALS}-csv": cells,
        f"{TOTALS}-parquet": cells,
    }
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    assert package["title"].startswith("SYNTHETIC DATA") and "SYNTHETIC DATA" in package["description"]
    assert package["licenses"][0]["name"] == "MIT"  # invented data is not Crown copyright
    (source,) = package["sources"]
    workbook = sample_files.outcomes[YEAR]
    assert source["file"] == workbook.name
    assert source["sha256"] == hashlib.sha256(workbook.read_bytes()).hexdigest()
    for resource in package["resources"]:
        assert resource["name"].startswith("synthetic-") and resource["path"].startswith("synthetic-")
        schema = resource["schema"]
        assert schema["missingValues"] == [""]
        assert schema["fields"][0] == {
            "name": "data",
            "type": "string",
            "description": schema["fields"][0]["description"],
            "constraints": {"required": True, "enum": ["SYNTHETIC DATA"]},
        }
        assert all(f["type"] in ("string", "integer", "boolean") and f["description"] for f in schema["fields"])
        types = {f["name"]: f["type"] for f in schema["fields"]}
        assert types["recorded"] == types["closed"] == types["quarter"] == "integer"
        assert types["outcome_type"] == "string"
    for path in (built["reports"] / data_package.FOLDER).iterdir():
        assert (descriptor.parent / path.name).read_bytes() == path.read_bytes()


def test_the_same_rows_give_the_same_bytes(built, package_folder, tmp_path):
    """Written again in another process's way (from the generator's truth, not the workbook read by the
    build), every file is byte for byte the published one."""
    sources = json.loads((package_folder / data_package.DESCRIPTOR).read_text(encoding="utf-8"))["sources"]
    rows = sample_truth(YEAR)
    for attempt in ("first", "second"):
        data_package.write_data_package(rows, YEAR, True, sources, tmp_path / attempt)
    published = sorted(p.name for p in package_folder.iterdir())
    assert published == sorted(p.name for p in (tmp_path / "first").iterdir())
    for name in published:
        assert (tmp_path / "first" / name).read_bytes() == (package_folder / name).read_bytes(), name
        assert (tmp_path / "second" / name).read_bytes() == (package_folder / name).read_bytes(), name


def test_the_index_links_every_file_with_its_size(built, package_folder):
    page = (built["reports"] / "index.html").read_text(encoding="utf-8")
    assert "Download the data" in page
    links = re.findall(r'href="(data/[^"]+)"', page)
    assert sorted(links) == sorted(f"data/{p.name}" for p in package_folder.iterdir())
    for link in links:
        size = (built["reports"] / link).stat().st_size
        shown = f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:.1f} MB"
        assert f"({shown})" in page, link


def test_build_json_records_the_package_so_a_damaged_file_is_rebuilt(built, package_folder, tmp_path):
    record = read_record(built["reports"])
    for path in package_folder.iterdir():
        entry = record["outputs"][f"data/{path.name}"]
        assert entry == {"built_by": "run_all.py", "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert incremental.damaged_outputs(record, built["reports"], built["figures"]) == []
    copy = tmp_path / "reports"
    shutil.copytree(built["reports"], copy)
    (copy / data_package.FOLDER / f"{ROWS}.parquet").unlink()
    problems = incremental.damaged_outputs(record, copy, built["figures"])
    assert problems == [(f"data/{ROWS}.parquet is missing", "run_all.py")]
    # A re-run of some notebooks keeps an intact package and rewrites a damaged one.
    kept = data_package.unchanged(record, built["reports"])
    assert kept == sorted(f"data/{p.name}" for p in package_folder.iterdir())
    assert data_package.unchanged(record, copy) is None
    (copy / data_package.FOLDER / f"{ROWS}.parquet").write_bytes(b"PAR1 not the published bytes")
    assert data_package.unchanged(record, copy) is None
    assert data_package.unchanged({"outputs": {}}, built["reports"]) is None  # built before packages existed
