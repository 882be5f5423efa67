"""What a question (``stats.question.Question``) is called: 'Charges for rape offences, 2024/25'.

Outcome names are reference/outcome_types.csv's (``outcome_plural``, the Counting Rules' outcome
named as a count); offence names are the group or subgroup as the files publish it, or the codes.
The slug names the question's folder under reports/ ('charges-rape-offences').
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crimeoutcomes.data.codes import outcome_types
from crimeoutcomes.data.years import year_slug
from crimeoutcomes.stats.question import (
    CODES,
    DEFAULT_QUESTION,
    GROUP,
    Question,
    offences_argument,
    outcome_types_argument,
)


def outcome_words(question: Question) -> str:
    """'charges'; 'youth and adult cautions' (several types sharing their last word); else joined
    with commas and 'and' ('charges and community resolutions')."""
    names = {t.code: t.plural or t.description for t in outcome_types()}
    words = [names[code] for code in question.outcome_types]
    if len(words) == 1:
        return words[0]
    last = {word.rsplit(" ", 1)[-1] for word in words}
    if len(last) == 1 and all(" " in word and "(" not in word for word in words):
        words = [word.rsplit(" ", 1)[0] for word in words[:-1]] + [words[-1]]
    return ", ".join(words[:-1]) + " and " + words[-1]


def offence_words(question: Question) -> str:
    """'rape offences', 'violence against the person' (the published name, its first letter lower
    case where the second is too: not an acronym), or 'offence codes 19C, 19D'."""
    if question.level == CODES:
        codes = question.offence_names
        return f"offence code{'s' if len(codes) > 1 else ''} {', '.join(codes)}"
    name = str(question.offences)
    return name[0].lower() + name[1:] if len(name) > 1 and not name[1].isupper() else name


def offence_noun(question: Question) -> str:
    """The offences as something counted: 'rape offences', 'offences of violence against the person',
    'offences with codes 19C, 19D'."""
    words = offence_words(question)
    if question.level == CODES:
        return f"offences with {words[len('offence ') :]}"
    return words if words.lower().endswith("offences") else f"offences of {words}"


@dataclass(frozen=True)
class Words:
    """A question's words, as pages put them: ``count`` 'charges', ``offences`` 'rape offences'
    (countable, ``offence_noun``), ``heading`` 'Charges for rape offences'; ``default``: the
    collection's own question (community resolutions for sexual offences)."""

    count: str
    offences: str
    heading: str
    default: bool

    @property
    def count_heading(self) -> str:
        """'Charges', 'Youth and adult cautions': the count at the start of a title."""
        return self.count[0].upper() + self.count[1:]

    @property
    def offences_heading(self) -> str:
        """'Rape offences', 'Offences of violence against the person'."""
        return self.offences[0].upper() + self.offences[1:]

    @property
    def outcomes_of(self) -> str:
        """The outcomes of the question's offences: 'sexual-offence outcomes' (as the default's pages
        always said), 'outcomes for rape offences'."""
        return "sexual-offence outcomes" if self.default else f"outcomes for {self.offences}"

    @property
    def a_count(self) -> str:
        """'a community resolution' (the default's words, one case at a time), 'charges'."""
        return "a community resolution" if self.default else self.count

    @property
    def closed_with(self) -> str:
        """'with a community resolution' (the default's words), 'with charges'."""
        return f"with {self.a_count}"

    @property
    def ended_in(self) -> str:
        """'ended in a community resolution' (the default's words), 'ended in charges'."""
        return f"ended in {self.a_count}"

    @property
    def used(self) -> str:
        """'used a community resolution' (the default's words), 'recorded charges'."""
        return f"used {self.a_count}" if self.default else f"recorded {self.count}"


def words_of(question: Question = DEFAULT_QUESTION) -> Words:
    return Words(outcome_words(question), offence_noun(question), question_words(question), question.is_default)


def words_from_parameters(offences: str, outcome_types: str) -> Words:
    """A question's words from the notebooks' parameters as run_all passes them (``offences``: a
    group or subgroup name, or codes with commas; a single code is told from a name by its shape)."""
    chosen = offences_argument(offences)
    if isinstance(chosen, str) and re.fullmatch(r"[0-9][0-9A-Za-z./]*", chosen):
        chosen = (chosen,)
    level = CODES if isinstance(chosen, tuple) else GROUP
    return words_of(Question(chosen, outcome_types_argument(outcome_types), level))


def retitled(title: str, words: Words) -> str:
    """A report's title for another question: its first part and the question
    ('National totals: community resolutions ...' -> 'National totals: charges for rape offences')."""
    return f"{title.split(':', 1)[0]}: {words.heading[0].lower()}{words.heading[1:]}"


def question_words(question: Question) -> str:
    """'Charges for rape offences': the question as a heading."""
    words = f"{outcome_words(question)} for {offence_words(question)}"
    return words[0].upper() + words[1:]


def question_title(question: Question, financial_year: str) -> str:
    """'Charges for rape offences, 2024/25'."""
    return f"{question_words(question)}, {financial_year}"


def question_slug(question: Question) -> str:
    """'charges-rape-offences': the question's folder (letters, digits and hyphens only)."""
    words = f"{outcome_words(question)} {offence_words(question)}".lower()
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")


def question_record(question: Question) -> dict:
    """The question as summary.json gives it: what was asked, and its words."""
    return {
        "offences": question.offences if isinstance(question.offences, str) else list(question.offences),
        "offences_are": {"offence_group": "Offence Group", "offence_subgroup": "Offence Subgroup"}.get(
            question.level, "offence codes"
        ),
        "outcome_types": list(question.outcome_types),
        "words": question_words(question),
        "count_words": outcome_words(question),
        "offence_words": offence_noun(question),
    }


def output_slug(question: Question, financial_year: str) -> str:
    """A build's folder under reports/ and figures/: the year's slug ('2024-25') for the default
    question, whose reports keep the paths they always had; '<question slug>/<year slug>' for any other."""
    year = year_slug(financial_year)
    return year if question.is_default else f"{question_slug(question)}/{year}"
