"""Reconciliation of published figures: a hand-made table of known differences, the grouping
arithmetic (Sexual offences + code 86) and the multi-window search on the sample against independent
pandas sums, and a line for every row of the shared list of figures."""

import csv
import re

import pandas as pd
import polars as pl
import pytest
from conftest import SHARED, sample_truth

from crimeoutcomes.data.years import financial_years_between
from crimeoutcomes.reconciliation import press_figures as reconcile

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
    truth = pl.concat([sample_truth(y) for y in YEARS])
    return truth.with_columns(
        offence_code=pl.when(pl.col("offence_code") == "66").then(pl.lit("86")).otherwise(pl.col("offence_code"))
    )


_AS_PANDAS: dict[int, tuple[pl.DataFrame, pd.DataFrame]] = {}


def _as_pandas(truth: pl.DataFrame) -> pd.DataFrame:
    """The frame in pandas, converted once (the 14 sums below each converted the four years: 0.5 s);
    keyed by identity, the polars frame kept alive so that its id is not reused. Only read."""
    if id(truth) not in _AS_PANDAS:
        _AS_PANDAS[id(truth)] = (truth, truth.to_pandas())
    return _AS_PANDAS[id(truth)][1]


def _independent(truth: pl.DataFrame, years, basis, codes=(), group="Sexual offences") -> float:
    data = _as_pandas(truth)
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


# --- wording and statuses of report 04 on small hand-made cases (issue 19) ---------------------------


def _tidy(cells, expired=()) -> pl.DataFrame:
    """cells: (year, force, group, code, outcome type, recorded, closed); codes in ``expired`` marked expired."""
    return pl.DataFrame(
        cells,
        schema=["financial_year", "force", "offence_group", "offence_code", "outcome_type", "recorded", "closed"],
        orient="row",
    ).with_columns(
        offence_code_expired=pl.col("offence_code").is_in(list(expired)),
        recorded=pl.col("recorded").cast(pl.Int64),
        closed=pl.col("closed").cast(pl.Int64),
    )


def _figures(tmp_path, table, rows, releases=None, unusable=None) -> pd.DataFrame:
    published = _published(tmp_path, rows)
    return reconcile.reconcile(table, unusable, releases or {}, published).figures.set_index("id")


def _row(fid, windows, area, offences, unit, figure, bound, caveats=""):
    return f"{fid},1,{windows},r,x,{area},{offences},{unit},{figure},{bound},{caveats},p,u"


EW = "England and Wales"
SEX = "group:Sexual offences"


def test_several_codes_are_written_codes_with_commas():
    assert reconcile.offence_words(reconcile.parse_offences("codes:19D;19E")[0]) == "codes 19D, 19E"
    assert reconcile.offence_words(reconcile.parse_offences("codes:86")[0]) == "code 86"
    assert reconcile.offence_words(reconcile.parse_offences(f"{SEX} + codes:86;19D")[0]) == (
        "Sexual offences group + codes 86, 19D"
    )


def test_a_pandas_outcomes_table_gives_the_same_figures(tmp_path):
    from crimeoutcomes.data.frames import to_pandas

    table = to_pandas(_hand_table())  # the API's pandas types (nullable integers)
    figures = _figures(tmp_path, table, [_row("x", "2023/24", EW, SEX, "count", 16, "exact")])
    # 2023/24 community resolutions (type 8), sexual offences: closed 12 + 4, recorded 10 + 5
    assert (figures.loc["x", "ours_closed"], figures.loc["x", "ours_recorded"]) == (16, 15)
    assert figures.loc["x", "status"] == "reproduced"


def test_a_plain_pandas_table_with_a_missing_count_gives_the_same_figures(tmp_path):
    """polars' own to_pandas gives float counts with NaN where one is missing (no nullable integers):
    they are whole numbers again before the two bases are stacked."""
    table = _tidy(
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 10, 12),
            ("2023/24", "A", "Sexual offences", "19A", "8", 4, None),  # expired: a recorded count, no closed one
        ],
        expired=["19A"],
    )
    plain = table.to_pandas()
    assert str(plain["closed"].dtype) == "float64"  # the case: NaN for the missing count
    figures = _figures(tmp_path, plain, [_row("x", "2023/24", EW, SEX, "count", 14, "exact")])
    assert (figures.loc["x", "ours_recorded"], figures.loc["x", "ours_closed"]) == (14, 12)


