"""The stats modules on the real 2024/25 rows (skipped where ../shared/realdata is absent)."""

import pytest
import stats_forces
from stats_forces import REAL_ROWS

from crimeoutcomes.stats import as_ratio_input, flagged, funnel_table, leave_one_out_expected

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def sexual_offence_cells():
    if not REAL_ROWS.exists():
        pytest.skip(f"real data folder {REAL_ROWS.parent} is absent")
    return stats_forces.sexual_offence_cells()


def test_leave_one_out_matters_for_the_largest_forces(sexual_offence_cells):
    expected = leave_one_out_expected(sexual_offence_cells).set_index("force")
    difference = expected["expected"] / expected["expected_including_self"] - 1
    assert difference["Metropolitan Police"] > 0.10  # the Met is partly its own benchmark otherwise
    assert difference["Lancashire"] < -0.20  # and Lancashire, the heaviest user, lowers its own
    assert expected["community_resolutions"].sum() == 899


def test_offence_mix_funnel_flags_and_adjusts(sexual_offence_cells):
    table = funnel_table(as_ratio_input(leave_one_out_expected(sexual_offence_cells)), "ratio")
    assert table["over_dispersed"].all() and (table["lower_99_8"] >= 0).all()
    hits = flagged(table)
    assert hits["unit"].iloc[0] == "Lancashire"
    # The log-normal model fits (statistics v3): judged against the other forces, Lancashire is above
    # the adjusted 95% limit and the Metropolitan Police below it; none is outside at 99.8%.
    assert (table["model"] == "log-normal").all()
    by_unit = table.set_index("unit")
    assert by_unit.loc["Lancashire", "outside_adjusted_95"] == "high"
    assert by_unit.loc["Metropolitan Police", "outside_adjusted_95"] == "low"
    assert (table["outside_adjusted_99_8"] == "").all()


def test_share_funnel_model_and_leave_one_out(sexual_offence_cells):
    counts = sexual_offence_cells.groupby("force", as_index=False)[["community_resolutions", "assigned_outcomes"]].sum()
    frame = counts.set_axis(["unit", "events", "n"], axis=1)
    table = funnel_table(frame, "proportion").set_index("unit")
    assert (table["model"] == "logit-normal").all() and table["model_spread"].iloc[0] == pytest.approx(1.03, abs=0.01)
    # Without Lancashire the spread it is judged against is narrower: its mid-p falls below the 95%
    # level (0.0020), and the Met's low mid-p (0.0061) too; neither is below 0.001 (the models'
    # weights from all 44 forces: from the other 43 the arcsine model would win and flag Lancashire).
    assert table.loc["Lancashire", "p_adjusted_high"] == pytest.approx(0.0020, abs=3e-4)
    assert table.loc["Metropolitan Police", "p_adjusted_low"] == pytest.approx(0.0061, abs=5e-4)
    assert (table["outside_adjusted_99_8"] == "").all()
    assert table.loc["Metropolitan Police", "adj_lower_95"] > table.loc["Metropolitan Police", "value"]
