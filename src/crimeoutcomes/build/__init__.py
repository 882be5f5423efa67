"""The build: from notebooks to published reports. ``pipeline`` plans a year's build (which
notebooks, which force pages, what changed since ``record``'s build.json: ``incremental``), runs
the notebooks with papermill (``jobs``, ``execute``, over ``kernel_transport``'s kernel), exports
HTML (``export``), writes the data package (``data_package``) and the pages, and swaps the year in
whole (``publish``). ``site`` gathers every year built into one folder; ``review`` writes the
contact sheet of a build.

May import every room below it: the foundation modules, ``data``, ``sources``, ``stats``,
``reconciliation``, ``prose``, ``notebook`` and ``pages``. Only ``cli`` (and run_all.py) imports it.
"""

import sys

# papermill and nbconvert import nbformat, which imports jsonschema, which imports the optional
# rfc3987_syntax if it is installed (jupyter-events installs it): that compiles 39 Lark grammars
# at import, 1.5-3 s of every build process, for the "iri" string formats that no schema a build
# validates (nbformat's, the data package's) uses. Marked absent, jsonschema skips those two
# checks, as it does wherever the package is not installed. A process that imported jsonschema
# before this keeps it as it was.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not installed"
