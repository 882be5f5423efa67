"""The contact sheet of a build: one page with every figure (PNG) of a year's reports side by side,
each with its name, the notebook that drew it and its CSV, so a reviewer sees them all at once.

Its images are linked from the figures folder; the page carries no date, so the same build gives
the same bytes. Written by ``build.review`` (to scratch/<slug>/review.html, which reads which
notebook drew each figure from the build record)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.templates import BANNER, render


def beside(build: Path, folder: str) -> Path:
    """reports/<slug> (or reports/sample/<slug>) -> <folder>/<slug> (<folder>/sample/<slug>)."""
    parts = build.resolve().parts
    if "reports" not in parts:
        raise CrimeOutcomesError(f"{build} is not a build folder under reports/ (e.g. reports/2024-25)")
    at = len(parts) - 1 - parts[::-1].index("reports")
    return Path(*parts[:at], folder, *parts[at + 1 :])


def figures_folder(build: Path) -> Path:
    return beside(build, "figures")


def _summary(build: Path) -> dict:
    path = build / "summary.json"
    if not path.is_file():
        raise CrimeOutcomesError(f"{build} has no summary.json: build it with run_all.py ('make reports') first")
    return json.loads(path.read_text(encoding="utf-8"))


def render_review(build: Path, target: Path, made_by: dict[str, str]) -> str:
    """The contact sheet of the build in ``build``, its links relative to ``target``; ``made_by``:
    file name -> the notebook that drew it (``build.review.figures_made_by``, from build.json)."""
    summary, figures = _summary(build), figures_folder(build)
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
