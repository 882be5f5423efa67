"""Where a report's figures and tables go, and how they are shown: ``save_figure`` (PNG, SVG and the
CSV of the numbers plotted, with alt text and the caveats that touch them), ``table`` and
``save_table``, ``caveats``. A part of ``Analysis`` (``analysis.py``), kept apart from the measures:
run by run_all.py the files go to its staging folder, run any other way to scratch/."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
from IPython.display import HTML, Markdown

from crimeoutcomes import config
from crimeoutcomes.config import SYNTHETIC_MARK
from crimeoutcomes.notebook import figures
from crimeoutcomes.notebook.caveats import caveats_for, for_another_question, marker_note, markers_html, scope_of
from crimeoutcomes.notebook.tables import as_table, render_table, scrolling

if TYPE_CHECKING:
    from crimeoutcomes.data.source_files import SourceSet
    from crimeoutcomes.stats.question import Question


class ReportOutput:
    """Mixed into ``Analysis``, whose fields and properties these are."""

    financial_year: str
    output_root: Path
    published: bool
    caveats_page: str
    subfolder: str
    question: Question
    sources: SourceSet

    if TYPE_CHECKING:  # Analysis's properties

        @property
        def slug(self) -> str: ...

        @property
        def years(self) -> list[str]: ...

        @property
        def synthetic(self) -> bool: ...

        @property
        def question_headings(self) -> dict[str, str]: ...

    @property
    def figures_dir(self) -> Path:
        if self.published:
            return config.figures_dir(self.synthetic, self.slug, self.output_root) / self.subfolder
        return self.output_root / config.SCRATCH / config.output_subdir(self.synthetic, self.slug) / self.subfolder

    def caveats(
        self,
        data,
        *,
        financial_years: Sequence[str] | None = None,
        forces: Sequence[str] | None = None,
        offence_codes: Sequence[str] | None = None,
        outcome_types: Sequence[str] | None = None,
    ) -> list:
        """The caveats (reference/caveats.csv) touching the numbers in ``data``: its years, forces and
        offence codes read from its columns (``caveats.scope_of``) unless given; a frame without a
        year column shows the chosen year. Outcome types: every type unless given."""
        scope = scope_of(
            data,
            financial_years=financial_years,
            forces=forces,
            offence_codes=offence_codes,
            outcome_types=outcome_types,
            synthetic=self.synthetic,
            default_years=[self.financial_year],
        )
        found = caveats_for(scope)
        # Another question's pages name only the caveats that concern its outcome types, in its words.
        return found if self.question.is_default else list(for_another_question(found, self.question.outcome_types))

    def table(
        self,
        frame,
        name: str,
        *,
        kinds: dict | None = None,
        headings: dict | None = None,
        financial_years: Sequence[str] | None = None,
        forces: Sequence[str] | None = None,
        offence_codes: Sequence[str] | None = None,
        outcome_types: Sequence[str] | None = None,
        marked: bool = True,
    ):
        """Show ``frame`` (any pandas or polars frame or Series: see ``save_table`` for its index) as
        a report table, each column formatted by its declared kind (``columns.COLUMNS``, or ``kinds``
        for this table; a column declared in neither by its dtype, ``columns.inferred_kind``), and
        save the same numbers, unrounded, as tables/<name>.csv beside the figures. The caveats
        touching it (``caveats``; the scope arguments as there) are named under it, each a link to
        the caveats page; ``marked=False`` for a table of reference values (a list of codes) rather
        than data."""
        data = self.save_table(frame, name)
        found = (
            self.caveats(
                data,
                financial_years=financial_years,
                forces=forces,
                offence_codes=offence_codes,
                outcome_types=outcome_types,
            )
            if marked
            else []
        )
        note = markers_html(found, self.caveats_page, "table")
        footnote = f'<p class="caveat-markers" data-table="{name}">{note}</p>' if note else ""
        # data-csv: the CSV's place in the year's figures folder (a force page's are in forces/<force>/)
        headings = {**self.question_headings, **(headings or {})}  # the question's words, unless given
        table = render_table(data, name, kinds=kinds, headings=headings or None, folder=self.subfolder)
        return HTML(scrolling(table, name) + footnote)

    def save_table(self, frame, name: str):
        """Save ``frame``, unrounded, as tables/<name>.csv beside the figures without showing it (a
        table too wide to read on the page, shown in parts); returns it in pandas, as the table holds
        it (``tables.as_table``: any pandas or polars frame or Series; a named index, such as a
        groupby's keys, kept as columns; a plain row-number index dropped)."""
        data = as_table(frame)
        figures.save_csv(data, self.figures_dir / "tables" / f"{name}.csv", synthetic=self.synthetic)
        return data

    def save_figure(
        self,
        figure,
        name: str,
        data,
        alt: str | None = None,
        *,
        financial_years: Sequence[str] | None = None,
        forces: Sequence[str] | None = None,
        offence_codes: Sequence[str] | None = None,
        outcome_types: Sequence[str] | None = None,
    ):
        """Save ``figure`` (any matplotlib figure: ``figures.new_figure``'s, ``plt.subplots``',
        seaborn's, a figure-level plot's ``grid.figure``; see ``figures.mark``) as PNG and SVG with
        the CSV of exactly the numbers it plots (``data``, any frame, as ``save_table`` takes it),
        and return it for the notebook to show, with alt text (``alt``, else a description of the
        chart from its title, axes and key). The caveats touching ``data`` (``caveats``; the scope
        arguments as there) are drawn under the chart ('Caveats [1] [3]: see the caveats page') and
        named under it on the page, each a link to the caveats page."""
        data = as_table(data)  # a groupby's result too: its keys are columns of the CSV
        found = self.caveats(
            data,
            financial_years=financial_years,
            forces=forces,
            offence_codes=offence_codes,
            outcome_types=outcome_types,
        )
        alt = alt or figures.describe(figure, f"{name}.csv")
        if found:
            alt = f"{alt} {marker_note(found)}."
        if self.synthetic:
            alt = f"{SYNTHETIC_MARK}, invented numbers. {alt}"
        png = figures.save_figure(
            figure, data, self.figures_dir / name, synthetic=self.synthetic, caveats_note=marker_note(found)
        )
        return ShownFigure(png, alt, name, markers_html(found, self.caveats_page))

    def save_trend(self, figure, name: str, data, alt: str | None = None, **scope):
        """A chart over the years read, saved and shown as ``save_figure`` does; where only one year is
        read, a line over the years would be a single point, so the chart is left out and says why."""
        if len(self.years) > 1:
            return self.save_figure(figure, name, data, alt, **scope)
        plt.close(figure)
        return Markdown(
            f"*Only {self.financial_year} was read, so there is no line over the years to draw here; "
            "the year's figures are in the key findings and the tables of this report.*"
        )


@dataclass(frozen=True)
class ShownFigure:
    """A saved figure as a notebook shows it: the PNG with its alt text and, under it, the caveats
    that touch it as links (HTML; the PNG alone where HTML is not shown)."""

    png: bytes
    alt: str
    name: str
    caveats_html: str = ""

    def _repr_mimebundle_(self, include=None, exclude=None):
        image = base64.b64encode(self.png).decode("ascii")
        caption = f'<figcaption class="caveat-markers">{self.caveats_html}</figcaption>' if self.caveats_html else ""
        page = (
            f'<figure class="report-figure" data-csv="{html.escape(self.name)}.csv">'
            f'<img src="data:image/png;base64,{image}" alt="{html.escape(self.alt)}">{caption}</figure>'
        )
        return {"text/html": page, "text/plain": f"[figure {self.name}: {self.alt}]"}
