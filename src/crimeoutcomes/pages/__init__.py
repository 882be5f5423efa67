"""The pages a build writes besides the reports: each year's index and caveats page
(``index_page``), summary.json (``summary``), the site's index and figures pages (``site_pages``)
and the reviewers' contact sheet (``review``). They render; ``build`` decides when and where
they are written.

May import: the foundation modules, ``data``, ``stats``, ``reconciliation``, ``prose`` and
``notebook``; never ``build``.
"""
