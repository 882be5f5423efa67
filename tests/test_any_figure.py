"""A researcher's own figures and tables: ``save_figure`` takes any matplotlib figure (no layout
engine, tight, constrained, seaborn's axes-level and figure-level plots, a grid, a suptitle) and
adds the house marks below it without overlapping anything; alt text says what kind of chart is
there; ``a.table`` shows any frame. Last, the worked example of notebooks/README.md, read from the
README itself, runs as a notebook on the synthetic sample and its numbers are checked."""

import html
import re
import xml.etree.ElementTree as ElementTree

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import polars as pl
import pytest
import seaborn as sns
from conftest import PROJECT_ROOT, VINTAGES, sample_truth
from expected import expected_figures, from_tidy
from test_figure_layout import boxes_of, layout_problems
from test_pipeline import write_notebook

from crimeoutcomes.data import codes
from crimeoutcomes.notebook import figures
from crimeoutcomes.synthetic import sample

# builds and loads read the parsed sample from the run's shared cache (this file does not test the cache)
pytestmark = pytest.mark.usefixtures("use_shared_cache")

matplotlib.use("Agg")

CAVEATS_NOTE = "Caveats [1] [3]: see the caveats page"
FOOTER = ("SYNTHETIC DATA: invented numbers", "Source: Home Office", "Caveats [")

RNG = np.random.default_rng(26)
DATA = pd.DataFrame(
    {
        "financial_year": pd.Categorical(np.repeat(["2021/22", "2022/23", "2023/24", "2024/25"], 6), ordered=True),
        "force": np.tile(["Kent", "Essex", "Surrey"], 8),
        "count": pd.array(RNG.integers(5, 50, 24), dtype="Int64"),
        "share": RNG.uniform(0, 0.1, 24),
    }
)


# --- the figures a researcher makes, and the kind of chart each is -----------------------------------
def no_engine():
    figure, axes = plt.subplots()
    sns.lineplot(data=DATA, x="financial_year", y="count", hue="force", ax=axes)  # with its confidence band
    axes.set(title="Counts by year", xlabel="financial year", ylabel="count")
    return figure


def tight():
    figure, axes = plt.subplots(layout="tight")
    sns.barplot(data=DATA, x="force", y="count", ax=axes)
    axes.set(title="Counts by force", xlabel="force", ylabel="mean count")
    return figure


def constrained():
    figure, axes = plt.subplots(layout="constrained")
    sns.scatterplot(data=DATA, x="share", y="count", hue="force", ax=axes)
    axes.set_title("Share against count")
    figure.supxlabel("constrained layout puts this at the figure's bottom edge")
    return figure


def seaborn_axes_level():
    axes = sns.boxplot(data=DATA, x="force", y="count")  # on plt's current figure
    axes.set_title("Counts by force")
    return axes.figure


def seaborn_figure_level():
    grid = sns.catplot(data=DATA, kind="bar", x="financial_year", y="count", hue="force", col="force", height=3)
    return grid.figure  # no layout engine, its key outside the axes on the figure


def subplot_grid():
    figure, axes = plt.subplots(2, 2, figsize=(9, 6))
    sns.violinplot(data=DATA, x="force", y="share", ax=axes[0, 0])
    axes[0, 0].set_title("Shares")
    sns.heatmap(DATA.pivot_table(index="force", columns="financial_year", values="share", observed=True), ax=axes[0, 1])
    sns.histplot(data=DATA, x="share", ax=axes[1, 0])
    sns.stripplot(data=DATA, x="force", y="count", ax=axes[1, 1])  # untitled: described by its labels
    figure.subplots_adjust(hspace=0.45, wspace=0.3)
    return figure


def with_suptitle():
    figure, axes = plt.subplots(figsize=(5, 3))
    sns.lineplot(data=DATA, x="financial_year", y="share", ax=axes)
    figure.suptitle("One chart, titled above")
    return figure


KINDS = {
    no_engine: ["Line chart"],
    tight: ["Bar chart"],
    constrained: ["Scatter plot"],
    seaborn_axes_level: ["Box plot"],
    seaborn_figure_level: ["Bar chart"] * 3,
    subplot_grid: ["Violin plot", "Heat-map", "Bar chart", "Dot chart"],
    with_suptitle: ["Line chart"],
}


def _footer(boxes):
    return [b for b in boxes if b["what"] == "figure" and b["text"].startswith(FOOTER)]


