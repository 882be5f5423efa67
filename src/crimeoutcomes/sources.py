"""Which files a run uses: the downloaded ones (first brought up to date with GOV.UK), a fresh
download, or the synthetic sample. Above both ``data`` (the real files) and ``synthetic`` (the
invented ones), so that neither imports the other's way."""

from __future__ import annotations

import sys
from pathlib import Path

from crimeoutcomes import config
from crimeoutcomes.data.download import fetch
from crimeoutcomes.data.manifest import load_manifest
from crimeoutcomes.data.schema import WORKBOOK_SUFFIXES
from crimeoutcomes.data.source_files import SourceSet, from_folder, from_manifest
from crimeoutcomes.errors import CrimeOutcomesError
from crimeoutcomes.locks import exclusive
from crimeoutcomes.synthetic.sample import SAMPLE_VERSION, write_sample

SOURCE_CHOICES = ("auto", "download", "local", "sample")


def check_for_updates(
    raw_dir: Path, base_url: str | None = None, log=lambda message: print(message, file=sys.stderr)
) -> None:
    """Bring a downloaded folder up to date with GOV.UK (new years, re-issued files), or say that it
    could not be checked. A folder filled by hand (no file in its manifest has a URL) is left alone."""
    from requests import RequestException

    from crimeoutcomes.data.download import update

    if not any(entry.get("url") for entry in load_manifest(raw_dir).get("files", [])):
        return
    try:
        new = update(raw_dir, base_url=base_url, progress=sys.stderr.isatty(), log=log)
    except (CrimeOutcomesError, RequestException, OSError, ValueError) as exc:
        log(f"Could not check GOV.UK for new releases ({exc}); using the files in {raw_dir}")
        return
    if not new:
        log(f"GOV.UK lists no new or re-issued file: the files in {raw_dir} are the newest")


def obtain(
    source: str = "auto",
    raw_dir: Path | None = None,
    sample_dir: Path | None = None,
    log=lambda message: print(message, file=sys.stderr),
    base_url: str | None = None,
) -> SourceSet:
    """Files for a run. 'auto': those in raw_dir, first brought up to date with GOV.UK where it answers
    (``check_for_updates``), else download, else (saying so) the sample. 'local': raw_dir as it is.
    ``base_url`` stands in for GOV.UK (tests)."""
    if source not in SOURCE_CHOICES:
        raise CrimeOutcomesError(f"--source must be one of {', '.join(SOURCE_CHOICES)}, not {source!r}")
    raw_dir = raw_dir or config.raw_dir()
    sample_dir = sample_dir or config.sample_dir()
    if source in ("auto", "local"):
        if raw_dir.is_dir() and any(p.suffix.lower() in WORKBOOK_SUFFIXES for p in raw_dir.iterdir()):
            if source == "auto":
                check_for_updates(raw_dir, base_url, log)
            return from_folder(raw_dir)
        if source == "local":
            raise CrimeOutcomesError(f"no downloaded outcomes files in {raw_dir} (run 'python -m crimeoutcomes fetch')")
    if source in ("auto", "download"):
        try:
            fetch(None, raw_dir, base_url=base_url)
            return from_manifest(raw_dir)
        except CrimeOutcomesError as exc:
            if source == "download":
                raise
            log(
                f"Cannot download the Home Office files ({exc}).\n"
                f"Building from the SYNTHETIC sample in {sample_dir} instead: its numbers are invented."
            )
    with exclusive(sample_dir, f"the sample folder {sample_dir}", wait=True):
        existing = from_manifest(sample_dir)
        if (
            existing.synthetic
            and existing.outcomes
            and existing.recorded_crime
            and existing.manifest.get("sample_version") == SAMPLE_VERSION
        ):
            return existing
        write_sample(sample_dir)
        return from_manifest(sample_dir)
