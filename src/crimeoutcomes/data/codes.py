"""Code lists: outcome types, forces, sexual-offence codes, child-victim offences.

Everything here is read from the CSV files in ``reference/`` so that each code is typed once.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from crimeoutcomes.config import REFERENCE_DIR

SEXUAL_OFFENCES_GROUP = "Sexual offences"
NOT_YET_ASSIGNED = "0"
COMMUNITY_RESOLUTION = "8"
#: The outcome groups that, with charges, make up the "solved" outcomes the press compares against.
CHARGE_AND_OUT_OF_COURT_GROUPS = ("Charged/Summonsed", "Out-of-court (formal)", "Out-of-court (informal)")


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class OutcomeType:
    code: str
    description: str
    group: str
    plural: str = ""  # how pages name a count of them ('charges', 'community resolutions')


@dataclass(frozen=True)
class SexualOffence:
    code: str
    description: str
    subgroup: str
    first_year: str
    expired: bool
    child_victim_under_age: int | None


@cache
def outcome_types() -> tuple[OutcomeType, ...]:
    return tuple(
        OutcomeType(r["outcome_type"], r["outcome_description"], r["outcome_group"], r["outcome_plural"])
        for r in _rows("outcome_types.csv")
    )


def charge_and_out_of_court_types() -> tuple[str, ...]:
    """Charged/summonsed (1), cautions (2, 3), penalty notices (6), cannabis/khat warnings (7) and
    community resolutions (8). Outcome 22 (diversionary activity) is its own group and is left out."""
    return tuple(t.code for t in outcome_types() if t.group in CHARGE_AND_OUT_OF_COURT_GROUPS)


@cache
def forces() -> tuple[str, ...]:
    """The 44 forces of the outcomes files, in the files' alphabetical order."""
    return tuple(r["force"] for r in _rows("forces.csv"))


@cache
def sexual_offences() -> tuple[SexualOffence, ...]:
    return tuple(
        SexualOffence(
            code=r["offence_code"],
            description=r["offence_description"],
            subgroup=r["offence_subgroup"],
            first_year=r["first_year"],
            expired=r["expired"] == "True",
            child_victim_under_age=int(r["child_victim_under_age"]) if r["child_victim_under_age"] else None,
        )
        for r in _rows("sexual_offences.csv")
    )


def child_victim_offences() -> tuple[SexualOffence, ...]:
    """Offences whose legal definition makes the victim a child."""
    return tuple(o for o in sexual_offences() if o.child_victim_under_age is not None)


def child_rape_codes() -> tuple[str, ...]:
    return tuple(o.code for o in child_victim_offences() if o.subgroup == "Rape offences")


@cache
def canonical_force_names() -> dict[str, str]:
    """Other spellings of force names -> the Home Office spelling of the outcomes files."""
    return {r["alias"]: r["force"] for r in _rows("force_aliases.csv")}


# -- Force names as readers write them ------------------------------------------------------------
# The rule: data keep the Home Office spelling ("London, City of": the tidy table, every CSV, every
# join and summary.json key), so that tables from any release join; what a reader sees (pages,
# charts, table cells) is the display name ("City of London"); what a reader types (a notebook's
# ``force``, run_all's --forces, a workbook's force column) may be any of the canonical name, the
# display name or an alias of force_aliases.csv, in any case and spacing, and is resolved here.


@cache
def force_display_names() -> dict[str, str]:
    """The Home Office spelling -> the name the pages show (forces.csv ``display_name``)."""
    return {r["force"]: r["display_name"] or r["force"] for r in _rows("forces.csv")}


def display_name(force: str) -> str:
    """The name pages, charts and tables show for a force: 'London, City of' -> 'City of London';
    a name forces.csv does not list is shown as given."""
    return force_display_names().get(force, force)


def folded(name: str) -> str:
    """A spelling compared without case or spacing: '  city OF  london' -> 'city of london'.
    ``lower`` (not ``casefold``) so that polars' ``str.to_lowercase`` folds the same way."""
    return " ".join(str(name).lower().split())


@cache
def force_spellings() -> dict[str, str]:
    """Every accepted spelling, folded -> the Home Office spelling: the canonical names, the display
    names and the aliases of force_aliases.csv."""
    spellings = {folded(alias): force for alias, force in canonical_force_names().items()}
    for force, shown in force_display_names().items():
        spellings[folded(shown)] = force
        spellings[folded(force)] = force
    return spellings


def canonical_force(name: str, extra: Sequence[str] = ()) -> str | None:
    """The Home Office spelling of ``name`` written any accepted way, else None. ``extra``: names
    outside forces.csv that are also accepted as they are (any case), e.g. forces an older file holds."""
    key = folded(name)
    found = force_spellings().get(key)
    if found is not None:
        return found
    return next((force for force in extra if folded(force) == key), None)


def nearest_forces(name: str, n: int = 3, extra: Sequence[str] = ()) -> list[str]:
    """The forces nearest to an unknown spelling, by their display names: a known name inside it
    first ('Kent Police' -> Kent), then difflib over every accepted spelling."""
    import difflib

    spellings = {**force_spellings(), **{folded(force): force for force in extra}}
    key = folded(name)
    inside = sorted({force for spelling, force in spellings.items() if spelling in key}, key=len, reverse=True)
    close = difflib.get_close_matches(key, list(spellings), n=3 * n, cutoff=0.6)
    nearest = list(dict.fromkeys([*inside, *(spellings[spelling] for spelling in close)]))
    return nearest[:n]


def resolve_force(name: str, where: str, known: Sequence[str] | None = None) -> str:
    """The Home Office spelling of a force a reader typed (``resolve_force('city of london',
    '--forces')`` -> 'London, City of'), else an error that names ``where`` (the parameter or
    option) and the nearest names. ``known``: the forces that may be chosen (the forces of the
    data), default every force of forces.csv."""
    from crimeoutcomes.errors import CrimeOutcomesError

    choices = list(known) if known is not None else list(force_display_names())
    found = canonical_force(name, extra=choices)
    if found is not None and found in choices:
        return found
    if found is not None:
        raise CrimeOutcomesError(f"{where}: {display_name(found)!r} ({found}) has no rows in the data read")
    near = [display_name(force) for force in nearest_forces(name, extra=choices) if force in choices]
    hint = (
        f"did you mean {' or '.join(repr(n) for n in near)}?"
        if near
        else f"the forces are {', '.join(sorted(display_name(f) for f in choices))}"
    )
    raise CrimeOutcomesError(
        f"{where}: {name!r} is not a force: {hint} (any case; the Home Office spelling, the name the pages "
        "show, or a spelling of reference/force_aliases.csv)"
    )
