"""Statistics: the measures the reports publish, pandas in and pandas out.

* ``measures``, ``quality``: counts, shares and gaps; collapsed force-quarters;
* ``comparison``: forces side by side (three denominators, funnels, offence mix, ranks), with the
  funnel machinery of ``crimeoutcomes.funnels`` (its names are exported here too);
* ``change``, ``yearly_change``: rate ratios, ratios of shares and log-linear trends with 95%
  intervals, and their tables by year and force;
* ``offence_mix``: leave-one-out expected counts;
* ``by_outcome_type``: chosen outcome types side by side; ``question``: which offences and outcomes.

May import: the foundation modules (config, errors, atomic, locks), ``funnels`` and ``data``. Published figures
and releases beside the open data are ``crimeoutcomes.reconciliation``.

The method, its references and its calibration are in docs/method.md. The names below
are imported on first use: scipy.stats alone takes half a second, which a notebook that only adds
up counts should not pay.
"""

from importlib import import_module

_EXPORTS = {
    "count_changes": "change", "describe_change": "change", "rate_ratio": "change", "share_changes": "change",
    "share_ratio": "change", "trend": "change", "trends": "change",
    "flagged": "funnels.funnel", "funnel_curves": "funnels.funnel", "funnel_table": "funnels.funnel",
    "told_apart_from_middle": "funnels.funnel", "FunnelInputError": "funnels.validate",
    "as_ratio_input": "offence_mix", "leave_one_out_expected": "offence_mix",
}  # fmt: skip
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'crimeoutcomes.stats' has no attribute {name!r}")
    module = _EXPORTS[name]
    return getattr(import_module(f"crimeoutcomes.{module}" if "." in module else f"crimeoutcomes.stats.{module}"), name)
