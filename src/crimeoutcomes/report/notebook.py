"""What a notebook works on: the chosen year, basis and trend window, the data, and where figures go.

A notebook's parameters cell holds plain values; ``setup`` checks them (an error names the
parameter, and a parameter papermill injected that the notebook does not declare is an error too),
finds the source files and loads the outcomes of the trend window through the cache.

Only run_all.py publishes. It runs each notebook with ``output_root`` set to a staging folder it
has marked (``BUILD_MARKER``); a notebook run any other way (JupyterLab, papermill, nbconvert)
writes its figures and tables under ``scratch/`` and says so at the top of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import pandas as pd
import polars as pl

from crimeoutcomes import config
from crimeoutcomes.config import SYNTHETIC_MARK
from crimeoutcomes.data.load import load_outcomes, load_recorded_crime
from crimeoutcomes.data.source_files import SourceSet, chosen_year, from_folder, obtain, year_parameter
from crimeoutcomes.data.years import FRAMEWORK_FIRST_YEAR, LATEST, year_slug
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.frames import to_pandas
from crimeoutcomes.report.memo import memoised
from crimeoutcomes.report.pages import render, synthetic_banner
from crimeoutcomes.report.parameters import check_injected_parameters
from crimeoutcomes.stats import measures
from crimeoutcomes.stats.measures import check_basis

#: Which offences a measure covers: the Sexual offences group, all crime, or a list of offence codes.
Offences = str | Sequence[str]

BASIS_WORDS = {
    "closed": "outcomes assigned in the year (investigations closed in the year, whenever the offence was recorded)",
    "recorded": "outcomes so far of the offences recorded in the year (later revisions can still add outcomes)",
}

#: What the provenance block shows of each file's manifest entry.
PROVENANCE_FIELDS = ("title", "url", "release", "release_date", "retrieved_at", "sha256")

#: run_all.py writes this file into the output folder of each notebook it runs: its presence is what
#: lets a notebook write where run_all will publish from.
BUILD_MARKER = ".run_all-build"


@dataclass
class Analysis:
    financial_year: str
    count_basis: str
    first_year: str
    sources: SourceSet
    rows: pl.DataFrame  # the engine's tidy table: every year of the trend window, first_year to financial_year
    output_root: Path
    published: bool = False  # run by run_all.py into its staging folder (else figures go to scratch/)
    #: Where the caveats page is, from the page the notebook becomes ('../caveats.html' one folder down).
    caveats_page: str = "caveats.html"
    subfolder: str = ""  # of the figures folder, for pages that share a notebook (forces/<force>)
    force: str | None = None  # the force of a force page (``for_force``), in the Home Office spelling

    @property
    def synthetic(self) -> bool:
        return self.sources.synthetic

    @property
    def years(self) -> list[str]:
        return list(self._years)

    @cached_property
    def _years(self) -> tuple[str, ...]:
        # Kept (a copy is handed out): a scan of every row, 15 ms on the sample, asked for some thirty
        # times a page.
        return tuple(sorted(self.rows["financial_year"].unique().to_list()))

    @property
    def slug(self) -> str:
        return year_slug(self.financial_year)

    @property
    def figures_dir(self) -> Path:
        if self.published:
            return config.figures_dir(self.synthetic, self.slug, self.output_root) / self.subfolder
        return self.output_root / config.SCRATCH / config.output_subdir(self.synthetic, self.slug) / self.subfolder

    def for_force(self, force: str) -> Analysis:
        """The same analysis for one force's page: its figures and tables go in a folder of their own
        (forces/<force>/), so that no two pages' files share a name. ``force`` may be written as the
        Home Office does, as the pages show it or as an alias, in any case ('city of london');
        the result's ``force`` is the Home Office spelling, the one the tables' ``force`` column holds."""
        from crimeoutcomes.data.codes import resolve_force
        from crimeoutcomes.report.force_pages import force_folder

        canonical = resolve_force(force, "parameter force", known=self.forces)
        # the page is one folder down from the year's reports, so is the way to its caveats page
        return replace(
            self, force=canonical, subfolder=force_folder(canonical), caveats_page=f"../{type(self).caveats_page}"
        )

    def memo_inputs(self) -> tuple[list[str], list[Path]]:
        """What a ``memoised`` result depends on besides its call: the year, basis and trend window,
        and every source file of the window."""
        years = self.years
        sources = [p for y, p in sorted(self.sources.outcomes.items()) if y in years]
        if self.sources.recorded_crime is not None:
            sources.append(self.sources.recorded_crime)
        return [self.financial_year, self.count_basis, self.first_year], sources

    @cached_property
    def collapsed(self) -> pl.DataFrame:
        """Force-quarters whose outcomes collapsed (``quality.collapsed_quarters``): every count that
        needs one is treated as missing."""
        return self._collapsed()

    @memoised
    def _collapsed(self) -> pl.DataFrame:
        from crimeoutcomes.stats.quality import collapsed_quarters

        return collapsed_quarters(self.rows, self.count_basis, self.recorded_crime)

    @property
    def forces(self) -> list[str]:
        """The 43 territorial forces and British Transport Police, and any other name the data holds."""
        return list(self._forces)

    @cached_property
    def _forces(self) -> tuple[str, ...]:
        return tuple(measures.all_forces(self.rows))

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """The tidy outcomes table of the years read, in pandas (categories for the text keys,
        nullable Int64 counts): for any question the methods below do not answer."""
        return to_pandas(self.rows)

    # -- The measures, in pandas. Force-quarters whose outcomes collapsed count as missing. --------
    def _rows(self, offences: Offences = "sexual", year: str | None = None) -> pl.DataFrame:
        rows = self.rows if year is None else self.rows.filter(pl.col("financial_year") == year)
        if isinstance(offences, str):
            if offences not in ("sexual", "all"):
                raise CrimeOutcomesError(
                    f"offences must be 'sexual', 'all' or a list of offence codes, not {offences!r}"
                )
            return measures.sexual_offences(rows) if offences == "sexual" else rows
        return rows.filter(pl.col("offence_code").is_in(list(offences)))

    @memoised
    def totals(
        self,
        offences: Offences = "sexual",
        by: Sequence[str] = ("financial_year",),
        *,
        year: str | None = None,
        basis: str | None = None,
    ) -> pd.DataFrame:
        """National community resolutions, assigned outcomes and charges plus out-of-court outcomes
        by ``by``, with the force-quarters missing or collapsed (``measures.national_totals``)."""
        return to_pandas(
            measures.national_totals(
                self._rows(offences, year), basis or self.count_basis, by, collapsed=self.collapsed
            )
        )

    @memoised
    def force_totals(
        self, offences: Offences = "sexual", by: Sequence[str] = ("financial_year",), *, year: str | None = None
    ) -> pd.DataFrame:
        """The same by force: <NA>, never 0, where any quarter is missing or collapsed."""
        return to_pandas(
            measures.force_totals(self._rows(offences, year), self.count_basis, by, collapsed=self.collapsed)
        )

    @memoised
    def outcome_totals(
        self,
        offences: Offences = "sexual",
        outcome_types: Sequence[str] = ("8", "22"),
        by: Sequence[str] = ("financial_year",),
        *,
        year: str | None = None,
        basis: str | None = None,
    ) -> pd.DataFrame:
        """Each of ``outcome_types`` side by side, one row per ``by`` and outcome type: its ``count``,
        the ``assigned_outcomes`` and ``share_of_assigned``; nationally with ``force_quarters_missing``,
        by force (``by=("financial_year", "force")``) <NA> where a quarter is missing or collapsed;
        <NA> too where the year's file has no such outcome type (``by_outcome_type``)."""
        from crimeoutcomes.stats.by_outcome_type import outcome_type_totals

        return to_pandas(
            outcome_type_totals(
                self._rows(offences, year), basis or self.count_basis, outcome_types, by, collapsed=self.collapsed
            )
        )

    def code_totals(
        self, offences: Offences = "sexual", by: Sequence[str] = ("financial_year",), *, year: str | None = None
    ) -> pd.DataFrame:
        """Community resolutions and assigned outcomes by offence code, with its description."""
        return to_pandas(measures.offence_code_totals(self._rows(offences, year), self.count_basis, by))

    def both_bases(self, offences: Offences = "sexual", by: Sequence[str] = ("financial_year",)) -> pd.DataFrame:
        """Community resolutions nationally, one column per counting basis (closed, recorded)."""
        return to_pandas(measures.on_both_bases(self._rows(offences), by=by))

    def forces_using_cr(self, offence_codes: Sequence[str]) -> pd.DataFrame:
        """Per year and force, the community resolutions for ``offence_codes`` where there was one."""
        return to_pandas(measures.forces_with_community_resolutions(self.rows, self.count_basis, offence_codes))

    @memoised
    def missing(self, offences: Offences = "sexual", *, year: str | None = None) -> pd.DataFrame:
        """Per force and year, the quarters missing or collapsed and why (``measures.gaps``)."""
        return to_pandas(measures.gaps(self._rows(offences, year), self.count_basis, collapsed=self.collapsed))

    def changes(self, offences: Offences = "sexual") -> pd.DataFrame:
        """National change with 95% intervals, year on year and first to last (``yearly_change.national_changes``)."""
        from crimeoutcomes.stats.yearly_change import national_changes

        return national_changes(self.totals(offences))

    def trend(self, offences: Offences = "sexual") -> dict:
        """The log-linear trend over the complete years (``yearly_change.count_trend``)."""
        from crimeoutcomes.stats.yearly_change import count_trend

        return count_trend(self.totals(offences))

    @memoised
    def force_changes(self, offences: Offences = "sexual") -> pd.DataFrame:
        """Each force's change with 95% intervals; a year missing or collapsed is not compared."""
        from crimeoutcomes.stats.yearly_change import force_changes

        return force_changes(self.force_totals(offences))

    @memoised
    def gaps(self) -> pd.DataFrame:
        """Every force-quarter left out of the rates in the years read, and why."""
        from crimeoutcomes.stats.quality import unusable_quarters

        return to_pandas(unusable_quarters(self.rows, self.count_basis, self.recorded_crime))

    @memoised
    def compare_forces(self, pool_years: int = 1):
        """The fair comparison of forces over ``pool_years`` years ending with the chosen one
        (``comparison.compare_forces``), its tables in pandas."""
        from crimeoutcomes.stats.comparison import compare_forces, pooled_years

        return compare_forces(
            self.rows, self.count_basis, pooled_years(self.years, self.financial_year, pool_years), self.recorded_crime
        )

    @memoised
    def rates_by_year(self) -> pd.DataFrame:
        """Each force's counts and three rates for sexual offences, each year on its own, on the quarters
        that can be used (``comparison.rates_by_year``: a year's rows are the force comparison's for it)."""
        from crimeoutcomes.stats.comparison import rates_by_year

        return rates_by_year(self.rows, self.count_basis, self.years, self.recorded_crime)

    @cached_property
    def recorded_crime(self) -> pl.DataFrame | None:
        """Police recorded crime for the years read (the rates' denominator), if the folder has the file."""
        if self.sources.recorded_crime is None:
            return None
        return load_recorded_crime(self.sources.recorded_crime).filter(pl.col("financial_year").is_in(self.years))

    @property
    def basis_words(self) -> str:
        return BASIS_WORDS[self.count_basis]

    def source_files(self) -> list[dict]:
        """The files this analysis read, as the folder's manifest records them."""
        used = [p for y, p in self.sources.outcomes.items() if y in self.years]
        if self.sources.recorded_crime is not None:
            used.append(self.sources.recorded_crime)
        return [
            {"file": path.name, **{key: self.sources.entry(path).get(key) for key in PROVENANCE_FIELDS}}
            for path in sorted(used, key=lambda p: p.name)
        ]

    def releases(self) -> dict[str, str]:
        """Financial year -> the release (date stamp) of the file read for it."""
        return {
            year: self.sources.entry(path).get("release") or path.name
            for year, path in self.sources.outcomes.items()
            if year in self.years
        }

    def provenance(self):
        """Where every number on the page comes from: the files, their releases and checksums, the basis."""
        from IPython.display import HTML

        return HTML(
            render(
                "provenance.html.j2",
                basis=self.count_basis,
                basis_words=self.basis_words,
                first=self.years[0],
                last=self.years[-1],
                files=self.source_files(),
            )
        )

    def banner(self, findings: Sequence[str] = ()):
        """The top of every report: the SYNTHETIC warning where it applies, a notice where the page is
        not a published build, the key findings (``report.findings``), then the provenance block,
        collapsed, and the link to the caveats page."""
        from IPython.display import HTML

        key_findings = (
            render(
                "findings.html.j2",
                sentences=list(findings),
                year=self.financial_year,
                basis=self.count_basis,
                basis_words=self.basis_words,
                first=self.years[0],
                last=self.years[-1],
                synthetic=self.synthetic,
            )
            if findings
            else ""
        )
        return HTML(
            (synthetic_banner() if self.synthetic else "")
            + ("" if self.published else self.scratch_notice())
            + key_findings
            + self.provenance().data
            + render("caveats_link.html.j2", page=self.caveats_page)
        )

    def scratch_notice(self) -> str:
        return render("scratch_notice.html.j2", folder=str(self.figures_dir))

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
        from crimeoutcomes.report.caveats import caveats_for, scope_of

        scope = scope_of(
            data,
            financial_years=financial_years,
            forces=forces,
            offence_codes=offence_codes,
            outcome_types=outcome_types,
            synthetic=self.synthetic,
            default_years=[self.financial_year],
        )
        return caveats_for(scope)

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
        from IPython.display import HTML

        from crimeoutcomes.report.caveats import markers_html
        from crimeoutcomes.report.tables import render_table, scrolling

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
        table = render_table(data, name, kinds=kinds, headings=headings, folder=self.subfolder)
        return HTML(scrolling(table, name) + footnote)

    def save_table(self, frame, name: str):
        """Save ``frame``, unrounded, as tables/<name>.csv beside the figures without showing it (a
        table too wide to read on the page, shown in parts); returns it in pandas, as the table holds
        it (``tables.as_table``: any pandas or polars frame or Series; a named index, such as a
        groupby's keys, kept as columns; a plain row-number index dropped)."""
        from crimeoutcomes.report.figures import save_csv
        from crimeoutcomes.report.tables import as_table

        data = as_table(frame)
        save_csv(data, self.figures_dir / "tables" / f"{name}.csv", synthetic=self.synthetic)
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
        from crimeoutcomes.report.caveats import marker_note, markers_html
        from crimeoutcomes.report.figures import describe, save_figure
        from crimeoutcomes.report.tables import as_table

        data = as_table(data)  # a groupby's result too: its keys are columns of the CSV
        found = self.caveats(
            data,
            financial_years=financial_years,
            forces=forces,
            offence_codes=offence_codes,
            outcome_types=outcome_types,
        )
        alt = alt or describe(figure, f"{name}.csv")
        if found:
            alt = f"{alt} {marker_note(found)}."
        if self.synthetic:
            alt = f"{SYNTHETIC_MARK}, invented numbers. {alt}"
        png = save_figure(
            figure, data, self.figures_dir / name, synthetic=self.synthetic, caveats_note=marker_note(found)
        )
        return ShownFigure(png, alt, name, markers_html(found, self.caveats_page))

    def save_trend(self, figure, name: str, data, alt: str | None = None, **scope):
        """A chart over the years read, saved and shown as ``save_figure`` does; where only one year is
        read, a line over the years would be a single point, so the chart is left out and says why."""
        if len(self.years) > 1:
            return self.save_figure(figure, name, data, alt, **scope)
        import matplotlib.pyplot as plt
        from IPython.display import Markdown

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
        import base64
        import html

        image = base64.b64encode(self.png).decode("ascii")
        caption = f'<figcaption class="caveat-markers">{self.caveats_html}</figcaption>' if self.caveats_html else ""
        page = (
            f'<figure class="report-figure" data-csv="{html.escape(self.name)}.csv">'
            f'<img src="data:image/png;base64,{image}" alt="{html.escape(self.alt)}">{caption}</figure>'
        )
        return {"text/html": page, "text/plain": f"[figure {self.name}: {self.alt}]"}


