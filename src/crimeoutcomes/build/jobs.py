"""The runs of a build: one a report, and one a force for the force-page notebook; how they are
batched (one kernel a batch), and one run executed and exported."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crimeoutcomes.build.execute import declared_parameters, execute, fresh_namespace, shared_kernel
from crimeoutcomes.build.export import export_html, html_name, make_reproducible, title_of
from crimeoutcomes.notebook import force_pages


@dataclass(frozen=True)
class Job:
    """One run of a notebook: a report, or one force's page of the force-page notebook."""

    notebook: Path
    force: str | None = None

    @property
    def executed(self) -> str:
        """The executed notebook's name in the reports folder."""
        return self.notebook.name if self.force is None else force_pages.executed_name(self.force)

    @property
    def html(self) -> str:
        return html_name(self.notebook) if self.force is None else force_pages.page_name(self.force)

    @property
    def label(self) -> str:
        return self.notebook.stem if self.force is None else f"{self.notebook.stem} ({self.force})"

    @property
    def folder(self) -> str:
        """Its own output folder in the staging folder, so that what it made is known."""
        return (
            self.notebook.stem if self.force is None else f"{self.notebook.stem}/{force_pages.force_slug(self.force)}"
        )


def per_force(notebook: Path) -> bool:
    """A notebook that takes a ``force`` parameter makes one page per force."""
    return force_pages.FORCE_PARAMETER in declared_parameters(notebook)


def links_to_force_pages(notebook: Path) -> bool:
    """A notebook whose code asks which force pages the build publishes (``forces_with_pages``):
    its page changes with them, so it re-runs when they do."""
    import json

    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    return any(
        cell.get("cell_type") == "code" and f"{force_pages.forces_with_pages.__name__}(" in "".join(cell["source"])
        for cell in cells
    )


def jobs_of(notebook: Path, forces: Sequence[str]) -> list[Job]:
    return [Job(notebook, force) for force in forces] if per_force(notebook) else [Job(notebook)]


def run_and_export(
    job: Job,
    folder: Path,
    parameters: dict,
    cwd: Path,
    progress: bool,
    staging_root: Path,
    final_root: Path,
    synthetic: bool,
    kernel=None,
) -> float:
    """Execute one notebook into ``folder`` and export its HTML there; returns the seconds taken."""
    started = time.monotonic()
    executed = folder / job.executed
    executed.parent.mkdir(parents=True, exist_ok=True)
    execute(job.notebook, executed, parameters, cwd=cwd, progress=progress, kernel=kernel)
    make_reproducible(executed, [Path(parameters["output_root"]), staging_root], final_root)
    title = title_of(job.notebook) if job.force is None else force_pages.page_title(job.force)
    asked = "offences" in parameters  # another question than the default (run_all passes it only then)
    if asked:
        from crimeoutcomes.prose.question_words import retitled, words_from_parameters

        title = retitled(title, words_from_parameters(parameters["offences"], parameters["outcome_types"]))
    export_html(executed, folder / job.html, title, synthetic, heading=title if job.force or asked else None)
    return time.monotonic() - started


def run_batch(
    batch: list[Job],
    folder: Path,
    parameters: dict,
    cwd: Path,
    staging_root: Path,
    final_root: Path,
    synthetic: bool,
    progress: bool = False,
) -> list[tuple[Job, float]]:
    """Run reports and force pages one after another in one kernel, reset between runs: a kernel
    starts and imports the analysis once for the batch, not once per run (as long as a force page).
    Returns each run's seconds."""
    manager = shared_kernel(cwd)
    try:
        done = []
        for job in batch:
            fresh_namespace(manager)
            done.append(
                (
                    job,
                    run_and_export(
                        job,
                        folder,
                        parameters[job],
                        cwd,
                        progress and job.force is None,  # a bar per cell of a report, none per force page
                        staging_root,
                        final_root,
                        synthetic,
                        manager,
                    ),
                )
            )
        return done
    finally:
        manager.shutdown_kernel()


#: Force pages a worker takes before its runs are split into two batches (two kernels): with
#: fewer, a second kernel's start (its imports, about 2 s) costs more than the finer balance saves.
PAGES_FOR_TWO_BATCHES = 4


def batches(runs: list[Job], jobs: int) -> list[list[Job]]:
    """Every run in batches, each one kernel: one batch for one worker, else one per worker, or two
    per worker where there are enough force pages to deal (so that the workers finish together). The
    reports are dealt out first, one a batch in turn, then the force pages, in order, the same number
    to each batch."""
    reports = [job for job in runs if job.force is None]
    pages = [job for job in runs if job.force is not None]
    count = 1 if jobs <= 1 else jobs * (2 if len(pages) >= PAGES_FOR_TWO_BATCHES * jobs else 1)
    size = -(-len(pages) // count)
    made = [reports[i::count] + pages[i * size : (i + 1) * size] for i in range(count)]
    return [batch for batch in made if batch]
