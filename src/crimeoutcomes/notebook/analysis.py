"""The ``Analysis`` of a year: the chosen year, basis and trend window, the tidy rows read, and the
measures on them as methods, in pandas (``stats`` does the work; force-quarters whose outcomes
collapsed count as missing). What a page shows of its sources is ``Provenance``'s job and where its
figures and tables go ``ReportOutput``'s; ``setup`` (``start``) makes an Analysis from a notebook's
parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import pandas as pd
import polars as pl

from crimeoutcomes.data.codes import charge_and_out_of_court_types, resolve_force
from crimeoutcomes.data.frames import to_pandas
from crimeoutcomes.data.load import load_recorded_crime
from crimeoutcomes.data.source_files import SourceSet
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook.force_pages import force_folder
from crimeoutcomes.notebook.memo import memoised
from crimeoutcomes.notebook.output import ReportOutput
from crimeoutcomes.notebook.provenance import Provenance
from crimeoutcomes.prose.question_words import Words, output_slug, words_of
from crimeoutcomes.reconciliation import press_figures
from crimeoutcomes.stats import by_outcome_type, comparison, measures, quality, yearly_change
from crimeoutcomes.stats.question import (
    DEFAULT_QUESTION,
    Question,
    child_rape_codes_asked,
    child_victim_codes,
    codes_without_recorded_crime,
)

#: Which offences a measure covers: the question's ("question"), the Sexual offences group ("sexual"),
#: all crime ("all"), or a list of offence codes.
Offences = str | Sequence[str]
QUESTION = "question"


@dataclass
class Analysis(Provenance, ReportOutput):
    """A year of the outcomes data, as a notebook works on it (``setup`` makes one)."""

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
    #: Which offences and outcome types are counted (``stats.question``); every measure's count is its.
    question: Question = DEFAULT_QUESTION

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
        """Where the year's reports go under reports/: the year's slug, inside the question's folder
        for any question but the default (whose reports keep the paths they always had)."""
        return output_slug(self.question, self.financial_year)

    @property
    def words(self) -> Words:
        """The question in words, for titles, headings, labels and sentences: ``count``
        ('community resolutions', 'charges'), ``offences`` ('sexual offences', 'rape offences'),
        ``heading`` ('Charges for rape offences')."""
        return words_of(self.question)

    @property
    def question_headings(self) -> dict[str, str]:
        """Table headings that name another question's count and offences (``a.table`` uses them);
        none for the default question, whose tables keep the headings of ``columns``."""
        if self.question.is_default:
            return {}
        count, offences = self.words.count, self.words.offences
        return {
            "community_resolutions": f"{count} (count)",
            "cr_low": f"{count}, lower 95% limit",
            "cr_high": f"{count}, upper 95% limit",
            "recorded_offences": f"{offences} recorded",
            "rate_per_1000_recorded": f"per 1,000 {offences} recorded",
            "expected_community_resolutions": f"expected {count}",
            "england_and_wales_community_resolutions": f"England and Wales: {count}",
            "sexual_offences": f"{offences}: {count}",
            "sexual_offences_share": f"{offences}: share of assigned outcomes",
            "all_crime": f"all crime: {count}",
        }

    @property
    def alternative_types(self) -> tuple[str, ...]:
        """The outcome types a force could have recorded instead of the question's for a similar case
        (``by_outcome_type.alternatives``); () where there are none."""
        return by_outcome_type.alternatives(self.question.outcome_types)

    @property
    def child_victim_codes(self) -> list[str]:
        """The question's offence codes whose legal definition makes the victim a child (report 03)."""
        return list(child_victim_codes(self.question))

    @property
    def child_rape_codes(self) -> list[str]:
        """The codes of the rape of a child among the question's offences."""
        return list(child_rape_codes_asked(self.question))

    @property
    def among_charges_and_out_of_court(self) -> bool:
        """Whether every outcome type counted is a charge or an out-of-court outcome: only then is a
        share of those a share of something that includes the count."""
        return self.question.within(charge_and_out_of_court_types())

    @property
    def denominator_labels(self) -> dict[str, str]:
        """What each rate of the force comparison divides by, in the question's words."""
        return comparison.denominator_labels(self.question, self.words.offences)

    def for_force(self, force: str) -> Analysis:
        """The same analysis for one force's page: its figures and tables go in a folder of their own
        (forces/<force>/), so that no two pages' files share a name. ``force`` may be written as the
        Home Office does, as the pages show it or as an alias, in any case ('city of london');
        the result's ``force`` is the Home Office spelling, the one the tables' ``force`` column holds."""
        canonical = resolve_force(force, "parameter force", known=self.forces)
        # the page is one folder down from the year's reports, so is the way to its caveats page
        return replace(
            self, force=canonical, subfolder=force_folder(canonical), caveats_page=f"../{type(self).caveats_page}"
        )

    def memo_inputs(self) -> tuple[list[str], list[Path]]:
        """What a ``memoised`` result depends on besides its call: the year, basis and trend window,
        and every source file of the window."""
        return [self.financial_year, self.count_basis, self.first_year, repr(self.question)], self.files_read()

    def files_read(self) -> list[Path]:
        """The source files of the trend window (each year's outcomes, then recorded crime if any)."""
        files = [path for year, path in sorted(self.sources.outcomes.items()) if year in self.years]
        if self.sources.recorded_crime is not None:
            files.append(self.sources.recorded_crime)
        return files

    @cached_property
    def collapsed(self) -> pl.DataFrame:
        """Force-quarters whose outcomes collapsed (``quality.collapsed_quarters``): every count that
        needs one is treated as missing."""
        return self._collapsed()

    @memoised
    def _collapsed(self) -> pl.DataFrame:
        return quality.collapsed_quarters(self.rows, self.count_basis, self.recorded_crime)

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
    def _rows(self, offences: Offences = QUESTION, year: str | None = None) -> pl.DataFrame:
        rows = self.rows if year is None else self.rows.filter(pl.col("financial_year") == year)
        if isinstance(offences, str):
            if offences not in (QUESTION, "sexual", "all"):
                raise CrimeOutcomesError(
                    f"offences must be 'question', 'sexual', 'all' or a list of offence codes, not {offences!r}"
                )
            if offences == QUESTION:
                return self.question.select(rows)
            return measures.sexual_offences(rows) if offences == "sexual" else rows
        return rows.filter(pl.col("offence_code").is_in(list(offences)))

    @property
    def _types(self) -> tuple[str, ...]:
        return self.question.outcome_types

    @memoised
    def totals(
        self,
        offences: Offences = QUESTION,
        by: Sequence[str] = ("financial_year",),
        *,
        year: str | None = None,
        basis: str | None = None,
    ) -> pd.DataFrame:
        """National community resolutions, assigned outcomes and charges plus out-of-court outcomes
        by ``by``, with the force-quarters missing or collapsed (``measures.national_totals``)."""
        return to_pandas(
            measures.national_totals(
                self._rows(offences, year), basis or self.count_basis, by, self.collapsed, self._types
            )
        )

    @memoised
    def force_totals(
        self, offences: Offences = QUESTION, by: Sequence[str] = ("financial_year",), *, year: str | None = None
    ) -> pd.DataFrame:
        """The same by force: <NA>, never 0, where any quarter is missing or collapsed."""
        return to_pandas(
            measures.force_totals(self._rows(offences, year), self.count_basis, by, self.collapsed, self._types)
        )

    @memoised
    def outcome_totals(
        self,
        offences: Offences = QUESTION,
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
        return to_pandas(
            by_outcome_type.outcome_type_totals(
                self._rows(offences, year), basis or self.count_basis, outcome_types, by, collapsed=self.collapsed
            )
        )

    @memoised
    def code_totals(
        self, offences: Offences = QUESTION, by: Sequence[str] = ("financial_year",), *, year: str | None = None
    ) -> pd.DataFrame:
        """Community resolutions and assigned outcomes by offence code, with its description."""
        return to_pandas(measures.offence_code_totals(self._rows(offences, year), self.count_basis, by, self._types))

    def both_bases(self, offences: Offences = QUESTION, by: Sequence[str] = ("financial_year",)) -> pd.DataFrame:
        """Community resolutions nationally, one column per counting basis (closed, recorded)."""
        return to_pandas(measures.on_both_bases(self._rows(offences), by=by, outcome_types=self._types))

    def forces_using_cr(self, offence_codes: Sequence[str]) -> pd.DataFrame:
        """Per year and force, the community resolutions for ``offence_codes`` where there was one."""
        return to_pandas(
            measures.forces_with_community_resolutions(self.rows, self.count_basis, offence_codes, self._types)
        )

    @memoised
    def missing(self, offences: Offences = QUESTION, *, year: str | None = None) -> pd.DataFrame:
        """Per force and year, the quarters missing or collapsed and why (``measures.gaps``)."""
        return to_pandas(measures.gaps(self._rows(offences, year), self.count_basis, collapsed=self.collapsed))

    def changes(self, offences: Offences = QUESTION) -> pd.DataFrame:
        """National change with 95% intervals, year on year and first to last (``yearly_change.national_changes``)."""
        return yearly_change.national_changes(self.totals(offences))

    def trend(self, offences: Offences = QUESTION) -> dict:
        """The log-linear trend over the complete years (``yearly_change.count_trend``)."""
        return yearly_change.count_trend(self.totals(offences))

    @memoised
    def force_changes(self, offences: Offences = QUESTION) -> pd.DataFrame:
        """Each force's change with 95% intervals; a year missing or collapsed is not compared."""
        return yearly_change.force_changes(self.force_totals(offences))

    @memoised
    def gaps(self) -> pd.DataFrame:
        """Every force-quarter left out of the rates in the years read, and why."""
        return to_pandas(quality.unusable_quarters(self.rows, self.count_basis, self.recorded_crime))

    @memoised
    def compare_forces(self, pool_years: int = 1):
        """The fair comparison of forces over ``pool_years`` years ending with the chosen one
        (``comparison.compare_forces``), its tables in pandas."""
        return comparison.compare_forces(
            self.rows,
            self.count_basis,
            comparison.pooled_years(self.years, self.financial_year, pool_years),
            self.recorded_crime,
            self.question,
        )

    @memoised
    def reconciliation(self) -> press_figures.Reconciliation:
        """Every published figure in circulation against the years read (for another question, the
        figures that concern it: ``press_figures.reconciliation``). Kept like the measures: report 04
        and summary.json both show it, and a build computes it once."""
        return press_figures.reconciliation(self)

    @memoised
    def rates_by_year(self) -> pd.DataFrame:
        """Each force's counts and three rates for sexual offences, each year on its own, on the quarters
        that can be used (``comparison.rates_by_year``: a year's rows are the force comparison's for it)."""
        return comparison.rates_by_year(self.rows, self.count_basis, self.years, self.recorded_crime, self.question)

    def codes_without_recorded_crime(self) -> list[str]:
        """The question's offence codes that the recorded-crime file lacks in the years read (their
        outcomes are counted, but no offence of theirs is in the rate's denominator); [] without the file."""
        if self.recorded_crime is None:
            return []
        return codes_without_recorded_crime(self.question, self.rows, self.recorded_crime)

    @cached_property
    def recorded_crime(self) -> pl.DataFrame | None:
        """Police recorded crime for the years read (the rates' denominator), if the folder has the file."""
        if self.sources.recorded_crime is None:
            return None
        return load_recorded_crime(self.sources.recorded_crime).filter(pl.col("financial_year").is_in(self.years))
