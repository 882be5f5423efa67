"""From a notebook's parameters to an ``Analysis``: ``setup`` checks them (an error names the
parameter, and a parameter papermill injected that the notebook does not declare is an error too),
finds the source files and loads the outcomes of the trend window through the cache.

Only run_all.py publishes. It runs each notebook with ``output_root`` set to a staging folder it
has marked (``BUILD_MARKER``); a notebook run any other way (JupyterLab, papermill, nbconvert)
writes its figures and tables under ``scratch/`` and says so at the top of the page and on its console.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import polars as pl

from crimeoutcomes import config
from crimeoutcomes.data.codes import COMMUNITY_RESOLUTION, SEXUAL_OFFENCES_GROUP
from crimeoutcomes.data.load import load_outcomes
from crimeoutcomes.data.source_files import SourceSet, chosen_year, from_folder, year_parameter
from crimeoutcomes.data.years import FRAMEWORK_FIRST_YEAR, LATEST
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.notebook.analysis import Analysis
from crimeoutcomes.notebook.parameters import check_injected_parameters
from crimeoutcomes.sources import obtain
from crimeoutcomes.stats.measures import check_basis
from crimeoutcomes.stats.question import resolve_question

#: run_all.py writes this file into the output folder of each notebook it runs: its presence is what
#: lets a notebook write where run_all will publish from.
BUILD_MARKER = ".run_all-build"

#: The word ``data_folder`` takes for the synthetic sample (a folder of that name is written ./sample).
SAMPLE_WORD = "sample"


def setup(
    financial_year: str = LATEST,
    count_basis: str = "closed",
    first_year: str = FRAMEWORK_FIRST_YEAR,
    data_folder: str = "",
    output_root: str = "",
    offences: str | list[str] = SEXUAL_OFFENCES_GROUP,
    outcome_types: str | int | list[str] = COMMUNITY_RESOLUTION,
) -> Analysis:
    """Check the parameters, find the data and load it. ``offences`` (an Offence Group, an Offence
    Subgroup as published, or offence codes: a list or a text with commas) and ``outcome_types``
    ('8', '2 3', or a list) are the question every measure counts (``stats.question``), checked
    against the rows read. ``data_folder``: '' = the Home Office files
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
    question = resolve_question(offences, outcome_types, outcomes)
    root = Path(output_root) if output_root else config.project_root()
    analysis = Analysis(
        financial_year=year,
        count_basis=count_basis,
        first_year=first,
        sources=sources,
        rows=outcomes,
        output_root=root,
        published=(root / BUILD_MARKER).is_file(),
        question=question,
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
    stream = sys.stderr
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        print(message, file=stream)
        return
    stream.flush()
    # on a line of its own: papermill's progress bar is on the same terminal, without a newline
    os.write(descriptor, f"\n{message}\n".encode())
