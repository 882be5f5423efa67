"""Notebooks -> reports: the notebook's context, figures, tables, pages, summary.json, the
papermill pipeline and the templates."""
