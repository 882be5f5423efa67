"""Reconciliation of published figures: a hand-made table of known differences, the grouping
arithmetic (Sexual offences + code 86) and the multi-window search on the sample against independent
pandas sums, and a line for every row of the shared list of figures."""

import csv
import re

import pandas as pd
import polars as pl
import pytest
from conftest import SHARED

from crimeoutcomes.data.years import financial_years_between
from crimeoutcomes.stats import reconcile
from crimeoutcomes.synthetic import sample

HEADER = "id,shared_row,windows,reading,scope,area,offences,unit,figure,bound,caveats,published_by,source_url"


def _published(tmp_path, rows) -> pd.DataFrame:
    path = tmp_path / "published.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return reconcile.published_figures(path)


# --- a hand-made tidy table: every number known -------------------------------------------------------


def _hand_table() -> pl.DataFrame:
    """2023/24 on both bases, 2024/25 on the recorded basis only (as the real rows we hold)."""
    cells = [  # year, force, group, code, outcome type, recorded, closed
        ("2023/24", "A", "Sexual offences", "19E", "8", 10, 12),
        ("2023/24", "A", "Sexual offences", "19E", "1", 30, 30),
        ("2023/24", "B", "Sexual offences", "19E", "8", 5, 4),
        ("2023/24", "A", "Misc", "86", "8", 7, 7),
        ("2023/24", "A", "Sexual offences", "19E", "0", 100, None),
        ("2024/25", "A", "Sexual offences", "19E", "8", 20, None),
        ("2024/25", "B", "Sexual offences", "19E", "8", 6, None),
        ("2024/25", "A", "Misc", "86", "8", 3, None),
        ("2024/25", "A", "Sexual offences", "19E", "1", 40, None),
        ("2024/25", "A", "Sexual offences", "19E", "0", 50, None),
    ]
    return pl.DataFrame(
        cells,
        schema=["financial_year", "force", "offence_group", "offence_code", "outcome_type", "recorded", "closed"],
        orient="row",
    ).with_columns(
        offence_code_expired=pl.lit(False),
        recorded=pl.col("recorded").cast(pl.Int64),
        closed=pl.col("closed").cast(pl.Int64),
    )


# Built for each test (a fraction of a second): mutmut runs a mutant only against the tests that call
# the mutated function, and a module-scoped result is built inside the first test alone.
@pytest.fixture
def hand_result(tmp_path_factory):
    rows = [
        "exact,1,2023/24,r,national,England and Wales,group:Sexual offences,count,16,exact,,p,u",
        "window,2,2023/24 | 2024/25,r,national,England and Wales,group:Sexual offences,count,26,exact,,p,u",
        "both-reasons,3,2024/25,r,national,England and Wales,group:Sexual offences,count,27,exact,,p,u",
        "far,3,2024/25,r,national,England and Wales,group:Sexual offences,count,60,exact,,p,u",
        "bound-met,4,2023/24,r,force,B,codes:19E,count,5,at least,,p,u",
        "bound-not-met,4,2024/25,r,force,B,codes:19E,count,10,at least,,p,u",
        "per-week,5,2024/25,r,national,England and Wales,group:Sexual offences,per_week,0.4,more than,,p,u",
        "per-week-exact,5,2024/25,r,national,England and Wales,group:Sexual offences,per_week,0.5,exact,,p,u",
        "moj,6,2023/24,r,national,England and Wales,group:Sexual offences,count,16,exact,moj,p,u",
        "plus-86,7,2023/24,r,national,England and Wales,group:Sexual offences + codes:86,count,22,exact,,p,u",
        "grouping,7,2023/24,r,national,England and Wales,group:Sexual offences | group:Sexual offences + codes:86,"
        "count,22,exact,,p,u",
        "absent,8,2030/31,r,national,England and Wales,group:Sexual offences,count,5,exact,,p,u",
        "share,9,2023/24,r,national,England and Wales,group:Sexual offences,pct_assigned,33.3,exact,,p,u",
        "pair,10,2023/24,r,region,A;B,codes:19E,count,15,exact,,p,u",
        "both-fit,11,2023/24,r,national,England and Wales,group:Sexual offences,count,10,more than,,p,u",
        "below-ours,12,2024/25,r,national,England and Wales,group:Sexual offences,count,20,exact,,p,u",
        "assigned,13,2023/24,r,national,England and Wales,group:Sexual offences,assigned,45,exact,,p,u",
        "solved,14,2023/24,r,national,England and Wales,group:Sexual offences,pct_solved,33.3,exact,,p,u",
        "everything,15,2023/24,r,national,England and Wales,all,count,23,exact,,p,u",
        "different,16,2023/24,r,national,England and Wales,group:Sexual offences,count,40,exact,,p,u",
    ]
    published = _published(tmp_path_factory.mktemp("hand"), rows)
    return reconcile.reconcile(_hand_table(), None, {"2023/24": "r1", "2024/25": "r2"}, published)


