"""Which files a run uses: downloaded ones, fresh downloads, or the synthetic sample."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .download import fetch
from .errors import CrimeOutcomesError
from .manifest import load_manifest
from .sample import write_sample

SOURCE_CHOICES = ("auto", "download", "local", "sample")


@dataclass
class SourceSet:
    folder: Path
    synthetic: bool
    outcomes: dict[str, Path] = field(default_factory=dict)  # financial year -> file (newest release)
    recorded_crime: Path | None = None
    manifest: dict = field(default_factory=dict)

    @property
    def years(self) -> list[str]:
        return sorted(self.outcomes)


def from_manifest(folder: Path) -> SourceSet:
    """The newest release of each year that the folder's manifest lists and that is on disk."""
    manifest = load_manifest(folder)
    newest: dict[str | None, dict] = {}  # financial year (None: the recorded-crime file) -> entry
    for entry in manifest.get("files", []):
        if entry.get("kind") not in ("outcomes", "recorded_crime") or not (folder / entry["filename"]).is_file():
            continue
        key = entry["financial_year"] if entry["kind"] == "outcomes" else None
        if key not in newest or (entry.get("release_date") or "") > (newest[key].get("release_date") or ""):
            newest[key] = entry
    recorded = newest.pop(None, None)
    chosen = newest
    return SourceSet(
        folder=folder, synthetic=bool(manifest.get("synthetic")),
        outcomes={y: folder / e["filename"] for y, e in sorted(chosen.items())},
        recorded_crime=folder / recorded["filename"] if recorded else None, manifest=manifest)


def obtain(source: str = "auto", raw_dir: Path | None = None, sample_dir: Path | None = None,
           log=lambda message: print(message, file=sys.stderr)) -> SourceSet:
    """Files for a run. 'auto': those already in raw_dir, else download, else (saying so) the sample."""
    if source not in SOURCE_CHOICES:
        raise CrimeOutcomesError(f"--source must be one of {', '.join(SOURCE_CHOICES)}, not {source!r}")
    raw_dir = raw_dir or paths.raw_dir()
    sample_dir = sample_dir or paths.sample_dir()
    if source in ("auto", "local"):
        local = from_manifest(raw_dir)
        if local.outcomes:
            return local
        if source == "local":
            raise CrimeOutcomesError(f"no downloaded outcomes files in {raw_dir} (run 'python -m crimeoutcomes fetch')")
    if source in ("auto", "download"):
        try:
            fetch(None, raw_dir)
            return from_manifest(raw_dir)
        except CrimeOutcomesError as exc:
            if source == "download":
                raise
            log(f"Cannot download the Home Office files ({exc}).\n"
                f"Building from the SYNTHETIC sample in {sample_dir} instead: its numbers are invented.")
    existing = from_manifest(sample_dir)
    if existing.synthetic and existing.outcomes and existing.recorded_crime:
        return existing
    write_sample(sample_dir)
    return from_manifest(sample_dir)
