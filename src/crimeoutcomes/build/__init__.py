"""The build: from notebooks to published reports. ``pipeline`` plans a year's build (which
notebooks, which force pages, what changed since ``record``'s build.json: ``incremental``), runs
the notebooks with papermill (``jobs``, ``execute``, over ``kernel_transport``'s kernel), exports
HTML (``export``), writes the data package (``data_package``) and the pages, and swaps the year in
whole (``publish``). ``site`` gathers every year built into one folder; ``review`` writes the
contact sheet of a build.

May import every room below it: the foundation modules, ``data``, ``sources``, ``stats``,
``reconciliation``, ``prose``, ``notebook`` and ``pages``. Only ``cli`` (and run_all.py) imports it.
"""