@pytest.fixture
def hand(hand_result):
    return hand_result.figures.set_index("id"), hand_result.candidates


def test_exact_match_on_one_basis(hand):
    figures, _ = hand
    row = figures.loc["exact"]
    assert (row["ours_closed"], row["ours_recorded"]) == (16, 15)
    assert row["status"] == "reproduced" and row["best_basis"] == "closed" and row["difference"] == 0
    assert row["reasons"] == "matches the closed basis"


def test_a_different_window_that_fits_is_named(hand):
    figures, candidates = hand
    row = figures.loc["window"]
    assert row["status"] == "reproduced with a different grouping or window"
    assert (row["best_window"], row["best_basis"], row["best_ours"]) == ("2024/25", "recorded", 26)
    assert "not our first reading (2023/24" in row["reasons"]
    tried = candidates[candidates["id"] == "window"].set_index(["window", "basis"])["ours"]
    assert tried[("2023/24", "closed")] == 16 and tried[("2023/24", "recorded")] == 15
    assert tried[("2024/25", "recorded")] == 26 and pd.isna(tried[("2024/25", "closed")])


def test_a_small_difference_lists_both_release_and_the_missing_basis(hand):
    figures, _ = hand
    row = figures.loc["both-reasons"]
    assert row["status"] == "differs" and row["difference"] == 1
    assert "release: another release of the file (1, 3.7% from the recorded basis of release r2" in row["reasons"]
    assert "the closed basis, which the files read do not hold" in row["reasons"]
    far = figures.loc["far"]  # 34 from 26: not a revision, but the closed basis still cannot be ruled out
    assert "release" not in far["reasons"] and "the closed basis, which the files read do not hold" in far["reasons"]


def test_lower_bounds_met_and_not_met(hand):
    figures, _ = hand
    assert figures.loc["bound-met", "status"] == "reproduced"
    assert figures.loc["bound-met", "reasons"] == "consistent with the recorded basis"  # closed 4 < 5
    row = figures.loc["bound-not-met"]
    assert row["status"] == "differs" and row["reasons"].startswith("at most 6 in the files read against at least 10")


def test_per_week_conversion(hand):
    figures, _ = hand
    assert figures.loc["per-week", "published"] == "more than 0.4 a week"
    assert figures.loc["per-week-exact", "published"] == "0.5 a week"
    assert figures.loc["assigned", "published"] == "45 assigned outcomes"
    assert figures.loc["solved", "published"] == "33.3%" and figures.loc["exact", "published"] == "16"
    assert figures.loc["per-week", "ours_recorded"] == pytest.approx(26 / 52)
    assert figures.loc["per-week", "status"] == "reproduced"
    assert figures.loc["per-week-exact", "status"] == "reproduced"


