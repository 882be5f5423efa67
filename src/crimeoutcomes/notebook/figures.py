"""House style, the few chart shapes the reports use, and saving each figure with its CSV.

Every figure is saved as PNG and SVG next to a CSV that holds exactly the numbers plotted: the
house's (``new_figure`` and the chart functions below) or any other matplotlib figure, seaborn's
too, its layout kept (``mark``), its alt text read from what it draws (``describe``).
Figures from synthetic data carry a SYNTHETIC DATA watermark and footer, so that an image
copied out of a report can never pass for official statistics. Output is byte-stable: no dates
in the files, a fixed SVG id salt.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from crimeoutcomes.atomic import write_atomically
from crimeoutcomes.config import SYNTHETIC_COLUMN, SYNTHETIC_MARK
from crimeoutcomes.data.codes import display_name
from crimeoutcomes.data.frames import as_pandas

if TYPE_CHECKING:  # only for the annotation of SAVE_SETTINGS (matplotlib.typing is for type checkers)
    from matplotlib.typing import RcKeyType

SOURCE_NOTE = "Source: Home Office, crime outcomes open data"
MISSING_COLOUR = "#d9d9d9"
#: The SYNTHETIC DATA watermark lies across the plot on purpose: the layout check leaves it out.
WATERMARK_ID = "synthetic-watermark"
#: The PNG text chunk that records where each text of the figure was drawn (see ``text_boxes``).
TEXT_BOXES_KEY = "crimeoutcomes:text-boxes"
MOST_ANNOTATED_CELLS = 250
#: The steps adjustText takes to set the names on a funnel apart (see ``name_points``).
ADJUST_TEXT_STEPS = 300
HIGHLIGHT = "#b00020"


#: seaborn's "colorblind" palette, written out so that notebooks without a heat-map need not import
#: seaborn (which imports scipy.stats, about a second per notebook).
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9"]


#: Each line of a chart differs in marker and dash as well as colour, so that it can be told apart
#: by readers who do not see the colours and on a greyscale print.
SERIES_STYLES = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1, 1, 1))), ("P", (0, (1, 1)))]


def use_house_style() -> None:
    """seaborn's whitegrid look, set through matplotlib alone."""
    plt.rcParams.update(
        {
            "axes.prop_cycle": plt.cycler(color=PALETTE),
            "axes.facecolor": "white",
            "axes.edgecolor": "#cccccc",
            "axes.grid": True,
            "grid.color": "#e5e5e5",
            "axes.axisbelow": True,
            "axes.labelcolor": "#262626",
            "xtick.color": "#262626",
            "ytick.color": "#262626",
            "xtick.bottom": False,
            "ytick.left": False,
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": None,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "crimeoutcomes",
            "svg.fonttype": "none",
        }
    )


def new_figure(width: float = 9, height: float = 4.5):
    """A figure in the house style with the footer's strip kept free from the start, so that what is
    placed by measuring (names on a funnel) keeps its place when the figure is saved. Optional:
    ``save_figure`` takes any matplotlib figure (see ``mark``)."""
    use_house_style()
    figure, axes = plt.subplots(figsize=(width, height), layout="constrained")
    setattr(figure, _HOUSE_FIGURE, True)
    _keep_footer_strip(figure)
    return figure, axes


#: The footer: its font size, the strip a line of it needs, and the gap kept between two notes on one line.
FOOTER_FONT_SIZE = 8
FOOTER_LINE_INCHES = 0.25
FOOTER_NEXT_LINE_INCHES = 0.16
FOOTER_GAP_INCHES = 0.3


#: Room kept between what a figure draws and its edge where the figure is enlarged to take it in.
EDGE_PAD_INCHES = 0.1
#: Attributes set on a figure (never drawn): made by ``new_figure``; inches added below for the footer.
_HOUSE_FIGURE = "_crimeoutcomes_house_figure"
_FOOTER_ADDED = "_crimeoutcomes_footer_inches"


def _is_house_figure(figure) -> bool:
    return getattr(figure, _HOUSE_FIGURE, False) and isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine)


def _keep_footer_strip(figure, lines: int = 1) -> None:
    """Keep the strip the footer's ``lines`` need free at the bottom of the figure: a house figure's
    layout engine lays the plot out above it; any other figure, its layout settled (``_settle``), is
    made taller by the strip, everything it draws kept where it was (``_grow``)."""
    inches = FOOTER_LINE_INCHES + FOOTER_NEXT_LINE_INCHES * (lines - 1)
    if _is_house_figure(figure):
        strip = inches / figure.get_figheight()
        figure.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
        return
    added = getattr(figure, _FOOTER_ADDED, 0.0)  # a second call adds only what the first did not
    _grow(figure, bottom=max(0.0, inches - added))
    setattr(figure, _FOOTER_ADDED, max(inches, added))


def _settle(figure) -> None:
    """Any figure not made by ``new_figure`` (``plt.subplots`` with or without a layout engine,
    ``layout="constrained"``, a seaborn FacetGrid, a grid of subplots, a suptitle), readied for the
    footer without changing its layout: titles wrapped to fit (``fit_titles``, laid out by the
    figure's own engine, if it has one); the layout then drawn once and kept as it is (the engine is
    switched off); and the figure enlarged on any side where something it draws hangs over its edge
    (a legend placed outside the axes: Jupyter's inline display crops to what is drawn, so a figure
    that looks whole in a notebook may not be whole at its own size).

    Why not give the engine a bottom rect, as a house figure has: constrained layout places a
    ``supxlabel`` and a figure legend placed 'outside' at the figure's edge whatever the rect (so under
    the footer), tight layout ignores figure legends, and a figure without an engine (seaborn's
    figure-level plots, which size the figure round their legend themselves) has nothing that would
    move its plot up. Enlarging the figure and keeping every position in inches works the same for
    each: the figure as its author laid it out, with the strip added below it."""
    fit_titles(figure)
    figure.draw_without_rendering()
    figure.set_layout_engine("none")
    drawn = figure.get_tightbbox(figure.canvas.get_renderer())  # inches
    width, height = figure.get_size_inches()

    def over(amount: float) -> float:
        return amount + EDGE_PAD_INCHES if amount > 0 else 0.0

    _grow(
        figure,
        left=over(-drawn.x0),
        bottom=over(-drawn.y0),
        right=over(drawn.x1 - width),
        top=over(drawn.y1 - height),
    )


