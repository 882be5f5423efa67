"""The headline figures of a year in plain sentences, and the caveats that go with them, written
from summary.json alone (so that the index page says exactly what the machine-readable file says)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from crimeoutcomes.data.codes import display_name, outcome_types
from crimeoutcomes.data.years import normalise_financial_year
from crimeoutcomes.prose.question_words import Words, words_of


def summary_words(summary: dict) -> Words:
    """The words of the question a summary.json answers (``question``; without it, the default's)."""
    asked = summary.get("question")
    if asked is None:
        return words_of()
    return Words(asked["count_words"], asked["offence_words"], asked["words"], default=False)


def _count(value: int | None) -> str:
    return "an unknown number of" if value is None else f"{value:,}"


def previous_year(year: str) -> str:
    start = int(year[:4]) - 1
    return normalise_financial_year(f"{start}/{(start + 1) % 100:02d}")


def _change(summary: dict) -> str:
    """', up 12.5% (95% CI 2.3% to 23%) on the 800 in 2023/24', or why no such comparison is fair.
    The change and its interval are summary.json's (``changes.national``, from ``stats.yearly_change``)."""
    year = summary["financial_year"]
    previous = previous_year(year)
    before = summary.get("sexual_offences_by_year", {}).get(previous)
    if before is None:
        return f" (the data read holds no figures for {previous} to compare with)"
    then = before["community_resolutions"]
    row = next(
        (
            r
            for r in summary.get("changes", {}).get("national", [])
            if r["comparison"] == "year_on_year" and r["to_year"] == year
        ),
        None,
    )
    if row is None or row["ratio"] is None:
        now = summary.get("sexual_offences_by_year", {}).get(year) or {}
        gaps = now.get("force_quarters_missing", 0) + before["force_quarters_missing"]
        return (
            f", against {_count(then)} in {previous}; the two are not like for like, because data for "
            f"{gaps} force-quarter{'s' if gaps != 1 else ''} is missing or collapsed across the two years"
        )
    return f", {row['change']}, against the {then:,} in {previous}"


def national_sentences(summary: dict) -> list[str]:
    """The national count with its change, and its shares: the index page's first sentences and
    report 01's first findings. Reads ``financial_year``, ``sexual_offences``,
    ``sexual_offences_by_year`` and ``changes`` of ``summary``."""
    year = summary["financial_year"]
    sexual = summary["sexual_offences"]
    words = summary_words(summary)
    sentences = [
        f"Police in England and Wales used {words.count} for {_count(sexual['community_resolutions'])} "
        f"{words.offences} in {year}{_change(summary)}."
    ]
    share, solved = sexual.get("share_of_assigned"), sexual.get("share_of_charges_and_out_of_court")
    if share:
        sentences.append(
            f"That is {share:.2%} of the {sexual['assigned_outcomes']:,} {words.offences} given an outcome, or about "
            f"one in {round(1 / share):,}"
            + (
                f", and {solved:.1%} of those that ended in a charge or an out-of-court outcome."
                if solved is not None
                else "."
            )
        )
    return sentences


def headlines(summary: dict) -> list[str]:
    """Sentences, each one true of the figures in ``summary``."""
    year = summary["financial_year"]
    child = summary["child_victim_offences"]
    sentences = national_sentences(summary)
    words = summary_words(summary)
    rape_forces = child["forces_using_cr_for_child_rape"]
    if words.default:  # the child-victim report is the default question's only
        sentences.append(
            f"{_count(child['community_resolutions']).capitalize()} were for offences whose legal definition makes "
            "the victim a child"
            + (
                f"; {len(rape_forces)} force{'s' if len(rape_forces) != 1 else ''} used one for the "
                f"rape of a child ({', '.join(display_name(f) for f in rape_forces)})."
                if rape_forces
                else "; no force used one for the rape of a child."
            )
        )
    by_force = {f: n for f, n in summary["community_resolutions_by_force"].items() if n is not None}
    if by_force:
        top = max(by_force.items(), key=lambda item: (item[1], item[0]))
        sentences.append(
            f"{display_name(top[0])} recorded the most ({top[1]:,}). Forces differ in size, so the force "
            "comparison report compares rates, not counts."
        )
    everything = summary["all_offences"]["community_resolutions"]
    sentences.append(f"Across all crime, police used {_count(everything)} {words.count} in {year}.")
    return sentences


def caveats(summary: dict) -> list[str]:
    """What every reader of the headline figures should know."""
    words = summary_words(summary)
    notes = [
        "A community resolution (Home Office outcome type 8) is an informal out-of-court outcome: the offender "
        "accepts responsibility and may apologise or make amends. It is not a conviction and leaves no criminal "
        "record."
        if words.default
        else _outcome_types_note(summary["question"]["outcome_types"]),
        "The figures count outcomes of offences, not people: one offender can account for several.",
        f"Counting basis: {summary['count_basis']}, {summary['count_basis_meaning']}. The two bases give different "
        "numbers for the same year, and later releases of a year's file can revise it.",
        "Child-victim offences are those whose legal definition makes the victim a child (for example the rape of "
        "a child under 13). Children who are victims of other sexual offences are not counted there, and the "
        "data do not give the offender's age, so they cannot show how many cases were between children.",
        "Totals add up what forces provided; a force whose data is missing or collapsed in a quarter is named on "
        "this page and left out of the force comparison's rates.",
    ]
    if not words.default:
        del notes[3]  # the child-victim offences are the default question's
    if summary["synthetic"]:
        notes.insert(0, "SYNTHETIC DATA: every number on this page is invented to test the code.")
    return notes


def _outcome_types_note(types: list[str]) -> str:
    """'Outcome types counted: 1 Charged/Summonsed (Charged/Summonsed).': the Counting Rules' names."""
    known = {t.code: t for t in outcome_types()}
    listed = "; ".join(f"{code} {known[code].description} ({known[code].group})" for code in types)
    return f"Outcome types counted (Home Office Counting Rules, with their outcome group): {listed}."


def _share(numerator: int | None, denominator: int | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    return value


def records(frame) -> list[dict]:
    """Rows of a pandas table as JSON-ready dicts: numpy numbers as Python ones, NaN and NA as null."""
    return [{key: plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def national_figures(totals: pd.DataFrame, of_charges: bool = True) -> dict:
    """One row of ``Analysis.totals`` as summary.json gives it (and the key findings read it);
    ``of_charges``: whether the count is among the charges and out-of-court outcomes (else its
    share of them is None: it would be a share of something that does not include it)."""
    row = {key: plain(value) for key, value in totals.iloc[0].items()}
    cr, assigned, ooc = row["community_resolutions"], row["assigned_outcomes"], row["charges_and_out_of_court"]
    return {
        "community_resolutions": cr,
        "assigned_outcomes": assigned,
        "share_of_assigned": _share(cr, assigned),
        "charges_and_out_of_court": ooc,
        "share_of_charges_and_out_of_court": _share(cr, ooc) if of_charges else None,
        "force_quarters_missing": row["force_quarters_missing"],
    }