def test_not_reproducible_and_absent_years(hand):
    figures, _ = hand
    row = figures.loc["moj"]
    assert row["status"] == "not reproducible" and row["reasons"].startswith("a Ministry of Justice series")
    assert row["ours_closed"] == 16  # the nearest equivalent is still shown
    row = figures.loc["absent"]
    assert row["status"] == "not in the files read" and "2030/31 not in the files read" in row["reasons"]


def test_groupings_shares_and_force_lists(hand):
    figures, candidates = hand
    assert figures.loc["plus-86", "ours_recorded"] == 15 + 7 and figures.loc["plus-86", "status"] == "reproduced"
    row = figures.loc["grouping"]
    assert row["status"] == "reproduced with a different grouping or window"
    assert row["best_offences"] == "Sexual offences group + code 86" and row["best_basis"] == "recorded"
    tried = candidates[candidates["id"] == "grouping"].set_index(["offences", "basis"])["ours"]
    assert (
        tried[("Sexual offences group", "closed")] == 16 and tried[("Sexual offences group + code 86", "closed")] == 23
    )
    assert figures.loc["share", "ours_recorded"] == pytest.approx(100 * 15 / 45)
    assert figures.loc["share", "status"] == "reproduced"
    assert figures.loc["pair", "ours_recorded"] == 15


def test_synthetic_data_gives_no_reasons(tmp_path):
    published = _published(
        tmp_path, ["x,1,2024/25,r,national,England and Wales,group:Sexual offences,count,27,exact,,p,u"]
    )
    figures = reconcile.reconcile(_hand_table(), None, {}, published, synthetic=True).figures
    assert figures.loc[0, "status"] == "synthetic" and figures.loc[0, "reasons"] == "synthetic"
    assert figures.loc[0, "ours_from"] == "SYNTHETIC sample (invented)"
    assert figures.loc[0, "ours_recorded"] == 26  # the machinery still runs


def test_records_carry_every_candidate_tried_with_missing_as_none(hand_result):
    records = {r["id"]: r for r in hand_result.records()}
    window = records["window"]
    # 2 windows x 1 grouping x 2 bases, the figure's id not repeated inside
    assert len(window["tried"]) == 4 and all("id" not in c for c in window["tried"])
    by_key = {(c["window"], c["basis"]): c for c in window["tried"]}
    assert by_key[("2024/25", "recorded")]["ours"] == 26 and by_key[("2024/25", "recorded")]["fits"]
    assert by_key[("2024/25", "closed")]["ours"] is None and by_key[("2024/25", "closed")]["difference"] is None
    assert "the closed basis is not in the files read" in by_key[("2024/25", "closed")]["why_not"]
    assert records["absent"]["ours_recorded"] is None and records["absent"]["best_ours"] is None
    assert records["exact"]["ours_closed"] == 16 and records["exact"]["difference"] == 0
    assert [r["id"] for r in hand_result.records()] == hand_result.figures["id"].tolist()


@pytest.mark.parametrize(
    "value,unit,shown",
    [
        (899, "count", "899"),
        (1234.0, "count", "1,234"),
        (1234.4, "count", "1,234"),  # counts are whole
        (1234.4, "assigned", "1,234"),
        (17.25, "per_week", "17.2"),
        (17.0, "annual_mean", "17"),
        (2.94, "pct_assigned", "2.9%"),
        (3.0, "pct_solved", "3.0%"),
        (None, "count", "n/a"),
        (float("nan"), "pct_assigned", "n/a"),
    ],
)
def test_values_are_written_in_their_unit(value, unit, shown):
    assert reconcile.format_value(value, unit) == shown


