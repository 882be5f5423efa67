"""run_all.py end to end on the synthetic sample: HTML, summary.json and figure CSVs against
independent sums of the generator's own values (sample.outcomes_truth)."""

import json
import re

import polars as pl
import pytest
from conftest import NOTEBOOK_HTML, SESSION_FORCES, VINTAGES, sample_truth
from expected import CHILD_CODES, expected_figures, from_tidy

from crimeoutcomes.data import codes
from crimeoutcomes.data.years import year_slug
from crimeoutcomes.synthetic import sample

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

YEAR = VINTAGES[-1]


@pytest.fixture(scope="module")
def truth():
    return pl.concat([sample_truth(y) for y in VINTAGES])


@pytest.fixture(scope="module")
def expected(truth):
    year = truth.filter(pl.col("financial_year") == YEAR)
    return expected_figures(from_tidy(year, "closed"), codes.forces(), sample._collapsed(YEAR))


def test_synthetic_output_goes_under_sample_with_every_report(built):
    assert sorted(p.name for p in built["reports"].glob("*.html")) == sorted(
        NOTEBOOK_HTML + ["index.html", "caveats.html"]
    )
    assert (built["reports"] / "summary.json").is_file()
    assert not (built["out"] / "reports" / year_slug(YEAR)).exists()  # nothing synthetic outside sample/
    assert not list(built["out"].glob("**/.staging*"))


@pytest.mark.parametrize("name", NOTEBOOK_HTML)
def test_each_html_report_is_clean_self_contained_and_marked(built, name):
    page = (built["reports"] / name).read_text(encoding="utf-8")
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page
    assert "Traceback" not in page and "Error" not in re.sub(r"<style.*?</style>", "", page, flags=re.S)
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    assert "jp-InputArea-editor" not in body and 'class="highlight' not in body  # no code cells
    assert "save_figure(" not in page and "import polars" not in page
    assert "<script src=" not in page  # nothing fetched from elsewhere
    assert page.count('src="data:image/png;base64,') >= 2  # figures embedded
    assert "SYNTHETIC DATA" in re.sub(r"<style.*?</style>", "", page, flags=re.S)


@pytest.mark.parametrize("name", NOTEBOOK_HTML + ["index.html"])
def test_every_page_carries_the_provenance_block(built, sample_files, name):
    page = (built["reports"] / name).read_text(encoding="utf-8")
    assert 'class="provenance"' in page and "closed" in page
    manifest = json.loads((sample_files.folder / "manifest.json").read_text())
    used = [e for e in manifest["files"] if e["filename"] != sample_files.earlier_release.name]
    for entry in used:  # every file read: name, release stamp and checksum
        assert entry["filename"] in page and entry["sha256"] in page and entry["release"] in page


def test_index_links_every_report_and_is_marked(built):
    page = (built["reports"] / "index.html").read_text(encoding="utf-8")
    for name in NOTEBOOK_HTML:
        assert f'href="{name}"' in page
    assert "SYNTHETIC DATA" in page
    assert "Devon and Cornwall: quarter(s) 1, 2, 3, 4 missing or collapsed" in page  # the year's gap is named


def test_progress_names_each_notebook_without_flooding_the_log(built):
    lines = built["stderr"].splitlines()
    stems = [name[:-5].replace("-", "_") for name in NOTEBOOK_HTML] + ["05_force_profile"]  # its 44 pages in batches
    for number, stem in enumerate(stems, 1):
        assert any(line.startswith(f"[{number}/{len(stems)}] {stem}: ") and ": done in" in line for line in lines)
    # The session's build runs in one kernel (conftest.BUILD_JOBS): its pages are one batch, one line.
    pages = [line for line in lines if "force pages" in line and ": done in" in line]
    assert len(pages) == 1, pages
    assert pages[0].startswith(f"[5/5] 05_force_profile: {len(SESSION_FORCES)} force pages, ")
    assert re.search(r"done in \d+\.\d s \(\d+\.\d s a page\)$", pages[0]), pages
    # run_all's own progress lines (a library's one-off warning, such as a fresh environment's font
    # cache being built in each kernel, is not run_all flooding the log): a line a page would be 96.
    progress = [line for line in lines if re.match(r"\[\d+/\d+\] ", line)]
    assert len(progress) < 30, progress


