"""Run the notebooks with papermill, export them to HTML, write summary.json, the year's data package
(``data_package``) and the index page.

Everything is built in a staging folder beside the published one and moved into place only when
every notebook has run: a failing notebook leaves the previous good reports as they were, and
its executed copy (with the traceback) is kept in ``<reports>.failed/`` for debugging.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crimeoutcomes import config
from crimeoutcomes.build import incremental
from crimeoutcomes.build import record as build_record
from crimeoutcomes.build.execute import (  # noqa: F401 - KERNEL_NAME, check_parameters: the runner's API
    KERNEL_NAME,
    NotebookFailed,
    check_parameters,
    declared_parameters,
    ensure_kernel,
)
from crimeoutcomes.build.export import export_html, html_name, make_reproducible, title_of  # noqa: F401
from crimeoutcomes.build.jobs import Job, batches, jobs_of, links_to_force_pages, per_force, run_batch
from crimeoutcomes.build.publish import publish, recover
from crimeoutcomes.data.digests import package_fingerprint
from crimeoutcomes.data.source_files import SourceSet, chosen_year
from crimeoutcomes.data.years import FRAMEWORK_FIRST_YEAR, LATEST, normalise_financial_year
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.locks import check_writable, exclusive, is_not_writable, not_writable
from crimeoutcomes.notebook import force_pages
from crimeoutcomes.prose.question_words import output_slug
from crimeoutcomes.sources import obtain
from crimeoutcomes.stats.question import DEFAULT_QUESTION, Question

if TYPE_CHECKING:
    import polars as pl

    from crimeoutcomes.notebook.analysis import Analysis

# nbformat, papermill, the analysis (polars, pandas, scipy) and the summary take about two seconds to
# import: they are imported where a notebook is run or a summary written, so that a run with nothing
# to do stays quick.

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the whole package: every file of it can change a report
_NOTEBOOK_NAME = re.compile(r"^(\d\d)_([a-z0-9_]+)\.ipynb$")
STAGING_PREFIX = ".staging-"


class BuildMismatch(CrimeOutcomesError):
    """--only would mix two builds in one folder: names what differs and how to rebuild."""


@dataclass
class RunResult:
    reports_dir: Path
    figures_dir: Path
    summary: dict
    html: list[Path] = field(default_factory=list)
    rebuilt: bool = True  # False: nothing had changed, so nothing ran and nothing was published


def notebooks(folder: Path | None = None) -> list[Path]:
    """The report notebooks in reading order (NN_name.ipynb)."""
    folder = folder or config.notebooks_dir()
    found = sorted(p for p in folder.glob("*.ipynb") if _NOTEBOOK_NAME.match(p.name))
    if not found:
        raise CrimeOutcomesError(f"no notebooks named NN_name.ipynb in {folder}")
    return found


def select_notebooks(names: Sequence[str] | None, folder: Path | None = None) -> list[Path]:
    """``names`` may be '02', '02_force_comparison', 'force_comparison' or the file name; None: all."""
    available = notebooks(folder)
    if not names:
        return available
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [p for p in available if stem in (p.stem, p.stem[:2], p.stem[3:])]
        if len(matches) != 1:
            raise CrimeOutcomesError(
                f"--only {name!r} names no notebook; choose from {', '.join(p.stem for p in available)}"
            )
        chosen.append(matches[0])
    return sorted(set(chosen))


def _stage(final: Path, staging: Path, keep_existing: bool) -> Path:
    shutil.rmtree(staging, ignore_errors=True)
    if keep_existing and final.is_dir():
        for source in sorted(final.rglob("*")):
            # One file at a time, so that a full disk raises its own OSError (copytree would wrap it).
            copy = staging / source.relative_to(final)
            if source.is_dir():
                copy.mkdir(parents=True, exist_ok=True)
            else:
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
    staging.mkdir(parents=True, exist_ok=True)
    return staging


def _staging_root(reports_root: Path) -> Path:
    """A folder of this run's own: a run killed earlier may have left a worker still writing to its own."""
    return reports_root / f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"