#: The word ``data_folder`` takes for the synthetic sample (a folder of that name is written ./sample).
SAMPLE_WORD = "sample"


def setup(
    financial_year: str = LATEST,
    count_basis: str = "closed",
    first_year: str = FRAMEWORK_FIRST_YEAR,
    data_folder: str = "",
    output_root: str = "",
) -> Analysis:
    """Check the parameters, find the data and load it. ``data_folder``: '' = the Home Office files
    in data/raw (downloaded there first if none are; the synthetic sample, saying so, only where GOV.UK
    cannot be reached), 'sample' = the synthetic sample, anything else = that folder of source files.

    Figures and tables go under ``output_root`` (run_all.py's marked staging folder) when run_all
    runs the notebook, and under ``<output_root or the project>/scratch/`` otherwise; a run outside
    run_all says so on the console it was started from (``tell_console``)."""
    check_injected_parameters()
    try:
        check_basis(count_basis)
    except CrimeOutcomesError as exc:
        raise CrimeOutcomesError(f"parameter count_basis: {exc}") from None
    first = year_parameter("first_year", first_year)
    sources = _sources(data_folder)
    available = sources.years
    year = chosen_year(sources, financial_year)
    if first > year:
        raise CrimeOutcomesError(f"parameter first_year: {first} is after financial_year {year}")
    window = [y for y in available if first <= y <= year]
    outcomes = load_outcomes([sources.outcomes[y] for y in window]).filter(pl.col("financial_year").is_in(window))
    root = Path(output_root) if output_root else config.project_root()
    analysis = Analysis(
        financial_year=year,
        count_basis=count_basis,
        first_year=first,
        sources=sources,
        rows=outcomes,
        output_root=root,
        published=(root / BUILD_MARKER).is_file(),
    )
    if not analysis.published:
        tell_console(direct_run_message(analysis))
    return analysis