def test_an_expired_codes_counts_are_kept_on_the_basis_that_holds_them(tmp_path):
    table = _tidy(
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 10, 12),
            ("2023/24", "A", "Sexual offences", "19A", "8", 4, None),  # expired: a recorded count, no closed one
        ],
        expired=["19A"],
    )
    figures = _figures(tmp_path, table, [_row("x", "2023/24", EW, SEX, "count", 14, "exact")])
    assert (figures.loc["x", "ours_recorded"], figures.loc["x", "ours_closed"]) == (14, 12)
    assert figures.loc["x", "status"] == "reproduced"


def test_out_of_court_share_of_assigned_outcomes(tmp_path):
    cells = [  # community resolution 10, caution (3) 6, charge (1) 20, type 14 4, not yet assigned 100
        ("2023/24", "A", "Sexual offences", "19E", t, n, n) for t, n in (("8", 10), ("3", 6), ("1", 20), ("14", 4))
    ]
    cells.append(("2023/24", "A", "Sexual offences", "19E", "0", 100, 100))
    figures = _figures(tmp_path, _tidy(cells), [_row("x", "2023/24", EW, SEX, "pct_assigned_ooc", 40, "exact")])
    # out of court (8 and 3): 16 of 40 assigned = 40%
    assert figures.loc["x", "ours_recorded"] == pytest.approx(40) and figures.loc["x", "ours_closed"] == pytest.approx(
        40
    )
    assert (
        figures.loc["x", "status"] == "reproduced"
        and figures.loc["x", "reasons"] == "matches the closed and recorded basis"
    )


def test_what_the_files_do_not_hold_is_named_in_full(tmp_path):
    rows = [
        _row("years", "2030/31-2031/32", EW, SEX, "count", 5, "exact"),
        _row("codes", "2023/24", EW, "codes:98;99", "count", 5, "exact"),
        _row("forces", "2023/24", "C;D", "codes:19E", "count", 5, "exact"),
        _row("window", "2023/24 | 2030/31", EW, SEX, "count", 40, "exact"),
    ]
    figures = _figures(tmp_path, _hand_table(), rows)
    for fid, why in (
        ("years", "2030/31, 2031/32 not in the files read"),
        ("codes", "code 98, 99 not in the files read"),
        ("forces", "C, D not in the files read"),
    ):
        assert figures.loc[fid, "status"] == "not in the files read"
        assert figures.loc[fid, "fit"] == f"nothing to compare: {why}"
        assert figures.loc[fid, "reasons"] == why
    # ours on the first window differs by 24 of 40; the other window cannot be checked
    assert figures.loc["window", "status"] == "differs"
    assert figures.loc["window", "reasons"] == (
        "another window or grouping, which the files read cannot check: 2030/31 not in the files read"
    )


def test_rates_over_a_run_of_years_and_revisions_in_their_unit(tmp_path):
    table = _tidy(  # the recorded basis only, 510 + 530 community resolutions
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 510, None),
            ("2024/25", "A", "Sexual offences", "19E", "8", 530, None),
        ]
    )
    rows = [
        _row("week", "2023/24-2024/25", EW, SEX, "per_week", 10.3, "exact"),
        _row("mean", "2023/24-2024/25", EW, SEX, "annual_mean", 530, "exact"),
    ]
    result = reconcile.reconcile(table, None, {"2023/24": "r1", "2024/25": "r2"}, _published(tmp_path, rows))
    figures = result.figures.set_index("id")
    # 1,040 over 2 x 52 weeks = 10.0 a week; 1,040 over 2 years = 520 a year
    assert figures.loc["week", "ours_recorded"] == pytest.approx(10.0)
    assert figures.loc["mean", "ours_recorded"] == pytest.approx(520)
    closed = "the closed basis, which the files read do not hold"
    assert figures.loc["week", "status"] == "differs"
    assert figures.loc["week", "fit"] == (
        "2023/24 to 2024/25, Sexual offences group, recorded basis: 10 (0.3 below the figure, 2.9%)"
    )
    assert figures.loc["week", "reasons"] == (
        "release: another release of the file (0.3, 2.9% from the recorded basis of release r1, r2, the size of "
        f"revisions between releases); {closed}"
    )
    assert figures.loc["mean", "fit"] == (
        "2023/24 to 2024/25, Sexual offences group, recorded basis: 520 (10 below the figure, 1.9%)"
    )
    assert figures.loc["mean", "reasons"] == (
        "release: another release of the file (10, 1.9% from the recorded basis of release r1, r2, the size of "
        f"revisions between releases); {closed}"
    )
    why = result.candidates.set_index(["id", "basis"])["why_not"]
    assert why[("week", "closed")] == "the closed basis is not in the files read for 2023/24, 2024/25"