#: The parameters that ask a notebook another question than the default (``stats.question``).
QUESTION_PARAMETERS = build_record.QUESTION_PARAMETERS


def _notebook_parameters(
    notebook: Path, common: dict, pool_years: int | None, question: Question = DEFAULT_QUESTION
) -> dict:
    """The run's parameters that ``notebook`` declares (pool_years only where it pools; the
    question only where it is not the default, so that the default build's record is as it was)."""
    parameters = dict(common)
    declared = declared_parameters(notebook)
    if pool_years is not None and "pool_years" in declared:
        parameters["pool_years"] = pool_years
    if not question.is_default and set(QUESTION_PARAMETERS) <= set(declared):
        parameters |= question_parameters(question)
    return parameters


def question_parameters(question: Question) -> dict:
    """The question as the notebooks' parameters (text, as their parameters cell types them)."""
    offences = question.offences if isinstance(question.offences, str) else ", ".join(question.offences)
    return {"offences": offences, "outcome_types": " ".join(question.outcome_types)}


def asks_the_question(notebook: Path) -> bool:
    """A notebook that takes the question's parameters: only these run for another question (the
    others are about community resolutions for sexual offences alone)."""
    return set(QUESTION_PARAMETERS) <= set(declared_parameters(notebook))


#: The reports that belong to some questions only: each says for which (``prose.sections``).
CHILD_VICTIM, RECONCILIATION = "03_child_victim_offences", "04_reconciliation"


def absent_reports(question: Question, every: list[Path], rows: pl.DataFrame | None) -> dict[Path, str]:
    """Each notebook of ``every`` that a build of ``question`` does not run, with why (the index's
    words): none for the default; the child-victim report where no offence asked about makes the
    victim a child; the reconciliation where no published figure concerns the question (``rows``, the
    year's tidy outcomes, tell which codes each group holds); any other that does not take the question."""
    if question.is_default:
        return {}
    from crimeoutcomes.prose import sections

    absent = {}
    for notebook in every:
        why = None
        if notebook.stem == CHILD_VICTIM:
            why = sections.child_victim_absence(question)
        elif notebook.stem == RECONCILIATION and rows is not None:
            why = sections.reconciliation_absence(question, rows)
        if why is None and not asks_the_question(notebook):
            why = "which does not take the question."
        if why is not None:
            absent[notebook] = why
    return absent


def notebooks_for(question: Question, every: list[Path], rows: pl.DataFrame | None = None) -> list[Path]:
    """The notebooks a build of ``question`` runs: all for the default, else those that ask it and
    whose subject it concerns (``absent_reports``)."""
    absent = absent_reports(question, every, rows)
    return [n for n in every if n not in absent]


#: Where the notebook runs and writes: not part of what it was built from (the data folder is
#: recorded once for the build, see ``build_record.new_record``).
_PLACE_PARAMETERS = ("data_folder", "output_root")


def _recorded_parameters(parameters: dict) -> dict:
    return {k: v for k, v in parameters.items() if k not in _PLACE_PARAMETERS}


def _pages_recorded(notebook: Path, forces: list[str] | None) -> dict:
    """For the force-page notebook, which forces got a page, and for a notebook that links to the
    force pages, which it linked to (as the record keeps it: other forces re-run both)."""
    linked = "all" if forces is None else forces  # [] for a build with no force page
    return {"force_pages": linked} if per_force(notebook) or links_to_force_pages(notebook) else {}


def _forces_linked(pages: list[str], every_force: list[str]) -> list[str] | None:
    """The forces whose page the build publishes, as ``_pages_recorded`` takes them (None: every force)."""
    linked = [force for force in every_force if force_pages.page_name(force) in set(pages)]
    return None if linked == every_force else linked


def rebuild_command(analysis: Analysis, pool_years: int | None) -> str:
    asked = question_parameters(analysis.question)
    return (
        f"python run_all.py --year {analysis.financial_year} --basis {analysis.count_basis} "
        f"--first-year {analysis.first_year}"
        + (f" --pool-years {pool_years}" if pool_years and pool_years > 1 else "")
        + (
            ""
            if analysis.question.is_default
            else f" --offences {asked['offences']!r} --outcome-types {asked['outcome_types']}"
        )
    )


