"""Rebuild real-shaped workbooks from ../shared/realdata, in a temporary folder only.

The real 2024/25 outcome rows come in file order without offence codes; each row's code is
recovered from its position (../shared/realdata/README.md): the type-0 rows come first, one
per quarter x force x code, then per quarter x force x code the 21 other outcome types.
"""

from pathlib import Path

import numpy as np
import polars as pl

# The layout from the spec, written out in the tests (not the generator's), so that a misreading of
# the format shared by the generator and the reader cannot pass the real-data tests.
from spec_layout import (
    DATA_SHEETS,
    EXPIRED_FLAG,
    EXPIRED_MARKERS,
    OTHER_SHEETS,
    OUTCOMES_HEADERS,
    RECORDED_CRIME_HEADERS,
    RECORDED_CRIME_OTHER_SHEETS,
    recorded_crime_sheet,
)

from crimeoutcomes.data import codes
from crimeoutcomes.synthetic.writer import Sheet, mixed_cells, write_workbook

EXPIRED = EXPIRED_MARKERS[0]


def real_outcome_rows(shared: Path) -> pl.DataFrame:
    """The real rows, with offence code, description, subgroup and expiry joined on by position."""
    rows = pl.read_parquet(shared / "realdata" / "outcomes_2024_25_recorded_subset.parquet")
    code_list = pl.read_csv(shared / "realdata" / "outcomes_2024_25_offence_codes.csv", infer_schema=False)
    n_codes = code_list.height
    n_type0 = len(codes.forces()) * 4 * n_codes
    position = np.arange(rows.height)
    code_pos = np.where(position < n_type0, position % n_codes, ((position - n_type0) // 21) % n_codes)
    rows = rows.with_columns(pos=pl.Series(code_pos.astype(str)))
    joined = rows.join(code_list.rename({"pos": "pos"}), on="pos", how="left", maintain_order="left")
    assert joined.height == rows.height
    return joined.with_columns(
        expired=pl.col("in_pfa_2024_25") == "False",
        outcome_type=pl.col("Outcome Type").cast(pl.Int64).cast(pl.String),
        quarter=pl.col("Financial Quarter").cast(pl.Int8),
        n=pl.col("n").cast(pl.Int64),
    )


def write_outcomes_2024_25(rows: pl.DataFrame, path: Path) -> Path:
    headers = OUTCOMES_HEADERS
    descriptions = {t.code: t.description for t in codes.outcome_types()}
    table = rows.select(
        pl.col("Financial Year").alias(headers["financial_year"]),
        pl.col("quarter").cast(pl.Int64).alias(headers["quarter"]),
        pl.col("Force").alias(headers["force"]),
        pl.col("code").alias(headers["offence_code"]),
        pl.col("desc").alias(headers["offence_description"]),
        pl.col("Offence Group").alias(headers["offence_group"]),
        pl.col("subgroup").alias(headers["offence_subgroup"]),
        pl.when(pl.col("expired")).then(pl.lit(EXPIRED_FLAG)).alias(headers["offence_code_expired"]),
        pl.col("outcome_type").cast(pl.Int64).alias(headers["outcome_type"]),
        pl.col("outcome_type").replace_strict(descriptions).alias(headers["outcome_description"]),
        pl.col("Outcome Group").alias(headers["outcome_group"]),
        # The published file writes the marker where the code has expired (the copy turned it into 0).
        mixed_cells(
            pl.when(~pl.col("expired")).then(pl.col("n")), pl.when(pl.col("expired")).then(pl.lit(EXPIRED))
        ).alias(headers["recorded"]),
    )
    return write_workbook(
        path,
        [
            Sheet(OTHER_SHEETS[0], rows=[["Real 2024/25 outcome rows rebuilt for validation (test use only)"]]),
            Sheet(OTHER_SHEETS[1], rows=[["Notes"]]),
            Sheet(OTHER_SHEETS[2], rows=[[1, 2]]),
            Sheet(DATA_SHEETS["2024/25"], table=table),
        ],
        compresslevel=1,  # the cells are what the tests read; zlib's default level took 3 of the 4.5 s
    )


def real_recorded_crime(shared: Path) -> pl.DataFrame:
    return pl.read_parquet(shared / "realdata" / "prc_pfa_2012_13_to_2025_26.parquet").with_columns(
        quarter=pl.col("Financial Quarter").cast(pl.Int8), n=pl.col("n").cast(pl.Int64)
    )


def write_recorded_crime(rows: pl.DataFrame, path: Path) -> Path:
    sheets = [
        Sheet(RECORDED_CRIME_OTHER_SHEETS[0], rows=[["Real recorded crime rebuilt for validation (test use only)"]]),
        Sheet(RECORDED_CRIME_OTHER_SHEETS[1], rows=[["Notes"]]),
    ]
    for year in rows["FY"].unique(maintain_order=True):
        part = rows.filter(pl.col("FY") == year).select(
            "FY",
            pl.col("quarter").cast(pl.Int64),
            "Force",
            "Offence Description",
            "Group",
            "Offence Subgroup",
            "Offence Code",
            "n",
        )
        sheets.append(Sheet(recorded_crime_sheet(year), table=part, header=RECORDED_CRIME_HEADERS))
    return write_workbook(path, sheets, compresslevel=1)  # as above: the cells matter, not the compression
