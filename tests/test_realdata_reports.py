"""run_all.py on the real 2024/25 rows rebuilt as a workbook (recorded basis): summary.json
against independent sums of the real rows. Skipped where ../shared/realdata is absent."""

import json
import os
import subprocess
import sys

import pandas as pd
import polars as pl
import pytest

from crimeoutcomes import codes

from conftest import PROJECT_ROOT
from expected import CHILD_CODES, expected_figures

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def built(real_raw_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("real-out")
    env = {**os.environ, "CRIMEOUTCOMES_ROOT": str(tmp_path_factory.mktemp("root"))}
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "run_all.py"), "--year", "2024/25", "--basis", "recorded",
         "--source", "local", "--raw-dir", str(real_raw_folder), "--out", str(out)],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900)
    assert result.returncode == 0, result.stderr
    reports = out / "reports" / "2024-25"
    assert not (out / "reports" / "sample").exists()  # real data is never filed as the sample
    for page in reports.glob("*.html"):
        assert "SYNTHETIC" not in page.read_text(encoding="utf-8")
    return reports


@pytest.fixture(scope="module")
def summary(built):
    return json.loads((built / "summary.json").read_text())


@pytest.fixture(scope="module")
def expected(real_rows):
    data = real_rows.to_pandas()
    rows = pd.DataFrame({"force": data["Force"], "quarter": data["quarter"], "offence_group": data["Offence Group"],
                         "offence_code": data["code"], "outcome_type": data["outcome_type"].astype(str),
                         "expired": data["expired"].astype(bool), "count": data["n"].astype(float)})
    return expected_figures(rows, codes.forces())


def test_real_summary_matches_independent_sums(summary, expected):
    assert summary["financial_year"] == "2024/25" and summary["count_basis"] == "recorded"
    assert summary["synthetic"] is False
    sexual = summary["sexual_offences"]
    assert sexual["community_resolutions"] == expected["community_resolutions"]
    assert sexual["assigned_outcomes"] == expected["assigned_outcomes"]
    assert sexual["share_of_assigned"] == pytest.approx(expected["community_resolutions"] / expected["assigned_outcomes"])
    assert summary["community_resolutions_by_force"] == expected["by_force"]
    assert all(value is not None for value in summary["community_resolutions_by_force"].values())
    by_code = summary["community_resolutions_by_offence_code"]
    assert by_code == {code: expected["by_code"].get(code, 0) for code in by_code}
    assert set(expected["by_code"]) == set(by_code)
    child = summary["child_victim_offences"]
    assert child["codes"] == CHILD_CODES
    assert child["community_resolutions"] == expected["child_victim_community_resolutions"]
    assert child["forces_using_cr_for_child_rape"] == expected["forces_using_cr_for_child_rape"]
    assert [s["file"] for s in summary["sources"]] == ["outcomes-2024-25.xlsx", "pfa-recorded-crime.ods"]
    assert all(len(s["sha256"]) == 64 for s in summary["sources"])


def test_real_rates_per_recorded_offence_match_independent_sums(summary, expected, shared_dir):
    crime = pl.read_parquet(shared_dir / "realdata" / "prc_pfa_2012_13_to_2025_26.parquet").filter(
        (pl.col("FY") == "2024/25") & (pl.col("Group") == codes.SEXUAL_OFFENCES_GROUP))
    offences = dict(crime.group_by("Force").agg(pl.col("n").cast(pl.Int64).sum()).iter_rows())
    comparison = summary["force_comparison"]
    assert comparison["quarters_left_out"] == {}  # no force's 2024/25 outcomes are missing or collapsed
    for force, rate in comparison["rate_per_1000_recorded"].items():
        assert rate == pytest.approx(expected["by_force"][force] / offences[force] * 1000), force
    assert comparison["national_share_of_assigned"] == pytest.approx(
        expected["community_resolutions"] / expected["assigned_outcomes"])
    # Offence mix: expected community resolutions add up to the observed national total.
    assert sum(comparison["expected_community_resolutions"].values()) == pytest.approx(expected["community_resolutions"])


def test_real_force_comparison_notebook_shows_funnels_and_gap_notes(built):
    page = (built / "02-force-comparison.html").read_text(encoding="utf-8")
    for text in ("Funnel plot", "Allowing for the offence mix", "Quarters left out of the rates",
                 "Over-dispersion: phi =", "Three denominators"):
        assert text in page
    figures = built.parents[1] / "figures" / "2024-25"
    for name in ("force_cr_funnel", "force_cr_offence_mix_funnel", "force_cr_rate_per_1000"):
        assert (figures / f"{name}.csv").is_file() and (figures / f"{name}.png").is_file()


def test_real_reconciliation_settles_the_912(summary, expected):
    rows = {r["id"]: r for r in summary["reconciliation"]}
    row = rows["national-2024-25"]
    assert row["ours_recorded"] == expected["community_resolutions"]
    assert row["ours_closed"] is None  # the rebuilt file has only the recorded basis
    assert row["status"] == "differs"  # 912 published against 899
    assert "release: another release" in row["reasons"] and "the closed basis, which the files read do not hold" \
        in row["reasons"]
    assert rows["lancashire-2024-25"]["ours_recorded"] == expected["by_force"]["Lancashire"]
    assert {r["window"] for r in summary["reconciliation"] if r["ours_recorded"] is not None} == {"2024/25"}