def run(
    financial_year: str = LATEST,
    count_basis: str = "closed",
    first_year: str = FRAMEWORK_FIRST_YEAR,
    source: str = "auto",
    raw_dir: Path | None = None,
    out: Path | None = None,
    only: Sequence[str] | None = None,
    notebooks_dir: Path | None = None,
    jobs: int = 1,
    pool_years: int | None = None,
    rebuild: bool = False,
    package_dir: Path | None = None,
    base_url: str | None = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr, flush=True),
    forces: Sequence[str] | None = None,
    offences: str | Sequence[str] | None = None,
    outcome_types: str | Sequence[str] | None = None,
) -> RunResult:
    """Build the reports of one year into ``out``, re-running only what changed.

    The year's build record (build.json) says what each output was made from; a notebook re-runs
    when its file, its parameters, the source files, the data folder or the package changed (or a
    file it made is missing or altered), and nothing runs when none did (``incremental``). ``rebuild``
    re-runs every notebook. ``forces``: the forces that get a page (None: every force of the data).
    ``package_dir`` is the package whose fingerprint the record keeps (this
    package; tests point it elsewhere). ``base_url`` stands in for GOV.UK when checking for new files.
    ``offences`` and ``outcome_types`` ask another question than the default (``stats.question``): its
    reports go to their own folder (reports/<question>/<year>), from the notebooks that take them.

    The data and parameters are checked before the output folder is touched. Then one run at a
    time per output folder builds everything in a staging folder and swaps it in at the end; a
    write failure (read-only folder, full disk) is reported as such, the previous reports left as
    they were. With ``only``, the chosen notebooks are re-run into the existing build only where
    everything else it was built from is the same (else ``BuildMismatch``, nothing touched)."""
    every = notebooks(notebooks_dir)
    chosen = select_notebooks(only, notebooks_dir) if only else every
    forces = force_pages.check_forces(forces)
    out = (Path(out) if out else config.project_root()).resolve()
    package_dir = Path(package_dir) if package_dir else PACKAGE_DIR
    try:
        sources = obtain(source, raw_dir, log=log, base_url=base_url)
        year = chosen_year(sources, financial_year)  # a year the folder does not hold stops here, before any lock
        question, rows = _question(sources, year, offences, outcome_types)
        every = notebooks_for(question, every, rows)
        if only and not set(chosen) <= set(every):
            raise CrimeOutcomesError(
                f"--only {' '.join(n.stem for n in chosen if n not in every)}: not built for another question than "
                f"the default (the notebooks that take --offences and --outcome-types are "
                f"{', '.join(n.stem for n in every)})"
            )
        if not only:
            arguments = (sources, every, financial_year, count_basis, first_year, pool_years, out, package_dir)
            the_plan, unchanged = _plan_run(out, *arguments, rebuild, forces, question)
            if unchanged is not None:
                assert the_plan is not None  # _plan returns a build only with the plan that found it unchanged
                log(the_plan.describe())
                return unchanged
            if the_plan is not None:
                log(the_plan.describe())
                chosen = [n for n in every if n.name in the_plan.rerun]
        analysis = _set_up(financial_year, count_basis, first_year, sources, pool_years, question)
        settings = (notebooks_dir, jobs, pool_years, log, package_dir, forces)
        return _build_in_staging(chosen, analysis, sources.folder, out, *settings)
    except OSError as exc:
        if is_not_writable(exc):
            raise not_writable(exc) from None
        raise


def _plan_run(out: Path, *arguments) -> tuple[incremental.Plan | None, RunResult | None]:
    """``_plan(*arguments)``, under the output folder's lock where there is a build already: a run
    under way is named, not reported as having nothing to do."""
    if (out / "reports").is_dir():
        with exclusive(out / "reports", f"the output folder {out}"):
            return _plan(*arguments)
    return _plan(*arguments)