def test_a_revision_of_exactly_the_tolerance_and_assigned_outcomes(tmp_path):
    table = _tidy(
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 19, 19),
            ("2023/24", "A", "Sexual offences", "19E", "1", 27, 27),
        ]
    )
    rows = [
        _row("edge", "2023/24", EW, SEX, "count", 20, "exact"),  # 1 of 20: exactly 5%
        _row("assigned", "2023/24", EW, SEX, "assigned", 48, "exact"),  # 46 assigned: 2 of 48
    ]
    figures = _figures(tmp_path, table, rows, {"2023/24": "r1"})
    assert figures.loc["edge", "status"] == "differs"
    assert figures.loc["edge", "fit"] == "2023/24, Sexual offences group, closed basis: 19 (1 below the figure, 5.0%)"
    assert figures.loc["edge", "reasons"] == (
        "release: another release of the file (1, 5.0% from the closed basis of release r1, the size of "
        "revisions between releases)"
    )
    assert figures.loc["assigned", "reasons"] == (
        "release: another release of the file (2, 4.2% from the closed basis of release r1, the size of "
        "revisions between releases)"
    )


def test_caveats_that_block_and_caveats_that_only_qualify(tmp_path):
    rows = [
        _row("loose", "2023/24", EW, SEX, "count", 16, "exact", "year_reading"),
        _row("moj-absent", "2030/31 | 2031/32", EW, SEX, "count", 16, "exact", "moj;year_reading"),
    ]
    figures = _figures(tmp_path, _hand_table(), rows)
    loose = figures.loc["loose"]
    assert loose["status"] == "reproduced"
    assert loose["reasons"] == "matches the closed basis; the year is our reading of undated or loose wording"
    row = figures.loc["moj-absent"]
    assert row["status"] == "not reproducible"
    assert row["fit"] == "nothing to compare: 2030/31 not in the files read; 2031/32 not in the files read"
    assert row["reasons"] == (
        "a Ministry of Justice series (offenders dealt with, its own offence grouping), not the Home Office "
        "outcomes data; 2030/31 not in the files read; 2031/32 not in the files read; the year is our reading "
        "of undated or loose wording"
    )


def test_the_nearest_candidate_and_the_next_one(tmp_path):
    rows = [
        # nothing fits 30: 2024/25 recorded 26 is nearest, 2023/24 closed 16 next
        _row("nearest", "2023/24 | 2024/25", EW, SEX, "count", 30, "exact"),
        # 16 fits the group on the closed basis; with code 86 recorded 22 is nearer than closed 23
        _row("next", "2023/24", EW, f"{SEX} | {SEX} + codes:86", "count", 16, "exact"),
        # more than 10: both bases of 2023/24 fit, and 2024/25 recorded 26 too
        _row("bases", "2023/24 | 2024/25", EW, SEX, "count", 10, "more than"),
    ]
    figures = _figures(tmp_path, _hand_table(), rows)
    nearest = figures.loc["nearest"]
    assert (nearest["status"], nearest["best_window"], nearest["best_basis"]) == ("differs", "2024/25", "recorded")
    assert nearest["fit"] == (
        "2024/25, Sexual offences group, recorded basis: 26 (4 below the figure, 13.3%); "
        "next: 2023/24, Sexual offences group, closed basis 16"
    )
    assert figures.loc["next", "fit"] == (
        "2023/24, Sexual offences group, closed basis: 16; next: 2023/24, Sexual offences group + code 86, "
        "recorded basis 22"
    )
    bases = figures.loc["bases"]
    assert bases["status"] == "reproduced" and bases["reasons"] == "consistent with the closed and recorded basis"
    assert bases["fit"] == (
        "2023/24, Sexual offences group: closed 16, recorded 15; next: 2024/25, Sexual offences group, "
        "recorded basis 26"
    )


def test_shares_are_written_as_shares_in_every_sentence(tmp_path):
    rows = [
        _row("fit", "2023/24", EW, SEX, "pct_assigned", 30, "more than"),
        _row("short", "2023/24 | 2024/25", EW, SEX, "pct_assigned", 50, "at least"),
        _row("differs", "2023/24", EW, SEX, "pct_assigned", 50, "exact"),
    ]
    figures = _figures(tmp_path, _hand_table(), rows)
    # 2023/24: closed 16 of 46 = 34.8%, recorded 15 of 45 = 33.3%; 2024/25 recorded 26 of 66 = 39.4%
    assert figures.loc["fit", "fit"] == "2023/24, Sexual offences group: closed 34.8%, recorded 33.3%"
    short = figures.loc["short"]
    assert short["fit"] == (
        "2024/25, Sexual offences group, recorded basis: 39.4% (10.6% below the figure, 21.2%); "
        "next: 2023/24, Sexual offences group, closed basis 34.8%"
    )
    assert short["reasons"] == (
        "at most 39.4% in the files read against at least 50.0% published; "
        "the closed basis, which the files read do not hold"
    )
    differs = figures.loc["differs"]
    assert differs["fit"] == "2023/24, Sexual offences group, closed basis: 34.8% (15.2% below the figure, 30.4%)"
    assert differs["reasons"] == (
        "a different offence set or counting rule: 15.2% more published than the nearest (closed basis)"
    )


