"""Sections and reports that belong to some questions only, in words: why the child-victim report or
the reconciliation is not built for a question (the index says it), and what the chosen outcomes are
set beside (``stats.by_outcome_type.alternatives``) or why nothing is.

Every sentence is computed from the reference tables (the child-victim codes, the published figures,
the outcome names), so that none can go stale when a table changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd
import polars as pl

from crimeoutcomes.data.codes import child_victim_offences, outcome_types
from crimeoutcomes.prose.question_words import offence_noun, outcome_words
from crimeoutcomes.reconciliation import press_figures
from crimeoutcomes.stats.by_outcome_type import INTERCHANGEABLE, alternatives
from crimeoutcomes.stats.question import Question, child_victim_codes


def _listed(words: Sequence[str], last: str = "and") -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def child_victim_absence(question: Question) -> str | None:
    """Why report 03 is not built for ``question``; None where it is (its offences include a code
    whose legal definition makes the victim a child)."""
    if child_victim_codes(question):
        return None
    codes = [o.code for o in child_victim_offences()]
    return (
        f"as none of the offences asked about ({offence_noun(question)}) is one whose legal definition makes "
        f"the victim a child: those are the offences with codes {_listed(codes)}."
    )


def _types_named(types: tuple[str, ...]) -> str:
    """'outcome type 8'; 'outcome types 2, 3, 6, 7, 8 and 22 together'; 'every assigned outcome' for ().
    By number, not name: the index of another question names no outcome it is not about."""
    if not types:
        return "every assigned outcome (of any type)"
    if len(types) == 1:
        return f"outcome type {types[0]}"
    return f"outcome types {_listed(list(types))} together"


def _groups_of(figures: pd.DataFrame, offences: pl.DataFrame) -> list[str]:
    """The offence groups the figures' first groupings are about ('all crime' for all), first seen first."""
    named: list[str] = []
    for text in figures["offences"]:
        selection = press_figures.parse_offences(text)[0]
        if selection["all"]:
            groups = ["all crime"]
        else:
            codes = press_figures.selected_codes(selection, offences)
            chosen = offences.filter(pl.col("offence_code").is_in(sorted(codes)))
            groups = sorted(set(chosen["offence_group"].cast(pl.String).to_list()) | set(selection["groups"]))
        named.extend(group for group in groups if group not in named)
    return named


def reconciliation_absence(question: Question, rows, published: pd.DataFrame | None = None) -> str | None:
    """Why report 04 is not built for ``question``; None where a published figure concerns it.
    ``rows``: the tidy outcomes (polars or pandas), which tell the codes of each offence group."""
    published = press_figures.published_figures() if published is None else published
    if len(press_figures.figures_for_question(question, rows, published)):
        return None
    offences = press_figures.offence_table(rows)
    counted = [press_figures.figure_outcome_types(figure) for figure in published.to_dict("records")]
    same = published[[set(types) == set(question.outcome_types) for types in counted]]
    count = outcome_words(question)
    if same.empty:
        by_types = Counter(counted)  # in the order first seen
        kinds = _listed([f"{n:,} count{'s' if n == 1 else ''} {_types_named(types)}" for types, n in by_types.items()])
        return (
            f"as none of the {len(published):,} figures in circulation that it sets beside the open data counts "
            f"{count}: {kinds}."
        )
    return (
        f"as none of the {len(same):,} figures in circulation that count {count} is about "
        f"{offence_noun(question)} alone: they are about {_listed(_groups_of(same, offences))}."
    )


def outcome_labels(types: Sequence[str]) -> list[str]:
    """'charges (1)', 'youth cautions (2)': each outcome type by its plural and code (a chart's key)."""
    names = {t.code: t.plural or t.description for t in outcome_types()}
    return [f"{names[code]} ({code})" for code in types]


def _named_types(types: Sequence[str], last: str = "and") -> str:
    """'charges (1)', 'youth cautions (2) or adult cautions (3)'."""
    return _listed(outcome_labels(types), last)


def alternatives_sentence(question: Question) -> str:
    """What the chosen outcomes are set beside, and why; or why nothing is."""
    count = outcome_words(question)
    others = alternatives(question.outcome_types)
    if not others:
        choices = _named_types([code for group in INTERCHANGEABLE for code in group], "or")
        return (
            f"The {count} counted here are not among the outcomes a force chooses between for a similar case "
            f"with an identified suspect ({choices}), so there is no alternative to set them beside."
        )
    return (
        f"A force can deal with a similar case with an identified suspect in more than one way: where one "
        f"records {_named_types(question.outcome_types)}, another may record {_named_types(others, 'or')}. A fall in "
        f"{count} beside a rise in another can be a change in how cases are closed rather than in how many are "
        "dealt with: read the lines together."
    )