@pytest.mark.parametrize("make", list(KINDS), ids=lambda make: make.__name__)
def test_any_figure_is_saved_with_the_marks_below_it(make, tmp_path):
    figure = make()
    plt.close("all")  # nothing depends on pyplot's list of open figures
    figure.draw_without_rendering()  # laid out as the notebook showed it
    inches = [axes.get_position().size * figure.get_size_inches() for axes in figure.axes]
    png = figures.save_figure(figure, DATA, tmp_path / "mine", synthetic=True, caveats_note=CAVEATS_NOTE)
    assert png == (tmp_path / "mine.png").read_bytes()
    saved = pd.read_csv(tmp_path / "mine.csv")
    assert saved.columns[0] == "data" and saved["data"].eq("SYNTHETIC DATA").all() and len(saved) == len(DATA)
    svg = ElementTree.parse(tmp_path / "mine.svg").getroot()
    assert any(element.get("id") == figures.WATERMARK_ID for element in svg.iter())  # the watermark
    assert "SYNTHETIC DATA: invented numbers" in "".join(svg.itertext())
    boxes = boxes_of(tmp_path / "mine.png")
    footer = _footer(boxes)
    assert {b["text"] for b in footer} == {"SYNTHETIC DATA: invented numbers, not official statistics", CAVEATS_NOTE}
    others = [b for b in boxes if b not in footer]
    assert others and not layout_problems(boxes), layout_problems(boxes)  # nothing overlaps, all inside
    top = max(b["box"][3] for b in footer)
    assert all(b["box"][1] >= top for b in others)  # the footer is under every other text ...
    assert all(axes.get_position().y0 >= top for axes in figure.axes)  # ... and under every plot
    # The layout the figure came with is kept: each axes (a colour bar too) as large, in inches, as it was.
    assert np.allclose([axes.get_position().size * figure.get_size_inches() for axes in figure.axes], inches, rtol=1e-3)


@pytest.mark.parametrize("make", [no_engine, seaborn_figure_level], ids=lambda make: make.__name__)
def test_real_data_have_the_source_footer_and_no_watermark(make, tmp_path):
    figure = make()
    figures.save_figure(figure, DATA, tmp_path / "real", synthetic=False)
    footer = _footer(boxes_of(tmp_path / "real.png"))
    assert [b["text"] for b in footer] == [figures.SOURCE_NOTE]
    svg = (tmp_path / "real.svg").read_text(encoding="utf-8")
    assert figures.WATERMARK_ID not in svg and "SYNTHETIC" not in svg
    assert "data" not in pd.read_csv(tmp_path / "real.csv").columns
    plt.close("all")


def test_a_legend_hanging_outside_a_figure_is_taken_in(tmp_path):
    """Placed to the right of the axes of a plain ``plt.subplots`` figure, the key lies off the
    figure (Jupyter's inline display crops to what is drawn, so it looked whole): the saved figure
    is enlarged to hold it."""
    figure, axes = plt.subplots()
    sns.lineplot(data=DATA, x="financial_year", y="count", hue="force", ax=axes)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1), title="force")
    axes.set_title("Key outside")
    width = figure.get_figwidth()
    figures.save_figure(figure, DATA, tmp_path / "outside", synthetic=True)
    boxes = boxes_of(tmp_path / "outside.png")
    assert figure.get_figwidth() > width and not layout_problems(boxes)
    assert {"Kent", "Essex", "Surrey"} <= {b["text"] for b in boxes if b["what"] == "legend"}
    plt.close("all")


@pytest.mark.parametrize("make", list(KINDS), ids=lambda make: make.__name__)
def test_alt_text_names_the_kind_of_each_chart(make):
    alt = figures.describe(make(), "mine.csv")
    plt.close("all")
    kinds = re.findall(r"(?:^|\. )((?:[A-Z][a-z-]+ )?(?:chart|plot|Heat-map))(?=[:.])", alt)
    assert kinds == KINDS[make], alt
    assert alt.endswith("The plotted numbers are in mine.csv, saved beside the figure.")


def test_alt_text_reads_titles_labels_and_either_key():
    assert figures.describe(no_engine(), "a.csv") == (
        "Line chart: Counts by year. Horizontal axis: financial year; vertical axis: count; "
        "key (force): Kent, Essex, Surrey. The plotted numbers are in a.csv, saved beside the figure."
    )
    facets = figures.describe(seaborn_figure_level(), "b.csv")  # a title per facet, the key on the figure
    assert facets.startswith(
        "Bar chart: force = Kent. Horizontal axis: financial_year; vertical axis: count. "
        "Bar chart: force = Essex. Horizontal axis: financial_year. Bar chart: force = Surrey."
    )
    assert "Key (force): Kent, Essex, Surrey." in facets
    assert figures.describe(with_suptitle(), "c.csv").startswith(
        "Line chart: One chart, titled above. Horizontal axis: financial_year; vertical axis: share."
    )
    grid = figures.describe(subplot_grid(), "d.csv")
    assert "Dot chart. Horizontal axis: force; vertical axis: count." in grid  # untitled, still described
    assert grid.count("Heat-map") == 1  # its colour bar is no chart of its own
    figure, axes = plt.subplots(1, 2)
    axes[0].plot([1, 2], [3, 4])
    axes[1].plot([1, 2], [4, 3])
    figure.suptitle("Two panels")
    assert figures.describe(figure, "e.csv").startswith("A figure of 2 charts: Two panels. Line chart. Line chart.")
    plt.close("all")