def test_the_notebook_entry_point_names_missing_force_data_on_the_bases_held(tmp_path):
    from types import SimpleNamespace

    from helpers import outcomes_table

    rows = [  # Kent all year on the recorded basis; Essex's quarter 2 not provided; no closed counts
        *[("2024/25", q, "Kent", "19E", "Sexual offences", False, "8", 5, None, None) for q in (1, 2, 3, 4)],
        *[("2024/25", q, "Essex", "19E", "Sexual offences", False, "8", 100, None, None) for q in (1, 3, 4)],
        ("2024/25", 2, "Essex", "19E", "Sexual offences", False, "8", None, None, "N/A - data not provided"),
    ]
    analysis = SimpleNamespace(
        rows=outcomes_table(rows), recorded_crime=None, releases=lambda: {"2024/25": "r9"}, synthetic=False
    )
    published = _published(
        tmp_path,
        [
            "kent,1,2024/25,r,force,Kent,codes:19E,count,20,exact,,p,u",
            "essex,2,2024/25,r,force,Essex,codes:19E,count,310,exact,,p,u",
        ],
    )
    figures = reconcile.reconciliation(analysis, published).figures.set_index("id")
    assert figures.loc["kent", "status"] == "reproduced" and figures.loc["kent", "ours_recorded"] == 20
    assert pd.isna(figures.loc["kent", "ours_closed"])
    essex = figures.loc["essex"]
    assert essex["status"] == "differs" and essex["ours_recorded"] == 300
    assert "coverage: data missing or collapsed for Essex in 2024/25" in essex["reasons"]
    assert "(10, 3.2% from the recorded basis of release r9," in essex["reasons"]
    assert "the closed basis, which the files read do not hold" in essex["reasons"]


def test_the_best_fit_in_words_with_the_gap(hand):
    figures, _ = hand
    assert figures.loc["exact", "fit"] == "2023/24, Sexual offences group, closed basis: 16"
    # 26 ours against 60 published: 34 below, 34 / 60 = 56.7%
    assert (
        figures.loc["far", "fit"] == "2024/25, Sexual offences group, recorded basis: 26 (34 below the figure, 56.7%)"
    )
    assert figures.loc["below-ours", "fit"] == (
        "2024/25, Sexual offences group, recorded basis: 26 (6 above the figure, 30.0%)"
    )
    # both bases above 10: both named, with their values
    assert figures.loc["both-fit", "fit"] == "2023/24, Sexual offences group: closed 16, recorded 15"
    assert figures.loc["both-fit", "reasons"] == "consistent with the closed and recorded basis"
    assert (
        figures.loc["window", "fit"]
        == "2024/25, Sexual offences group, recorded basis: 26; next: 2023/24, Sexual offences group, closed basis 16"
    )
    assert figures.loc["absent", "fit"] == "nothing to compare: 2030/31 not in the files read"
    assert figures.loc["absent", "best_ours"] != figures.loc["absent", "best_ours"]  # NaN: nothing computed


def test_the_figures_table_has_the_published_columns_whatever_the_status(hand_result):
    assert list(hand_result.figures.columns) == [
        "id",
        "shared_row",
        "published",
        "figure",
        "bound",
        "unit",
        "reading",
        "window",
        "area",
        "offences",
        "ours_closed",
        "ours_recorded",
        "status",
        "best_window",
        "best_offences",
        "best_basis",
        "best_ours",
        "difference",
        "fit",
        "reasons",
        "published_by",
        "source_url",
        "ours_from",
    ]
    absent = hand_result.figures.set_index("id").loc["absent"]
    assert (
        pd.isna(absent["best_window"]) and pd.isna(absent["best_basis"]) and absent["status"] == "not in the files read"
    )


def test_assigned_outcomes_solved_shares_and_all_crime(hand):
    figures, _ = hand
    # 2023/24 assigned sexual-offence outcomes (type 0 left out): recorded 10 + 30 + 5, closed 12 + 30 + 4
    assert (figures.loc["assigned", "ours_recorded"], figures.loc["assigned", "ours_closed"]) == (45, 46)
    assert figures.loc["assigned", "status"] == "reproduced"
    # community resolutions per charge, out-of-court outcome or TIC: 15 / 45 and 16 / 46
    assert figures.loc["solved", "ours_recorded"] == pytest.approx(100 * 15 / 45)
    assert figures.loc["solved", "ours_closed"] == pytest.approx(100 * 16 / 46)
    # all crime: code 86 (Misc) too, 10 + 5 + 7 recorded
    assert figures.loc["everything", "ours_recorded"] == 22 and figures.loc["everything", "offences"] == "all crime"


