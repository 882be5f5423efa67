"""The tidy tables: column names and types, the contract between the reader and everything else."""

from __future__ import annotations

import polars as pl

#: Bump when the reader's output changes, so that cached Parquet files are rebuilt.
SCHEMA_VERSION = 1

#: Where and what: the columns both tables share, in this order.
_KEY_COLUMNS: dict[str, pl.DataType] = {
    "financial_year": pl.String(),
    "quarter": pl.Int8(),
    "force": pl.String(),
    "offence_code": pl.String(),
    "offence_description": pl.String(),
    "offence_group": pl.String(),
    "offence_subgroup": pl.String(),
}

OUTCOMES_COLUMNS: dict[str, pl.DataType] = {
    **_KEY_COLUMNS,
    "offence_code_expired": pl.Boolean(),
    "outcome_type": pl.String(),
    "outcome_description": pl.String(),
    "outcome_group": pl.String(),
    "recorded": pl.Int64(),
    "closed": pl.Int64(),
    "note": pl.String(),
}

RECORDED_CRIME_COLUMNS: dict[str, pl.DataType] = {**_KEY_COLUMNS, "offences": pl.Int64()}

#: The two kinds of table (and of source file).
OUTCOMES = "outcomes"
RECORDED_CRIME = "recorded_crime"
#: One row of each table per value of its key: a duplicate is refused when the file is read.
OUTCOMES_KEY = ("financial_year", "quarter", "force", "offence_code", "outcome_type")
RECORDED_CRIME_KEY = ("financial_year", "quarter", "force", "offence_code")
#: A force's quarter: what a gap or a collapse is counted in.
FORCE_QUARTER = ["financial_year", "quarter", "force"]
#: The files the reader takes.
WORKBOOK_SUFFIXES = (".xlsx", ".ods")

#: The two ways of counting outcomes; each names a count column of the outcomes table.
COUNT_BASES = ("closed", "recorded")
