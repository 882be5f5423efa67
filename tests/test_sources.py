"""Classifying GOV.UK attachments and choosing the newest release of each year."""

from datetime import date

import pytest

from crimeoutcomes.data.govuk import OUTCOMES, RECORDED_CRIME, classify, from_content_api, from_landing_page, newest

MEDIA = "https://assets.publishing.service.gov.uk/media/6a5e580ec7c34404041b4648/"


@pytest.mark.parametrize(
    "title,filename,year",
    [
        ("Outcomes open data year ending March 2015", "prc-outcomes-open-data-mar2015-tables-241024.xlsx", "2014/15"),
        ("Outcomes open data, year ending March 2019", "prc-outcomes-open-data-mar2019-tables-240724.xlsx", "2018/19"),
        ("Outcomes open data, year ending March 2025", "prc-outcomes-open-data-mar2025-tables-230726.xlsx", "2024/25"),
        ("Outcomes  open data,\nyear ending March 2016", "prc-outcomes-open-data-mar2016-tables.ods", "2015/16"),
    ],
)
def test_outcomes_titles_give_the_financial_year(title, filename, year):
    source = classify(title, MEDIA + filename)
    assert source.kind == OUTCOMES and source.financial_year == year and source.filename == filename


def test_release_stamp_is_read_from_the_file_name():
    source = classify(
        "Outcomes open data, year ending March 2025", MEDIA + "prc-outcomes-open-data-mar2025-tables-230726.xlsx"
    )
    assert source.release == "230726" and source.release_date == date(2026, 7, 23)
    assert classify("Outcomes open data year ending March 2016", MEDIA + "x-mar2016-tables.ods").release is None


def test_recorded_crime_file_is_the_denominator_source():
    source = classify(
        "Police recorded crime open data Police Force Area tables, year ending March 2013 onwards",
        MEDIA + "prc-pfa-mar2013-onwards-tables-230726.ods",
    )
    assert source.kind == RECORDED_CRIME and source.financial_year is None


@pytest.mark.parametrize(
    "title,filename",
    [
        (
            "Outcomes for alternate offences open data, year ending March 2017 to year ending March 2026",
            "prc-outcomes-alternate-open-data-mar2017-to-mar2026-tables-230726.ods",
        ),
        ("Supplementary crime outcomes metrics", "prc-supplementary-crime-outcomes-metrics-230726.xlsx"),
        (
            "Firearms outcomes open data, year ending March 2025",
            "prc-firearms-outcomes-open-data-apr2024-to-mar2026-tables-230726.ods",
        ),
        (
            "Knives or sharp instruments outcomes open data",
            "prc-knives_or_sharps-outcomes-open-data-apr2024-to-mar2026.ods",
        ),
        ("Drug offences subcodes", "prc-subcodes-drug-offences-mar2021-to-mar2026.ods"),
        ("Recorded crime data geographical reference table", "recrime-geo-pfa.csv"),
        (
            "Outcomes open data year ending March 2006 to year ending March 2014",
            "prc-outcomes-open-data-mar2006-mar2014-tabs.ods",
        ),
        (
            "Police recorded crime open data Police Force Area tables from March 2008 to March 2012",
            "prc-pfa-mar2008-mar2012-tabs.ods",
        ),
        (
            "Outcomes open data, April 2024 to September 2024",
            "prc-outcomes-open-data-apr2024-to-sep2024-tables-300125.xlsx",
        ),
    ],
)
def test_other_attachments_are_ignored(title, filename):
    assert classify(title, MEDIA + filename) is None


def test_newest_release_wins():
    old = classify(
        "Outcomes open data, year ending March 2025", MEDIA + "prc-outcomes-open-data-mar2025-tables-230426.xlsx"
    )
    new = classify(
        "Outcomes open data, year ending March 2025", MEDIA + "prc-outcomes-open-data-mar2025-tables-230726.xlsx"
    )
    other = classify(
        "Outcomes open data, year ending March 2024", MEDIA + "prc-outcomes-open-data-mar2024-tables-290126.xlsx"
    )
    chosen = newest([new, old, other])
    assert chosen[(OUTCOMES, "2024/25")] is new and chosen[(OUTCOMES, "2023/24")] is other


def test_content_api_and_landing_page_agree():
    api = {
        "details": {
            "attachments": [
                {
                    "attachment_type": "file",
                    "title": "Outcomes open data, year ending March 2025",
                    "url": MEDIA + "prc-outcomes-open-data-mar2025-tables-230726.xlsx",
                    "filename": "prc-outcomes-open-data-mar2025-tables-230726.xlsx",
                },
                {"attachment_type": "html", "title": "User guide", "url": "/government/statistics/guide"},
                {
                    "attachment_type": "file",
                    "title": "Recorded crime data geographical reference table",
                    "url": MEDIA + "recrime-geo-pfa.csv",
                },
            ]
        }
    }
    html = (
        '<section class="gem-c-attachment"><h3 class="gem-c-attachment__title">'
        f'<a href="{MEDIA}prc-outcomes-open-data-mar2025-tables-230726.xlsx">Outcomes open data, '
        'year ending March 2025</a></h3></section><a href="/other">Other</a>'
    )
    assert (
        [s.filename for s in from_content_api(api)]
        == [s.filename for s in from_landing_page(html)]
        == ["prc-outcomes-open-data-mar2025-tables-230726.xlsx"]
    )


def test_a_folder_without_a_manifest_takes_each_release_from_the_file_name(sample_files, tmp_path):
    """'...-tables-230426.xlsx' is release 230426 (ddmmyy, as govuk.release_of reads GOV.UK stamps);
    the manifest, where there is one, still wins."""
    import shutil

    from crimeoutcomes.data.source_files import from_folder

    source = sample_files.folder
    workbook = next(p for p in sorted(source.iterdir()) if p.suffix == ".xlsx" and "outcomes" in p.name.lower())
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(workbook, bare / "prc-outcomes-open-data-mar2025-tables-230426.xlsx")
    entry = from_folder(bare).manifest["files"][0]
    assert (entry["release"], entry["release_date"]) == ("230426", "2026-04-23")

    held = from_folder(source)
    listed = held.entry(held.outcomes[held.years[-1]])
    assert listed["release"] and listed["release"] != "230426"  # the manifest's own record


def test_a_folder_without_a_manifest_is_read_again_when_a_workbook_changes(tmp_path, monkeypatch):
    """from_folder keeps the last such folder it read (a kernel runs every force page against it):
    a workbook written again with another year, another hash, is seen at once."""
    from helpers import base_row, outcomes_rows

    from crimeoutcomes.data import source_files
    from crimeoutcomes.data.digests import file_sha256

    monkeypatch.setenv("CRIMEOUTCOMES_CACHE", str(tmp_path / "cache"))
    bare = tmp_path / "bare"
    bare.mkdir()
    workbook = outcomes_rows([base_row()], bare / "outcomes.xlsx")
    first = source_files.from_folder(bare)
    assert first.years == ["2024/25"]
    first.outcomes.clear()  # what a caller does to its copy is its own
    assert source_files.from_folder(bare).years == ["2024/25"]
    outcomes_rows([base_row(financial_year="2023/24")], workbook)
    again = source_files.from_folder(bare)
    assert again.years == ["2023/24"]
    assert again.manifest["files"][0]["sha256"] == file_sha256(workbook)
