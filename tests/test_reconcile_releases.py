"""The release comparison on two sample releases that differ in known cells (the reconciliation of
published figures is tested in test_reconcile_figures.py)."""

import polars as pl
import pytest
from conftest import sample_truth

from crimeoutcomes import cli
from crimeoutcomes.reconciliation import releases
from crimeoutcomes.synthetic.releases import UNASSIGNED_EARLIER, earlier_release


@pytest.fixture(scope="module")
def truth():
    return sample_truth("2024/25")


def test_release_diff_finds_exactly_the_cells_changed_by_hand(truth):
    new = truth.filter(pl.col("financial_year") == "2024/25")
    key = (pl.col("force") == "Kent") & (pl.col("quarter") == 1) & (pl.col("outcome_type") == "8")
    code = new.filter(key & pl.col("recorded").is_not_null())["offence_code"][0]
    cell = key & (pl.col("offence_code") == code)
    old = new.with_columns(
        recorded=pl.when(cell).then(pl.col("recorded") + 3).otherwise(pl.col("recorded")),
        closed=pl.when(cell).then(pl.col("closed") - 2).otherwise(pl.col("closed")),
    )
    diff = releases.compare_releases(old, new)
    assert diff.cells.height == 1
    row = diff.cells.row(0, named=True)
    assert (row["force"], row["offence_code"], row["change_recorded"], row["change_closed"]) == ("Kent", code, -3, 2)
    assert diff.by("force").row(0, named=True)["change_recorded"] == -3


def test_sample_releases_differ_by_the_known_maturation(sample_files, tmp_path, capsys):
    new = sample_truth("2024/25")
    old = earlier_release(new)
    moved = new.filter((pl.col("outcome_type") != "0") & (pl.col("recorded") > 0)).with_columns(
        moved=(pl.col("recorded") * pl.col("quarter").replace_strict(UNASSIGNED_EARLIER)).floor()
    )
    expected_cells = moved.filter(pl.col("moved") > 0).height
    diff = releases.compare_releases(old, new)
    assert diff.cells.filter(pl.col("outcome_type") != "0").height == expected_cells
    assert diff.cells["change_closed"].abs().sum() == 0  # the closed basis is not revised in the sample
    matured = releases.maturation(old, new)
    assert (matured["not_yet_assigned_old"] - matured["not_yet_assigned_new"]).to_list() == (
        matured["assigned_new"] - matured["assigned_old"]
    ).to_list()
    assert all(matured["not_yet_assigned_old"] > matured["not_yet_assigned_new"])
    # The command line reads the two sample workbooks and reports the same cells.
    out = tmp_path / "cells.csv"
    assert (
        cli.main(["diff", str(sample_files.earlier_release), str(sample_files.outcomes["2024/25"]), "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"{diff.cells.height:,} of {new.height:,} cells differ" in printed
    assert (
        pl.read_csv(out, schema_overrides={"offence_code": pl.String, "outcome_type": pl.String}).height
        == diff.cells.height
    )


def test_diff_refuses_two_different_years(sample_files, capsys):
    assert cli.main(["diff", str(sample_files.outcomes["2019/20"]), str(sample_files.outcomes["2024/25"])]) == 2
    assert "same year" in capsys.readouterr().err
