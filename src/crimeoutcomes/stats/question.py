"""The question a build answers: which offences, and which outcome types are counted (issue 28).

The default is the collection's own question: community resolutions (outcome type 8) for the
Offence Group *Sexual offences*. ``offences`` may be an Offence Group or an Offence Subgroup
spelt as the outcomes files publish it (any case), or a list of offence codes; ``outcome_types``
one or more codes of reference/outcome_types.csv (never 0, "not yet assigned": it is no outcome).
``resolve_question`` checks both against the rows read and, where a name is unknown, names the
parameter and the nearest names. What the question is called on a page is ``prose.question_words``'.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from crimeoutcomes.data.codes import (
    COMMUNITY_RESOLUTION,
    NOT_YET_ASSIGNED,
    SEXUAL_OFFENCES_GROUP,
    child_rape_codes,
    child_victim_offences,
    folded,
    outcome_types,
)
from crimeoutcomes.errors import CrimeOutcomesError

#: Which column of the tidy tables ``Question.offences`` names.
GROUP, SUBGROUP, CODES = "offence_group", "offence_subgroup", "offence_code"
#: How many near names an error offers.
_NEAREST = 5


@dataclass(frozen=True)
class Question:
    """Which offences (``level``: a group, a subgroup, or codes) and which outcome types are counted."""

    offences: str | tuple[str, ...] = SEXUAL_OFFENCES_GROUP
    outcome_types: tuple[str, ...] = (COMMUNITY_RESOLUTION,)
    level: str = GROUP

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_QUESTION

    @property
    def offence_names(self) -> tuple[str, ...]:
        """The group or subgroup name, or the codes, as a tuple."""
        return (self.offences,) if isinstance(self.offences, str) else tuple(self.offences)

    def selects(self) -> pl.Expr:
        """True for the rows (outcomes or recorded crime: both have the three offence columns) the
        question covers."""
        if self.level == CODES:
            return pl.col(CODES).is_in(list(self.offence_names))
        return pl.col(self.level).cast(pl.String).eq(self.offences)

    def select(self, rows: pl.DataFrame) -> pl.DataFrame:
        return rows.filter(self.selects())

    def within(self, types: Sequence[str]) -> bool:
        """Whether every outcome type counted is one of ``types`` (e.g. the charges and out-of-court
        outcomes: only then is a share of them a share of something that includes the count)."""
        return set(self.outcome_types) <= set(types)


DEFAULT_QUESTION = Question()


def child_victim_codes(question: Question) -> tuple[str, ...]:
    """The question's offence codes whose legal definition makes the victim a child, in the order of
    reference/sexual_offences.csv (every one of them for the default question; none for a group
    other than Sexual offences, which holds them all)."""

    def asked(code: str, subgroup: str) -> bool:
        if question.level == CODES:
            return code in question.offence_names
        if question.level == SUBGROUP:
            return folded(subgroup) == folded(str(question.offences))
        return folded(str(question.offences)) == folded(SEXUAL_OFFENCES_GROUP)

    return tuple(o.code for o in child_victim_offences() if asked(o.code, o.subgroup))


def child_rape_codes_asked(question: Question) -> tuple[str, ...]:
    """The codes of the rape of a child (19D, 19E, 19G, 19H) among the question's offences."""
    asked = set(child_victim_codes(question))
    return tuple(code for code in child_rape_codes() if code in asked)


def offences_argument(value: str | Sequence[str]) -> str | tuple[str, ...]:
    """A group or subgroup name as it is, or codes: a list, or a text with commas ('19C, 19D')."""
    if isinstance(value, str):
        if "," in value:
            return tuple(code.strip() for code in value.split(",") if code.strip())
        return value.strip()
    return tuple(str(code).strip() for code in value)


def outcome_types_argument(value: str | int | Sequence[str | int]) -> tuple[str, ...]:
    """Outcome type codes from '2 3', '2,3', 8, ['2', '3']: as text, each once, in number order."""
    parts = (
        re.split(r"[\s,]+", value.strip()) if isinstance(value, str) else [value] if isinstance(value, int) else value
    )
    codes = {str(part).strip() for part in parts if str(part).strip()}
    return tuple(sorted(codes, key=lambda code: (not code.isdigit(), int(code) if code.isdigit() else 0, code)))


