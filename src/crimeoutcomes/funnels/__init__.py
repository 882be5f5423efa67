"""Funnel plots for any units (hospitals, schools, police forces): a table of counts and sizes in,
a table of exact limits, over-dispersion, adjusted limits and rank intervals out; pandas in and
pandas out, and the ``python -m crimeoutcomes funnel`` command on a CSV (``funnel_file``).

* ``funnel``: ``funnel_table``, ``funnel_curves``, ``flagged``, ``told_apart_from_middle``;
* ``families`` (proportions and ratios), ``exact`` (exact limits and tails, Holm), ``dispersion``
  (the over-dispersion test), ``random_effects`` (logit- and arcsine-normal, log- and sqrt-normal
  models fitted by maximum likelihood), ``predictive`` (each unit against the others' model),
  ``ranks`` (rank intervals), ``validate`` (input checks), ``calibration`` (flag rates by simulation).

Nothing here knows about crime: it is the statistics the comparison of forces (``stats.comparison``)
calls, kept apart so that it can be read, tested and used on its own. May import the foundation
modules (config, errors, atomic) only. The method and its calibration: docs/method.md,
docs/reliability.md.
"""