def test_alt_text_of_the_house_charts_says_what_is_drawn():
    """A house line chart with a shaded period (an axvspan patch) was called a bar chart, and
    seaborn's lineplot on a house figure a dot chart: each is a line chart."""
    years = ["2019/20", "2020/21", "2021/22"]
    figure = figures.lines(
        pl.DataFrame({"year": years, "a": [1, 2, 3], "b": [2, 1, 2]}),
        "year",
        ["a", "b"],
        ["A", "B"],
        title="T",
        ylabel="n",
    )
    figures.year_periods(figure.axes[0], years, ("2019/20", "2020/21"), "shaded", line_at="2021/22", line_label="line")
    assert figures.describe(figure, "f.csv").startswith("Line chart: T.")
    figure, axes = figures.new_figure()
    sns.lineplot(data=DATA, x="financial_year", y="count", hue="force", markers=True, ax=axes)
    axes.set(title="Seaborn on a house figure")
    assert figures.describe(figure, "g.csv").startswith("Line chart: Seaborn on a house figure.")
    plt.close("all")


@pytest.mark.parametrize(
    "draw, kind",
    [
        (lambda axes: sns.regplot(data=DATA.astype({"count": float}), x="share", y="count", ax=axes), "Scatter plot"),
        (lambda axes: sns.kdeplot(data=DATA, x="share", fill=True, ax=axes), "Area chart"),
        (lambda axes: sns.boxenplot(data=DATA, x="force", y="share", ax=axes), "Box plot"),
        (lambda axes: sns.pointplot(data=DATA, x="force", y="share", ax=axes), "Line chart"),
        (lambda axes: axes.pcolormesh(np.eye(3)), "Heat-map"),
        (lambda axes: axes.violinplot([DATA["share"], DATA["share"] * 2]), "Violin plot"),
        (lambda axes: axes.plot([1, 2, 3], [1, 3, 2], "o"), "Dot chart"),
    ],
)
def test_more_kinds_of_chart(draw, kind):
    figure, axes = plt.subplots()
    draw(axes)
    axes.set_title("T")
    assert figures.chart_kind(axes) == kind
    plt.close(figure)


# --- any frame as a table ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def analysis(sample_files, tmp_path_factory):
    from crimeoutcomes import setup

    return setup(data_folder=str(sample_files.folder), output_root=str(tmp_path_factory.mktemp("tables")))


def _cells(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


def test_a_plain_frame_of_any_dtypes_is_a_table(analysis):
    frame = pd.DataFrame(
        {
            "Force name": ["Kent", "Essex", None],
            "mean per quarter": [1.23456, np.nan, 0.00345],
            "n": pd.array([1234, None, 5], dtype="Int64"),
            "group": pd.Categorical(["a", "b", "a"]),
            "published on": pd.to_datetime(["2024-03-31", None, "2024-04-01"]),
            "year": [2022, 2023, 2024],
            "note": ["x", 1, None],
        },
        index=[7, 3, 9],  # what sorting left of a RangeIndex: row numbers, dropped
    )
    html = analysis.table(frame, "plain").data
    assert re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html) == list(frame.columns)
    assert _cells(html) == [
        ["Kent", "1.23", "1,234", "a", "2024-03-31", "2022", "x"],
        ["Essex", "n/a", "n/a", "b", "", "2023", "1"],
        ["", "0.00345", "5", "a", "2024-04-01", "2024", ""],
    ]
    saved = pd.read_csv(analysis.figures_dir / "tables" / "plain.csv")
    assert list(saved.columns) == ["data", *frame.columns]
    assert saved["mean per quarter"].tolist()[::2] == [1.23456, 0.00345]  # unrounded
    assert saved["n"].isna().tolist() == [False, True, False]  # <NA> stays missing, never 0


