"""The notebook API: what a notebook calls, in pandas.

``start.setup`` turns a notebook's parameters into an ``analysis.Analysis`` (the year's rows and
the measures as methods), which also says where its numbers come from (``provenance``) and saves
and shows figures and tables (``output``, with ``figures``, ``tables``, ``columns`` and
``caveats``); ``memo`` keeps the costly calls on disk for the force pages; ``force_pages`` names
the pages of each force and links to them; ``reconciliation_view`` shows the press figures beside
ours; ``parameters`` checks what papermill injected.

May import: the foundation modules (config, errors, atomic, locks, templates), ``data``,
``stats``, ``reconciliation`` and ``prose``; never ``pages`` or ``build``. Notebooks import
these names from ``crimeoutcomes`` itself, never from here.
"""
