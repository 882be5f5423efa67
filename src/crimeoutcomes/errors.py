"""Errors that name what was wrong with an input: the file, the sheet, the column, the row."""

from __future__ import annotations

from pathlib import Path


class CrimeOutcomesError(Exception):
    """Base class for every error this package raises on purpose."""


class InputFileError(CrimeOutcomesError):
    """A source file that cannot be read as the published format."""

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        sheet: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.sheet = sheet
        self.column = column
        self.row = row
        where = [f"file {self.path}"]
        if sheet is not None:
            where.append(f"sheet {sheet!r}")
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {problem}")


class DownloadError(CrimeOutcomesError):
    """A download that failed or was refused (wrong host, not a workbook, too large)."""


class SourceDiscoveryError(CrimeOutcomesError):
    """The list of published files could not be obtained or understood."""
