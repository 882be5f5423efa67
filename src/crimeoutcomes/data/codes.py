"""Code lists: outcome types, forces, sexual-offence codes, child-victim offences.

Everything here is read from the CSV files in ``reference/`` so that each code is typed once.
"""

from __future__ import annotations

import csv
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
        OutcomeType(r["outcome_type"], r["outcome_description"], r["outcome_group"]) for r in _rows("outcome_types.csv")
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
