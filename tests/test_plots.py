"""Figures readable without colour, and alt text that says what each figure is."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest

from crimeoutcomes.notebook import figures as plots

matplotlib.use("Agg")


def test_lines_differ_in_marker_and_dash_as_well_as_colour():
    data = pl.DataFrame({"year": ["2022/23", "2023/24", "2024/25"], "a": [1, 2, 3], "b": [2, 3, 4], "c": [3, 4, 5]})
    figure = plots.lines(data, "year", ["a", "b", "c"], ["A", "B", "C"], title="Three series", ylabel="count")
    drawn = figure.axes[0].get_lines()
    styles = {(line.get_marker(), str(line.get_linestyle())) for line in drawn}
    assert len(drawn) == 3 and len(styles) == 3  # told apart on a greyscale print
    alt = plots.describe(figure, "three.csv")
    assert alt == (
        "Line chart: Three series. Vertical axis: count; key: A, B, C. "
        "The plotted numbers are in three.csv, saved beside the figure."
    )


def test_bars_are_described_as_bars():
    data = pl.DataFrame({"force": ["Kent", "Essex"], "n": [3, None]})
    figure = plots.bars(data, "force", "n", title="By force", xlabel="community resolutions")
    assert plots.describe(figure, "f.csv").startswith("Bar chart: By force. Horizontal axis: community resolutions.")
    assert plots.describe(figure, "f.csv") == (
        "Bar chart: By force. Horizontal axis: community resolutions. "
        "The plotted numbers are in f.csv, saved beside the figure."
    )


# --- what each chart draws ---------------------------------------------------------------------------
def _texts(axes):
    return [t.get_text() for t in axes.texts]


def test_bars_draw_one_bar_per_known_value_largest_at_the_top_and_label_na():
    data = pl.DataFrame({"force": ["Kent", "Essex", "Surrey", "Gwent"], "n": [3, None, 10, 0]})
    figure = plots.bars(data, "force", "n", title="By force", xlabel="community resolutions")
    axes = figure.axes[0]
    bars = axes.patches
    assert len(bars) == 3  # Essex has no data: no bar at all, not a zero bar
    by_y = sorted(((b.get_y() + b.get_height() / 2, b.get_width()) for b in bars), reverse=True)
    assert [w for _, w in by_y] == [10, 3, 0]  # largest at the top; a real 0 is a (zero-width) bar
    ticks = [t.get_text() for t in axes.get_yticklabels()]
    positions = list(axes.get_yticks())
    assert dict(zip(ticks, positions)) == {"Surrey": 3, "Kent": 2, "Gwent": 1, "Essex": 0}
    # Each known value is printed at its bar, so a real 0 reads as 0; Essex's row says "no data".
    assert sorted(_texts(axes)) == sorted(["10", "3", "0", " no data"])
    assert next(t for t in axes.texts if t.get_text() == " no data").get_position() == (0, 0)  # on Essex's row
    plt.close(figure)


def test_lines_plot_the_values_with_gaps_left_as_gaps():
    data = pl.DataFrame({"year": ["2022/23", "2023/24", "2024/25"], "a": [0.01, None, 0.03]})
    figure = plots.lines(data, "year", ["a"], ["A"], title="Share", ylabel="%", percent=True)
    (line,) = figure.axes[0].get_lines()
    y = np.asarray(line.get_ydata(), dtype=float)
    assert y[0] == pytest.approx(1.0) and np.isnan(y[1]) and y[2] == pytest.approx(3.0)
    assert figure.axes[0].get_legend() is None  # one series: no key
    assert figure.axes[0].get_ylim()[0] == 0
    plt.close(figure)


def test_intervals_draw_known_rows_with_their_limits_and_list_na_rows():
    data = pl.DataFrame(
        {
            "force": ["Kent", "Essex", "Surrey"],
            "share": [0.02, None, 0.05],
            "low": [0.01, None, 0.04],
            "high": [0.04, None, 0.07],
        }
    )
    figure = plots.intervals(data, "force", "share", "low", "high", title="Shares", xlabel="%", reference=0.03)
    axes = figure.axes[0]
    points = [line for line in axes.get_lines() if line.get_marker() == "o"]
    assert len(points) == 1
    xs, ys = points[0].get_data()
    assert list(np.round(xs, 9)) == [5.0, 2.0] and list(ys) == [2, 1]  # Surrey top, Kent next, Essex last
    segments = [seg for c in axes.collections for seg in c.get_segments()]
    spans = sorted((round(s[0][0], 9), round(s[1][0], 9)) for s in segments)
    assert spans == [(1.0, 4.0), (4.0, 7.0)]  # the 95% limits, as per cent
    assert _texts(axes) == [" no data"] and axes.texts[0].get_position() == (0, 0)
    reference = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert len(reference) == 1 and list(reference[0].get_xdata()) == [3.0, 3.0]
    assert plots.describe(figure, "s.csv") == (
        "Dot chart: Shares. Horizontal axis: %; key: England and Wales, value with its 95% interval. "
        "The plotted numbers are in s.csv, saved beside the figure."
    )
    plt.close(figure)


def test_grid_marks_missing_cells_na_and_never_shows_them_as_numbers():
    data = pl.DataFrame(
        {"force": ["Kent", "Kent", "Essex", "Essex"], "year": ["2023/24", "2024/25"] * 2, "n": [4, 7, 9, 2]}
    )
    missing = pl.DataFrame({"force": ["Essex"], "year": ["2024/25"]})
    figure = plots.grid(data, "force", "year", "n", title="Counts", missing=missing)
    axes = figure.axes[0]
    shown = axes.images[0].get_array()
    assert shown.mask.tolist() == [[False, True], [False, False]]  # rows Essex, Kent; Essex 2024/25 masked
    assert shown.data[0][0] == 9 and shown.data[1].tolist() == [4, 7]
    labels = {(t.get_position()[1], t.get_position()[0]): t.get_text() for t in axes.texts}
    assert labels == {(0, 0): "9", (0, 1): "n/a", (1, 0): "4", (1, 1): "7"}
    assert plots.describe(figure, "g.csv") == (
        "Heat-map: Counts. The plotted numbers are in g.csv, saved beside the figure."
    )
    plt.close(figure)


def test_points_place_one_marker_per_known_value():
    data = pl.DataFrame({"force": ["Kent", "Essex"], "a": [1.5, None], "b": [2.0, 3.0]})
    figure = plots.points(data, "force", ["a", "b"], ["A", "B"], title="Rates", xlabel="per 1,000")
    axes = figure.axes[0]
    first, second = axes.collections
    a = first.get_offsets()
    assert a.shape == (2, 2) and a[0].tolist() == [1.5, 1]
    assert np.ma.getmaskarray(a)[1].all()  # Essex's NA is masked out, not drawn at 0
    assert second.get_offsets().tolist() == [[2.0, 1], [3.0, 0]]
    assert first.get_paths()[0] is not None and first.get_label() == "A" and second.get_label() == "B"
    assert plots.describe(figure, "p.csv") == (
        "Dot chart: Rates. Horizontal axis: per 1,000; key: A, B. "
        "The plotted numbers are in p.csv, saved beside the figure."
    )
    plt.close(figure)


def test_names_on_a_crowded_funnel_land_in_the_same_place_however_busy_the_machine(monkeypatch):
    """Names that cannot all be set apart (twelve at one point on the axis' edge) are placed by a
    fixed number of adjustText steps: a clock that runs fast, as on a loaded machine, moves none."""
    import adjustText

    def placed():
        figure, axes = plots.new_figure()
        axes.set(xlim=(0, 10), ylim=(0, 10))
        names = [f"Force number {i}" for i in range(12)]
        plots.name_points(axes, names, [5.0] * 12, [0.0] * 12, [5.0] * 12, [0.0] * 12)
        where = [text.get_position() for text in axes.texts]
        plt.close(figure)
        return where

    quiet = placed()
    ticks = iter(range(0, 10**6, 5))  # each look at the clock five seconds on
    monkeypatch.setattr(adjustText, "timer", lambda: float(next(ticks)))
    busy = placed()
    assert len(quiet) == 12 and busy == quiet
    assert len({round(y, 6) for _, y in quiet}) > 1  # the names were moved: the steps did run


def _funnel_legend(adjusted_upper_99_8: float) -> list[str]:
    """The legend of a funnel of two forces at 1% whose adjusted 99.8% upper limit is flat at the value given."""
    import pandas as pd

    x = np.array([100.0, 1_000.0, 10_000.0])
    curves = pd.DataFrame(
        {
            "assigned": x,
            "target": 0.01,
            "upper_95": 0.03,
            "lower_95": 0.0,
            "upper_99_8": 0.04,
            "lower_99_8": 0.0,
            "adj_upper_95": 0.032,
            "adj_lower_95": 0.0,
            "adj_upper_99_8": adjusted_upper_99_8,
            "adj_lower_99_8": 0.0,
        }
    )
    points = pd.DataFrame({"force": ["A", "B"], "assigned": [500.0, 5_000.0], "share": [0.01, 0.012]})
    points["outside_99_8"] = ""
    figure = plots.funnel(points, curves, "share", "assigned", title="t", xlabel="x", ylabel="y")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    plt.close(figure)
    return labels


def test_a_limit_above_the_whole_chart_is_named_in_the_key():
    """The top of the chart is 3.36% here (the exact 95% limit, 3%, with headroom): an adjusted
    99.8% limit at 9% is out of sight, so the key says where it is; one at 3% is drawn and says nothing."""
    high = _funnel_legend(0.09)
    assert "99.8% limits allowing for over-dispersion (upper: above the chart, 9.0% and up)" in high
    assert "95% limits allowing for over-dispersion" in high  # 3.2% upper: drawn, within the chart
    assert "99.8% limits allowing for over-dispersion" in _funnel_legend(0.03)
