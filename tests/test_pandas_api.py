"""The API a pandas user meets: measures take pandas and give pandas with honest dtypes, the
figure helpers take pandas, and the notebook's context answers in pandas."""

import pandas as pd
import pytest
from helpers import outcomes_table

from crimeoutcomes import figures
from crimeoutcomes.data.frames import to_pandas
from crimeoutcomes.stats import measures as m

S = "Sexual offences"


def _outcomes() -> pd.DataFrame:
    """Kent: 2 CRs of 10 assigned in Q1 only; Essex: Q1 only, and a theft CR. As pandas, through the
    same bridge the notebooks get their frames from."""
    rows = [
        ("2024/25", 1, "Kent", "20A", S, False, "8", 2, 2, None),
        ("2024/25", 1, "Kent", "20A", S, False, "15", 8, 8, None),
        ("2024/25", 1, "Kent", "20A", S, False, "0", 5, 5, None),
        ("2024/25", 1, "Essex", "20A", S, False, "8", 1, 1, None),
        ("2024/25", 1, "Essex", "49", "Theft offences", False, "8", 40, 40, None),
    ]
    return to_pandas(outcomes_table(rows))


def test_measures_take_and_give_pandas_with_whole_counts():
    sexual = m.sexual_offences(_outcomes())
    assert isinstance(sexual, pd.DataFrame) and set(sexual["offence_group"]) == {S}
    totals = m.national_totals(sexual, "closed")
    assert isinstance(totals, pd.DataFrame)
    assert str(totals["community_resolutions"].dtype) == "Int64" and totals["community_resolutions"].item() == 3
    assert totals["assigned_outcomes"].item() == 11  # type 0 (not yet assigned) is not an outcome
    by_force = m.force_totals(sexual, "closed", by=()).set_index("force")
    assert isinstance(by_force.index.dtype, pd.CategoricalDtype)  # forces are categories
    assert pd.isna(by_force.loc["Kent", "community_resolutions"])  # only Q1 of four: missing, never 2
    assert str(by_force["community_resolutions"].dtype) == "Int64"


def test_figure_helpers_take_pandas_and_never_draw_missing_as_zero():
    data = pd.DataFrame({"force": ["Kent", "Essex"], "community_resolutions": pd.array([4, None], dtype="Int64")})
    figure = figures.bars(data, "force", "community_resolutions", title="t", xlabel="x")
    axes = figure.axes[0]
    assert len(axes.patches) == 1 and axes.patches[0].get_width() == pytest.approx(4)
    assert sorted(t.get_text() for t in axes.texts) == [" no data", "4"]  # Essex says "no data", never 0


def test_dictionary_encoded_descriptions_reach_pandas_as_plain_text_would():
    """The tidy table holds the descriptions as polars Categoricals (schema.DESCRIPTIONS), whose
    categories are in the order first seen; pandas must get the same frame, categories sorted, as
    from text, and the trip back must give the tidy table's types."""
    import polars as pl

    from crimeoutcomes.data.frames import to_polars
    from crimeoutcomes.data.schema import DESCRIPTIONS, OUTCOMES_COLUMNS

    rows = [
        ("2024/25", 1, "Kent", "49", "Theft offences", False, "8", 40, 40, None),
        ("2024/25", 1, "Kent", "20A", S, False, "8", 2, 2, None),
        ("2024/25", 2, "Essex", "20A", S, False, "15", 1, 1, None),
    ]
    encoded = outcomes_table(rows)
    assert all(encoded.schema[c] == pl.Categorical for c in DESCRIPTIONS)
    as_text = to_pandas(encoded.cast({pl.Categorical: pl.String}))
    pd.testing.assert_frame_equal(to_pandas(encoded), as_text)
    assert list(to_pandas(encoded)["offence_group"].cat.categories) == sorted({S, "Theft offences"})
    assert dict(to_polars(as_text).schema) == OUTCOMES_COLUMNS


def test_the_same_files_loaded_twice_give_the_same_table_without_reading_again(tmp_path, monkeypatch):
    """Force pages in one kernel each load the same years: the second load is the first's table, and
    a file whose bytes change is read again."""
    from crimeoutcomes.data import load
    from crimeoutcomes.synthetic.sample import write_outcomes_workbook

    path, cache = tmp_path / "outcomes.xlsx", tmp_path / "cache"
    write_outcomes_workbook(path, "2024/25")
    first = load.load_outcomes([path], cache_dir=cache)
    reads, read = [], load.load_table
    monkeypatch.setattr(load, "load_table", lambda *a, **k: reads.append(a) or read(*a, **k))
    assert load.load_outcomes([path], cache_dir=cache) is first and reads == []
    write_outcomes_workbook(path, "2023/24")  # other bytes in the same file: read again
    again = load.load_outcomes([path], cache_dir=cache)
    assert len(reads) == 1 and again["financial_year"].unique().to_list() == ["2023/24"]