def check_outcome_types(
    value: str | int | Sequence[str | int], where: str = "parameter outcome_types"
) -> tuple[str, ...]:
    """The outcome types, checked against reference/outcome_types.csv (0 is refused: it is no outcome)."""
    codes = outcome_types_argument(value)
    known = {t.code: t.description for t in outcome_types() if t.code != NOT_YET_ASSIGNED}
    unknown = [code for code in codes if code not in known]
    if not codes or unknown:
        listing = "; ".join(f"{code} {description}" for code, description in known.items())
        what = (
            (
                f"{', '.join(repr(c) for c in unknown)} "
                + ("is not an outcome type" if len(unknown) == 1 else "are not outcome types")
            )
            if unknown
            else "no outcome type given"
        )
        raise CrimeOutcomesError(f"{where}: {what} (0, not yet assigned, is no outcome); the types are: {listing}")
    return codes


def offence_names(rows: pl.DataFrame, level: str) -> list[str]:
    """The group or subgroup names (or codes) the rows hold, sorted."""
    # The distinct values first, then as text: casting every row of a categorical column first took
    # ten times as long (every notebook run checks the question against the year's rows).
    distinct = rows.select(pl.col(level).unique()).to_series().cast(pl.String).drop_nulls()
    return sorted(set(distinct.to_list()))


def resolve_question(
    offences: str | Sequence[str],
    outcome_types: str | int | Sequence[str | int],
    rows: pl.DataFrame,
    where: tuple[str, str] = ("parameter offences", "parameter outcome_types"),
) -> Question:
    """The ``Question`` for what a reader typed, its names checked against ``rows`` (the tidy
    outcomes read) and spelt as the files publish them; else an error naming the parameter
    (``where``) and the nearest names. A name that is both a group and a subgroup is the group."""
    types = check_outcome_types(outcome_types, where[1])
    chosen = offences_argument(offences)
    if isinstance(chosen, tuple):
        known = set(offence_names(rows, CODES))
        unknown = [code for code in chosen if code not in known]
        if not chosen or unknown:
            raise CrimeOutcomesError(f"{where[0]}: {_unknown_codes(unknown, sorted(known))}")
        return Question(tuple(dict.fromkeys(chosen)), types, CODES)
    for level in (GROUP, SUBGROUP):
        found = {folded(name): name for name in offence_names(rows, level)}.get(folded(chosen))
        if found is not None:
            return Question(found, types, level)
    if chosen in offence_names(rows, CODES):  # one offence code, given without a comma
        return Question((chosen,), types, CODES)
    raise CrimeOutcomesError(f"{where[0]}: {_unknown_name(chosen, rows)}")


def _unknown_name(name: str, rows: pl.DataFrame) -> str:
    groups, subgroups = offence_names(rows, GROUP), offence_names(rows, SUBGROUP)
    spellings = {folded(n): n for n in [*subgroups, *groups]}
    key = folded(name)
    inside = [shown for spelling, shown in spellings.items() if key and (key in spelling or spelling in key)]
    close = [spellings[s] for s in difflib.get_close_matches(key, list(spellings), n=_NEAREST, cutoff=0.5)]
    near = list(dict.fromkeys([*close, *inside]))[:_NEAREST]
    hint = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
    return (
        f"{name!r} is neither an Offence Group nor an Offence Subgroup of the data read: {hint}"
        f"(the groups are {', '.join(groups)}; or give offence codes, separated by commas)"
    )


def _unknown_codes(unknown: list[str], known: list[str]) -> str:
    if not unknown:
        return "no offence code given"
    near = {code: difflib.get_close_matches(code, known, n=3, cutoff=0.5) for code in unknown}
    hints = "; ".join(
        f"{code!r}" + (f" (did you mean {', '.join(near[code])}?)" if near[code] else "") for code in unknown
    )
    return f"not an offence code of the data read: {hints}"


def codes_without_recorded_crime(question: Question, outcomes: pl.DataFrame, recorded_crime: pl.DataFrame) -> list[str]:
    """The offence codes of the question's outcome rows that the recorded-crime table lacks for the
    same years (their outcomes have no offences recorded beside them in a rate per 1,000)."""
    chosen = question.select(outcomes)
    years = chosen["financial_year"].unique().to_list()
    in_outcomes = set(chosen.filter(~pl.col("offence_code_expired").fill_null(False))[CODES].unique().to_list())
    recorded = set(recorded_crime.filter(pl.col("financial_year").is_in(years))[CODES].unique().to_list())
    return sorted(in_outcomes - recorded)