def _sources(data_folder: str) -> SourceSet:
    if data_folder.strip().lower() == SAMPLE_WORD:
        return obtain("sample")
    if not data_folder:
        return obtain("auto")
    try:
        return from_folder(data_folder)
    except CrimeOutcomesError as exc:
        raise CrimeOutcomesError(
            f"parameter data_folder: {exc} (give a folder of source files, 'sample' for the synthetic "
            "sample, or '' for data/raw)"
        ) from None


def direct_run_message(analysis: Analysis) -> str:
    """What a run outside run_all.py says on its console: whether the numbers are real, and where
    its figures and tables went (never the published reports)."""
    data = (
        f"SYNTHETIC data (invented numbers, the sample in {analysis.sources.folder}), not Home Office figures"
        if analysis.synthetic
        else f"the Home Office files in {analysis.sources.folder}"
    )
    return (
        f"crimeoutcomes: {analysis.financial_year}, {analysis.count_basis} basis, from {data}. "
        f"Figures and tables of this run go under {analysis.figures_dir} (scratch: only run_all.py publishes)."
    )


def tell_console(message: str) -> None:
    """Write ``message`` to the terminal the run was started from, not into the notebook. In a
    Jupyter kernel, ``sys.stderr`` is ipykernel's stream into the notebook, and its ``fileno()`` the
    kernel process's own stderr: papermill's console (shown without --log-output) or JupyterLab's
    terminal. Elsewhere (a plain Python, a test's captured stream) it is written to ``sys.stderr``."""
    import io
    import os
    import sys

    stream = sys.stderr
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        print(message, file=stream)
        return
    stream.flush()
    # on a line of its own: papermill's progress bar is on the same terminal, without a newline
    os.write(descriptor, f"\n{message}\n".encode())
