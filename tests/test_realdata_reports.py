"""run_all.py on the real 2024/25 rows rebuilt as a workbook (recorded basis): summary.json
against independent sums of the real rows. Skipped where ../shared/realdata is absent."""

import json
import os
import subprocess
import sys

import polars as pl
import pytest
from conftest import BUILD_JOBS, PROJECT_ROOT
from expected import CHILD_CODES, expected_figures, from_real_rows
from test_browser import browser, tables_scrolling  # noqa: F401 - browser: the fixture, shared

from crimeoutcomes.data import codes

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def built(real_raw_folder, tmp_path_factory, shared_cache):
    out = tmp_path_factory.mktemp("real-out")
    env = {
        **os.environ,
        "CRIMEOUTCOMES_ROOT": str(tmp_path_factory.mktemp("root")),
        "CRIMEOUTCOMES_CACHE": str(shared_cache),
    }
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "run_all.py"),
            "--year",
            "2024/25",
            "--basis",
            "recorded",
            "--source",
            "local",
            "--raw-dir",
            str(real_raw_folder),
            "--out",
            str(out),
            "--jobs",
            BUILD_JOBS,  # one kernel for the 48 runs (see conftest)
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=900,
    )
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
    rows = from_real_rows(real_rows)
    return expected_figures(rows, codes.forces())


def test_real_summary_matches_independent_sums(summary, expected):
    assert summary["financial_year"] == "2024/25" and summary["count_basis"] == "recorded"
    assert summary["synthetic"] is False
    sexual = summary["sexual_offences"]
    assert sexual["community_resolutions"] == expected["community_resolutions"]
    assert sexual["assigned_outcomes"] == expected["assigned_outcomes"]
    assert sexual["share_of_assigned"] == pytest.approx(
        expected["community_resolutions"] / expected["assigned_outcomes"]
    )
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
        (pl.col("FY") == "2024/25") & (pl.col("Group") == codes.SEXUAL_OFFENCES_GROUP)
    )
    offences = dict(crime.group_by("Force").agg(pl.col("n").cast(pl.Int64).sum()).iter_rows())
    comparison = summary["force_comparison"]
    assert comparison["quarters_left_out"] == {}  # no force's 2024/25 outcomes are missing or collapsed
    for force, rate in comparison["rate_per_1000_recorded"].items():
        assert rate == pytest.approx(expected["by_force"][force] / offences[force] * 1000), force
    assert comparison["national_share_of_assigned"] == pytest.approx(
        expected["community_resolutions"] / expected["assigned_outcomes"]
    )


def test_real_offence_mix_leaves_each_force_out_of_its_benchmark(summary, real_rows):
    data = real_rows.to_pandas()
    data = data[(data["Offence Group"] == codes.SEXUAL_OFFENCES_GROUP) & (data["outcome_type"].astype(str) != "0")]
    data = data.assign(cr=data["n"].where(data["outcome_type"].astype(str) == "8", 0))
    cells = data.groupby(["Force", "code"])[["cr", "n"]].sum()
    national = cells.groupby("code").sum()
    wanted = {}
    for force, mine in cells.groupby(level="Force"):
        mine = mine.droplevel("Force")
        others = national.loc[mine.index] - mine
        rate = (
            (others["cr"] / others["n"])
            .where(others["n"] > 0, national.loc[mine.index, "cr"] / national.loc[mine.index, "n"])
            .fillna(0)
        )
        wanted[force] = float((mine["n"] * rate).sum())
    got = summary["force_comparison"]["expected_community_resolutions"]
    assert got == pytest.approx(wanted, rel=1e-9)
    # Leaving the force out matters most for the largest: the Met is several per cent off the old value.
    assert (
        abs(
            got["Metropolitan Police"]
            / float(
                (
                    cells.loc["Metropolitan Police", "n"]
                    * (
                        national.loc[cells.loc["Metropolitan Police"].index, "cr"]
                        / national.loc[cells.loc["Metropolitan Police"].index, "n"]
                    )
                ).sum()
            )
            - 1
        )
        > 0.05
    )


