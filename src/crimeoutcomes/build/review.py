"""Write the contact sheet of a build (``pages.review``) to scratch/<slug>/review.html, outside the
published reports/ and figures/ (only run_all.py writes there); which notebook drew each figure is
read from the build record (build.json)."""

from __future__ import annotations

from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.atomic import write_text_atomically
from crimeoutcomes.build import record as build_record
from crimeoutcomes.pages.review import beside, render_review

REVIEW_PAGE = "review.html"


def figures_made_by(build: Path) -> dict[str, str]:
    """File name -> the notebook that wrote it, from the build record of ``build``."""
    outputs = (build_record.read_record(build) or {}).get("outputs", {})
    return {Path(name).name: entry["built_by"] for name, entry in outputs.items()}


def write_review(build: Path, target: Path | None = None) -> Path:
    """Write the contact sheet of ``build`` (default scratch/<slug>/review.html) and return its path."""
    build = Path(build)
    target = Path(target) if target else beside(build, config.SCRATCH) / REVIEW_PAGE
    return write_text_atomically(target, render_review(build, target, figures_made_by(build)))


def every_build(out: Path | None = None) -> list[Path]:
    """Every built year under ``out`` (default the project): reports/<slug> and reports/sample/<slug>."""
    reports = (Path(out) if out else config.project_root()) / "reports"
    found = sorted(p.parent for p in reports.glob("*/summary.json")) + sorted(
        p.parent for p in reports.glob("sample/*/summary.json")
    )
    return [p for p in found if not p.name.startswith(".") and not p.name.endswith(".failed")]