def test_summary_matches_independent_sums_of_the_sample(built, expected):
    summary = json.loads((built["reports"] / "summary.json").read_text())
    assert summary["financial_year"] == YEAR and summary["count_basis"] == "closed" and summary["synthetic"] is True
    sexual = summary["sexual_offences"]
    assert sexual["community_resolutions"] == expected["community_resolutions"]
    assert sexual["assigned_outcomes"] == expected["assigned_outcomes"]
    assert sexual["share_of_assigned"] == pytest.approx(
        expected["community_resolutions"] / expected["assigned_outcomes"]
    )
    assert sexual["charges_and_out_of_court"] == expected["charges_and_out_of_court"]
    assert summary["all_offences"]["community_resolutions"] == expected["all_offences_community_resolutions"]
    assert summary["community_resolutions_by_force"] == expected["by_force"]
    by_code = summary["community_resolutions_by_offence_code"]
    assert set(expected["by_code"]) <= set(by_code)
    assert by_code == {code: expected["by_code"].get(code, 0) for code in by_code}
    child = summary["child_victim_offences"]
    assert child["codes"] == CHILD_CODES
    assert child["community_resolutions"] == expected["child_victim_community_resolutions"]
    assert child["forces_using_cr_for_child_rape"] == expected["forces_using_cr_for_child_rape"]
    assert [s["file"] for s in summary["sources"]] == sorted(
        [sample.outcomes_filename(y) for y in VINTAGES] + [sample.RECORDED_CRIME_FILENAME]
    )


def test_each_years_total_behind_the_year_on_year_sentence(built, truth):
    by_year = json.loads((built["reports"] / "summary.json").read_text())["sexual_offences_by_year"]
    assert sorted(by_year) == list(VINTAGES)
    for year in VINTAGES:
        rows = from_tidy(truth.filter(pl.col("financial_year") == year), "closed")
        wanted = expected_figures(rows, codes.forces())
        assert by_year[year]["community_resolutions"] == wanted["community_resolutions"], year
        assert by_year[year]["assigned_outcomes"] == wanted["assigned_outcomes"], year
        # 2014/15 has forces that did not provide data; the generator collapses others' outcomes.
        planted = sum(len(q) for q in {**sample._not_provided(year), **sample._collapsed(year)}.values())
        assert by_year[year]["force_quarters_missing"] == planted, year
    page = (built["reports"] / "index.html").read_text(encoding="utf-8")
    previous = "2023/24"  # not among the test's vintages: the sentence must say so rather than compare
    assert f"holds no figures for {previous} to compare with" in page


def test_figure_csvs_hold_the_same_sums(built, expected, truth):
    figures = built["figures"]
    for name in (
        "sexual_cr_by_year",
        "force_cr_counts",
        "force_cr_funnel",
        "force_cr_offence_mix_funnel",
        "force_cr_rate_per_1000",
        "sexual_cr_by_offence_code",
        "child_cr_by_code_year",
        "child_rape_cr_forces",
    ):
        for suffix in (".png", ".svg", ".csv"):
            assert (figures / f"{name}{suffix}").stat().st_size > 0
    by_year = pl.read_csv(figures / "sexual_cr_by_year.csv")
    for year in VINTAGES:
        one = truth.filter(pl.col("financial_year") == year)
        for basis in ("closed", "recorded"):
            assert (
                by_year.filter(pl.col("financial_year") == year)[basis].item()
                == expected_figures(from_tidy(one, basis), codes.forces())["community_resolutions"]
            )
    counts = pl.read_csv(figures / "force_cr_counts.csv")
    assert dict(counts.select("force", "community_resolutions").iter_rows()) == expected["by_force"]
    by_code = pl.read_csv(figures / "sexual_cr_by_offence_code.csv", schema_overrides={"offence_code": pl.String})
    assert {c: v for c, v in by_code.select("offence_code", "community_resolutions").iter_rows() if v} == {
        c: v for c, v in expected["by_code"].items() if v
    }
    child = pl.read_csv(figures / "child_cr_by_code_year.csv", schema_overrides={"offence_code": pl.String})
    assert (
        child.filter(pl.col("financial_year") == YEAR)["community_resolutions"].sum()
        == expected["child_victim_community_resolutions"]
    )
    rape = pl.read_csv(figures / "child_rape_cr_forces.csv").filter(pl.col("financial_year") == YEAR)
    assert rape["force"].to_list() == expected["forces_using_cr_for_child_rape"]


def test_a_missing_force_is_null_never_zero_in_the_gap_year(sample_files, truth):
    """2014/15: forces that did not provide data (the sample's 'N/A - data not provided')."""
    from crimeoutcomes.notebook.start import setup
    from crimeoutcomes.pages.summary import build_summary

    summary = build_summary(setup("2014/15", "recorded", data_folder=str(sample_files.folder)))
    expected = expected_figures(
        from_tidy(truth.filter(pl.col("financial_year") == "2014/15"), "recorded"), codes.forces()
    )
    assert summary["community_resolutions_by_force"] == expected["by_force"]
    assert summary["community_resolutions_by_force"]["Cumbria"] is None
    assert summary["forces_missing"]["Metropolitan Police"]["quarters"] == "2, 3, 4"
    assert summary["forces_missing"]["Metropolitan Police"]["marker"] == sample.NOT_PROVIDED_MARKER
    assert summary["sexual_offences"]["community_resolutions"] == expected["community_resolutions"]


