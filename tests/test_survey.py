"""The survey of new workbooks: every surprise in one run, exit 1; clean files, exit 0.

Workbooks are written with the project's writer and the spec's header texts (tests/spec_layout.py),
so a wording the reader does not know is planted by changing one header here, not in the package.
"""

import shutil

import polars as pl
import pytest
from helpers import base_row, outcomes_rows
from spec_layout import (
    DATA_SHEETS,
    NOT_PROVIDED,
    OUTCOMES_HEADERS,
    RECORDED_CRIME_HEADERS,
    RECORDED_CRIME_OTHER_SHEETS,
    recorded_crime_sheet,
)

from crimeoutcomes import cli
from crimeoutcomes.data.manifest import save_manifest
from crimeoutcomes.data.survey import NOTE, OK, render, survey
from crimeoutcomes.synthetic import sample
from crimeoutcomes.synthetic.writer import Sheet, write_workbook

NEW_RECORDED_WORDING = "Outcomes for offences recorded during the quarter"


def _clean_rows(year="2024/25", codes=("19C", "20A")):
    rows = []
    for quarter in (1, 2):
        for force in ("Kent", "Lancashire", "Devon & Cornwall"):  # an alias the reader knows
            for code in codes:
                for outcome in (0, 8, 22):
                    rows.append(
                        base_row(
                            financial_year=year,
                            quarter=quarter,
                            force=force,
                            offence_code=code,
                            outcome_type=outcome,
                            recorded=2,
                            closed="N/A" if outcome == 0 else 1,
                        )
                    )
    rows.append(
        base_row(
            financial_year=year,
            quarter=1,
            force="Kent",
            offence_code="53C",
            offence_group="Fraud offences to 2012/13",
            offence_code_expired="x",
            outcome_type=1,
            recorded="N/A - Offence code expired",
            closed=0,
        )
    )
    rows.append(
        base_row(
            financial_year=year, quarter=2, force="Cumbria", outcome_type=8, recorded=NOT_PROVIDED, closed=NOT_PROVIDED
        )
    )
    return rows


def _planted(tmp_path):
    """A 2024/25 workbook with four surprises: an unknown outcome type, a misspelled force, a new
    header wording for the recorded count and a new marker in the closed count."""
    rows = _clean_rows()
    rows[3]["outcome_type"] = 23  # spreadsheet row 5 (header in row 1)
    rows[7]["force"] = "Lancashre"  # row 9
    rows[10]["closed"] = "N/A - suppressed"  # row 12
    rows[11]["closed"] = "n/a - SUPPRESSED"  # row 13: the same marker in another case is another spelling
    headers = {**OUTCOMES_HEADERS, "recorded": NEW_RECORDED_WORDING}
    return outcomes_rows(
        rows,
        tmp_path / "planted.xlsx",
        headers=headers,
        extra_sheets=[Sheet("Notes", rows=[["notes"]]), Sheet("Pivot", rows=[[1, 2]])],
    )


def _run(capsys, *arguments):
    code = cli.main(["survey", "--no-data-folder", *map(str, arguments)])
    return code, capsys.readouterr().out


def test_planted_surprises_are_all_reported_in_one_run(tmp_path, capsys):
    code, out = _run(capsys, _planted(tmp_path))
    assert code == 1, out
    summary = out.split("UNKNOWN (each needs a decision", 1)[1]
    unknown = "\n".join(line for line in summary.splitlines() if line.startswith("  UNKNOWN planted.xlsx"))
    assert "'23' x 1 (first at row 5) is not a known outcome type" in unknown and "outcome_types.csv" in unknown
    assert "'Lancashre' (1 row, first at row 9) is not a known force; nearest known: 'Lancashire'" in unknown
    assert "force_aliases.csv" in unknown
    assert f"'{NEW_RECORDED_WORDING}' -> recorded, matched only by the word 'recorded'" in unknown
    assert "'N/A - suppressed' x 1, a marker not seen before" in unknown and "row 12" in unknown
    assert "'n/a - SUPPRESSED' x 1" in unknown
    assert len(unknown.splitlines()) == 5 and out.count("    UNKNOWN ") == 5, out


def test_planted_surprises_are_the_only_unknowns(tmp_path):
    result = survey([_planted(tmp_path)], use_data_folder=False)
    topics = sorted(f.topic for _, f in result.unknown)
    assert topics == ["forces", "headers", "markers", "markers", "outcome types"], render(result)
    assert result.exit_code == 1