def _grow(figure, *, left: float = 0.0, bottom: float = 0.0, right: float = 0.0, top: float = 0.0) -> None:
    """Enlarge a figure without a layout engine by these inches on each side, keeping every axes,
    figure text (suptitle, supxlabel, ``figure.text``) and legend anchored to the figure where it
    was, in inches from the figure's old corner: the layout is kept, the new room is empty.
    (Lines, patches and images added to the figure itself, rare outside a layout, are not moved.)"""
    if max(left, bottom, right, top) <= 0:
        return
    width, height = figure.get_size_inches()
    wide, tall = width + left + right, height + bottom + top

    def place(x0: float, y0: float, x1: float, y1: float) -> Bbox:  # fractions of the old figure -> new
        return Bbox.from_extents(
            (x0 * width + left) / wide,
            (y0 * height + bottom) / tall,
            (x1 * width + left) / wide,
            (y1 * height + bottom) / tall,
        )

    legends = list(figure.legends) + [
        axes.get_legend()
        for axes in figure.axes
        if axes.get_legend() is not None
        and getattr(axes.get_legend()._bbox_to_anchor, "_transform", None) is figure.transSubfigure
    ]
    for legend in legends:  # anchored to the figure (by default its whole box): the same place in inches
        anchor = legend.get_bbox_to_anchor().transformed(figure.transSubfigure.inverted())
        legend.set_bbox_to_anchor(place(*anchor.extents), transform=figure.transSubfigure)
    for axes in figure.axes:  # an inset's locator places it from its parent; a colour bar's starts here
        for which in ("original", "active"):
            box = axes.get_position(original=which == "original")
            axes._set_position(place(*box.extents), which=which)  # not set_position: that leaves the layout
    for text in figure.texts:
        if text.get_transform() is figure.transSubfigure:
            x, y = text.get_position()
            moved = place(x, y, x, y)
            text.set_position((moved.x0, moved.y0))
        elif text.get_transform() is figure.dpi_scale_trans:
            x, y = text.get_position()
            text.set_position((x + left, y + bottom))
    figure.set_size_inches(wide, tall, forward=False)


def _fit_on_one_line(figure, *notes: str) -> bool:
    """Whether the notes fit side by side across the figure (measured, no layout pass needed)."""
    from matplotlib.font_manager import FontProperties

    renderer = figure.canvas.get_renderer()
    font = FontProperties(size=FOOTER_FONT_SIZE)
    widths = [renderer.get_text_width_height_descent(n, font, ismath=False)[0] for n in notes]
    room = figure.bbox.width * 0.99 - FOOTER_GAP_INCHES * figure.dpi * (len(notes) - 1)
    return sum(widths) <= room


def mark(figure, *, synthetic: bool, note: str = SOURCE_NOTE, caveats_note: str = "") -> bool:
    """Source footer; on synthetic data a watermark across the plot and a footer that says so.
    ``caveats_note`` (``caveats.marker_note``: 'Caveats [1] [3]: see the caveats page') goes at the
    right of the footer, or on a line above it where the two do not fit side by side.
    The footer sits in a strip the layout keeps free, so figures are saved without a second
    'tight' drawing pass. Returns whether the figure is laid out as it will be saved.

    Any matplotlib figure is taken: one from ``new_figure`` keeps the strip by its layout engine;
    any other is settled as it is laid out and made taller by the strip (``_settle``)."""
    if not hasattr(figure.canvas, "get_renderer"):  # made without pyplot, or closed: measured by Agg
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure)
    house = _is_house_figure(figure)
    if not house:
        _settle(figure)
    if synthetic:
        watermark = figure.text(
            0.5,
            0.5,
            SYNTHETIC_MARK,
            rotation=25,
            fontsize=44,
            color=HIGHLIGHT,
            alpha=0.18,
            ha="center",
            va="center",
            weight="bold",
            zorder=10,
            gid=WATERMARK_ID,
        )
        if not house:  # across a figure narrower than the house's, in a size that fits it
            across = watermark.get_window_extent(figure.canvas.get_renderer()).width / figure.bbox.width
            watermark.set_fontsize(44 * min(1.0, 0.9 / across))
        note = f"{SYNTHETIC_MARK}: invented numbers, not official statistics"
    beside = not caveats_note or _fit_on_one_line(figure, note, caveats_note)
    _keep_footer_strip(figure, 1 if beside else 2)
    footer = {"fontsize": FOOTER_FONT_SIZE, "va": "bottom"}
    figure.text(0.005, 0.005, note, color=HIGHLIGHT if synthetic else "#505a5f", ha="left", **footer)
    if caveats_note:
        above = 0.005 + (0 if beside else FOOTER_NEXT_LINE_INCHES / figure.get_figheight())
        figure.text(
            0.995 if beside else 0.005, above, caveats_note, color="#0b0c0c", ha="right" if beside else "left", **footer
        )
    return fit_titles(figure)