def test_force_comparison_shows_funnels_standardised_ratios_and_gap_notes(built, expected):
    page = (built["reports"] / "02-force-comparison.html").read_text(encoding="utf-8")
    for text in ("Funnel plot", "Allowing for the offence mix", "Over-dispersion: phi =", "Three denominators"):
        assert text in page
    # The sample's Devon and Cornwall outcomes collapse all through 2024/25: named, and out of the rates.
    assert "outcomes collapsed" in page and "Devon and Cornwall" in page
    summary = json.loads((built["reports"] / "summary.json").read_text())["force_comparison"]
    assert summary["quarters_left_out"] == {
        "Devon and Cornwall": "2024/25 Q1 (outcomes collapsed); 2024/25 Q2 (outcomes "
        "collapsed); 2024/25 Q3 (outcomes collapsed); 2024/25 "
        "Q4 (outcomes collapsed)"
    }
    assert summary["rate_per_1000_recorded"]["Devon and Cornwall"] is None
    assert "Devon and Cornwall" in summary["not_ranked"]
    assert "Lancashire" in summary["outside_99_8"]  # the sample gives Lancashire five times the usual rate
    points = pl.read_csv(built["figures"] / "force_cr_funnel.csv").filter(pl.col("series") == "force")
    for force, share in points.select("force", "share").iter_rows():
        assert share == pytest.approx(expected["by_force"][force] / expected["assigned_by_force"][force])
    # Each flag's p-value is the exact binomial tail at the pooled share of the forces on the funnel
    # (scipy.stats, independent of the project's tail code).
    from scipy.stats import binom

    ranked = {f: n for f, n in expected["assigned_by_force"].items() if n is not None and n >= 5}
    target = sum(expected["by_force"][f] for f in ranked) / sum(ranked.values())
    flagged = {row["force"]: row for row in summary["flagged_99_8"]}
    assert set(flagged) == set(summary["outside_99_8"]) and "Lancashire" in flagged
    for force, row in flagged.items():
        k, n = expected["by_force"][force], ranked[force]
        tail = binom.sf(k - 1, n, target) if row["outside_99_8"] == "high" else binom.cdf(k, n, target)
        assert tail < 0.001 and row["p_two_sided"] == pytest.approx(min(1.0, 2 * tail), rel=1e-6)
        assert row["p_holm"] >= row["p_two_sided"]
    ranks = summary["ranks"]
    assert sorted(r["rank"] for r in ranks.values()) == list(range(1, len(ranks) + 1))
    assert all(r["rank_low"] <= r["rank"] <= r["rank_high"] for r in ranks.values())


def test_national_figure_csvs_against_independent_sums(built, truth):
    figures = built["figures"]
    shares = pl.read_csv(figures / "sexual_cr_shares.csv")
    quarters = pl.read_csv(figures / "sexual_cr_by_quarter.csv")
    for year in VINTAGES:
        one = truth.filter(pl.col("financial_year") == year)
        closed = expected_figures(from_tidy(one, "closed"), codes.forces())
        row = shares.filter(pl.col("financial_year") == year).row(0, named=True)
        assert row["share_of_assigned"] == pytest.approx(closed["community_resolutions"] / closed["assigned_outcomes"])
        assert row["share_of_charges_and_out_of_court"] == pytest.approx(
            closed["community_resolutions"] / closed["charges_and_out_of_court"]
        )
        for quarter in (1, 2, 3, 4):
            expected_quarter = expected_figures(
                from_tidy(one.filter(pl.col("quarter") == quarter), "recorded"), codes.forces()
            )["community_resolutions"]
            assert (
                quarters.filter((pl.col("financial_year") == year) & (pl.col("quarter") == quarter))["recorded"].item()
                == expected_quarter
            )


def test_subgroup_all_crime_and_child_force_csvs_against_independent_sums(built, truth):
    figures = built["figures"]
    subgroups = pl.read_csv(figures / "sexual_cr_by_subgroup.csv")
    all_crime = pl.read_csv(figures / "cr_sexual_vs_all_crime.csv")
    rape_codes = {o.code for o in codes.sexual_offences() if o.subgroup == "Rape offences"}
    for year in VINTAGES:
        closed = expected_figures(from_tidy(truth.filter(pl.col("financial_year") == year), "closed"), codes.forces())
        row = subgroups.filter(pl.col("financial_year") == year).row(0, named=True)
        assert row["Rape offences"] == sum(v for c, v in closed["by_code"].items() if c in rape_codes)
        assert row["Rape offences"] + row["Other sexual offences"] == closed["community_resolutions"]
        assert (
            all_crime.filter(pl.col("financial_year") == year)["all_crime"].item()
            == closed["all_offences_community_resolutions"]
        )
    child_rows = truth.filter((pl.col("financial_year") == YEAR) & pl.col("offence_code").is_in(CHILD_CODES))
    expected_child = expected_figures(from_tidy(child_rows, "closed"), codes.forces(), sample._collapsed(YEAR))[
        "by_force"
    ]
    child = pl.read_csv(figures / "child_cr_by_force.csv")
    assert dict(child.select("force", "community_resolutions").iter_rows()) == expected_child