def test_bounds_not_met_and_the_direction_of_a_difference(tmp_path):
    rows = [
        _row("short", "2023/24", EW, SEX, "count", 20, "at least"),
        _row("zero", "2023/24", EW, SEX, "count", 0, "exact"),
        _row("week", "2023/24", EW, SEX, "per_week", 1.2, "exact"),  # closed 16 / 52 = 0.31
    ]
    figures = _figures(tmp_path, _hand_table(), rows)
    assert figures.loc["short", "reasons"] == (
        "at most 16 in the files read against at least 20 published; "
        "a different offence set or counting rule: 4 more published than the nearest (closed basis)"
    )
    zero = figures.loc["zero"]
    assert zero["status"] == "differs"
    assert zero["fit"] == "2023/24, Sexual offences group, recorded basis: 15 (15 above the figure)"
    assert (
        zero["reasons"]
        == "a different offence set or counting rule: 15 fewer published than the nearest (recorded basis)"
    )
    week = figures.loc["week"]
    assert week["fit"] == "2023/24, Sexual offences group, closed basis: 0.3 (0.9 below the figure, 74.4%)"
    assert (
        week["reasons"]
        == "a different offence set or counting rule: 0.9 more published than the nearest (closed basis)"
    )


def test_coverage_names_the_forces_missing_on_the_best_basis(tmp_path):
    unusable = pd.DataFrame(
        {
            "financial_year": ["2024/25", "2024/25", "2024/25", "2023/24"],
            "quarter": [1, 2, 1, 1],
            "force": ["A", "B", "C", "D"],
            "basis": ["recorded", "recorded", "closed", "recorded"],
            "reason": ["data missing: x"] * 4,
        }
    )
    rows = [_row("x", "2024/25", EW, SEX, "count", 30, "exact")]
    expected = (
        "the closed basis, which the files read do not hold; coverage: data missing or collapsed for A, B in 2024/25"
    )
    assert _figures(tmp_path, _hand_table(), rows, unusable=unusable).loc["x", "reasons"] == expected
    # the same table given as polars (quality.unusable_quarters' own type)
    as_polars = _figures(tmp_path, _hand_table(), rows, unusable=pl.from_pandas(unusable))
    assert as_polars.loc["x", "reasons"] == expected


def test_a_share_with_nothing_to_divide_by(tmp_path):
    table = _tidy(
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 10, 10),
            ("2023/24", "A", "Misc", "99", "0", 5, 5),  # code 99: only outcomes not yet assigned
        ]
    )
    result = reconcile.reconcile(
        table, None, {}, _published(tmp_path, [_row("x", "2023/24", EW, "codes:99", "pct_assigned", 10, "exact")])
    )
    row = result.figures.iloc[0]
    assert row["status"] == "not in the files read" and row["fit"] == "nothing to compare: no outcomes to divide by"
    assert set(result.candidates["why_not"]) == {"no outcomes to divide by"}


