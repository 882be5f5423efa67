"""Issue 28, sections that belong to one question: which questions get the child-victim report and
the reconciliation (and the index's computed sentence where they do not), and the chosen outcomes'
alternatives. Unit tests of the selection and the sentences, each against the reference tables read
here with plain pandas; no build."""

import pandas as pd
import polars as pl
import pytest
from conftest import PROJECT_ROOT

from crimeoutcomes.build.pipeline import CHILD_VICTIM, RECONCILIATION, absent_reports, notebooks
from crimeoutcomes.config import REFERENCE_DIR
from crimeoutcomes.prose import sections
from crimeoutcomes.reconciliation import press_figures
from crimeoutcomes.stats.by_outcome_type import alternatives
from crimeoutcomes.stats.question import (
    CODES,
    DEFAULT_QUESTION,
    GROUP,
    SUBGROUP,
    Question,
    child_rape_codes_asked,
    child_victim_codes,
)

SEXUAL = pd.read_csv(REFERENCE_DIR / "sexual_offences.csv", dtype=str, keep_default_na=False)
CHILD = SEXUAL[SEXUAL["child_victim_under_age"] != ""]
PUBLISHED = pd.read_csv(REFERENCE_DIR / "published_figures.csv", dtype=str, keep_default_na=False)

RAPE_CHARGES = Question("Rape offences", ("1",), SUBGROUP)
VIOLENCE_CAUTIONS = Question("Violence against the person", ("2", "3"), GROUP)

#: A few codes of each group, as the outcomes files file them (enough for every published figure's
#: groups; the codes of the figures that name codes are added from the reference tables below).
OFFENCES = pl.DataFrame(
    [
        ("Violence against the person", "Violence with injury", "5D"),
        ("Violence against the person", "Violence without injury", "11A"),
        ("Theft offences", "Shoplifting", "46"),
        ("Criminal damage and arson", "Arson", "56"),
        ("Miscellaneous crimes against society", "Obscene publications", "86"),
        ("Miscellaneous crimes against society", "Other", "13"),
        ("Miscellaneous crimes against society", "Other", "36"),
        ("Drug offences", "Possession of drugs", "92D"),
        *[("Sexual offences", row.offence_subgroup, row.offence_code) for row in SEXUAL.itertuples()],
    ],
    schema=["offence_group", "offence_subgroup", "offence_code"],
    orient="row",
)


# -- The child-victim report -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (DEFAULT_QUESTION, list(CHILD["offence_code"])),
        (RAPE_CHARGES, list(CHILD.loc[CHILD["offence_subgroup"] == "Rape offences", "offence_code"])),
        (
            Question("other sexual offences", ("1",), SUBGROUP),
            list(CHILD.loc[CHILD["offence_subgroup"] != "Rape offences", "offence_code"]),
        ),
        (Question(("19C", "21", "86"), ("8",), CODES), ["21"]),
        (VIOLENCE_CAUTIONS, []),
    ],
    ids=["default", "rape", "other-sexual-any-case", "codes", "violence"],
)
def test_the_child_victim_codes_of_a_question_are_those_of_the_reference_table(question, expected):
    assert list(child_victim_codes(question)) == expected
    assert (sections.child_victim_absence(question) is None) == bool(expected)


def test_the_rape_of_a_child_is_asked_about_only_where_the_offences_include_it():
    child_rape = CHILD.loc[CHILD["offence_subgroup"] == "Rape offences", "offence_code"].tolist()
    assert list(child_rape_codes_asked(RAPE_CHARGES)) == child_rape == ["19D", "19E", "19G", "19H"]
    assert child_rape_codes_asked(Question(("21", "19E"), ("1",), CODES)) == ("19E",)
    assert child_rape_codes_asked(Question("Other sexual offences", ("1",), SUBGROUP)) == ()


def test_why_there_is_no_child_victim_report_names_the_offences_and_every_child_victim_code():
    said = sections.child_victim_absence(VIOLENCE_CAUTIONS)
    assert said.startswith("as none of the offences asked about (offences of violence against the person)")
    assert all(code in said for code in CHILD["offence_code"])
    assert "sexual offence" not in said.lower()  # the index of another question names no default subject


# -- The reconciliation ----------------------------------------------------------------------------
def _first_codes(text: str) -> list[set[str]]:
    """Each grouping's codes where a figure names codes only ('codes:19D;19E | codes:21')."""
    return [
        set(part.strip()[len("codes:") :].split(";"))
        for part in text.split("|")
        if part.strip().startswith("codes:") and "+" not in part
    ]


def test_the_figures_that_concern_rape_community_resolutions_name_rape_codes_only():
    rape = set(SEXUAL.loc[SEXUAL["offence_subgroup"] == "Rape offences", "offence_code"])
    counted_as_8 = PUBLISHED["unit"].isin(["count", "per_week", "annual_mean", "pct_assigned", "pct_solved"])
    expected = {
        row.id
        for row in PUBLISHED[counted_as_8].itertuples()
        if any(codes <= rape for codes in _first_codes(row.offences))
    }
    asked = set(Question("Rape offences", ("8",), SUBGROUP).select(OFFENCES)["offence_code"])
    found = press_figures.figures_concerning(("8",), asked, OFFENCES)
    assert set(found["id"]) == expected and {"rape-2019-21", "child-rape-2019-23"} <= expected


