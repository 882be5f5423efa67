"""Expected counts given each force's offence mix, with the force left out of its own benchmark.

A force's expected community resolutions are the sum over offence codes of its assigned outcomes
for the code times the national rate of community resolutions for that code computed from the
OTHER forces (leave-one-out). With the force included, a large force (the Metropolitan Police holds
about 10-15% of the assigned outcomes) is partly compared with itself, which pulls its expected
count towards its observed one and hides a real difference. Where no other force has an assigned
outcome for a code, the code's rate including the force is used (the only rate there is), and the
number of such codes is reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimeoutcomes.funnels.validate import FunnelInputError, _numbers, _require

FORCE, CODE, EVENTS, SIZE = "force", "offence_code", "community_resolutions", "assigned_outcomes"


def leave_one_out_expected(frame: pd.DataFrame) -> pd.DataFrame:
    """Input rows ``force, offence_code, community_resolutions, assigned_outcomes``; output one row
    per force: observed (community_resolutions), assigned_outcomes, ``expected`` (leave-one-out),
    ``expected_including_self`` (for comparison) and ``codes_without_others``."""
    for column in (FORCE, CODE, EVENTS, SIZE):
        if column not in frame.columns:
            raise FunnelInputError(f"missing column {column!r}")
    frame = frame.reset_index(drop=True)
    events, size = _numbers(frame, EVENTS), _numbers(frame, SIZE)
    _require(events < 0, EVENTS, lambda r: f"negative count ({events[r]:g})")
    _require(size < 0, SIZE, lambda r: f"negative count ({size[r]:g})")
    _require(
        events > size, EVENTS, lambda r: f"community resolutions ({events[r]:g}) exceed assigned outcomes ({size[r]:g})"
    )
    cells = (
        pd.DataFrame({FORCE: frame[FORCE].astype(str), CODE: frame[CODE].astype(str), EVENTS: events, SIZE: size})
        .groupby([FORCE, CODE], as_index=False, sort=True)[[EVENTS, SIZE]]
        .sum()
    )
    national = cells.groupby(CODE)[[EVENTS, SIZE]].transform("sum")
    others_events, others_size = national[EVENTS] - cells[EVENTS], national[SIZE] - cells[SIZE]
    with np.errstate(invalid="ignore", divide="ignore"):
        including = np.where(national[SIZE] > 0, national[EVENTS] / national[SIZE], 0.0)
        alone = others_size <= 0
        leave_out = np.where(alone, including, others_events / others_size.where(~alone, 1))
    cells = cells.assign(
        expected=cells[SIZE] * leave_out,
        expected_including_self=cells[SIZE] * including,
        codes_without_others=(alone & (cells[SIZE] > 0)).astype(int),
    )
    # Sorted by force and code before summing, so the floating-point sums are the same every run.
    return (
        cells.groupby(FORCE, sort=True)[[EVENTS, SIZE, "expected", "expected_including_self", "codes_without_others"]]
        .sum()
        .reset_index()
    )


def as_ratio_input(expected: pd.DataFrame) -> pd.DataFrame:
    """The ``unit, observed, expected`` table of a ratio funnel, forces with an expected count only."""
    usable = expected[expected["expected"] > 0]
    return pd.DataFrame({"unit": usable[FORCE], "observed": usable[EVENTS], "expected": usable["expected"]})