def test_each_reason_is_given_only_where_it_applies(hand, tmp_path):
    figures, _ = hand
    # reproduced on the only basis held: the other basis is no reason to doubt it
    assert figures.loc["per-week", "reasons"] == "consistent with the recorded basis"
    # 26 against 60: too far for a revision; the closed basis (not held) is the one reason left open
    assert figures.loc["far", "reasons"] == "the closed basis, which the files read do not hold"
    # both bases held, no revision, no gap: only a different offence set or counting rule is left
    assert figures.loc["different", "status"] == "differs"
    assert figures.loc["different", "reasons"] == (
        "a different offence set or counting rule: 24 more published than the nearest (closed basis)"
    )
    assert figures.loc["both-reasons", "reasons"] == (
        "release: another release of the file (1, 3.7% from the recorded basis of release r2, the size of "
        "revisions between releases); the closed basis, which the files read do not hold"
    )
    row = "x,1,2024/25,r,national,England and Wales,group:Sexual offences,count,27,exact,,p,u"
    unstamped = reconcile.reconcile(_hand_table(), None, {}, _published(tmp_path, [row])).figures
    assert "from the recorded basis of release unknown" in unstamped.loc[0, "reasons"]


def test_fits_by_bound_with_half_a_unit_of_the_last_digit():
    assert reconcile.fits(0.4, "approx", 0.44)  # |0.04| within half a unit of the last digit (0.05)
    assert not reconcile.fits(0.4, "approx", 0.46)
    assert reconcile.fits(100, "approx", 105) and not reconcile.fits(100, "approx", 105.5)  # 5%
    assert reconcile.fits(17.5, "exact", 17.54) and not reconcile.fits(17.5, "exact", 17.56)
    assert reconcile.fits(5, "at least", 5) and not reconcile.fits(5, "more than", 5)
    assert not reconcile.fits(5, "exact", None) and not reconcile.fits(5, "at least", float("nan"))


def test_offence_selections_are_parsed_and_a_bad_one_named():
    assert reconcile.parse_offences("all") == [{"groups": [], "codes": [], "all": True, "label": "all"}]
    assert reconcile.parse_offences("group:Sexual offences + codes:86;19E | codes:86") == [
        {
            "groups": ["Sexual offences"],
            "codes": ["86", "19E"],
            "all": False,
            "label": "group:Sexual offences + codes:86;19E",
        },
        {"groups": [], "codes": ["86"], "all": False, "label": "codes:86"},
    ]
    with pytest.raises(ValueError, match="published figures: unknown offence selection 'kind:x'"):
        reconcile.parse_offences("kind:x")
    assert reconcile.parse_window("2019/20-2021/22;2023/24") == ["2019/20", "2020/21", "2021/22", "2023/24"]
    assert reconcile.window_words(["2019/20", "2020/21"]) == "2019/20 to 2020/21"


# --- the sample: grouping arithmetic and the window search against independent sums ----------------

YEARS = financial_years_between("2021/22", "2024/25")
FOI = ["foi-sex-offenders-3y", "foi-indecent-images-3y"]


@pytest.fixture(scope="module")
def sample_with_86():
    """The sample's years 2021/22 to 2024/25, with code 66 (Miscellaneous crimes against society)
    relabelled 86, which the small sample does not hold."""
    truth = pl.concat([sample.outcomes_truth(y) for y in YEARS])
    return truth.with_columns(
        offence_code=pl.when(pl.col("offence_code") == "66").then(pl.lit("86")).otherwise(pl.col("offence_code"))
    )