def test_a_figure_of_another_group_concerns_that_group_alone():
    violence = set(OFFENCES.filter(pl.col("offence_group") == "Violence against the person")["offence_code"])
    found = press_figures.figures_concerning(("8",), violence, OFFENCES)
    expected = PUBLISHED[
        PUBLISHED["offences"].str.contains("group:Violence against the person") | (PUBLISHED["offences"] == "codes:11A")
    ]
    assert set(found["id"]) == set(expected["id"]) and "cumbria-violence-2016-22" in set(found["id"])
    assert press_figures.figures_concerning(("2", "3"), violence, OFFENCES).empty  # none counts cautions
    assert sections.reconciliation_absence(Question("Violence against the person", ("8",), GROUP), OFFENCES) is None


def test_why_there_is_no_reconciliation_counts_the_figures_by_what_they_count():
    said = sections.reconciliation_absence(RAPE_CHARGES, OFFENCES)
    by_unit = PUBLISHED["unit"].value_counts()
    eights = int(by_unit[["count", "per_week", "annual_mean", "pct_assigned", "pct_solved"]].sum())
    assert said.startswith(f"as none of the {len(PUBLISHED)} figures in circulation")
    assert "counts charges:" in said and f"{eights} count outcome type 8" in said
    assert f"{by_unit['assigned']} counts every assigned outcome" in said
    assert "community resolution" not in said.lower()  # by number: the page is about charges


def test_why_there_is_no_reconciliation_for_figures_of_other_offences_names_their_groups():
    said = sections.reconciliation_absence(Question("Drug offences", ("8",), GROUP), OFFENCES)
    counted_as_8 = PUBLISHED["unit"].isin(["count", "per_week", "annual_mean", "pct_assigned", "pct_solved"])
    assert said.startswith(f"as none of the {int(counted_as_8.sum())} figures in circulation that count ")
    for group in ("Sexual offences", "Violence against the person", "Theft offences", "all crime"):
        assert group in said


# -- Which reports a build runs, and why not -------------------------------------------------------
def test_a_build_runs_the_reports_its_question_concerns_and_says_why_not_the_others():
    every = notebooks(PROJECT_ROOT / "notebooks")
    assert absent_reports(DEFAULT_QUESTION, every, None) == {}
    rape = {n.stem: why for n, why in absent_reports(RAPE_CHARGES, every, OFFENCES).items()}
    assert set(rape) == {RECONCILIATION}  # report 03 counts the charges for 19D, 19E, 19G and 19H
    assert rape[RECONCILIATION] == sections.reconciliation_absence(RAPE_CHARGES, OFFENCES)
    violence = {n.stem: why for n, why in absent_reports(VIOLENCE_CAUTIONS, every, OFFENCES).items()}
    assert set(violence) == {CHILD_VICTIM, RECONCILIATION}
    assert violence[CHILD_VICTIM] == sections.child_victim_absence(VIOLENCE_CAUTIONS)
    violence_cr = Question("Violence against the person", ("8",), GROUP)  # Cumbria's figure concerns it
    assert {n.stem for n in absent_reports(violence_cr, every, OFFENCES)} == {CHILD_VICTIM}
    assert set(press_figures.figures_for_question(violence_cr, OFFENCES)["id"]) >= {"cumbria-violence-2016-22"}


# -- The chosen outcomes beside their alternatives -------------------------------------------------
@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (("1",), ("2", "3", "8", "22")),  # a charge beside cautions, community resolutions and 22
        (("2", "3"), ("1", "8", "22")),
        (("2",), ("1", "8", "22")),  # a youth caution's alternatives are no adult caution
        (("8",), ("1", "2", "3", "22")),
        (("22",), ("1", "2", "3", "8")),
        (("14",), ()),  # an evidential difficulty is no choice a force makes in place of a charge
        (("8", "14"), ()),
    ],
)
def test_the_alternatives_of_the_chosen_outcomes(chosen, expected):
    assert alternatives(chosen) == expected


def test_the_alternatives_in_words_name_each_outcome_as_published():
    types = pd.read_csv(REFERENCE_DIR / "outcome_types.csv", dtype=str).set_index("outcome_type")["outcome_plural"]
    said = sections.alternatives_sentence(RAPE_CHARGES)
    assert f"where one records {types['1']} (1), another may record {types['2']} (2), {types['3']} (3)" in said
    assert f"{types['22']} (22)." in said
    none = sections.alternatives_sentence(Question("Rape offences", ("14",), SUBGROUP))
    assert none.startswith(f"The {types['14']} counted here are not among") and "no alternative" in none
