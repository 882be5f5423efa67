"""Text work done once per distinct cell value, then spread to the rows.

A published column of 700k rows holds a few hundred distinct strings (forces, codes, descriptions,
counts), so cleaning each distinct string once and gathering the results by each row's index into
them costs a fraction of cleaning every row (the reader's time over the bare parse, measured on
real-length descriptions). The gathered strings also point into the small table of distinct
values, so the tidy table keeps none of the loaded cells' buffers alive.
"""

from __future__ import annotations

from typing import cast

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc


class DistinctCells:
    """The columns of a loaded sheet, each dictionary-encoded on first use: its distinct values
    (with a null last) and each row's index into them."""

    def __init__(self, data: pl.DataFrame):
        self.data = data
        self._encoded: dict[str, tuple[pl.Series, pl.Series]] = {}

    def encoded(self, column: str) -> tuple[pl.Series, pl.Series]:
        if column not in self._encoded:
            # a Series' to_arrow is one Array, so its encoding is a DictionaryArray (the stubs say Array)
            dictionary = cast(
                pa.DictionaryArray,
                pc.dictionary_encode(self.data.get_column(column).to_arrow(compat_level=pl.CompatLevel.newest())),
            )
            values = pl.Series(column, dictionary.dictionary, dtype=pl.String)
            null_at = len(values)
            values = values.extend_constant(None, 1)
            index = pl.Series(dictionary.indices).cast(pl.UInt32).fill_null(null_at)
            self._encoded[column] = (values, index)
        return self._encoded[column]

    def evaluate(self, expression: pl.Expr) -> pl.Series:
        """``self.data.select(expression)``, worked out once per distinct value where the
        expression reads one column (row by row where it reads none or several)."""
        roots = set(expression.meta.root_names())
        if len(roots) != 1:
            name = expression.meta.output_name()
            return self.data.select(expression, pl.first().alias(f"{name}__")).get_column(name)
        values, index = self.encoded(roots.pop())
        return values.to_frame().select(expression).to_series().gather(index)

    def ids(self, expression: pl.Expr) -> pl.Series:
        """Whole numbers equal where the values of ``expression`` (on one column) are equal: a key
        check compares these instead of the strings."""
        (root,) = set(expression.meta.root_names())
        values, index = self.encoded(root)
        result = values.to_frame().select(expression.alias("value"))
        return result.select(pl.col("value").rank("dense")).to_series().gather(index)

    def select(self, **named: pl.Expr) -> pl.DataFrame:
        return pl.DataFrame([self.evaluate(expression.alias(name)) for name, expression in named.items()])

    def filter(self, mask: pl.Series) -> DistinctCells:
        """The rows where ``mask`` holds, keeping the encodings made so far."""
        kept = DistinctCells(self.data.filter(mask))
        kept._encoded = {c: (values, index.filter(mask)) for c, (values, index) in self._encoded.items()}
        return kept
