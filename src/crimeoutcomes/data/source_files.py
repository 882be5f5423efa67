"""A folder of source files as a run uses it (``SourceSet``: each year's outcomes workbook, the recorded
crime file, the manifest), and the year chosen from it. Which folder: ``crimeoutcomes.sources``."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from crimeoutcomes.data.digests import file_sha256, file_stamp
from crimeoutcomes.data.manifest import load_manifest
from crimeoutcomes.data.schema import WORKBOOK_SUFFIXES
from crimeoutcomes.data.years import LATEST, normalise_financial_year
from crimeoutcomes.errors import CrimeOutcomesError

# The reader (pandas through tables) is imported where it is used: a run whose files are listed in a
# manifest and whose build is up to date never reads a workbook.


@dataclass
class SourceSet:
    folder: Path
    synthetic: bool
    outcomes: dict[str, Path] = field(default_factory=dict)  # financial year -> file (newest release)
    recorded_crime: Path | None = None
    manifest: dict = field(default_factory=dict)
    releases: dict[str, list[Path]] = field(default_factory=dict)  # financial year -> every release, oldest first

    @property
    def years(self) -> list[str]:
        return sorted(self.outcomes)

    def entry(self, path: Path) -> dict:
        """The manifest's record of a file ({} if it has none)."""
        return next((e for e in self.manifest.get("files", []) if e.get("filename") == path.name), {})


def _release_order(entry: dict) -> str:
    return entry.get("release_date") or ""


def from_manifest(folder: Path) -> SourceSet:
    """The newest release of each year that the folder's manifest lists and that is on disk, and
    every release of each year (a folder may keep several side by side)."""
    manifest = load_manifest(folder)
    by_year: dict[str, list[dict]] = {}  # financial year -> entries
    recorded_entries: list[dict] = []
    for entry in manifest.get("files", []):
        if entry.get("kind") not in ("outcomes", "recorded_crime") or not (folder / entry["filename"]).is_file():
            continue
        if entry["kind"] == "outcomes":
            by_year.setdefault(entry["financial_year"], []).append(entry)
        else:
            recorded_entries.append(entry)
    ordered = {key: sorted(entries, key=_release_order) for key, entries in by_year.items()}
    recorded = sorted(recorded_entries, key=_release_order)
    return SourceSet(
        folder=folder,
        synthetic=bool(manifest.get("synthetic")),
        outcomes={y: folder / entries[-1]["filename"] for y, entries in sorted(ordered.items())},
        recorded_crime=folder / recorded[-1]["filename"] if recorded else None,
        manifest=manifest,
        releases={y: [folder / e["filename"] for e in entries] for y, entries in sorted(ordered.items())},
    )


def from_folder(folder: str | Path) -> SourceSet:
    """The files of a folder: as its manifest.json lists them, or, without one, every workbook in it.

    A folder without a manifest (workbooks copied in by hand) is read file by file to learn which
    financial year each holds; two files holding the same year are an error naming both.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CrimeOutcomesError(f"data folder {folder} does not exist")
    if (folder / "manifest.json").is_file():
        found = from_manifest(folder)
        if found.outcomes:
            return found
    workbooks = sorted(p for p in folder.iterdir() if p.suffix.lower() in WORKBOOK_SUFFIXES and p.is_file())
    key = (str(folder.resolve()), tuple((p.name, *file_stamp(p)) for p in workbooks))
    if key not in _READ_FOLDERS:  # once a process: a kernel runs every force page against the same files
        _READ_FOLDERS.clear()
        _READ_FOLDERS[key] = _read_folder(folder, workbooks)
    return copy.deepcopy(_READ_FOLDERS[key])


#: The last folder without a manifest that ``from_folder`` read, by the stamps of its workbooks:
#: reading one costs a pass over each year's table and a hash of every file (67 ms for the real
#: 2024/25 files), which every notebook run of a build would otherwise pay again.
_READ_FOLDERS: dict[tuple, SourceSet] = {}


def _read_folder(folder: Path, workbooks: list[Path]) -> SourceSet:
    """``from_folder`` for a folder without a manifest: each workbook read for what it holds."""
    from crimeoutcomes.data.govuk import release_of
    from crimeoutcomes.data.load import load_table
    from crimeoutcomes.data.read import OUTCOMES, RECORDED_CRIME, detect_kind

    outcomes: dict[str, Path] = {}
    recorded: list[Path] = []
    entries = []
    for path in workbooks:
        kind = detect_kind(path)
        year = None
        if kind == RECORDED_CRIME:
            recorded.append(path)
        elif kind == OUTCOMES:
            held = load_table(path, OUTCOMES)["financial_year"].unique().sort().to_list()
            for year in held:
                if year in outcomes:
                    raise CrimeOutcomesError(
                        f"{outcomes[year]} and {path} both hold {year}: keep one release of each year in {folder}"
                    )
                outcomes[year] = path
            year = held[-1] if len(held) == 1 else None
        # No manifest: the release is the date stamp in the file's name, as GOV.UK names them.
        release, release_date = release_of(path.name)
        entries.append(
            {
                "filename": path.name,
                "kind": kind,
                "financial_year": year,
                "url": None,
                "release": release,
                "release_date": release_date.isoformat() if release_date else None,
                "sha256": file_sha256(path),
                "synthetic": path.name.lower().startswith("synthetic"),
            }
        )
    if len(recorded) > 1:
        raise CrimeOutcomesError(
            f"{folder} holds more than one recorded-crime file: {', '.join(p.name for p in recorded)}; keep one"
        )
    if not outcomes:
        raise CrimeOutcomesError(f"no outcomes workbooks (.xlsx or .ods) in {folder}")
    synthetic = any(e["synthetic"] for e in entries)
    return SourceSet(
        folder=folder,
        synthetic=synthetic,
        outcomes=dict(sorted(outcomes.items())),
        recorded_crime=recorded[0] if recorded else None,
        manifest={"synthetic": synthetic, "files": entries},
        releases={y: [p] for y, p in sorted(outcomes.items())},
    )


def year_parameter(name: str, value: str) -> str:
    try:
        return normalise_financial_year(value)
    except ValueError as exc:
        raise CrimeOutcomesError(f"parameter {name}: {exc}") from None


def chosen_year(sources: SourceSet, financial_year: str) -> str:
    """The financial year asked for ('latest': the newest the folder holds), or an error naming
    the years the folder does hold."""
    available = sources.years
    year = available[-1] if financial_year == LATEST else year_parameter("financial_year", financial_year)
    if year not in available:
        raise CrimeOutcomesError(
            f"parameter financial_year: {year} is not in {sources.folder} (it holds {', '.join(available)})"
        )
    return year
