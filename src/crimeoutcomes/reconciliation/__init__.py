"""Our figures beside those published elsewhere: the press and Home Office figures in
circulation (``press_figures``: matched, explained or marked as not comparable, from
reference/published_figures.csv) and one year in two releases of the open data (``releases``).
Not statistics of the data, so apart from ``stats``.

May import: the foundation modules, ``data`` and ``stats``.
"""