def test_known_values_are_reported_with_how_they_map(tmp_path):
    result = survey(
        [outcomes_rows(_clean_rows(), tmp_path / "clean.xlsx", extra_sheets=[Sheet("Notes", rows=[["n"]])])],
        use_data_folder=False,
    )
    findings = {(f.topic, f.status, f.text) for f in result.files[0].findings}
    texts = "\n".join(f"{topic} {status} {text}" for topic, status, text in findings)
    assert ("sheets", OK, f"{DATA_SHEETS['2024/25']!r}: read (header in row 1)") in findings
    assert ("sheets", OK, "'Notes': skipped (cover, notes, pivot or contents)") in findings
    assert ("headers", OK, f"{OUTCOMES_HEADERS['recorded']!r} -> recorded") in findings
    assert ("forces", OK, "'Devon & Cornwall' -> 'Devon and Cornwall' via force_aliases.csv (12 rows)") in findings
    assert ("markers", OK, f"{OUTCOMES_HEADERS['closed']!r}: 'N/A' x 12 (read as missing)") in findings
    assert ("markers", OK, f"{OUTCOMES_HEADERS['recorded']!r}: {NOT_PROVIDED!r} x 1 (read as missing)") in findings
    assert ("expired flags", OK, "'x' x 1 (expired)") in findings
    assert ("outcome types", OK, "4 known (rows): 0 (12), 1 (1), 8 (13), 22 (12)") in findings
    assert any(t.startswith("known types not in this file: 2, 3,") for _, s, t in findings if s == NOTE), texts
    assert result.exit_code == 0, render(result)


def test_clean_sample_exits_zero(sample_files, tmp_path, capsys):
    # What write_sample(tmp_path, ["2023/24", "2024/25"], with_earlier_release=False) writes: 2023/24
    # written here, the 2024/25 workbook and the recorded-crime file (to 2024/25) the same bytes as the
    # run's sample's, copied (the survey reads no manifest beside the files it is given).
    files = [sample_files.outcomes["2024/25"], sample_files.recorded_crime]
    for path in files:
        shutil.copyfile(path, tmp_path / path.name)
    earlier = tmp_path / sample.outcomes_filename("2023/24")
    sample.write_outcomes_workbook(earlier, "2023/24")
    code, out = _run(capsys, earlier, *(tmp_path / path.name for path in files))
    assert code == 0, out
    assert "Nothing unknown" in out
    assert "outcomes 2024/25 against 2023/24" in out and "0 new, 0 gone" in out
    assert "'Action Fraud': a fraud body, not a police force" in out
    assert "no 2022/23 file given or in the data folder" in out


def test_offence_codes_new_and_gone_against_the_previous_year_given(tmp_path):
    before = outcomes_rows(_clean_rows("2023/24", ("19C", "20A")), tmp_path / "a.xlsx", sheet=DATA_SHEETS["2023/24"])
    after = outcomes_rows(_clean_rows("2024/25", ("19C", "88F")), tmp_path / "b.xlsx")
    result = survey([after, before], use_data_folder=False)
    lines = [f.text for f in result.comparisons]
    assert lines[0].startswith("2023/24 (a.xlsx): no 2022/23 file"), lines
    assert lines[1] == "outcomes 2024/25 against 2023/24 (a.xlsx, given): 3 codes, 1 new, 1 gone", lines
    assert "  new '88F' (Sexual offences)" in lines and "  gone '20A' (Sexual offences)" in lines
    # A new sexual-offence code is unknown: the child-victim list would silently miss it.
    assert [f.text for _, f in result.unknown if "88F" in f.text][0].startswith("sexual-offence code '88F' is not in")


def test_previous_year_from_the_data_folder_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("CRIMEOUTCOMES_ROOT", str(tmp_path / "root"))
    raw = tmp_path / "raw"
    raw.mkdir()
    outcomes_rows(_clean_rows("2023/24", ("19C", "17A")), raw / "old.xlsx", sheet=DATA_SHEETS["2023/24"])
    save_manifest(
        {
            "synthetic": False,
            "files": [
                {"filename": "old.xlsx", "kind": "outcomes", "financial_year": "2023/24", "release_date": "2024-07-18"}
            ],
        },
        raw,
    )
    new = outcomes_rows(_clean_rows("2024/25"), tmp_path / "new.xlsx")
    found = survey([new], raw_dir=raw).comparisons
    assert found[0].text == "outcomes 2024/25 against 2023/24 (old.xlsx, from the data folder): 3 codes, 1 new, 1 gone"
    assert (
        survey([new], raw_dir=tmp_path / "empty")
        .comparisons[0]
        .text.startswith("2024/25 (new.xlsx): no 2023/24 file given or in the data folder")
    )