def _text_fits(figure, text) -> bool:
    renderer = figure.canvas.get_renderer()
    return text.get_window_extent(renderer).x1 <= figure.bbox.x1 - 2


def _clearly_fits(figure, axes) -> bool:
    """A title whose own width is under half the figure's fits wherever its axes starts (long tick
    labels push an axes at most about 40% to the right)."""
    title = axes.title if axes.get_title() else axes._left_title
    renderer = figure.canvas.get_renderer()
    widest = max(
        (
            renderer.get_text_width_height_descent(line, title.get_fontproperties(), ismath=False)[0]
            for line in title.get_text().splitlines()
            if line
        ),
        default=0.0,
    )  # line by line: the measure knows no line breaks
    return widest < 0.5 * figure.bbox.width


def fit_titles(figure) -> bool:
    """Wrap each axes title that would run off the right edge of the figure into as many lines as it
    needs (a title starts at its axes, which long tick labels push to the right). Measured, then
    wrapped at the width that fits, then laid out again."""
    if all(_clearly_fits(figure, axes) for axes in figure.axes):
        return False  # measuring needs a full layout pass: skip it where the title is short by any measure
    engine = figure.get_layout_engine()
    if engine is not None:  # the layout alone: a title's left edge is its axes' (no drawing needed)
        engine.execute(figure)
    wrapped = False
    for axes in figure.axes:
        title = axes.title if axes.get_title() else axes._left_title
        text = title.get_text()
        if not text or _text_fits(figure, title):
            continue
        room = figure.bbox.x1 - 4 - title.get_window_extent(figure.canvas.get_renderer()).x0
        longest = max(len(line) for line in text.splitlines())
        width = title.get_window_extent(figure.canvas.get_renderer()).width
        characters = max(20, int(longest * room / width) - 1)
        title.set_text("\n".join(textwrap.fill(line, characters) for line in text.splitlines()))
        wrapped = True
    if wrapped and engine is not None:  # laid out again around the taller title
        engine.execute(figure)
    return True


def _drawn_texts(figure):
    """Every text the figure draws, as (what, Text): titles, axis labels, tick labels in view,
    annotations, legend entries, the footer; not the watermark."""
    texts = [("figure", t) for t in figure.texts if t.get_gid() != WATERMARK_ID]
    for axes in figure.axes:
        texts += [("title", t) for t in (axes.title, axes._left_title, axes._right_title)]
        texts += [("axis label", axes.xaxis.label), ("axis label", axes.yaxis.label)]
        for axis in (axes.xaxis, axes.yaxis):
            # The ticks matplotlib draws (those in view); get_ticklabels also returns ones outside it.
            drawn = axis._update_ticks()
            texts += [("tick label", t) for tick in drawn for t in (tick.label1, tick.label2)]
            texts.append(("offset", axis.get_offset_text()))
        texts += [("text", t) for t in axes.texts]
        legend = axes.get_legend()
        if legend is not None:
            texts += [("legend", t) for t in [*legend.get_texts(), legend.get_title()]]
    for legend in figure.legends:  # seaborn's figure-level plots put their key on the figure
        texts += [("legend", t) for t in [*legend.get_texts(), legend.get_title()]]
    return [(what, t) for what, t in texts if t.get_visible() and t.get_text().strip()]


def text_boxes(figure, *, laid_out: bool = False) -> list[dict]:
    """Where each drawn text lies, as fractions of the figure (0 to 1, origin bottom left), measured
    by the renderer: what a layout test checks for overlaps and for text outside the figure.
    ``laid_out``: the figure has just been drawn as it will be saved (``mark`` draws it last)."""
    if not laid_out:
        figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    width, height = figure.bbox.width, figure.bbox.height
    boxes = []
    for what, text in _drawn_texts(figure):
        box = Text.get_window_extent(text, renderer)  # the words alone, not an annotation's arrow
        boxes.append(
            {
                "what": what,
                "text": text.get_text(),
                "box": [round(v, 5) for v in (box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height)],
            }
        )
    return boxes


def describe(figure, data_file: str) -> str:
    """Alt text for any figure: for each chart in it (each axes but a colour bar), what kind of
    chart it is (read from what it draws, ``chart_kind``), its title and its axes' labels; the key
    (the axes' legend, or the figure's, as seaborn's figure-level plots draw it); and where its
    numbers are. The figure's suptitle stands for the title of a lone untitled chart, or opens the
    text where there are several."""
    charts = [axes for axes in figure.axes if _is_chart(axes)]
    suptitle = figure.get_suptitle().strip()
    parts = [f"A figure of {len(charts)} charts: {suptitle}."] if suptitle and len(charts) > 1 else []
    for axes in charts:
        title = axes.get_title(loc="left") or axes.get_title() or (suptitle if len(charts) == 1 else "")
        labels = [
            f"{name} axis: {text}"
            for name, text in (("horizontal", axes.get_xlabel()), ("vertical", axes.get_ylabel()))
            if text
        ]
        legend = axes.get_legend()
        if legend is not None:
            labels.append(_key(legend))
        detail = "; ".join(labels)
        parts.append(
            f"{chart_kind(axes)}{f': {title}' if title else ''}."
            + (f" {detail[:1].upper()}{detail[1:]}." if detail else "")
        )
    for legend in figure.legends:
        key = _key(legend)
        parts.append(f"{key[:1].upper()}{key[1:]}.")
    parts.append(f"The plotted numbers are in {data_file}, saved beside the figure.")
    return " ".join(parts)