def test_real_flags_are_exact_binomial_tails_with_holm(summary, expected):
    from scipy.stats import binom

    comparison = summary["force_comparison"]
    n = expected["assigned_by_force"]
    target = expected["community_resolutions"] / expected["assigned_outcomes"]
    high = {f: binom.sf(expected["by_force"][f] - 1, n[f], target) for f in n}
    low = {f: binom.cdf(expected["by_force"][f], n[f], target) for f in n}
    wanted = {f for f in n if min(high[f], low[f]) < 0.001}
    assert set(comparison["outside_99_8"]) == wanted and len(wanted) == 13
    ordered = sorted(min(1, 2 * min(high[f], low[f])) for f in n)
    holm = {}
    running = 0.0
    for i, p in enumerate(ordered):  # Holm step-down, by hand
        running = max(running, min(1.0, (len(ordered) - i) * p))
        holm[p] = running
    for row in comparison["flagged_99_8"]:
        p = min(1, 2 * min(high[row["force"]], low[row["force"]]))
        assert row["p_two_sided"] == pytest.approx(p, rel=1e-6)
        assert row["p_holm"] == pytest.approx(holm[p], rel=1e-6)
    # Statistics v3: the logit-normal model, each force against the others: none outside at 99.8%;
    # at 95% Lancashire above, the Met below.
    assert comparison["outside_adjusted_99_8"] == []
    assert comparison["overdispersion"]["model"] == "logit-normal"
    assert "Lancashire" in comparison["outside_adjusted_95"]["high"]
    assert "Metropolitan Police" in comparison["outside_adjusted_95"]["low"]
    assert comparison["overdispersion"]["over_dispersed"] and comparison["overdispersion"]["phi"] > 20
    assert comparison["overdispersion"]["expected_flags_99_8"] < 0.1
    assert comparison["ranks"]["Lancashire"] == {"rank": 1, "rank_low": 1, "rank_high": 1}
    assert 10 <= comparison["told_apart_from_middle"]["told_apart"] <= 30


def test_real_force_comparison_notebook_shows_funnels_and_gap_notes(built):
    page = (built / "02-force-comparison.html").read_text(encoding="utf-8")
    for text in (
        "Funnel plot",
        "Allowing for the offence mix",
        "Quarters left out of the rates",
        "Over-dispersion: phi =",
        "Three denominators",
        'id="table-funnel-flags"',
        "can be told apart from the middle of the table",
        "p-value, Holm-adjusted across forces",
    ):
        assert text in page
    figures = built.parents[1] / "figures" / "2024-25"
    for name in ("force_cr_funnel", "force_cr_offence_mix_funnel", "force_cr_rate_per_1000", "force_cr_rank_intervals"):
        assert (figures / f"{name}.csv").is_file() and (figures / f"{name}.png").is_file()


def test_real_reconciliation_settles_the_912(summary, expected):
    rows = {r["id"]: r for r in summary["reconciliation"]}
    row = rows["national-2024-25"]
    assert row["ours_recorded"] == expected["community_resolutions"]
    assert row["ours_closed"] is None  # the rebuilt file has only the recorded basis
    assert row["status"] == "differs"  # 912 published against 899
    assert (
        "release: another release" in row["reasons"]
        and "the closed basis, which the files read do not hold" in row["reasons"]
    )
    assert rows["lancashire-2024-25"]["ours_recorded"] == expected["by_force"]["Lancashire"]
    assert {r["window"] for r in summary["reconciliation"] if r["ours_recorded"] is not None} == {"2024/25"}


def test_every_real_figure_is_laid_out_without_overlaps(built):
    """The real numbers (13 forces outside the limits, many near zero) as the renderer drew them:
    no two texts overlap, none leaves its figure (see test_figure_layout)."""
    from test_figure_layout import check_every_figure

    check_every_figure(built.parents[1] / "figures" / "2024-25", least=16)


def test_real_findings_say_what_summary_json_says(built, summary):
    """On the real numbers (13 forces outside the limits, strong over-dispersion): each report's key
    findings agree with summary.json, and report 02 names only the forces still outside once the
    limits allow for over-dispersion."""
    from test_findings import check_findings

    assert summary["force_comparison"]["overdispersion"]["over_dispersed"]
    check_findings(built, summary)


def test_real_force_pages_match_independent_sums(built, real_rows, shared_dir):
    """Every force has its page; a big force, a small one and British Transport Police show the
    count, rate, share and outcomes 8 and 22 that plain sums of the real rows give."""
    import re

    import pandas as pd

    assert len(list((built / "forces").glob("*.html"))) == len(codes.forces()) == 44
    rows = from_real_rows(real_rows)
    rows = rows[(rows["offence_group"] == "Sexual offences") & (rows["outcome_type"] != "0")]
    rows = rows[~(rows["expired"] & rows["count"].isna())]
    crime = pl.read_parquet(shared_dir / "realdata" / "prc_pfa_2012_13_to_2025_26.parquet").filter(
        (pl.col("FY") == "2024/25") & (pl.col("Group") == codes.SEXUAL_OFFENCES_GROUP)
    )
    offences = dict(crime.group_by("Force").agg(pl.col("n").cast(pl.Int64).sum()).iter_rows())
    for force in ("Metropolitan Police", "London, City of", "British Transport Police"):
        slug = re.sub(r"[^a-z0-9]+", "-", force.lower()).strip("-")
        tables = built.parents[1] / "figures" / "2024-25" / "forces" / slug / "tables"
        year = pd.read_csv(tables / "by-year.csv").set_index("financial_year").loc["2024/25"]
        eight_22 = pd.read_csv(tables / "outcome-8-and-22.csv").set_index("financial_year").loc["2024/25"]
        mine = rows[rows["force"] == force]
        count = mine.loc[mine["outcome_type"] == "8", "count"].sum()
        assert year["community_resolutions"] == count, force
        assert year["share_of_assigned"] == pytest.approx(count / mine["count"].sum()), force
        assert year["rate_per_1000_recorded"] == pytest.approx(count / offences[force] * 1000), force
        assert eight_22["outcome_8"] == count, force
        assert eight_22["outcome_22"] == mine.loc[mine["outcome_type"] == "22", "count"].sum(), force
        page = (built / "forces" / f"{slug}.html").read_text(encoding="utf-8")
        assert f"closed <strong>{int(count):,}</strong> sexual offences" in page and "SYNTHETIC" not in page


