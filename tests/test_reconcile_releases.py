"""Reconciliation arithmetic on the sample with a published-figures fixture of known differences,
and the release comparison on two sample releases that differ in known cells."""

import polars as pl
import pytest

from crimeoutcomes import cli, codes, reconcile, releases, sample
from crimeoutcomes.quality import unusable_quarters
from crimeoutcomes.sample_releases import UNASSIGNED_EARLIER, earlier_release

from expected import expected_figures, from_tidy

YEARS = ["2014/15", "2024/25"]
HEADER = ("id,financial_years,scope,area,offences,figure,comparison,statistic,reproducible,"
          "not_reproducible_reason,published_by,source_url")


@pytest.fixture(scope="module")
def truth():
    return pl.concat([sample.outcomes_truth(y) for y in YEARS])


def ours(truth, year, basis):
    return expected_figures(from_tidy(truth.filter(pl.col("financial_year") == year), basis), codes.forces())


@pytest.fixture(scope="module")
def published(truth, tmp_path_factory):
    closed = ours(truth, "2024/25", "closed")
    recorded = ours(truth, "2024/25", "recorded")
    lancashire = closed["by_force"]["Lancashire"]
    rows = [
        f"exact-closed,2024/25,national,England and Wales,Sexual offences,{closed['community_resolutions']},exact,sum,True,,a,u",
        f"exact-recorded,2024/25,national,England and Wales,Sexual offences,{recorded['community_resolutions']},exact,sum,True,,a,u",
        f"plus-seven,2024/25,force,Lancashire,Sexual offences,{lancashire + 7},exact,sum,True,,a,u",
        f"two-years,2014/15;2024/25,national,England and Wales,88E,{closed['by_code']['88E'] + 1000},exact,sum,True,,a,u",
        "absent,2030/31,national,England and Wales,Sexual offences,5,exact,sum,True,,a,u",
        "at-least,2024/25,force,Lancashire,Sexual offences,1,at least,sum,True,,a,u",
        "too-many,2024/25,force,Lancashire,Sexual offences,100000,at least,sum,True,,a,u",
        "moj,2023/24,national,England and Wales,Sexual offences,621,exact,sum,False,Ministry of Justice series,a,u",
    ]
    path = tmp_path_factory.mktemp("ref") / "published.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return reconcile.published_figures(path)


def test_reconciliation_arithmetic_on_the_sample(truth, published):
    table = reconcile.reconcile(truth, unusable_quarters(truth, "closed"), {y: "test" for y in YEARS}, published,
                                synthetic=True)
    rows = {r["id"]: r for r in table.iter_rows(named=True)}
    assert set(rows) == {"exact-closed", "exact-recorded", "plus-seven", "two-years", "absent", "at-least", "too-many"}
    closed, recorded = ours(truth, "2024/25", "closed"), ours(truth, "2024/25", "recorded")
    assert rows["exact-closed"]["ours_closed"] == closed["community_resolutions"]
    assert rows["exact-closed"]["difference_closed"] == 0
    assert rows["exact-closed"]["difference_recorded"] == closed["community_resolutions"] - recorded["community_resolutions"]
    assert rows["exact-closed"]["likely_reason"].startswith("matches the closed basis")
    assert rows["exact-recorded"]["likely_reason"].startswith("matches the recorded basis")
    assert rows["plus-seven"]["difference_closed"] == 7
    both_years = ours(truth, "2014/15", "closed")["by_code"]["88E"] + closed["by_code"]["88E"]
    assert rows["two-years"]["ours_closed"] == both_years
    assert rows["two-years"]["difference_closed"] == closed["by_code"]["88E"] + 1000 - both_years
    assert "coverage" in rows["two-years"]["likely_reason"]  # 2014/15 has forces that sent no data
    assert rows["absent"]["ours_closed"] is None and rows["absent"]["likely_reason"].startswith("not in the data")
    assert rows["at-least"]["likely_reason"].startswith("consistent")
    assert rows["too-many"]["likely_reason"].startswith("not found")
    assert set(table["ours_from"]) == {"SYNTHETIC sample (invented)"}
    assert reconcile.not_reproducible(published)["id"].to_list() == ["moj"]


def test_likely_reasons_by_hand():
    assert reconcile.likely_reason(900, "exact", {"closed": 880.0, "recorded": 899.0}, [], "230426").startswith(
        "release: 1 from the recorded basis")
    assert "coverage: data missing or collapsed for Devon and Cornwall" in reconcile.likely_reason(
        500, "exact", {"closed": 300.0, "recorded": 310.0}, ["Devon and Cornwall"], "x")
    assert reconcile.likely_reason(500, "exact", {"closed": 300.0, "recorded": 310.0}, [], "x") == \
        "offence set or basis differs: +190 against the nearer (recorded) basis"


def test_release_diff_finds_exactly_the_cells_changed_by_hand(truth):
    new = truth.filter(pl.col("financial_year") == "2024/25")
    key = (pl.col("force") == "Kent") & (pl.col("quarter") == 1) & (pl.col("outcome_type") == "8")
    code = new.filter(key & pl.col("recorded").is_not_null())["offence_code"][0]
    cell = key & (pl.col("offence_code") == code)
    old = new.with_columns(recorded=pl.when(cell).then(pl.col("recorded") + 3).otherwise(pl.col("recorded")),
                           closed=pl.when(cell).then(pl.col("closed") - 2).otherwise(pl.col("closed")))
    diff = releases.compare_releases(old, new)
    assert diff.cells.height == 1
    row = diff.cells.row(0, named=True)
    assert (row["force"], row["offence_code"], row["change_recorded"], row["change_closed"]) == ("Kent", code, -3, 2)
    assert diff.by("force").row(0, named=True)["change_recorded"] == -3


def test_sample_releases_differ_by_the_known_maturation(sample_files, tmp_path, capsys):
    new = sample.outcomes_truth("2024/25")
    old = earlier_release(new)
    moved = new.filter((pl.col("outcome_type") != "0") & (pl.col("recorded") > 0)).with_columns(
        moved=(pl.col("recorded") * pl.col("quarter").replace_strict(UNASSIGNED_EARLIER)).floor())
    expected_cells = moved.filter(pl.col("moved") > 0).height
    diff = releases.compare_releases(old, new)
    assert diff.cells.filter(pl.col("outcome_type") != "0").height == expected_cells
    assert diff.cells["change_closed"].abs().sum() == 0  # the closed basis is not revised in the sample
    matured = releases.maturation(old, new)
    assert (matured["not_yet_assigned_old"] - matured["not_yet_assigned_new"]).to_list() == \
        (matured["assigned_new"] - matured["assigned_old"]).to_list()
    assert all(matured["not_yet_assigned_old"] > matured["not_yet_assigned_new"])
    # The command line reads the two sample workbooks and reports the same cells.
    out = tmp_path / "cells.csv"
    assert cli.main(["diff", str(sample_files.earlier_release), str(sample_files.outcomes["2024/25"]),
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{diff.cells.height:,} of {new.height:,} cells differ" in printed
    assert pl.read_csv(out, schema_overrides={"offence_code": pl.String, "outcome_type": pl.String}).height == \
        diff.cells.height


def test_diff_refuses_two_different_years(sample_files, capsys):
    assert cli.main(["diff", str(sample_files.outcomes["2019/20"]), str(sample_files.outcomes["2024/25"])]) == 2
    assert "same year" in capsys.readouterr().err
