"""Finding, downloading, reading and caching the Home Office files: raw files -> tidy table
(``read``, ``workbook``, ``checks``, ``load`` with ``cache``; the layout in ``schema``; code
lists and force names in ``codes``; the tidy table in pandas or polars in ``frames``; a folder of
files as a run uses it in ``source_files``, with its ``manifest`` and ``digests``).

May import: the foundation modules only (config, errors, atomic, locks).
"""
