"""stats.offence_mix against a plain-Python leave-one-out written from the module's docstring, on
edge cases (a code only one force has, other forces with exactly one outcome, a code nobody has),
with every input check named (written for the mutation score, issue 19)."""

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from crimeoutcomes.stats import FunnelInputError, as_ratio_input, leave_one_out_expected

COLUMNS = ["force", "offence_code", "community_resolutions", "assigned_outcomes"]


def reference(rows):
    """Per force: (events, size, expected leave-one-out, expected including self, codes without others)."""
    cells = {}
    for force, code, events, size in rows:
        e, s = cells.get((force, code), (0, 0))
        cells[(force, code)] = (e + events, s + size)
    out = {}
    for (force, code), (events, size) in cells.items():
        national_e = sum(e for (f, c), (e, s) in cells.items() if c == code)
        national_s = sum(s for (f, c), (e, s) in cells.items() if c == code)
        others_e, others_s = national_e - events, national_s - size
        including = national_e / national_s if national_s > 0 else 0.0
        alone = others_s <= 0
        leave_out = including if alone else others_e / others_s
        row = out.setdefault(force, [0, 0, 0.0, 0.0, 0])
        row[0] += events
        row[1] += size
        row[2] += size * leave_out
        row[3] += size * including
        row[4] += int(alone and size > 0)
    return out


ROWS = [
    # A has code X alone (no other force has X): its own rate is the only one.
    ("A", "X", 2, 4),
    ("A", "Y", 1, 10),
    ("A", "Z", 0, 0),
    # B and C share Y; C's only Y outcome means the others of B have exactly 1 outcome in W.
    ("B", "Y", 3, 20),
    ("B", "W", 1, 5),
    ("B", "Z", 0, 0),
    ("C", "Y", 0, 7),
    ("C", "W", 1, 1),
    ("C", "V", 1, 1),
    # Two rows for the same cell are added up.
    ("B", "Y", 1, 3),
]


def test_leave_one_out_against_a_plain_python_reimplementation():
    table = leave_one_out_expected(pd.DataFrame(ROWS, columns=COLUMNS))
    want = reference(ROWS)
    assert list(table.columns) == [
        "force",
        "community_resolutions",
        "assigned_outcomes",
        "expected",
        "expected_including_self",
        "codes_without_others",
    ]
    assert list(table["force"]) == ["A", "B", "C"]
    for row in table.itertuples(index=False):
        events, size, expected, including, alone = want[row.force]
        assert (row.community_resolutions, row.assigned_outcomes) == (events, size)
        assert row.expected == pytest.approx(expected, rel=1e-12)
        assert row.expected_including_self == pytest.approx(including, rel=1e-12)
        assert row.codes_without_others == alone
    assert table["codes_without_others"].dtype.kind == "i"
    assert table["expected"].dtype == np.float64 and table["expected_including_self"].dtype == np.float64


def test_leave_one_out_by_hand():
    table = leave_one_out_expected(pd.DataFrame(ROWS, columns=COLUMNS)).set_index("force")
    # A: X alone at its own 2/4 -> 2; Y against B and C: (3 + 1 + 0) / (20 + 3 + 7) = 4/30 -> 10 * 4/30.
    assert table.loc["A", "expected"] == pytest.approx(2 + 10 * 4 / 30)
    # Including self: X 2/4 -> 2, Y 5/40 -> 1.25.
    assert table.loc["A", "expected_including_self"] == pytest.approx(2 + 10 * 5 / 40)
    # B: Y against A and C (1 / 17) -> 23/17; W against C's single outcome (1/1) -> 5.
    assert table.loc["B", "expected"] == pytest.approx(23 / 17 + 5)
    # C: Y against A and B, 5/33 -> 7 * 5/33; W against B, 1/5 -> 0.2; V alone, its own 1/1 -> 1.
    assert table.loc["C", "expected"] == pytest.approx(7 * 5 / 33 + 0.2 + 1)
    assert table.loc["C", "expected_including_self"] == pytest.approx(7 * 5 / 40 + 2 / 6 + 1)
    # A code no force has (Z) is not counted as one without others; X for A and V for C are.
    assert table["codes_without_others"].to_dict() == {"A": 1, "B": 0, "C": 1}