def _key(legend) -> str:
    title = legend.get_title().get_text()
    return f"key{f' ({title})' if title else ''}: " + ", ".join(t.get_text() for t in legend.get_texts())


def _is_chart(axes) -> bool:
    """An axes that shows something: not a colour bar, not an empty cell of a grid."""
    return (
        axes.get_visible()
        and getattr(axes, "_colorbar", None) is None
        and bool(axes.has_data() or axes.texts or axes.get_title(loc="left") or axes.get_title())
    )


#: The kind of chart an axes was made as, where its artists cannot tell (a funnel is a scatter with
#: limit lines on a log scale): set on the axes by the function that draws it (never drawn).
_KIND = "_crimeoutcomes_chart_kind"


def chart_kind(axes) -> str:
    """What kind of chart an axes draws, from its artists: images or a QuadMesh a heat-map; seaborn's
    box and boxen plots a box plot; bars (a BarContainer: matplotlib's bar/barh, seaborn's barplot,
    countplot and histplot) a bar chart; lines through the data (Line2D, seaborn's lineplot even with
    its confidence band, a FillBetweenPolyCollection) a line chart, unless points are scattered too
    (a scatter plot with a fitted line); shapes mirrored about a fixed centre a violin plot; points
    (PathCollection, or markers without a line, or error bars) a dot chart where an axis holds
    categories, else a scatter plot."""
    from matplotlib.collections import PatchCollection, PathCollection, PolyCollection, QuadMesh
    from matplotlib.container import BarContainer, ErrorbarContainer
    from matplotlib.patches import Rectangle

    if getattr(axes, _KIND, None):
        return getattr(axes, _KIND)
    collections = [c for c in axes.collections if c.get_visible()]
    if axes.images or any(isinstance(c, QuadMesh) for c in collections):
        return "Heat-map"
    if any(type(c).__name__ == "BoxPlotContainer" for c in axes.containers) or any(
        isinstance(c, PatchCollection) for c in collections
    ):
        return "Box plot"
    if any(isinstance(c, BarContainer) for c in axes.containers):
        return "Bar chart"
    scattered = any(isinstance(c, PathCollection) and len(np.asarray(c.get_offsets())) for c in collections)
    if any(_through_data(line) for line in axes.lines):
        return "Scatter plot" if scattered else "Line chart"
    if any(_mirrored(path) for c in collections if isinstance(c, PolyCollection) for path in c.get_paths()):
        return "Violin plot"
    if scattered or any(isinstance(c, ErrorbarContainer) for c in axes.containers) or axes.lines:
        return "Dot chart" if _categorical(axes) or not scattered else "Scatter plot"
    if any(isinstance(p, Rectangle) for p in axes.patches):
        return "Bar chart"
    if any(isinstance(c, PolyCollection) for c in collections):
        return "Area chart"
    return "Chart"


def _through_data(line) -> bool:
    """A line drawn through data: a visible line style, at least two points, not a lone straight
    segment along an axis (a reference line, an error bar, a whisker)."""
    if not line.get_visible() or str(line.get_linestyle()) in ("None", "none", "", " "):
        return False
    points = np.asarray(line.get_xydata(), dtype=float)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 2:
        return False
    return not (len(points) == 2 and (points[0, 0] == points[1, 0] or points[0, 1] == points[1, 1]))


def _mirrored(path) -> bool:
    """A closed shape mirrored about a straight line across it, with no flat base: a violin (a
    density filled down to a base line, even a symmetric one, has many points on its base)."""
    points = np.unique(np.asarray(path.vertices, dtype=float), axis=0)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 6:
        return False
    size = max(np.ptp(points, axis=0).max(), 1e-12)
    for across in (0, 1):
        along = 1 - across
        mirror = points.copy()
        mirror[:, across] = points[:, across].min() + points[:, across].max() - points[:, across]
        ends = np.isclose(points[:, along], points[:, along].min()) | np.isclose(
            points[:, along], points[:, along].max()
        )
        order, mirrored_order = (
            np.lexsort((points[:, across], points[:, along])),
            np.lexsort((mirror[:, across], mirror[:, along])),
        )
        if ends.sum() <= 4 and np.allclose(points[order], mirror[mirrored_order], atol=1e-6 * size):
            return True
    return False


def _categorical(axes) -> bool:
    """Whether an axis holds categories: text plotted (matplotlib's category units), or tick labels
    set by hand at fixed places (``set_yticks(positions, names)``)."""
    from matplotlib.category import UnitData
    from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter

    return any(
        isinstance(axis.units, UnitData)
        or (
            isinstance(axis.get_major_locator(), FixedLocator)
            and isinstance(axis.get_major_formatter(), FixedFormatter | FuncFormatter)
        )
        for axis in (axes.xaxis, axes.yaxis)
    )


DATA_COLUMN = SYNTHETIC_COLUMN


def _floats(column) -> np.ndarray:
    """A column as floats, NA as NaN (so it is left out of a chart, never drawn as 0)."""
    return pd.to_numeric(column, errors="coerce").astype(float).to_numpy()


def _ordered(data, value: str) -> pd.DataFrame:
    """Largest ``value`` first, NA last; ties in the order given."""
    data = as_pandas(data)
    return (
        data.assign(_key=_floats(data[value]))
        .sort_values("_key", ascending=False, na_position="last", kind="stable")
        .drop(columns="_key")
    )