def test_an_unreadable_file_does_not_stop_the_survey(tmp_path, capsys):
    page = tmp_path / "page.xlsx"
    page.write_text("<!doctype html><html>Service unavailable</html>")
    code, out = _run(capsys, page, _planted(tmp_path))
    assert code == 1
    assert "is an HTML page" in out
    assert "'Lancashre'" in out and "'23' x 1" in out  # the second file is still surveyed


def test_no_data_sheet_and_missing_columns_are_unknown(tmp_path):
    empty = write_workbook(tmp_path / "e.xlsx", [Sheet("Cover_sheet", rows=[["x"]]), Sheet("Other", rows=[[1]])])
    headers = {k: v for k, v in OUTCOMES_HEADERS.items() if k != "outcome_group"}
    headers["victim_age"] = "Victim age band"
    rows = [{**base_row(), "victim_age": "under 18"}]
    partial = outcomes_rows(rows, tmp_path / "p.xlsx", headers=headers)
    result = survey([empty, partial], use_data_folder=False)
    texts = [f.text for _, f in result.unknown]
    assert "no data sheet: no sheet has a header row naming the fields" in texts
    assert "no column for 'outcome group' (the published files have one)" in texts
    assert any(t.startswith("'Victim age band': not a column the reader knows") for t in texts)


def _recorded_crime(path, forces_by_year):
    header = RECORDED_CRIME_HEADERS
    sheets = [Sheet(name, rows=[["x"]]) for name in RECORDED_CRIME_OTHER_SHEETS]
    for year, rows in forces_by_year.items():
        table = pl.DataFrame(
            [[year, 1, force, "desc", group, "sub", code, count] for force, group, code, count in rows],
            schema=[f"c{i}" for i in range(len(header))],
            orient="row",
        )
        sheets.append(Sheet(recorded_crime_sheet(year), table=table, header=header))
    return write_workbook(path, sheets)


def test_recorded_crime_forces_fraud_bodies_markers_and_codes(tmp_path):
    path = _recorded_crime(
        tmp_path / "pfa.ods",
        {
            "2023/24": [("Kent", "Sexual offences", "19C", 5), ("Kent", "Robbery", "34A", 2)],
            "2024/25": [
                ("Kent", "Sexual offences", "19C", "N/a"),
                ("Kentt", "Sexual offences", "19C", 1),
                ("Action Fraud", "Fraud offences", "AF", 10),
            ],
        },
    )
    result = survey([path], use_data_folder=False)
    unknown = [f.text for _, f in result.unknown]
    assert any(
        t.startswith("'Kentt' (1 row, first at row 3) is not a known force; nearest known: 'Kent'") for t in unknown
    ), unknown
    assert len(unknown) == 1, unknown
    findings = [(f.status, f.text) for f in result.files[0].findings]
    assert (OK, "'Action Fraud': a fraud body, not a police force (1 row)") in findings
    assert (OK, "sheet '2024_25': 'Number of Offences': 'N/a' x 1 (read as missing)") in findings
    assert [f.text for f in result.comparisons][:2] == [
        "recorded crime 2024/25 against 2023/24 (pfa.ods): 2 codes, 1 new, 1 gone",
        "  new 'AF' (Fraud offences)",
    ]


@pytest.mark.parametrize("flag, meaning", [("Y", "expired"), ("no", "not expired")])
def test_an_unseen_expired_flag_says_how_it_is_read(tmp_path, flag, meaning):
    rows = _clean_rows()
    rows[0]["offence_code_expired"] = flag
    result = survey([outcomes_rows(rows, tmp_path / "f.xlsx")], use_data_folder=False)
    assert [f.text for _, f in result.unknown] == [
        f"{flag!r} x 1, a flag not seen before: read as {meaning} (first at row 2; the files print 'x' or nothing)"
    ]


def test_the_advice_names_a_file_that_exists(tmp_path, capsys):
    """'add it to OUTCOMES_HEADERS in <file>': that file exists in the checkout and holds the name."""
    import re

    from conftest import PROJECT_ROOT

    _, out = _run(capsys, _planted(tmp_path))
    named = set(re.findall(r"OUTCOMES_HEADERS in (\S+?\.py)", out))
    assert named, out
    for path in named:
        assert (PROJECT_ROOT / path).is_file(), f"the survey names {path}, which is not in {PROJECT_ROOT}"
        assert "OUTCOMES_HEADERS" in (PROJECT_ROOT / path).read_text(encoding="utf-8")
