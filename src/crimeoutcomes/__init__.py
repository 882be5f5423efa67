"""Community resolutions for sexual offences, from the Home Office crime outcomes open data.

The flow, room by room (each imports only the rooms before it; tests/test_code_shape.py checks it):
``config``, ``errors``, ``atomic``, ``locks`` and ``templates`` underpin everything; ``funnels``
is funnel-plot statistics for any units (exact limits, over-dispersion, ranks); ``data`` finds,
downloads, reads and caches the published files (raw files -> one tidy table); ``synthetic``
writes the invented sample in the same layout; ``sources`` picks which files a run reads;
``stats`` computes the measures (counts, shares, forces compared, change); ``reconciliation`` sets
them beside published figures and releases; ``prose`` words the findings; ``notebook`` is the
API the notebooks call; ``pages`` renders the index, summary.json and the site's pages; ``build``
runs the notebooks and publishes; ``cli`` is every command line. ``config`` holds the paths and
the thresholds (from ``reference/assumptions.csv``).

What the notebooks use, in one place (pandas in, pandas out)::

    from crimeoutcomes import setup, figures
    a = setup("2024/25", "closed")          # the year's data, the measures as methods
    totals = a.totals("sexual")             # a pandas DataFrame
    display(a.save_figure(figures.bars(...), "name", data))

The tidy table outside a notebook (one row per year, quarter, force, offence code and outcome type)::

    from crimeoutcomes import load_outcomes, to_pandas
    tidy = to_pandas(load_outcomes(["data/raw/prc-outcomes-open-data-apr2024-mar2025.ods"]))

Every name a notebook imports comes from here (``from crimeoutcomes import ...``), never from the
modules below: ``__all__`` lists them, and a test reads every notebook's imports to keep it so.
"""

from importlib import import_module

__version__ = "0.1.0"

#: The public surface (notebooks and researchers): name -> where it lives, "module" for a module,
#: "module:name" for a function or class. Imported on first use, so that the command line starts
#: without loading pandas, matplotlib and scipy.
_NOTEBOOK_API = {
    # the Analysis of a year and its helpers
    "setup": "crimeoutcomes.notebook.start:setup",
    "figures": "crimeoutcomes.notebook.figures",
    "findings": "crimeoutcomes.prose.findings",
    "sections": "crimeoutcomes.prose.sections",
    "caveats": "crimeoutcomes.notebook.caveats",
    "Scope": "crimeoutcomes.notebook.caveats:Scope",
    "caveats_for": "crimeoutcomes.notebook.caveats:caveats_for",
    "caveats_html": "crimeoutcomes.notebook.caveats:caveats_html",
    "reconciliation_view": "crimeoutcomes.notebook.reconciliation_view",
    # the statistics (pandas in, pandas out)
    "comparison": "crimeoutcomes.stats.comparison",
    "yearly_change": "crimeoutcomes.stats.yearly_change",
    "reconcile": "crimeoutcomes.reconciliation.press_figures",
    "releases": "crimeoutcomes.reconciliation.releases",
    # code lists, force names and years
    "codes": "crimeoutcomes.data.codes",
    "display_name": "crimeoutcomes.data.codes:display_name",
    "resolve_force": "crimeoutcomes.data.codes:resolve_force",
    "following_year": "crimeoutcomes.data.years:following_year",
    # force pages
    "forces_with_pages": "crimeoutcomes.notebook.force_pages:forces_with_pages",
    "links_html": "crimeoutcomes.notebook.force_pages:links_html",
    "report_links": "crimeoutcomes.notebook.force_pages:report_links",
    "say": "crimeoutcomes.notebook.columns:say",
    # the tidy table outside a notebook
    "load_outcomes": "crimeoutcomes.data.load:load_outcomes",
    "to_pandas": "crimeoutcomes.data.frames:to_pandas",
}
__all__ = sorted(_NOTEBOOK_API)


def __getattr__(name: str):
    if name not in _NOTEBOOK_API:
        raise AttributeError(f"module 'crimeoutcomes' has no attribute {name!r}")
    module_name, _, attribute = _NOTEBOOK_API[name].partition(":")
    module = import_module(module_name)
    found = getattr(module, attribute) if attribute else module
    globals()[name] = found  # the next use is a plain lookup
    return found


def __dir__() -> list[str]:
    return sorted([*globals(), *_NOTEBOOK_API])