def save_csv(data, path: Path, *, synthetic: bool) -> Path:
    """The numbers behind a figure or table as CSV (polars or pandas, any index: see
    ``tables.as_table``), atomically; built from the synthetic sample, a first column ``data`` says
    SYNTHETIC DATA on every row."""
    from crimeoutcomes.notebook.tables import as_table

    frame = as_table(data)
    if synthetic:
        frame = frame.copy()
        frame.insert(0, DATA_COLUMN, SYNTHETIC_MARK)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, lineterminator="\n")
    return write_atomically(path, lambda p: p.write_text(text, encoding="utf-8"))


#: How every figure is written, whatever a notebook set: the house's resolution, the whole figure
#: (never cropped to what is drawn: the footer is part of it), text kept as text in the SVG, and a
#: fixed SVG id salt (byte-stable output). The house style sets the same (``use_house_style``).
SAVE_SETTINGS: dict[RcKeyType, Any] = {
    "savefig.dpi": 150,
    "savefig.bbox": None,
    "svg.hashsalt": "crimeoutcomes",
    "svg.fonttype": "none",
}


def save_figure(figure, data, stem: Path, *, synthetic: bool, caveats_note: str = "") -> bytes:
    """Write stem.png, stem.svg and stem.csv (the plotted numbers), each atomically, and close the
    figure; ``caveats_note`` is drawn in the footer (see ``mark``). Any matplotlib figure is taken
    (``new_figure``'s, ``plt.subplots``', seaborn's ``g.figure``). Returns the PNG, so a notebook
    shows exactly the saved image without drawing it again."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    mark(figure, synthetic=synthetic, caveats_note=caveats_note)
    png = io.BytesIO()
    # The text boxes are measured in the PNG's own drawing (its draw event), so recording them
    # costs no layout pass of its own; they travel in the PNG as an iTXt chunk.
    measured: dict[str, object] = {}
    listener = figure.canvas.mpl_connect(
        "draw_event", lambda event: measured.setdefault("boxes", text_boxes(figure, laid_out=True))
    )
    try:
        with plt.rc_context(SAVE_SETTINGS):
            arrows = _has_arrows(figure)
            if not arrows:
                _lay_out_for_saving(figure)
            figure.savefig(png, format="png", metadata={"Software": None})
    finally:
        figure.canvas.mpl_disconnect(listener)
    boxes = json.dumps(measured["boxes"], separators=(",", ":"), ensure_ascii=False)
    image = _with_text_chunk(png.getvalue(), TEXT_BOXES_KEY, boxes)
    write_atomically(stem.with_suffix(".png"), lambda p: p.write_bytes(image))
    # The SVG keeps the PNG's layout (positions are fractions of the figure, the same at any dpi):
    # laying it out again would take a third of the SVG's time and could move a label by a hair.
    if arrows:  # but drawn unseen at its own resolution first, where its arrows take it from texts
        figure.set_layout_engine("none")
    with plt.rc_context(SAVE_SETTINGS):
        write_atomically(stem.with_suffix(".svg"), lambda p: figure.savefig(p, format="svg", metadata={"Date": None}))
    save_csv(data, stem.with_suffix(".csv"), synthetic=synthetic)
    plt.close(figure)
    return image


def _lay_out_for_saving(figure) -> None:
    """The figure laid out by its engine at the saved resolution, as savefig would, and the engine
    then switched off. savefig lays out a figure that has an engine in a whole drawing of its own
    that renders nothing, before the drawing it saves, and draws one unseen even where the engine
    is switched off (the SVG after the PNG): a third of a figure's saving time. The positions are
    the layout's alone, so the saved bytes are the same (``_has_arrows`` says where they are not)."""
    engine = figure.get_layout_engine()
    if engine is not None:
        shown_at, figure.dpi = figure.dpi, plt.rcParams["savefig.dpi"]
        try:
            engine.execute(figure)
        finally:
            figure.dpi = shown_at
    with plt.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        figure.set_layout_engine(None)  # None, not "none": savefig draws unseen for any engine