def test_a_groupby_keeps_its_keys_and_a_series_is_a_table(analysis):
    rows = analysis.outcomes
    sexual = rows[rows["offence_group"] == "Sexual offences"]
    by_force = sexual.groupby(["financial_year", "force"], observed=True)["closed"].sum(min_count=1)  # a Series
    html = analysis.table(by_force, "by-force").data
    assert re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html) == ["financial year", "force", "closed"]
    saved = pd.read_csv(analysis.figures_dir / "tables" / "by-force.csv")
    assert list(saved.columns) == ["data", "financial_year", "force", "closed"] and len(saved) == len(by_force)
    kent = sexual[(sexual["force"] == "Kent") & (sexual["financial_year"] == VINTAGES[-1])]
    row = saved[(saved["force"] == "Kent") & (saved["financial_year"] == VINTAGES[-1])]
    assert row["closed"].item() == kent["closed"].sum()
    wide = by_force.unstack("financial_year")  # a pivot: years as columns, forces as the named index
    analysis.table(wide, "wide")
    saved = pd.read_csv(analysis.figures_dir / "tables" / "wide.csv")
    assert list(saved.columns) == ["data", "force", *VINTAGES]
    labelled = pd.DataFrame({"value": [0.5, 2.0]}, index=pd.Index(["first", "second"]))  # labels, no name
    assert _cells(analysis.table(labelled, "labelled").data) == [["first", "0.500"], ["second", "2.00"]]
    plt.close("all")


# --- done when: the worked example of notebooks/README.md runs as a notebook --------------------------
def readme_example() -> list[str]:
    """The code blocks of the README's worked example, as the reader sees them."""
    readme = (PROJECT_ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A worked example", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 3 and "sns.lineplot(" in section and "sns.catplot(" in section and "a.table(" in section
    return blocks


def test_the_readme_example_runs_on_the_sample_and_its_numbers_are_the_samples(sample_files, tmp_path):
    import papermill

    source = write_notebook(tmp_path / "01_mine.ipynb", *readme_example())
    papermill.execute_notebook(
        str(source),
        str(tmp_path / "out.ipynb"),
        progress_bar=False,
        cwd=str(PROJECT_ROOT),
        parameters={"data_folder": str(sample_files.folder), "output_root": str(tmp_path)},
    )
    folder = next(tmp_path.glob("scratch/sample/*"))
    shown = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    alts = [
        html.unescape(alt)
        for cell in shown.cells
        for output in cell.get("outputs", [])
        for alt in re.findall(r'alt="([^"]*)"', output.get("data", {}).get("text/html", ""))
    ]
    assert len(alts) == 2 and all(alt.startswith("SYNTHETIC DATA, invented numbers.") for alt in alts), alts
    assert alts[0].split(" Line chart: ")[1].startswith("Community resolutions for sexual offences.")
    assert " Bar chart: " in alts[1] and "Key (outcome_type): 8, 22." in alts[1]
    for name in ("three_forces", "outcomes_8_and_22"):
        ElementTree.parse(folder / f"{name}.svg")  # the SVG parses
        assert "SYNTHETIC DATA" in (folder / f"{name}.svg").read_text(encoding="utf-8")
        boxes = boxes_of(folder / f"{name}.png")
        assert any(b["text"].startswith("SYNTHETIC DATA: invented numbers") for b in boxes)
        assert not layout_problems(boxes), layout_problems(boxes)

    # Independent: each force's year from the generator's own rows (tests/expected.py), <NA> where a
    # quarter is missing or collapsed; the national counts of outcomes 8 and 22 summed here.
    truth = {year: sample_truth(year) for year in VINTAGES}
    by_force = {
        year: expected_figures(from_tidy(rows, "closed"), codes.forces(), sample._collapsed(year))["by_force"]
        for year, rows in truth.items()
    }
    lines = pd.read_csv(folder / "three_forces.csv")
    assert lines["data"].eq("SYNTHETIC DATA").all()
    assert sorted(lines["force"].unique()) == ["Devon and Cornwall", "Greater Manchester", "Kent"]
    assert len(lines) == 3 * len(VINTAGES)
    table = pd.read_csv(folder / "tables" / "three_forces_by_year.csv").set_index("financial_year")
    for row in lines.itertuples():
        wanted = by_force[row.financial_year][row.force]
        got = None if pd.isna(row.community_resolutions) else int(row.community_resolutions)
        assert got == wanted, (row.force, row.financial_year)
        in_table = table.loc[row.financial_year, row.force]
        assert (None if pd.isna(in_table) else int(in_table)) == wanted
    assert lines["community_resolutions"].isna().sum() >= 2  # the gaps the chart leaves are there

    bars = pd.read_csv(folder / "outcomes_8_and_22.csv", dtype={"outcome_type": str})
    for year, rows in truth.items():
        tidy = from_tidy(rows, "closed")
        tidy = tidy[(tidy["offence_group"] == "Sexual offences") & ~(tidy["expired"] & tidy["count"].isna())]
        for outcome in ("8", "22"):
            mine = tidy[tidy["outcome_type"] == outcome]
            got = bars.loc[(bars["financial_year"] == year) & (bars["outcome_type"] == outcome), "count"].item()
            assert (None if pd.isna(got) else int(got)) == (int(mine["count"].sum()) if len(mine) else None)