def _question(
    sources: SourceSet, year: str, offences: str | Sequence[str] | None, outcome_types: str | Sequence[str] | None
) -> tuple[Question, pl.DataFrame | None]:
    """The question asked (the default where neither option is given), its names checked against the
    year's rows (read through the cache): an unknown one is named with the nearest, before any lock.
    With it the year's rows, for another question than the default (``absent_reports`` reads them)."""
    if offences is None and outcome_types is None:
        return DEFAULT_QUESTION, None
    from crimeoutcomes.data.load import load_outcomes
    from crimeoutcomes.stats.question import resolve_question

    rows = load_outcomes([sources.outcomes[year]])
    question = resolve_question(
        DEFAULT_QUESTION.offences if offences is None else offences,
        DEFAULT_QUESTION.outcome_types if outcome_types is None else outcome_types,
        rows,
        where=("--offences", "--outcome-types"),
    )
    return question, rows


def _set_up(
    financial_year: str,
    count_basis: str,
    first_year: str,
    sources: SourceSet,
    pool_years: int | None,
    question: Question = DEFAULT_QUESTION,
) -> Analysis:
    """The analysis every notebook will make (which fills the cache), its pooling checked before anything runs."""
    from crimeoutcomes.notebook.start import setup

    asked = {} if question.is_default else question_parameters(question)
    analysis = setup(financial_year, count_basis, first_year, data_folder=str(sources.folder), **asked)
    if pool_years is not None:
        from crimeoutcomes.stats.comparison import pooled_years

        pooled_years(analysis.years, analysis.financial_year, pool_years)
    return analysis


def _build_in_staging(
    chosen: list[Path],
    analysis: Analysis,
    data_folder: Path,
    out: Path,
    notebooks_dir: Path | None,
    jobs: int,
    pool_years: int | None,
    log: Callable[[str], None],
    package_dir: Path,
    forces: list[str] | None,
) -> RunResult:
    """``_build`` in a staging folder of its own, one run at a time per output folder."""
    reports_root = out / "reports"
    with exclusive(reports_root, f"the output folder {out}"):
        check_writable(out / "figures", f"the figures folder {out / 'figures'}")
        for stale in reports_root.glob(f"{STAGING_PREFIX}*"):  # left by a run that was killed
            shutil.rmtree(stale, ignore_errors=True)
        staging_root = _staging_root(reports_root)
        try:
            return _build(
                chosen,
                analysis,
                data_folder,
                out,
                staging_root,
                notebooks_dir,
                jobs,
                pool_years,
                log,
                package_dir,
                forces,
            )
        finally:
            shutil.rmtree(staging_root, ignore_errors=True)


def _window(sources: SourceSet, financial_year: str, first_year: str) -> tuple[str, list[str]] | None:
    """The year reported and the years read, as ``analysis.setup`` will find them (None where it
    will refuse them: it then names the problem)."""
    try:
        first = normalise_financial_year(first_year)
        year = sources.years[-1] if financial_year == LATEST else normalise_financial_year(financial_year)
    except (ValueError, IndexError):
        return None
    window = [y for y in sources.years if first <= y <= year]
    return (year, window) if year in sources.years and first <= year else None


def _plan(
    sources: SourceSet,
    every: list[Path],
    financial_year: str,
    count_basis: str,
    first_year: str,
    pool_years: int | None,
    out: Path,
    package_dir: Path,
    rebuild: bool,
    forces: list[str] | None = None,
    question: Question = DEFAULT_QUESTION,
) -> tuple[incremental.Plan | None, RunResult | None]:
    """What must re-run, from the build record alone (no data is loaded); and the published build
    itself where nothing must. (None, None) where the parameters need the full checks of a build."""
    window = _window(sources, financial_year, first_year)
    if window is None:
        return None, None
    year, years = window
    slug = output_slug(question, year)
    reports = config.reports_dir(sources.synthetic, slug, out)
    figures = config.figures_dir(sources.synthetic, slug, out)
    wanted = _wanted_record(sources, year, years, count_basis, first_year, pool_years, package_dir, out, question)
    common = {"financial_year": year, "count_basis": count_basis, "first_year": normalise_financial_year(first_year)}
    parameters = {
        n.name: _recorded_parameters(_notebook_parameters(n, common, pool_years, question)) | _pages_recorded(n, forces)
        for n in every
    }
    try:
        existing = build_record.read_record(reports)
    except CrimeOutcomesError:
        existing = None  # an unreadable record: build afresh
    the_plan = incremental.plan(existing, wanted, every, parameters, reports, figures, rebuild=rebuild)
    if not the_plan.nothing_to_do:
        return the_plan, None
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    return the_plan, RunResult(
        reports_dir=reports,
        figures_dir=figures,
        summary=summary,
        html=[reports / html_name(n) for n in every if not per_force(n)],
        rebuilt=False,
    )