def _has_arrows(figure) -> bool:
    """Does the figure draw an arrow that ends at a text's box (an annotation's; adjustText's leader
    lines)? The arrow takes the box from the text's last drawing, so such a figure is saved as
    savefig saves it, each format drawn unseen at its own resolution first."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.text import Annotation

    return bool(figure.findobj(lambda artist: isinstance(artist, (FancyArrowPatch, Annotation))))


def _with_text_chunk(png: bytes, key: str, text: str) -> bytes:
    """The PNG with an iTXt chunk (UTF-8 text under ``key``) before its image data (PIL reads it
    into ``Image.info`` on opening)."""
    import struct
    import zlib

    body = key.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")  # no compression, no language
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body + struct.pack(">I", zlib.crc32(b"iTXt" + body))
    start = png.index(b"IDAT") - 4  # the first IDAT chunk begins with its 4-byte length
    return png[:start] + chunk + png[start:]


def lines(
    data, x: str, series: Sequence[str], labels: Sequence[str], *, title: str, ylabel: str, percent: bool = False
):
    """One line per column of ``series`` against ``x``, each with its own marker and dash; gaps (NA)
    are left as gaps. (matplotlib, not seaborn: seaborn's lineplot drops missing values and would
    join the points on either side of a gap, drawing data that does not exist.)"""
    data = as_pandas(data)
    figure, axes = new_figure()
    xs = [str(value) for value in data[x]]
    for (column, label), (marker, style) in zip(zip(series, labels), SERIES_STYLES):
        axes.plot(xs, _floats(data[column]) * (100 if percent else 1), marker=marker, linestyle=style, label=label)
    axes.set(title=title, ylabel=ylabel, xlabel="")
    axes.set_ylim(bottom=0)
    if len(series) > 1:
        axes.legend(frameon=False)
    _thin_ticks(axes, xs)
    return figure


def year_periods(
    axes,
    years: Sequence[str],
    shaded: tuple[str | None, str | None],
    shaded_label: str,
    line_at: str | None = None,
    line_label: str = "",
) -> None:
    """On a chart whose x axis is ``years`` (one category each, as ``lines`` draws them), shade the
    years from ``shaded[0]`` to ``shaded[1]`` (None: open) and draw a dashed line where ``line_at``
    begins, each named in the key (no free text on the plot, so nothing can hide a point or a
    label). A period outside the years shown is left out."""
    shown = [str(y) for y in years]
    inside = [
        i
        for i, y in enumerate(shown)
        if (shaded[0] is None or y >= shaded[0]) and (shaded[1] is None or y <= shaded[1])
    ]
    if inside:
        axes.axvspan(
            inside[0] - 0.5, inside[-1] + 0.5, color="#f3d9a4", alpha=0.6, zorder=0, label=shaded_label, linewidth=0
        )
    if line_at is not None and line_at in shown and shown.index(line_at) > 0:
        axes.axvline(shown.index(line_at) - 0.5, color="#505a5f", linestyle="--", linewidth=1, label=line_label)
    axes.set_xlim(-0.5, len(shown) - 0.5)
    axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))


def _thin_ticks(axes, labels: Sequence[str], most: int = 16) -> None:
    step = max(1, int(np.ceil(len(labels) / most)))
    axes.set_xticks(
        range(0, len(labels), step),
        [labels[i] for i in range(0, len(labels), step)],
        rotation=45 if len(labels) > 6 else 0,
        ha="right" if len(labels) > 6 else "center",
    )


def bars(data, label: str, value: str, *, title: str, xlabel: str, missing_label: str = "no data"):
    """Horizontal bars, largest at the top; NA shown as a grey 'no data' label, never a zero bar."""
    ordered = _ordered(data, value)
    figure, axes = new_figure(9, max(3.0, 0.24 * len(ordered) + 1))
    names = [display_name(str(name)) for name in ordered[label]]  # a force as the pages name it
    values = _floats(ordered[value])
    positions = np.arange(len(names))[::-1]
    present = ~np.isnan(values)
    drawn = axes.barh(positions[present], values[present], color=PALETTE[0], label=xlabel)
    # Each bar says its number: a 0 is then read as 0 (no bar at all could be a gap), and the small
    # forces need not be read off the axis. No national line: a count depends on the force's size,
    # so the national total (or a mean per force) is no benchmark for it; the rate chart has one.
    axes.bar_label(drawn, labels=[f"{v:,.0f}" for v in values[present]], padding=3, fontsize=7, color="#262626")
    for y in positions[~present]:
        axes.text(0, y, f" {missing_label}", va="center", ha="left", fontsize=8, color="#505a5f", style="italic")
    axes.set_yticks(positions, [_shortened(name) for name in names], fontsize=8)
    axes.margins(x=0.08)
    axes.set_xlim(left=0)
    # Counts: whole-number ticks (a force with two community resolutions is not read off 0.25 steps).
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set(title=title, xlabel=xlabel, ylabel="")
    return figure


def _shortened(label: str, most: int = 48) -> str:
    """A long category name cut at a word with an ellipsis (the full name is in the CSV)."""
    return label if len(label) <= most else textwrap.shorten(label, most, placeholder="…")


def intervals(
    data,
    label: str,
    value: str,
    low: str,
    high: str,
    *,
    title: str,
    xlabel: str,
    reference: float | None = None,
    reference_label: str = "England and Wales",
    scale: float = 100,
    missing_label: str = "no data",
    key: str = "value with its 95% interval",
):
    """Points with interval bars, highest at the top; rows with NA listed at the bottom as ``missing_label``.
    ``scale`` multiplies every value (100: proportions shown as per cent); ``key`` names the points."""
    ordered = _ordered(data, value)
    figure, axes = new_figure(9, max(3.0, 0.24 * len(ordered) + 1))
    names = [display_name(str(name)) for name in ordered[label]]  # a force as the pages name it
    positions = np.arange(len(names))[::-1]
    centre, lo, hi = (_floats(ordered[c]) * scale for c in (value, low, high))
    present = ~np.isnan(centre)
    axes.errorbar(
        centre[present],
        positions[present],
        xerr=[centre[present] - lo[present], hi[present] - centre[present]],
        fmt="o",
        markersize=4,
        capsize=2,
        color=PALETTE[0],
        label=key,
    )
    for y in positions[~present]:
        axes.text(0, y, f" {missing_label}", va="center", ha="left", fontsize=8, color="#505a5f", style="italic")
    if reference is not None:
        axes.axvline(reference * scale, color=HIGHLIGHT, linestyle="--", linewidth=1, label=reference_label)
    axes.set_yticks(positions, names, fontsize=8)
    axes.set_xlim(left=0)
    axes.set(title=title, xlabel=xlabel, ylabel="")
    axes.legend(frameon=False, loc="lower right")
    return figure


def grid(
    data,
    row: str,
    column: str,
    value: str,
    *,
    title: str,
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    missing=None,
):
    """A heat-map table of counts; cells in ``missing`` (row, column pairs) are grey and say 'n/a'."""
    data = as_pandas(data)
    rows = list(rows or sorted(str(r) for r in data[row].dropna().unique()))
    columns = list(columns or sorted(str(c) for c in data[column].dropna().unique()))
    matrix = np.full((len(rows), len(columns)), np.nan)
    index_r, index_c = {r: i for i, r in enumerate(rows)}, {c: j for j, c in enumerate(columns)}
    for r, c, v in data[[row, column, value]].itertuples(index=False, name=None):
        if str(r) in index_r and str(c) in index_c and not pd.isna(v):
            matrix[index_r[str(r)], index_c[str(c)]] = v
    gap = np.zeros_like(matrix, dtype=bool)
    if missing is not None:
        for r, c in as_pandas(missing)[[row, column]].astype(str).itertuples(index=False, name=None):
            if r in index_r and c in index_c:
                gap[index_r[r], index_c[c]] = True
                matrix[index_r[r], index_c[c]] = np.nan
    figure, axes = new_figure(max(6.0, 0.75 * len(columns) + 3), max(3.0, 0.24 * len(rows) + 1.2))
    # imshow and one text per cell: seaborn's heatmap draws the same several times slower.
    shown = np.ma.masked_invalid(matrix)
    colours = plt.get_cmap("Blues").with_extremes(bad=MISSING_COLOUR)
    top = float(shown.max()) if shown.count() else 1.0
    image = axes.imshow(shown, cmap=colours, vmin=0, vmax=top or 1.0, aspect="auto", interpolation="nearest")
    if matrix.size <= MOST_ANNOTATED_CELLS:
        for (i, j), cell in np.ndenumerate(matrix):
            if gap[i, j]:
                axes.text(j, i, "n/a", ha="center", va="center", fontsize=7, color="#505a5f")
            elif not np.isnan(cell):
                axes.text(
                    j,
                    i,
                    f"{cell:.0f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if cell > 0.6 * top else "#0b0c0c",
                )
    else:  # every number is in the CSV; drawing hundreds of labels takes seconds per figure
        figure.colorbar(image, ax=axes, shrink=0.5, label=value.replace("_", " "), pad=0.01)
        for i, j in zip(*np.nonzero(gap)):
            axes.text(j, i, "n/a", ha="center", va="center", fontsize=6, color="#505a5f")
    # a force as the pages name it ('City of London'); the CSV keeps the Home Office name
    axes.set_xticks(np.arange(len(columns)), [display_name(c) for c in columns], rotation=45, ha="right", fontsize=8)
    axes.set_yticks(np.arange(len(rows)), [display_name(r) for r in rows], fontsize=8)
    axes.set_xticks(np.arange(len(columns) + 1) - 0.5, minor=True)
    axes.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    axes.grid(which="minor", color="white", linewidth=0.8)
    axes.tick_params(which="minor", length=0)
    axes.grid(which="major", visible=False)
    axes.set(title=title, xlabel="", ylabel="")
    return figure


def funnel(
    points,
    curves,
    value: str,
    denominator: str,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    percent: bool = True,
    target_label: str = "England and Wales",
):
    """A funnel plot from ``stats.funnel_table`` (``points``) and ``stats.funnel_curves`` (``curves``),
    pandas: each force's value against its denominator, the exact 95% and 99.8% limits and, where
    the forces are over-dispersed, both adjusted limits at both levels; forces flagged outside the
    99.8% limits (exact one-sided tail probability below 0.001) are marked and named."""
    scale = 100 if percent else 1
    figure, axes = new_figure(9, 6)
    x = curves[denominator].to_numpy(float)
    axes.axhline(float(curves["target"].iloc[0]) * scale, color="#505a5f", linewidth=1, label=target_label)
    for name, style, label in (("95", "--", "95% limits (exact)"), ("99_8", "-", "99.8% limits (exact)")):
        axes.plot(x, curves[f"upper_{name}"].to_numpy(float) * scale, style, color="#1d70b8", linewidth=1, label=label)
        axes.plot(x, curves[f"lower_{name}"].to_numpy(float) * scale, style, color="#1d70b8", linewidth=1)
    px, py = points[denominator].to_numpy(float), points[value].to_numpy(float) * scale
    shown = x >= (px.min() if len(px) else 1)
    top = max(np.nanmax(py) if len(py) else 0, np.nanmax(curves["upper_95"].to_numpy(float)[shown]) * scale)
    # Headroom above the highest point for its name; the limits stay inside the possible range.
    # and a little room below 0, so that a force with none sits above the axis line, not on it.
    top = top if top > 0 else 1
    if curves["adj_upper_99_8"].notna().any():
        for name, style, label in (
            ("95", "-.", "95% limits allowing for over-dispersion"),
            ("99_8", ":", "99.8% limits allowing for over-dispersion"),
        ):
            label += _off_the_chart(curves[f"adj_upper_{name}"].to_numpy(float)[shown] * scale, top * 1.12, percent)
            axes.plot(
                x,
                curves[f"adj_upper_{name}"].to_numpy(float) * scale,
                linestyle=style,
                color=HIGHLIGHT,
                linewidth=1.2,
                label=label,
            )
            axes.plot(
                x, curves[f"adj_lower_{name}"].to_numpy(float) * scale, linestyle=style, color=HIGHLIGHT, linewidth=1.2
            )
    outside = (points["outside_99_8"].fillna("") != "").to_numpy()
    # clip_on=False: a force at the edge of the grid (the smallest, or a share of 0) is drawn whole.
    axes.scatter(px[~outside], py[~outside], s=18, color="#505a5f", zorder=3, label="force", clip_on=False)
    axes.scatter(
        px[outside],
        py[outside],
        s=40,
        color=HIGHLIGHT,
        marker="D",
        edgecolor="black",
        linewidth=0.6,
        zorder=4,
        label="force outside the 99.8% limits (named)",
        clip_on=False,
    )
    axes.set_xscale("log")
    setattr(axes, _KIND, "Funnel plot")
    axes.set_xlim(min(x.min(), px.min(initial=np.inf)), max(x.max(), px.max(initial=-np.inf)))
    axes.set_ylim(-0.03 * top, top * 1.12)
    axes.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axes.set(title=title, xlabel=xlabel, ylabel=ylabel)
    # Below the plot, so that the plot keeps the figure's whole width for the forces' names.
    axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.13), ncols=2)
    named = [display_name(force) for force in points.loc[outside, "force"].astype(str)]  # as pages name them
    name_points(axes, named, px[outside], py[outside], px, py)
    return figure


def _off_the_chart(upper: np.ndarray, top: float, percent: bool) -> str:
    """Where an upper limit lies wholly above the chart (a multiplicative spread can put the 99.8% one
    far above every force), the legend says where it is rather than leave a line the reader cannot see."""
    if not len(upper) or np.isnan(upper).all() or np.nanmin(upper) <= top:
        return ""
    lowest = np.nanmin(upper)
    return (
        f" (upper: above the chart, {lowest:.1f}% and up)"
        if percent
        else f" (upper: above the chart, {lowest:.2f} and up)"
    )


def name_points(axes, names: Sequence[str], xs, ys, every_x=(), every_y=()) -> None:
    """Name the points (xs, ys): each name starts beside its point, then adjustText moves names
    apart from one another and from every point (every_x, every_y), keeping them inside the axes,
    and joins a name moved away from its point with a thin leader line."""
    if not len(names):
        return
    from adjustText import adjust_text  # only funnels name points; spare other notebooks the import

    labels = [axes.text(x, y, name, fontsize=8, ha="left", va="bottom", zorder=5) for name, x, y in zip(names, xs, ys)]
    axes.figure.draw_without_rendering()  # adjustText measures the texts at their final layout
    adjust_text(
        labels,
        x=np.asarray(every_x, float),
        y=np.asarray(every_y, float),
        target_x=np.asarray(xs, float),
        target_y=np.asarray(ys, float),
        ax=axes,
        expand=(1.15, 1.4),
        force_text=(0.4, 0.6),
        ensure_inside_axes=True,
        min_arrow_len=6,
        arrowprops={"arrowstyle": "-", "color": "#505a5f", "linewidth": 0.6},
        # A fixed number of steps, not adjustText's default of one second: where the names cannot all
        # be set apart (real 2024/25 offence-mix funnel: 1,400 steps a second, never done), how far a
        # timed run got depended on the machine's load, and each build drew the names elsewhere.
        iter_lim=ADJUST_TEXT_STEPS,
        time_lim=None,
    )


def rank_intervals(data, label: str, *, title: str, xlabel: str = "rank (1 = highest)"):
    """Each force's observed rank (points) and the 95% interval of its rank under the random-effects
    model (bars), highest first, and the middle rank: a force whose bar crosses the middle line
    cannot be told apart from the middle of the table."""
    ordered = data.sort_values(["rank", label], kind="stable")
    figure, axes = new_figure(9, max(3.0, 0.24 * len(ordered) + 1.2))
    positions = np.arange(len(ordered))[::-1]
    rank = ordered["rank"].to_numpy(float)
    low, high = ordered["rank_low"].to_numpy(float), ordered["rank_high"].to_numpy(float)
    # The interval is the model's (each force's true share drawn from the random-effects model given
    # its count), so a small force's observed rank can lie outside it: the bar is drawn on its own,
    # from its ends, and the observed rank as a point, never a bar stretched to reach the point.
    axes.errorbar(
        (low + high) / 2,
        positions,
        xerr=(high - low) / 2,
        fmt="none",
        capsize=2,
        color=PALETTE[0],
        label="95% interval of the rank",
    )
    axes.plot(rank, positions, "o", markersize=4, color=PALETTE[0], label="observed rank")
    middle = (len(ordered) + 1) / 2
    axes.axvline(middle, color=HIGHLIGHT, linestyle="--", linewidth=1, label=f"middle rank ({middle:g})")
    # forces as the pages name them ('City of London'); the CSV keeps the Home Office name
    axes.set_yticks(positions, [display_name(str(name)) for name in ordered[label]], fontsize=8)
    axes.set_xlim(0.5, len(ordered) + 0.5)
    axes.set(title=title, xlabel=xlabel, ylabel="")
    # Top right is empty: the highest-ranked forces' intervals sit at the left.
    axes.legend(frameon=True, facecolor="white", edgecolor="white", loc="upper right", fontsize=8)
    return figure


def funnel_numbers(points, curves) -> pd.DataFrame:
    """One table of what a funnel plot draws: the forces' points (``series`` force), then the
    limit lines (``series`` limits, no force)."""
    return pd.concat([points.assign(series="force"), curves.assign(series="limits")], ignore_index=True)[
        ["series", *[c for c in points.columns], *[c for c in curves.columns if c not in points.columns]]
    ]


def points(data, label: str, series: Sequence[str], labels: Sequence[str], *, title: str, xlabel: str):
    """A dot plot: one row per ``label``, one marker per column of ``series`` (NA left out)."""
    data = as_pandas(data)
    figure, axes = new_figure(9, max(2.5, 0.4 * len(data) + 1.2))
    names = [display_name(str(name)) for name in data[label]]  # a force as the pages name it
    positions = np.arange(len(names))[::-1]
    for column, name, marker in zip(series, labels, ("o", "s", "^", "D")):
        values = _floats(data[column])
        axes.scatter(values, positions, marker=marker, s=36, label=name, zorder=3)
    axes.set_yticks(positions, names, fontsize=8)
    axes.set(title=title, xlabel=xlabel, ylabel="")
    axes.set_xlim(left=0)
    axes.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure
