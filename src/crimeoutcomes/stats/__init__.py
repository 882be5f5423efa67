"""Statistics for comparing units (forces) and changes over time, pandas in and pandas out.

* ``funnel``: funnel tables with exact limits, calibrated over-dispersion and rank intervals;
* ``change``: rate ratios, ratios of shares and log-linear trends, each with a 95% interval;
* ``offence_mix``: leave-one-out expected counts given each force's offence mix.

The method, its references and its calibration are in the README, section Method.
"""

from crimeoutcomes.stats.change import (
    count_changes,
    describe_change,
    rate_ratio,
    share_changes,
    share_ratio,
    trend,
    trends,
)
from crimeoutcomes.stats.funnel import flagged, funnel_curves, funnel_table, told_apart_from_middle
from crimeoutcomes.stats.offence_mix import as_ratio_input, leave_one_out_expected
from crimeoutcomes.stats.validate import FunnelInputError

__all__ = [
    "FunnelInputError",
    "as_ratio_input",
    "count_changes",
    "describe_change",
    "flagged",
    "funnel_curves",
    "funnel_table",
    "leave_one_out_expected",
    "rate_ratio",
    "share_changes",
    "share_ratio",
    "told_apart_from_middle",
    "trend",
    "trends",
]