def _wanted_record(
    sources: SourceSet,
    year: str,
    years: list[str],
    count_basis: str,
    first_year: str,
    pool_years: int | None,
    package_dir: Path,
    out: Path,
    question: Question = DEFAULT_QUESTION,
) -> dict:
    """The record a build of ``year`` from ``sources`` would have, before any notebook has run (the
    question among its parameters only where it is not the default: the default's record is as it was)."""
    used = [p for y, p in sources.outcomes.items() if y in years]
    if sources.recorded_crime is not None:
        used.append(sources.recorded_crime)
    # The reconciliation compares the year's file with earlier releases kept beside it.
    earlier = [p for p in sources.releases.get(year, []) if p not in used]
    parameters = {
        "financial_year": year,
        "count_basis": count_basis,
        "first_year": normalise_financial_year(first_year),
        "pool_years": pool_years or 1,
    } | ({} if question.is_default else question_parameters(question))
    return build_record.new_record(
        parameters=parameters,
        sources=build_record.source_records(used),
        earlier_releases=build_record.source_records(earlier),
        data_folder=str(sources.folder.resolve()),
        output_folder=str(out),
        package=package_fingerprint(package_dir),
        synthetic=sources.synthetic,
    )


def _gather_figures(notebook_root: Path, stage_figures: Path, subdir: Path) -> dict[str, str]:
    """Move the figures and tables one notebook wrote into the build's figures folder; returns
    'figures/<name>' -> sha256 for each."""
    written = notebook_root / "figures" / subdir
    moved = {}
    for path in sorted(p for p in written.rglob("*") if p.is_file()) if written.is_dir() else []:
        name = path.relative_to(written).as_posix()
        target = stage_figures / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved[f"figures/{name}"] = build_record.file_sha256(target)
    return moved


def _published_pages(stage_reports: Path, runs: list[Job], always: Sequence[str]) -> list[str]:
    """The pages the build will publish: those this run makes, those kept from the previous build
    (with --only; what the re-run notebooks made before is already dropped) and ``always`` (the
    pages run_all writes itself)."""
    kept = [p.relative_to(stage_reports).as_posix() for p in stage_reports.rglob("*.html")]
    return sorted(set(kept) | {job.html for job in runs} | set(always))


def _build(
    chosen: list[Path],
    analysis: Analysis,
    data_folder: Path,
    out: Path,
    staging_root: Path,
    notebooks_dir: Path | None,
    jobs: int,
    pool_years: int | None,
    log: Callable[[str], None],
    package_dir: Path = PACKAGE_DIR,
    forces: list[str] | None = None,
) -> RunResult:
    from crimeoutcomes.pages.index_page import CAVEATS_PAGE

    reports = config.reports_dir(analysis.synthetic, analysis.slug, out)
    figures = config.figures_dir(analysis.synthetic, analysis.slug, out)
    for final in (reports, figures):
        recover(final)
    every = notebooks_for(analysis.question, notebooks(notebooks_dir), _year_rows(analysis))
    keep = len(chosen) < len(every)
    record = _build_plan(chosen, every, analysis, reports, out, pool_years, package_dir, keep)
    stage_reports, stage_figures = _stage_build(record, chosen, every, analysis, (reports, figures), staging_root, keep)
    log(
        f"{'SYNTHETIC sample' if analysis.synthetic else 'Home Office data'} in {data_folder}: "
        f"{analysis.financial_year}, {analysis.count_basis} basis, trend from {analysis.first_year}; "
        f"{len(chosen)} notebook(s)"
    )
    ensure_kernel()  # once, here: parallel workers would otherwise race to install it
    runs = [job for notebook in chosen for job in jobs_of(notebook, forces or analysis.forces)]
    published = _published_pages(stage_reports, runs, ["index.html", CAVEATS_PAGE])
    linked = _forces_linked(published, analysis.forces)
    roots, parameters = _prepare_runs(runs, analysis, data_folder, staging_root, published, pool_years)
    seconds, failures = _run_notebooks(
        runs, chosen, parameters, stage_reports, staging_root, out, analysis.synthetic, jobs, log
    )
    if failures:
        _keep_failed(failures, reports, stage_reports)
    _log_force_pages(runs, seconds, log)
    subdir = config.output_subdir(analysis.synthetic, analysis.slug)
    for job in runs:
        _record_run(record, job, roots[job], parameters[job], (stage_reports, stage_figures), subdir, forces, linked)
    summary = _write_run_all_outputs(record, analysis, every, stage_reports, keep, pool_years)
    publish(stage_reports, reports)
    publish(stage_figures, figures)
    shutil.rmtree(reports.with_name(f"{reports.name}.failed"), ignore_errors=True)
    log(f"Reports: {reports / 'index.html'}\nFigures: {figures}")
    return RunResult(
        reports_dir=reports,
        figures_dir=figures,
        summary=summary,
        html=[reports / job.html for job in runs],
    )


def _build_plan(
    chosen: list[Path],
    every: list[Path],
    analysis: Analysis,
    reports: Path,
    out: Path,
    pool_years: int | None,
    package_dir: Path,
    keep: bool,
) -> dict:
    """The record the build starts from: the new one, holding the notebooks' entries of the
    published build where only some notebooks re-run (``BuildMismatch`` where that would mix two
    builds)."""
    record = _wanted_record(
        analysis.sources,
        analysis.financial_year,
        analysis.years,
        analysis.count_basis,
        analysis.first_year,
        pool_years,
        package_dir,
        out,
        analysis.question,
    )
    if keep and reports.is_dir():
        existing = build_record.read_record(reports)
        mixed = build_record.differences(existing, record, [n.name for n in chosen], every)
        if mixed:
            raise BuildMismatch(
                f"--only {' '.join(n.stem for n in chosen)} would mix two builds in {reports}: "
                + "; ".join(mixed)
                + ". Nothing was changed. Rebuild every report of the year instead: "
                + rebuild_command(analysis, pool_years)
            )
        assert existing is not None  # differences() calls a missing record a mix, raised above
        record["notebooks"], record["outputs"] = existing["notebooks"], existing["outputs"]
    return record


def _stage_build(
    record: dict,
    chosen: list[Path],
    every: list[Path],
    analysis: Analysis,
    finals: tuple[Path, Path],
    staging_root: Path,
    keep: bool,
) -> tuple[Path, Path]:
    """The staged reports and figures folders: copies of the published ones where the build keeps
    them, without what the notebooks about to re-run (or gone from the folder) made before."""
    reports, figures = finals
    # A notebook taken out of the folder takes its reports and figures with it.
    gone = sorted(set(record["notebooks"]) - {n.name for n in every})
    stage_reports = _stage(reports, config.reports_dir(analysis.synthetic, analysis.slug, staging_root), keep)
    stage_figures = _stage(figures, config.figures_dir(analysis.synthetic, analysis.slug, staging_root), keep)
    for name_of_notebook in [n.name for n in chosen] + gone:
        for name in build_record.drop_notebook(record, name_of_notebook):
            (stage_figures / name[len("figures/") :] if name.startswith("figures/") else stage_reports / name).unlink(
                missing_ok=True
            )
    return stage_reports, stage_figures


