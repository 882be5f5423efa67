"""Figures readable without colour, and alt text that says what each figure is."""

import matplotlib
import polars as pl

from crimeoutcomes import plots

matplotlib.use("Agg")


def test_lines_differ_in_marker_and_dash_as_well_as_colour():
    data = pl.DataFrame({"year": ["2022/23", "2023/24", "2024/25"], "a": [1, 2, 3], "b": [2, 3, 4], "c": [3, 4, 5]})
    figure = plots.lines(data, "year", ["a", "b", "c"], ["A", "B", "C"], title="Three series", ylabel="count")
    drawn = figure.axes[0].get_lines()
    styles = {(line.get_marker(), str(line.get_linestyle())) for line in drawn}
    assert len(drawn) == 3 and len(styles) == 3  # told apart on a greyscale print
    alt = plots.describe(figure, "three.csv")
    assert alt == ("Line chart: Three series. Vertical axis: count; key: A, B, C. "
                   "The plotted numbers are in three.csv, saved beside the figure.")


def test_bars_are_described_as_bars():
    data = pl.DataFrame({"force": ["Kent", "Essex"], "n": [3, None]})
    figure = plots.bars(data, "force", "n", title="By force", xlabel="community resolutions")
    assert plots.describe(figure, "f.csv").startswith(
        "Bar chart: By force. Horizontal axis: community resolutions.")