def _independent(truth: pl.DataFrame, years, basis, codes=(), group="Sexual offences") -> float:
    data = truth.to_pandas()
    data = data[(data["outcome_type"] == "8") & data["financial_year"].isin(years)]
    data = data[~(data["offence_code_expired"].fillna(False).astype(bool) & data[basis].isna())]
    chosen = data[(data["offence_group"] == group) | data["offence_code"].isin(codes)]
    return float(pd.to_numeric(chosen[basis]).sum())


def test_grouping_and_windows_on_the_sample(sample_with_86):
    published = reconcile.published_figures()
    published = published[published["id"].isin(FOI)]
    result = reconcile.reconcile(sample_with_86, None, {}, published)
    tried = result.candidates.set_index(["id", "window", "offences", "basis"])["ours"]
    assert len(tried) == 2 * 2 * 2 + 2 * 2  # windows x groupings x bases, and for code 86 alone
    for window, years in (("2022/23 to 2024/25", YEARS[1:]), ("2021/22 to 2023/24", YEARS[:3])):
        for basis in ("closed", "recorded"):
            group = _independent(sample_with_86, years, basis)
            with_86 = _independent(sample_with_86, years, basis, codes=["86"])
            only_86 = _independent(sample_with_86, years, basis, codes=["86"], group="none")
            assert group > 0 and only_86 > 0 and with_86 == group + only_86
            assert tried[("foi-sex-offenders-3y", window, "Sexual offences group", basis)] == group
            assert tried[("foi-sex-offenders-3y", window, "Sexual offences group + code 86", basis)] == with_86
            assert tried[("foi-indecent-images-3y", window, "code 86", basis)] == only_86
    # Not reproducible whatever the numbers: offenders, 38 forces.
    assert set(result.figures["status"]) == {"not reproducible"}


def test_the_window_search_finds_the_window_that_fits(sample_with_86, tmp_path):
    target = _independent(sample_with_86, YEARS[:3], "recorded", codes=["86"])
    row = (
        f"search,1,2022/23-2024/25 | 2021/22-2023/24,r,national,England and Wales,"
        f"group:Sexual offences | group:Sexual offences + codes:86,count,{target:.0f},exact,,p,u"
    )
    figure = reconcile.reconcile(sample_with_86, None, {}, _published(tmp_path, [row])).figures.iloc[0]
    assert figure["status"] == "reproduced with a different grouping or window"
    assert (figure["best_window"], figure["best_offences"], figure["best_basis"]) == (
        "2021/22 to 2023/24",
        "Sexual offences group + code 86",
        "recorded",
    )
    first = _independent(sample_with_86, YEARS[1:], "recorded")  # our first reading: 2022/23-2024/25, group
    assert figure["ours_recorded"] == first and "next:" in figure["fit"]


# --- the reference table covers the shared list ------------------------------------------------------


def test_every_row_of_the_shared_list_has_its_line(sample_with_86):
    path = SHARED / "reference" / "published_figures.csv"
    if not path.is_file():
        pytest.skip(f"shared list of figures {path} is absent (it is only on the project's machines)")
    with open(path, newline="", encoding="utf-8") as handle:
        shared = list(csv.DictReader(handle))
    ours = reconcile.published_figures()
    assert set(ours["shared_row"]) == set(range(1, len(shared) + 1))
    for figure in ours.to_dict("records"):
        text = re.sub(r"(\d),(\d)", r"\1\2", " ".join(shared[figure["shared_row"] - 1].values()))
        assert f"{figure['figure']:g}" in text, figure["id"]
    for text in ours["caveats"]:
        assert all(key in reconcile.CAVEATS for key in filter(None, text.split(";")))
    result = reconcile.reconcile(sample_with_86, None, {}, synthetic=True)
    assert result.figures["id"].tolist() == ours["id"].tolist()
    assert set(result.figures["reasons"]) == {"synthetic"}