def _prepare_runs(
    runs: list[Job],
    analysis: Analysis,
    data_folder: Path,
    staging_root: Path,
    published: list[str],
    pool_years: int | None,
) -> tuple[dict[Job, Path], dict[Job, dict]]:
    """Each run's output folder and parameters."""
    from crimeoutcomes.notebook.start import BUILD_MARKER

    common = {
        "financial_year": analysis.financial_year,
        "count_basis": analysis.count_basis,
        "first_year": analysis.first_year,
        "data_folder": str(data_folder.resolve()),
    }
    roots, parameters = {}, {}
    for job in runs:
        # Each run writes into a marked folder of its own, so that what it made is known.
        roots[job] = staging_root / "notebooks" / job.folder
        roots[job].mkdir(parents=True)
        (roots[job] / BUILD_MARKER).write_text("written by run_all.py\n", encoding="utf-8")
        force_pages.write_build_pages(roots[job], published)
        parameters[job] = _notebook_parameters(
            job.notebook,
            {**common, "output_root": str(roots[job])}
            | ({} if job.force is None else {force_pages.FORCE_PARAMETER: job.force}),
            pool_years,
            analysis.question,
        )
    return roots, parameters


def _run_notebooks(
    runs: list[Job],
    chosen: list[Path],
    parameters: dict[Job, dict],
    stage_reports: Path,
    staging_root: Path,
    out: Path,
    synthetic: bool,
    jobs: int,
    log: Callable[[str], None],
) -> tuple[dict[Job, float], list[NotebookFailed]]:
    """Run every job, ``jobs`` processes side by side: the seconds each took, and the notebooks
    that failed (a failure cancels what has not started)."""
    cwd = config.checkout_dir() or Path.cwd()
    progress = sys.stderr.isatty() and jobs == 1  # per-cell bars only where they cannot interleave
    seconds: dict[Job, float] = {}
    failures = []
    # The notebooks are independent (each reads the cached data itself), so they can run side by side,
    # each from its own process (papermill's kernel clients are not safe to share between threads).
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        running, label = {}, {}
        for batch in batches(runs, jobs):
            label.update(_announce(batch, chosen, log))
            arguments = (stage_reports, {job: parameters[job] for job in batch}, cwd, staging_root, out)
            running[pool.submit(run_batch, batch, *arguments, synthetic, progress)] = batch
        for future in as_completed(running):
            try:
                result = future.result()
            except NotebookFailed as exc:
                failures.append(exc)
                for pending in running:
                    pending.cancel()
                continue
            except BaseException:  # another error (a folder not writable): stop what has not started
                for pending in running:
                    pending.cancel()
                raise
            seconds.update(result)
            _log_done(result, label, log)
    return seconds, failures


def _announce(batch: list[Job], chosen: list[Path], log: Callable[[str], None]) -> dict[Job, str]:
    """Log a batch as running: one line per report and one per batch of force pages (as one
    notebook), so that 44 pages do not flood the log. Returns the label of each line by its job."""
    label = {}
    pages = [job for job in batch if job.force is not None]
    for job in batch:
        if job.force is None:
            label[job] = f"[{chosen.index(job.notebook) + 1}/{len(chosen)}] {job.label}"
            log(f"{label[job]}: running")
    if pages:
        label[pages[0]] = (
            f"[{chosen.index(pages[0].notebook) + 1}/{len(chosen)}] {pages[0].notebook.stem}: "
            f"{len(pages)} force page{'s' if len(pages) > 1 else ''}, {pages[0].force} to {pages[-1].force}"
        )
        log(f"{label[pages[0]]}: running")
    return label


def _log_done(result: list[tuple[Job, float]], label: dict[Job, str], log: Callable[[str], None]) -> None:
    """Log a finished batch, under the labels ``_announce`` gave it."""
    for job, took in result:
        if job.force is None:
            log(f"{label[job]}: done in {took:.1f} s")
    pages = [(job, took) for job, took in result if job.force is not None]
    if pages:
        took = sum(s for _, s in pages)
        log(f"{label[pages[0][0]]}: done in {took:.1f} s ({took / len(pages):.1f} s a page)")


