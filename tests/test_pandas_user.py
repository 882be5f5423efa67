"""A pandas user's test: a cell added to the force comparison notebook, written with pandas and
seaborn only on the objects the notebook exposes (the top five forces by rate, drawn with seaborn
and saved through the figure helper), runs, and its numbers are those of an independent sum."""

import nbformat
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")


PANDAS_CELL = """
import seaborn as sns

top_five = (fc.table.dropna(subset=["rate_per_1000_recorded"])
            .sort_values("rate_per_1000_recorded", ascending=False)
            .head(5)[["force", "community_resolutions", "recorded_offences", "rate_per_1000_recorded"]])
top_five["force"] = top_five["force"].astype(str)
figure, axes = figures.new_figure(8, 3)
sns.barplot(data=top_five, x="rate_per_1000_recorded", y="force", color=figures.PALETTE[0], ax=axes)
axes.set(title="The five highest rates per 1,000 recorded sexual offences", xlabel="per 1,000", ylabel="")
display(a.save_figure(figure, "pandas_user_top_five", top_five))
assert str(top_five["community_resolutions"].dtype) == "Int64"  # counts stay whole numbers
"""


def test_a_pandas_and_seaborn_cell_runs_in_the_notebook(sample_files, tmp_path, monkeypatch):
    import papermill

    monkeypatch.chdir(PROJECT_ROOT)
    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / "02_force_comparison.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PANDAS_CELL))
    source = tmp_path / "with_a_pandas_cell.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(
        str(source),
        str(tmp_path / "out.ipynb"),
        progress_bar=False,
        parameters={"data_folder": str(sample_files.folder), "output_root": str(tmp_path)},
    )
    saved = pd.read_csv(next(tmp_path.glob("scratch/**/pandas_user_top_five.csv")))
    assert (tmp_path / "scratch").is_dir() and len(saved) == 5
    # Independent: each force's rate from the comparison's own counts, ranked here.
    rates = saved["community_resolutions"] / saved["recorded_offences"] * 1000
    assert rates.tolist() == pytest.approx(saved["rate_per_1000_recorded"].tolist())
    assert saved["rate_per_1000_recorded"].is_monotonic_decreasing
    assert saved["data"].eq("SYNTHETIC DATA").all()
