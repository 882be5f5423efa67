"""Statistics: the measures the reports publish, pandas in and pandas out.

* ``measures``, ``quality``: counts, shares and gaps; collapsed force-quarters;
* ``comparison``: forces side by side (three denominators, funnels, offence mix, ranks);
* ``funnel`` (with ``exact``, ``dispersion``, ``ranks``, ``families``, ``validate``): funnel tables
  with exact limits, calibrated over-dispersion and rank intervals, for any units;
* ``change``, ``yearly_change``: rate ratios, ratios of shares and log-linear trends with 95%
  intervals, and their tables by year and force;
* ``offence_mix``: leave-one-out expected counts.

May import: the foundation modules (config, errors, atomic, locks) and ``data``. Published figures
and releases beside the open data are ``crimeoutcomes.reconciliation``.

The method, its references and its calibration are in docs/method.md. The names below
are imported on first use: scipy.stats alone takes half a second, which a notebook that only adds
up counts should not pay.
"""

from importlib import import_module

_EXPORTS = {
    "count_changes": "change", "describe_change": "change", "rate_ratio": "change", "share_changes": "change",
    "share_ratio": "change", "trend": "change", "trends": "change",
    "flagged": "funnel", "funnel_curves": "funnel", "funnel_table": "funnel", "told_apart_from_middle": "funnel",
    "as_ratio_input": "offence_mix", "leave_one_out_expected": "offence_mix",
    "FunnelInputError": "validate",
}  # fmt: skip
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'crimeoutcomes.stats' has no attribute {name!r}")
    return getattr(import_module(f"crimeoutcomes.stats.{_EXPORTS[name]}"), name)
