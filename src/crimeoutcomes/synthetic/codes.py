"""The offence codes of the synthetic sample: the real sexual-offence codes, a few real-looking
codes of other groups that carry the published quirks, and (full size only) filler codes so that
each force-quarter has 184 codes in the published proportions per offence group.
"""

from __future__ import annotations

from dataclasses import dataclass

from crimeoutcomes.data.codes import SEXUAL_OFFENCES_GROUP, sexual_offences
from crimeoutcomes.data.years import start_year


@dataclass(frozen=True)
class SampleOffence:
    code: str
    description: str
    group: str
    subgroup: str
    share: float  # of its group's recorded offences
    cr_rate: float  # share of outcomes that are community resolutions
    expired: bool = False
    first_year: str = "2012/13"
    #: recorded-crime (PFA) codes whose sum is this outcomes code (the outcomes files combine homicide)
    pfa_parts: tuple[tuple[str, str, float], ...] = ()

    def present_in(self, financial_year: str) -> bool:
        return start_year(financial_year) >= start_year(self.first_year)


# Relative frequency and community-resolution rate of each sexual offence in the sample: invented,
# of the order seen in published totals, so that the figures look plausible but are not real.
_SEXUAL_PROFILE = {
    "19C": (0.17, 0.0004),
    "19D": (0.04, 0.002),
    "19E": (0.03, 0.001),
    "19F": (0.012, 0.0005),
    "19G": (0.01, 0.002),
    "19H": (0.012, 0.001),
    "19J": (0.005, 0.0),
    "19K": (0.001, 0.0),
    "17A": (0.03, 0.006),
    "17B": (0.02, 0.004),
    "20": (0.0, 0.0),
    "20A": (0.28, 0.004),
    "20B": (0.04, 0.004),
    "21": (0.02, 0.006),
    "22A": (0.005, 0.002),
    "22B": (0.06, 0.012),
    "23": (0.005, 0.001),
    "70": (0.003, 0.001),
    "71": (0.006, 0.002),
    "72": (0.005, 0.0),
    "73": (0.004, 0.002),
    "88A": (0.02, 0.003),
    "88C": (0.05, 0.004),
    "88D": (0.002, 0.002),
    "88E": (0.12, 0.012),
}

_OTHER_GROUPS = {
    # group: (share of all recorded crime, codes in a full-size file, expired codes among them)
    "Violence against the person": (0.40, 42, 9),
    "Theft offences": (0.30, 42, 10),
    "Miscellaneous crimes against society": (0.04, 36, 9),
    "Criminal damage and arson": (0.10, 11, 2),
    "Fraud offences to 2012/13": (0.0, 8, 8),
    "Public order offences": (0.08, 8, 2),
    "Possession of weapons offences": (0.012, 6, 1),
    "Drug offences": (0.033, 4, 1),
    "Robbery": (0.015, 2, 0),
}

# Real codes with the published quirks: the combined homicide code (split four ways in the
# recorded-crime file, '4.10' is not '4.1'), an NBSP in a description, an expired fraud code.
_QUIRK_CODES = (
    SampleOffence(
        "1/4.1/4.10/4.2",
        "Homicide",
        "Violence against the person",
        "Homicide",
        0.002,
        0.0,
        pfa_parts=(
            ("1", "Murder", 0.85),
            ("4.1", "Manslaughter", 0.12),
            ("4.10", "Corporate manslaughter", 0.01),
            ("4.2", "Infanticide", 0.02),
        ),
    ),
    SampleOffence(
        "105A", "Assault without injury", "Violence against the person", "Violence without injury", 0.998, 0.05
    ),
    SampleOffence("49", "Other theft", "Theft offences", "Other theft offences", 0.7, 0.03),
    SampleOffence(
        "28M", "Residential burglary of a\xa0unconnected building", "Theft offences", "Residential burglary", 0.3, 0.01
    ),
    SampleOffence(
        "66",
        "Other notifiable offences",
        "Miscellaneous crimes against society",
        "Miscellaneous crimes against society",
        1.0,
        0.02,
    ),
    SampleOffence("58C", "Criminal damage to a vehicle", "Criminal damage and arson", "Criminal damage", 1.0, 0.04),
    SampleOffence(
        "53C",
        "Fraud by false representation: cheque, plastic card and online bank accounts (not PSP) (outcomes only)",
        "Fraud offences to 2012/13",
        "Fraud offences to 2012/13",
        0.0,
        0.0,
        expired=True,
    ),
    SampleOffence("9", "Public fear, alarm or distress", "Public order offences", "Public order offences", 1.0, 0.05),
    SampleOffence(
        "10D",
        "Possession of article with blade or point",
        "Possession of weapons offences",
        "Possession of weapons offences",
        1.0,
        0.02,
    ),
    SampleOffence("92D", "Possession of cannabis", "Drug offences", "Possession of drugs", 1.0, 0.15),
    SampleOffence("34B", "Robbery of personal property", "Robbery", "Robbery", 1.0, 0.005),
)


def sample_offences(full_size: bool) -> tuple[SampleOffence, ...]:
    """The sample's offence codes: 36 in the small sample, 184 at full size."""
    sexual = tuple(
        SampleOffence(
            o.code,
            o.description,
            SEXUAL_OFFENCES_GROUP,
            o.subgroup,
            *_SEXUAL_PROFILE[o.code],
            expired=o.expired,
            first_year=o.first_year,
        )
        for o in sexual_offences()
    )
    if not full_size:
        return sexual + _QUIRK_CODES
    filler = []
    for group, (_, n_codes, n_expired) in _OTHER_GROUPS.items():
        quirks = [q for q in _QUIRK_CODES if q.group == group]
        live = [q for q in quirks if not q.expired]
        n_new = n_codes - len(quirks)
        prefix = "".join(word[0] for word in group.split()).upper()
        expired_left = n_expired - sum(q.expired for q in quirks)
        for i in range(n_new):
            expired = i >= n_new - expired_left
            filler.append(
                SampleOffence(
                    f"{prefix}{i + 1:02d}",
                    f"Synthetic {group.lower()} offence {i + 1}",
                    group,
                    group,
                    0.0 if expired else 1.0 / max(1, n_new - expired_left + len(live)),
                    0.02,
                    expired=expired,
                )
            )
    return sexual + _QUIRK_CODES + tuple(filler)


def group_share(group: str) -> float:
    """Share of all recorded crime in ``group`` (sexual offences about 4%)."""
    return 0.035 if group == SEXUAL_OFFENCES_GROUP else _OTHER_GROUPS[group][0]
