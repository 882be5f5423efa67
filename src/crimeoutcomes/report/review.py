"""The contact sheet of a build: one page with every figure (PNG) of a year's reports side by side,
each with its name, the notebook that drew it and its CSV, so a reviewer sees them all at once.

Written to scratch/<slug>/review.html, outside the published reports/ and figures/ (only run_all.py
writes there), its images linked from the figures folder. Which notebook drew a figure is read from the build
record (build.json); the page carries no date, so the same build gives the same bytes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.report import build_record
from crimeoutcomes.report.pages import BANNER, render

REVIEW_PAGE = "review.html"


def _beside(build: Path, folder: str) -> Path:
    """reports/<slug> (or reports/sample/<slug>) -> <folder>/<slug> (<folder>/sample/<slug>)."""
    parts = build.resolve().parts
    if "reports" not in parts:
        raise CrimeOutcomesError(f"{build} is not a build folder under reports/ (e.g. reports/2024-25)")
    at = len(parts) - 1 - parts[::-1].index("reports")
    return Path(*parts[:at], folder, *parts[at + 1 :])


def figures_folder(build: Path) -> Path:
    return _beside(build, "figures")


def _summary(build: Path) -> dict:
    path = build / "summary.json"
    if not path.is_file():
        raise CrimeOutcomesError(f"{build} has no summary.json: build it with run_all.py ('make reports') first")
    return json.loads(path.read_text(encoding="utf-8"))


def render_review(build: Path, target: Path) -> str:
    """The contact sheet of the build in ``build``, its links relative to ``target``."""
    summary, figures = _summary(build), figures_folder(build)
    outputs = (build_record.read_record(build) or {}).get("outputs", {})
    made_by = {Path(name).name: entry["built_by"] for name, entry in outputs.items()}
    pngs = sorted(figures.glob("*.png"))
    if not pngs:
        raise CrimeOutcomesError(f"{figures} holds no figure (PNG): build the reports first")
    here = target.parent

    def link(path: Path) -> str:
        return Path(os.path.relpath(path, here)).as_posix()

    cards = []
    for png in pngs:
        notebook = made_by.get(png.name, "")
        report = build / (Path(notebook).stem.replace("_", "-") + ".html") if notebook else None
        csv = png.with_suffix(".csv")
        cards.append(
            {
                "name": png.stem,
                "png": link(png),
                "csv": link(csv) if csv.is_file() else "",
                "notebook": notebook or "not in the build record",
                "report": link(report) if report and report.is_file() else "",
            }
        )
    cards.sort(key=lambda card: (card["notebook"], card["name"]))
    synthetic = summary["synthetic"]
    return render(
        "review.html.j2",
        title=f"Every figure, {summary['financial_year']}, {summary['count_basis']} basis"
        + (" (SYNTHETIC DATA)" if synthetic else ""),
        synthetic=synthetic,
        **BANNER,
        cards=cards,
        index=link(build / "index.html"),
    )


def write_review(build: Path, target: Path | None = None) -> Path:
    """Write the contact sheet of ``build`` (default scratch/<slug>/review.html) and return its path."""
    build = Path(build)
    target = Path(target) if target else _beside(build, config.SCRATCH) / REVIEW_PAGE
    return write_text_atomically(target, render_review(build, target))


def every_build(out: Path | None = None) -> list[Path]:
    """Every built year under ``out`` (default the project): reports/<slug> and reports/sample/<slug>."""
    reports = (Path(out) if out else config.project_root()) / "reports"
    found = sorted(p.parent for p in reports.glob("*/summary.json")) + sorted(
        p.parent for p in reports.glob("sample/*/summary.json")
    )
    return [p for p in found if not p.name.startswith(".") and not p.name.endswith(".failed")]
