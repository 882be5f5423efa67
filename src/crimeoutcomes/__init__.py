"""Community resolutions for sexual offences, from the Home Office crime outcomes open data.

The flow, folder by folder: ``data`` finds, downloads, reads and caches the published files
(raw files -> one tidy table); ``synthetic`` writes the invented sample in the same layout;
``stats`` computes the measures (counts, shares, funnels, ranks, change, reconciliation);
``report`` runs the notebooks and builds the pages, figures and summary.json. ``config`` holds
the paths and the thresholds (from ``reference/assumptions.csv``).

What the notebooks use, in one place (pandas in, pandas out)::

    from crimeoutcomes import setup, figures
    a = setup("2024/25", "closed")          # the year's data, the measures as methods
    totals = a.totals("sexual")             # a pandas DataFrame
    display(a.save_figure(figures.bars(...), "name", data))
"""

from importlib import import_module

__version__ = "0.1.0"

#: The notebook API: name -> where it lives. Imported on first use, so that the command line
#: starts without loading pandas, matplotlib and scipy.
_NOTEBOOK_API = {
    "setup": "crimeoutcomes.report.notebook",
    "figures": "crimeoutcomes.report.figures",
    "comparison": "crimeoutcomes.stats.comparison",
    "yearly_change": "crimeoutcomes.stats.yearly_change",
    "reconcile": "crimeoutcomes.stats.reconcile",
    "releases": "crimeoutcomes.stats.releases",
    "codes": "crimeoutcomes.data.codes",
    "findings": "crimeoutcomes.report.findings",
    "caveats": "crimeoutcomes.report.caveats",
}
__all__ = sorted(_NOTEBOOK_API)


def __getattr__(name: str):
    if name not in _NOTEBOOK_API:
        raise AttributeError(f"module 'crimeoutcomes' has no attribute {name!r}")
    module = import_module(_NOTEBOOK_API[name])
    return getattr(module, name) if name == "setup" else module