def test_the_widest_real_tables_fit_a_1280_px_window(built, browser):
    """Report 02's denominators and Lancashire's "Among the forces" were the widest real tables
    (975 and 976 px in a 962 px box before the report tables' sides were tightened)."""
    for page in (built / "02-force-comparison.html", built / "forces" / "lancashire.html"):
        tables, scrolling = tables_scrolling(browser, page)
        assert tables >= 1 and scrolling == [], page.name


def test_real_data_package_validates_and_equals_independent_sums(built, real_rows, real_outcomes_workbook):
    """The published data package of the real build: frictionless validate, the OGL, the workbook's
    sha256, and both tables against sums of the real rows (the rebuilt workbook has the recorded
    count only: every closed count is missing, so every closed total is NA, never 0)."""
    import hashlib

    import pandas as pd
    from helpers import validate_data_package

    folder = built / "data"
    validated = validate_data_package(folder / "datapackage.json")
    assert validated == {
        "sexual-offences-rows-2024-25-csv": len(
            real_rows.filter(pl.col("Offence Group") == codes.SEXUAL_OFFENCES_GROUP)
        ),
        "sexual-offences-rows-2024-25-parquet": len(
            real_rows.filter(pl.col("Offence Group") == codes.SEXUAL_OFFENCES_GROUP)
        ),
        "all-offences-totals-2024-25-csv": validated["all-offences-totals-2024-25-parquet"],
        "all-offences-totals-2024-25-parquet": validated["all-offences-totals-2024-25-csv"],
    }
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert "SYNTHETIC" not in json.dumps(package) and not any("synthetic" in p.name for p in folder.iterdir())
    assert package["licenses"] == [
        {
            "name": "OGL-UK-3.0",
            "title": "Open Government Licence v3.0",
            "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        }
    ]
    assert [(s["file"], s["sha256"]) for s in package["sources"]] == [
        (real_outcomes_workbook.name, hashlib.sha256(real_outcomes_workbook.read_bytes()).hexdigest())
    ]
    real = real_rows.to_pandas()
    live = real[~real["expired"]]
    sexual = real[real["Offence Group"] == codes.SEXUAL_OFFENCES_GROUP]
    for rows in (
        pd.read_parquet(folder / "sexual-offences-rows-2024-25.parquet"),
        pd.read_csv(
            folder / "sexual-offences-rows-2024-25.csv.gz",
            dtype={"recorded": "Int64", "closed": "Int64"},
            keep_default_na=False,
            na_values=[""],
        ),
    ):
        assert "data" not in rows.columns and len(rows) == len(sexual)
        assert rows["recorded"].dtype == "Int64" and rows["recorded"].isna().sum() == sexual["expired"].sum()
        assert rows["recorded"].sum() == sexual.loc[~sexual["expired"], "n"].sum()
        assert rows["closed"].isna().all()
    wanted = live.groupby(["quarter", "Force", "outcome_type"])["n"].sum()
    wanted.index = [(int(q), str(f), str(t)) for q, f, t in wanted.index]
    for table in (
        pd.read_parquet(folder / "all-offences-totals-2024-25.parquet"),
        pd.read_csv(
            folder / "all-offences-totals-2024-25.csv.gz",
            dtype={"quarter": "Int8", "recorded": "Int64", "closed": "Int64", "outcome_type": "string"},
            keep_default_na=False,
            na_values=[""],
        ),
    ):
        got = dict(
            zip(
                zip(table["quarter"].astype(int), table["force"].astype(str), table["outcome_type"].astype(str)),
                table["recorded"],
            )
        )
        assert got == wanted.to_dict()
        assert table["closed"].isna().all()
    sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
    print("real data package sizes:", sizes)