def _keep_failed(failures: list[NotebookFailed], reports: Path, stage_reports: Path) -> None:
    """Keep the staged reports (the executed notebooks, with their tracebacks) beside the published
    ones, and raise the failures: nothing is published."""
    kept = reports.with_name(f"{reports.name}.failed")
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(stage_reports), str(kept))
    raise NotebookFailed(
        "\n".join(str(f) for f in failures)
        + f"\nThe executed notebook is kept in {kept}; the reports in {reports} were left as "
        "they were."
    )


def _log_force_pages(runs: list[Job], seconds: dict[Job, float], log: Callable[[str], None]) -> None:
    pages = [job for job in runs if job.force is not None]
    if pages:
        log(f"Force pages: {len(pages)}, {sum(seconds[j] for j in pages) / len(pages):.1f} s each on average")


def _record_run(
    record: dict,
    job: Job,
    root: Path,
    parameters: dict,
    staged: tuple[Path, Path],
    subdir: Path,
    forces: list[str] | None,
    linked: list[str] | None,
) -> None:
    """Move what one run wrote into the staged build and add it to the record."""
    stage_reports, stage_figures = staged
    made = _gather_figures(root, stage_figures, subdir)
    made.update(build_record.output_records(stage_reports, [job.executed, job.html]))
    # The record keeps the notebook's parameters as for one run: the force is in each output's name.
    build_record.add_notebook(
        record,
        job.notebook,
        {k: v for k, v in parameters.items() if k not in ("data_folder", "output_root", force_pages.FORCE_PARAMETER)}
        | _pages_recorded(job.notebook, forces if per_force(job.notebook) else linked),
        made,
    )


def _year_rows(analysis: Analysis) -> pl.DataFrame | None:
    """The chosen year's tidy outcomes, as ``_question`` read them (None for the default question)."""
    if analysis.question.is_default:
        return None
    import polars as pl

    return analysis.rows.filter(pl.col("financial_year") == analysis.financial_year)


def _report_title(notebook: Path, analysis: Analysis) -> str:
    """The report's name in the index: its first heading, or for another question than the default
    the heading's first part and the question ('National totals: charges for rape offences')."""
    from crimeoutcomes.prose.question_words import retitled

    return title_of(notebook) if analysis.question.is_default else retitled(title_of(notebook), analysis.words)


def _write_run_all_outputs(
    record: dict, analysis: Analysis, every: list[Path], stage_reports: Path, keep: bool, pool_years: int | None
) -> dict:
    """Write what run_all makes itself (summary.json, the data package, the index and caveats
    pages) and the build record into the staged reports; returns the summary."""
    from crimeoutcomes.atomic import write_json
    from crimeoutcomes.build import data_package
    from crimeoutcomes.pages.index_page import CAVEATS_PAGE, write_caveats_page, write_index
    from crimeoutcomes.pages.summary import build_summary

    summary = build_summary(analysis, pool_years=pool_years or 1)
    write_json(summary, stage_reports / "summary.json")
    reports_listed = [
        (_report_title(nb, analysis), html_name(nb))
        for nb in every
        if not per_force(nb) and (stage_reports / html_name(nb)).is_file()
    ]
    force_links = [
        (force, href) for force, href in force_pages.links(analysis.forces) if (stage_reports / href).is_file()
    ]
    # A partial re-run has the build's sources and package (checked above): its data files stand.
    package = (keep and data_package.unchanged(record, stage_reports)) or data_package.stage(analysis, stage_reports)
    downloads = data_package.downloads(stage_reports)
    absent = [
        (title_of(nb).split(":", 1)[0], why)
        for nb, why in absent_reports(analysis.question, notebooks(every[0].parent), _year_rows(analysis)).items()
        if not per_force(nb)
    ]
    write_index(summary, reports_listed, stage_reports / "index.html", force_links, downloads, absent)
    write_caveats_page(summary, stage_reports / CAVEATS_PAGE)
    build_record.add_run_all_outputs(record, stage_reports, ["summary.json", "index.html", CAVEATS_PAGE, *package])
    build_record.write_record(record, stage_reports)
    return summary