def test_the_notebook_entry_point_uses_recorded_crime_and_the_synthetic_flag(tmp_path):
    from types import SimpleNamespace

    from helpers import outcomes_table

    rows = [  # Kent 1,000 community resolutions a quarter, Essex 100, recorded basis only
        *[
            ("2024/25", q, f, "19E", "Sexual offences", False, "8", n, None, None)
            for q in (1, 2, 3, 4)
            for f, n in (("Kent", 1000), ("Essex", 100))
        ]
    ]
    crimes = pl.DataFrame(  # Essex's quarter 2: 100 outcomes for 10,000 crimes, a fifth of the national rate
        [("2024/25", q, f, c) for q in (1, 2, 3, 4) for f, c in (("Kent", 2000), ("Essex", 10000 if q == 2 else 200))],
        schema={"financial_year": pl.String, "quarter": pl.Int8, "force": pl.String, "offences": pl.Int64},
        orient="row",
    )
    published = _published(tmp_path, [_row("essex", "2024/25", "Essex", "codes:19E", "count", 410, "exact")])
    analysis = SimpleNamespace(
        rows=outcomes_table(rows), recorded_crime=crimes, releases=lambda: {"2024/25": "r9"}, synthetic=False
    )
    essex = reconcile.reconciliation(analysis, published).figures.iloc[0]
    assert essex["status"] == "differs" and essex["ours_recorded"] == 400
    assert "coverage: data missing or collapsed for Essex in 2024/25" in essex["reasons"]
    analysis.synthetic = True
    figure = reconcile.reconciliation(analysis, published).figures.iloc[0]
    assert (figure["status"], figure["reasons"]) == ("synthetic", "synthetic")
    # a file whose counts are all missing: no basis held, nothing to compare, no coverage table
    empty = [
        ("2024/25", q, "Essex", "19E", "Sexual offences", False, "8", None, None, "N/A - data not provided")
        for q in (1, 2, 3, 4)
    ]
    analysis = SimpleNamespace(rows=outcomes_table(empty), recorded_crime=None, releases=lambda: {}, synthetic=False)
    figure = reconcile.reconciliation(analysis, published).figures.iloc[0]
    assert figure["status"] == "not in the files read"
    assert figure["fit"] == (
        "nothing to compare: the closed basis is not in the files read for 2024/25; "
        "the recorded basis is not in the files read for 2024/25"
    )


def test_a_lower_bound_met_only_with_equality_is_not_met(tmp_path):
    table = _tidy(  # 1 community resolution of 4 assigned outcomes: 25% on both bases
        [
            ("2023/24", "A", "Sexual offences", "19E", "8", 1, 1),
            ("2023/24", "A", "Sexual offences", "19E", "1", 3, 3),
        ]
    )
    figures = _figures(tmp_path, table, [_row("x", "2023/24", EW, SEX, "pct_assigned", 25, "more than")])
    row = figures.loc["x"]
    assert row["status"] == "differs" and row["fit"] == "2023/24, Sexual offences group, closed basis: 25.0%"
    assert row["reasons"] == (
        "at most 25.0% in the files read against more than 25.0% published; "
        "a different offence set or counting rule: the nearest equals the published bound (closed basis)"
    )


def test_fits_a_whole_figure_to_its_precision_and_lower_bounds_above_it():
    assert reconcile.fits(10, "exact", 10.2) and not reconcile.fits(10, "exact", 10.6)  # "10 a week" from 10.2
    assert reconcile.fits(0.4, "approx", 0.448) and reconcile.fits(0.4, "approx", 0.352)  # within 0.05
    assert reconcile.fits(5, "at least", 7) and not reconcile.fits(5, "at least", 4.9)


def test_figures_are_written_as_published():
    def text(bound, unit, figure):
        return reconcile.published_text({"bound": bound, "unit": unit, "figure": figure})

    assert text("approx", "count", 6800.0) == "about 6,800"
    assert text("at least", "count", 5.0) == "at least 5"
    assert text("exact", "annual_mean", 530.0) == "530 a year"


def test_the_first_reading_area_source_and_every_candidates_difference(tmp_path):
    rows = [_row("x", "2023/24|2024/25", "A;B", SEX, "count", 26, "exact")]  # windows written without spaces
    result = reconcile.reconcile(_hand_table(), None, {}, _published(tmp_path, rows))
    row = result.figures.iloc[0]
    assert (row["window"], row["area"], row["ours_from"]) == ("2023/24", "A, B", "Home Office open data")
    assert row["status"] == "reproduced with a different grouping or window" and row["best_ours"] == 26
    assert result.synthetic is False
    assert list(result.candidates.columns) == [
        "id",
        "window",
        "offences",
        "basis",
        "ours",
        "difference",
        "fits",
        "why_not",
    ]
    difference = result.candidates.set_index(["window", "basis"])["difference"]
    # 26 published against 2023/24 closed 16 and recorded 15, 2024/25 recorded 26 (closed not held)
    assert difference[("2023/24", "closed")] == 10 and difference[("2023/24", "recorded")] == 11
    assert difference[("2024/25", "recorded")] == 0 and pd.isna(difference[("2024/25", "closed")])
    assert reconcile.reconcile(_hand_table(), None, {}, _published(tmp_path, rows), synthetic=True).synthetic is True


def test_the_reference_table_is_read_when_none_is_given():
    result = reconcile.reconcile(_hand_table(), None, {})
    assert result.figures["id"].tolist() == reconcile.published_figures()["id"].tolist()
