"""The bridge between the engine (polars, for reading and aggregating the 700k-row yearly tables)
and the API the notebooks speak (pandas).

Every function a notebook calls hands back pandas with honest dtypes: the key text columns
(force, offence, outcome, year) as categories, other text as strings, counts as nullable Int64
(a missing count stays <NA>, never 0 or NaN), the quarter as Int8. A function decorated with
``pandas_api`` takes pandas or polars: given pandas it answers in pandas, given polars (as the
package's own modules call it) in polars, so the engine never pays for a round trip it does not need.
"""

from __future__ import annotations

import functools

import pandas as pd
import polars as pl
import pyarrow as pa

from crimeoutcomes.data.schema import DESCRIPTIONS

#: Text columns with few distinct values: categories in pandas.
CATEGORICAL = (
    "financial_year",
    "force",
    "offence_code",
    "offence_description",
    "offence_group",
    "offence_subgroup",
    "outcome_type",
    "outcome_description",
    "outcome_group",
)


def _pandas_type(arrow_type: pa.DataType):
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pd.StringDtype("pyarrow")
    return {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint32(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }.get(arrow_type)


def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """polars -> pandas with the API's dtypes (see the module's docstring)."""
    # polars' categories reach pandas in the order they were first seen: as text they come back
    # below as categories in sorted order, the same whichever way the engine held them.
    frame = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
    keys = [c for c in CATEGORICAL if c in frame.columns and frame.schema[c] == pl.String]
    data = frame.to_arrow().to_pandas(types_mapper=_pandas_type)
    for column in keys:
        data[column] = data[column].astype("category")
    return data


def to_polars(frame: pd.DataFrame) -> pl.DataFrame:
    """pandas -> polars for the engine: categories back to plain text (polars will not join a
    categorical column with a text one), but the descriptions dictionary-encoded as the tidy table
    holds them (``schema.DESCRIPTIONS``); nullable integers kept as integers."""
    data = pl.from_pandas(frame, include_index=False)
    return data.with_columns(
        [pl.col(c).cast(pl.String) for c, t in data.schema.items() if t in (pl.Categorical,) or isinstance(t, pl.Enum)]
    ).with_columns([pl.col(c).cast(pl.Categorical) for c in DESCRIPTIONS if c in data.columns])


def as_pandas(frame) -> pd.DataFrame:
    """pandas as it is; polars with the API's dtypes."""
    return frame if isinstance(frame, pd.DataFrame) else to_pandas(frame)


def as_polars(frame) -> pl.DataFrame:
    return frame if isinstance(frame, pl.DataFrame) else to_polars(frame)


def pandas_api(function):
    """Let ``function(frame, ...)``, written on polars, take and give pandas: frames among its
    arguments are converted when the first one is pandas, and so is a frame it returns."""

    @functools.wraps(function)
    def wrapper(frame, *args, **kwargs):
        if not isinstance(frame, pd.DataFrame):
            return function(frame, *args, **kwargs)
        convert = lambda value: to_polars(value) if isinstance(value, pd.DataFrame) else value  # noqa: E731
        result = function(to_polars(frame), *map(convert, args), **{k: convert(v) for k, v in kwargs.items()})
        return to_pandas(result) if isinstance(result, pl.DataFrame) else result

    return wrapper