def test_leave_one_out_same_bits_whatever_the_row_order():
    generator = random.Random(7)
    rows = [(f"F{f}", f"C{c}", generator.randint(0, 9), generator.randint(10, 400)) for f in range(6) for c in range(9)]
    first = leave_one_out_expected(pd.DataFrame(rows, columns=COLUMNS))
    for _ in range(6):
        generator.shuffle(rows)
        again = leave_one_out_expected(pd.DataFrame(rows, columns=COLUMNS))
        pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_leave_one_out_ignores_the_input_index_and_an_old_index_column():
    frame = pd.DataFrame(ROWS, columns=COLUMNS, index=range(50, 50 + len(ROWS)))
    want = leave_one_out_expected(pd.DataFrame(ROWS, columns=COLUMNS))
    pd.testing.assert_frame_equal(leave_one_out_expected(frame), want)
    # A frame filtered and then reset keeps the old index as a column named 'index'.
    pd.testing.assert_frame_equal(leave_one_out_expected(frame.reset_index()), want)


def test_leave_one_out_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        leave_one_out_expected(pd.DataFrame(ROWS, columns=COLUMNS))


@pytest.mark.parametrize("column", COLUMNS)
def test_leave_one_out_missing_column(column):
    frame = pd.DataFrame(ROWS, columns=COLUMNS).drop(columns=column)
    with pytest.raises(FunnelInputError, match=rf"^missing column '{column}'$"):
        leave_one_out_expected(frame)


@pytest.mark.parametrize(
    "values, column, row, words",
    [
        ((2, -1, 4), "community_resolutions", 2, "row 2, column 'community_resolutions': negative count (-1)"),
        ((0, 0, 0), None, None, None),
    ],
)
def test_leave_one_out_negative_events(values, column, row, words):
    frame = pd.DataFrame(
        {
            "force": ["A", "B", "C"],
            "offence_code": ["X"] * 3,
            "community_resolutions": values,
            "assigned_outcomes": [5, 5, 5],
        }
    )
    if words is None:
        leave_one_out_expected(frame)
        return
    with pytest.raises(FunnelInputError) as caught:
        leave_one_out_expected(frame)
    assert (str(caught.value), caught.value.column, caught.value.row) == (words, column, row)


def test_leave_one_out_negative_size_and_events_above_size():
    frame = pd.DataFrame(
        {"force": ["A", "B"], "offence_code": ["X"] * 2, "community_resolutions": [0, 0], "assigned_outcomes": [5, -2]}
    )
    with pytest.raises(FunnelInputError) as caught:
        leave_one_out_expected(frame)
    assert str(caught.value) == "row 2, column 'assigned_outcomes': negative count (-2)"
    frame = pd.DataFrame(
        {"force": ["A", "B"], "offence_code": ["X"] * 2, "community_resolutions": [1, 6], "assigned_outcomes": [5, 5]}
    )
    with pytest.raises(FunnelInputError) as caught:
        leave_one_out_expected(frame)
    assert str(caught.value) == (
        "row 2, column 'community_resolutions': community resolutions (6) exceed assigned outcomes (5)"
    )


def test_as_ratio_input_keeps_forces_with_an_expected_count():
    expected = pd.DataFrame(
        {
            "force": ["A", "B", "C"],
            "community_resolutions": [3, 0, 1],
            "assigned_outcomes": [10, 0, 2],
            "expected": [2.5, 0.0, 0.4],
        }
    )
    table = as_ratio_input(expected)
    assert list(table.columns) == ["unit", "observed", "expected"]
    assert table["unit"].tolist() == ["A", "C"]
    assert table["observed"].tolist() == [3, 1]
    assert table["expected"].tolist() == [2.5, 0.4]
