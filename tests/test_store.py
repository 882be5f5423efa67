"""The Parquet cache: a hit never re-parses; half-written or damaged files are never read."""

import polars as pl
import pytest
from conftest import sample_truth
from helpers import base_row, outcomes_rows
from polars.testing import assert_frame_equal

from crimeoutcomes import config as paths
from crimeoutcomes.data import cache as store
from crimeoutcomes.data.load import load_table
from crimeoutcomes.data.read import OUTCOMES, parse_outcomes
from crimeoutcomes.data.schema import SCHEMA_VERSION


def _counting(parse):
    calls = []

    def wrapped(path):
        calls.append(path)
        return parse(path)

    return wrapped, calls


def test_a_cache_hit_does_not_parse(sample_files):
    source = sample_files.outcomes["2024/25"]
    parse, calls = _counting(parse_outcomes)
    first = store.cached_parse(source, OUTCOMES, parse)
    second = store.cached_parse(source, OUTCOMES, parse)
    assert len(calls) == 1
    assert_frame_equal(first, second)
    entry = store.cache_path(OUTCOMES, store.file_sha256(source))
    assert entry.is_file() and entry.name.endswith(f"-v{SCHEMA_VERSION}.parquet")


def test_changed_bytes_mean_a_new_parse(tmp_path):
    # two one-row workbooks of different years: the bytes are under test, not the size (a whole year
    # took a second to parse)
    first = outcomes_rows([base_row()], tmp_path / "2024-25.xlsx")
    second = outcomes_rows([base_row(financial_year="2019/20")], tmp_path / "2019-20.xlsx")
    source = tmp_path / "copy.xlsx"
    source.write_bytes(first.read_bytes())
    parse, calls = _counting(parse_outcomes)
    store.cached_parse(source, OUTCOMES, parse)
    source.write_bytes(second.read_bytes())
    table = store.cached_parse(source, OUTCOMES, parse)
    assert len(calls) == 2 and table["financial_year"][0] == "2019/20"


def test_no_cache_always_parses(tmp_path):
    source = outcomes_rows([base_row()], tmp_path / "one-row.xlsx")  # whether it parses is under test, not the size
    parse, calls = _counting(parse_outcomes)
    for _ in range(2):
        store.cached_parse(source, OUTCOMES, parse, use_cache=False)
    assert len(calls) == 2
    assert not paths.cache_dir().exists()


def test_damaged_cache_file_is_rebuilt_and_temporary_files_are_ignored(sample_files):
    source = sample_files.outcomes["2024/25"]
    entry = store.cache_path(OUTCOMES, store.file_sha256(source))
    entry.parent.mkdir(parents=True)
    # A half-written file from a killed run keeps its temporary name, which is never read.
    (entry.parent / f".{entry.name}.999.tmp").write_bytes(b"PAR1 half")
    entry.write_bytes(b"not parquet at all")
    parse, calls = _counting(parse_outcomes)
    table = store.cached_parse(source, OUTCOMES, parse)
    assert len(calls) == 1
    assert_frame_equal(pl.read_parquet(entry), table)


@pytest.mark.usefixtures("use_shared_cache")  # the kind is under test here, not the cache: no need to parse again
def test_load_table_detects_the_kind(sample_files):
    assert "offences" in load_table(sample_files.recorded_crime).columns
    assert "outcome_type" in load_table(sample_files.outcomes["2019/20"]).columns


def test_kind_is_told_from_sheet_names_without_parsing_cells(sample_files, tmp_path, monkeypatch):
    from crimeoutcomes.data import workbook
    from crimeoutcomes.data.read import detect_kind
    from crimeoutcomes.synthetic.sample import outcomes_workbook_sheets
    from crimeoutcomes.synthetic.writer import write_workbook

    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was opened for parsing")

    # an outcomes workbook's sheets, with a few hundred rows (the kind is told from the sheet names)
    ods = write_workbook(tmp_path / "outcomes.ods", outcomes_workbook_sheets(sample_truth("2024/25").head(500)))
    monkeypatch.setattr(workbook.fastexcel, "read_excel", no_parsing)
    assert detect_kind(sample_files.recorded_crime) == "recorded_crime"
    assert detect_kind(sample_files.outcomes["2019/20"]) == "outcomes"
    assert detect_kind(ods) == "outcomes"


def test_cold_years_are_parsed_by_workers_into_their_own_cache_files(sample_files, tmp_path, monkeypatch):
    from crimeoutcomes.data import load

    files = [sample_files.outcomes[y] for y in ("2022/23", "2024/25")]
    parse, calls = _counting(parse_outcomes)
    monkeypatch.setitem(load.PARSERS, OUTCOMES, parse)  # counts the parses made in this process
    table = load.load_outcomes(files, cache_dir=tmp_path)
    assert calls == []
    assert all(store.cache_path(OUTCOMES, store.file_sha256(f), tmp_path).is_file() for f in files)
    # the generator's truth is what parsing each file gives (test_read_outcomes' round trip), without
    # parsing both again here
    assert_frame_equal(table, pl.concat([sample_truth(y) for y in ("2022/23", "2024/25")]))


def test_a_file_a_worker_cannot_parse_fails_with_its_own_message(sample_files, tmp_path):
    from crimeoutcomes.data.load import load_outcomes
    from crimeoutcomes.errors import InputFileError

    page = tmp_path / "outcomes-2024-25.xlsx"
    page.write_text("<!doctype html><html>Service unavailable</html>")
    with pytest.raises(InputFileError, match="is an HTML page"):
        load_outcomes([sample_files.outcomes["2022/23"], page], cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob(f"{OUTCOMES}-*.parquet"))) == 1  # the good year's
