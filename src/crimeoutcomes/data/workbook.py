"""Open a published workbook safely, find its sheets, and locate a table's header row.

Shared by the outcomes and the recorded-crime readers. Every failure becomes an
InputFileError naming the file (and the sheet where there is one).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import fastexcel
import polars as pl

from crimeoutcomes.errors import InputFileError

#: Guard against zip bombs: the published files unpack to at most ~400 MB (the recorded-crime
#: ods has a 359 MB content.xml); anything over this is refused before parsing.
MAX_UNCOMPRESSED_BYTES = 3 * 1024**3

#: How far down a sheet to look for the header row (a title block may sit above it).
HEADER_SEARCH_ROWS = 30

_ZIP_MAGIC = b"PK\x03\x04"
ROW_INDEX = "__data_row"


def normalise_label(text: object) -> str:
    """Lower case, letters and digits only: 'Offence code\xa0expired ' -> 'offencecodeexpired'."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[^0-9a-z]", "", folded)


def workbook_format(path: Path) -> str:
    """'xlsx' or 'ods', from the file's contents; InputFileError if it is neither."""
    if not path.exists():
        raise InputFileError(path, "file not found")
    if path.is_dir():
        raise InputFileError(path, "is a folder, not a workbook")
    size = path.stat().st_size
    if size == 0:
        raise InputFileError(path, "file is empty (0 bytes)")
    with open(path, "rb") as handle:
        head = handle.read(512)
    if not head.startswith(_ZIP_MAGIC):
        sniff = head.lstrip().lower()
        if sniff.startswith((b"<!doctype html", b"<html")) or b"<html" in sniff:
            raise InputFileError(
                path, "is an HTML page, not a workbook (an error page saved in place of the download?)"
            )
        raise InputFileError(path, "is not a workbook (.xlsx or .ods files are zip archives; this one is not)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            if "mimetype" in names:
                kind = archive.read("mimetype").decode("ascii", "replace").strip()
                fmt = "ods" if kind == "application/vnd.oasis.opendocument.spreadsheet" else None
            elif "xl/workbook.xml" in names:
                fmt = "xlsx"
            else:
                fmt = None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFileError(path, f"damaged or truncated workbook ({exc})") from exc
    if fmt is None:
        raise InputFileError(path, "is a zip archive but not an .xlsx or .ods workbook")
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        raise InputFileError(
            path, f"unpacks to {unpacked:,} bytes, over the {MAX_UNCOMPRESSED_BYTES:,}-byte limit (a zip bomb?)"
        )
    return fmt


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table"
_ODS_TABLE_NAME = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}name"


def iter_sheet_names(path: str | Path) -> Iterator[str]:
    """Sheet names in order, read from the archive without parsing any sheet's cells.

    An ods file keeps its sheets in one content.xml (hundreds of MB for the recorded-crime
    file), so its names are streamed: a caller that stops early reads only the start of it.
    """
    path = Path(path)
    fmt = workbook_format(path)
    with zipfile.ZipFile(path) as archive:
        if fmt == "xlsx":
            root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            for element in root.iter():
                name = element.get("name")
                if element.tag.endswith("}sheet") and name is not None:
                    yield name
            return
        with archive.open("content.xml") as content:
            for _event, element in ElementTree.iterparse(content, events=("start",)):
                if element.tag == _ODS_TABLE:
                    yield element.get(_ODS_TABLE_NAME, "")


@dataclass
class Workbook:
    path: Path
    reader: fastexcel.ExcelReader

    @property
    def sheet_names(self) -> list[str]:
        return list(self.reader.sheet_names)

    def load_cells(self, sheet: str) -> pl.DataFrame:
        """Every cell of ``sheet`` as text (numbers as their shortest decimal form), no header.
        Loaded eagerly: straight to Arrow, at about two thirds of the lazy sheet's peak memory."""
        try:
            loaded = self.reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string", eager=True)
            return cast(pl.DataFrame, pl.from_arrow(loaded))  # Arrow data with columns: a DataFrame
        except Exception as exc:  # calamine raises its own error types for damaged XML
            raise InputFileError(self.path, f"cannot read the sheet ({exc})", sheet=sheet) from exc


def open_workbook(path: str | Path) -> Workbook:
    path = Path(path)
    workbook_format(path)  # refuses, by its first bytes, what is not an xlsx or ods workbook
    try:
        reader = fastexcel.read_excel(path)
    except Exception as exc:
        raise InputFileError(path, f"damaged or truncated workbook ({exc})") from exc
    return Workbook(path, reader)


@dataclass
class LocatedTable:
    """A table found in a sheet: its fields mapped to columns, and its data rows."""

    path: Path
    sheet: str
    header_row: int  # 0-based index into the loaded cells
    columns: dict[str, str]  # field -> loaded column name
    headers: dict[str, str]  # field -> header text as published
    data: pl.DataFrame  # the rows under the header, with their position in ROW_INDEX
    labels: dict[str, str] = field(default_factory=dict)  # every header cell: loaded column -> its text

    def sheet_row(self, data_index: int) -> int:
        """The 1-based spreadsheet row of the ``data_index``-th data row (for messages)."""
        return self.header_row + 2 + int(self.data[ROW_INDEX][data_index])


def match_header(
    label: object, synonyms: Mapping[str, tuple[str, ...]], fuzzy: Callable[[str], str | None] | None = None
) -> str | None:
    key = normalise_label(label)
    if not key:
        return None
    for column, names in synonyms.items():
        if key in names:
            return column
    return fuzzy(key) if fuzzy else None


def locate_table(
    workbook: Workbook,
    sheet: str,
    cells: pl.DataFrame,
    synonyms: Mapping[str, tuple[str, ...]],
    *,
    minimum_fields: int,
    fuzzy: Callable[[str], str | None] | None = None,
) -> LocatedTable | None:
    """Find the header row: the first of the top rows naming at least ``minimum_fields`` fields.

    Unknown columns are ignored; where two columns name the same field (stray duplicate
    headers), the first one counts.
    """
    top = cells.head(HEADER_SEARCH_ROWS).rows()
    for index, row in enumerate(top):
        columns: dict[str, str] = {}
        headers: dict[str, str] = {}
        labels: dict[str, str] = {}
        for name, label in zip(cells.columns, row):
            if label is None:
                continue
            labels[name] = str(label)
            field = match_header(label, synonyms, fuzzy)
            if field and field not in columns:
                columns[field] = name
                headers[field] = str(label)
        if len(columns) >= minimum_fields:
            data = cells.slice(index + 1).with_row_index(ROW_INDEX)
            return LocatedTable(workbook.path, sheet, index, columns, headers, data, labels)
    return None
