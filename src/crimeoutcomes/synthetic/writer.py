"""Write spreadsheets (xlsx or ods) quickly, with the cell types a spreadsheet program writes.

The synthetic sample and the rebuilt real-data workbooks need up to ~700k rows a sheet;
a general-purpose writer takes minutes for that, so the cell XML is built column-wise with
polars here. Strings go in xlsx as shared strings, as Excel writes them; numbers as numbers;
None and nulls as empty cells.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from crimeoutcomes.atomic import write_atomically

_CHUNK_ROWS = 50_000
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no clock time, so equal inputs give equal bytes


def _entry(name: str, level: int, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = compress
    # An entry given as a ZipInfo takes its level from here, not from the archive's compresslevel
    # (left unset, zlib's default: 6 whatever write_workbook was asked for).
    info._compresslevel = level  # type: ignore[attr-defined]
    return info


def mixed_cells(numbers: pl.Expr, texts: pl.Expr) -> pl.Expr:
    """A column of number cells where ``numbers`` is set and text cells (markers) where it is not."""
    return pl.struct(number=numbers, text=texts)


@dataclass
class Sheet:
    """A sheet: a few free-form rows (``rows``) above an optional table (``table``, header first)."""

    name: str
    rows: Sequence[Sequence[object]] = ()
    table: pl.DataFrame | None = None
    header: Sequence[str] | None = None  # the table's header row, where it differs from its column names


def write_workbook(path: str | Path, sheets: Sequence[Sheet], *, compresslevel: int = 6) -> Path:
    """Write ``sheets`` to ``path`` (.xlsx or .ods), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".ods"):
        raise ValueError(f"{path}: can only write .xlsx or .ods")
    writer = _write_xlsx if suffix == ".xlsx" else _write_ods
    return write_atomically(path, lambda tmp: writer(tmp, sheets, compresslevel))


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _table_rows(sheet: Sheet) -> list[list[object]]:
    rows = [list(r) for r in sheet.rows]
    if sheet.table is not None:
        rows.append(list(sheet.header or sheet.table.columns))
    return rows


def _text_values(table: pl.DataFrame):
    """Every distinct text of a table's cells (plain text columns and the texts of mixed ones)."""
    split = _split_mixed(table)
    for name, dtype in split.schema.items():
        if dtype == pl.String:
            yield from split.get_column(name).unique(maintain_order=True).drop_nulls()


def _split_mixed(table: pl.DataFrame) -> pl.DataFrame:
    """Struct columns from mixed_cells() -> '<name>\x00n' (numbers) and '<name>\x00t' (texts);
    dictionary-encoded text (the tidy table's descriptions) as plain text."""
    out = []
    for name, dtype in table.schema.items():
        if dtype == pl.Categorical:
            out.append(pl.col(name).cast(pl.String))
        elif isinstance(dtype, pl.Struct):
            out += [
                pl.col(name).struct.field("number").alias(f"{name}\x00n"),
                pl.col(name).struct.field("text").alias(f"{name}\x00t"),
            ]
        else:
            out.append(pl.col(name))
    return table.select(out)


def _cell_columns(table: pl.DataFrame) -> list[tuple[str, pl.DataType, str | None]]:
    """(column, dtype, text column for mixed cells or None), one per spreadsheet column."""
    cells: list[tuple[str, pl.DataType, str | None]] = []
    for name, dtype in table.schema.items():
        if name.endswith("\x00t"):
            continue
        if name.endswith("\x00n"):
            cells.append((name, dtype, name[:-1] + "t"))
        else:
            cells.append((name, dtype, None))
    return cells


def _cell_expr(name, dtype, texts, text_cell, number_cell, empty: pl.Expr) -> pl.Expr:
    value = pl.col(name)
    if dtype == pl.Null:
        return empty
    if dtype == pl.String:
        cell = text_cell(value)
    elif dtype.is_numeric():
        cell = number_cell(value)
    else:
        raise TypeError(f"column {name!r}: cannot write {dtype} cells")
    expr: Then | ChainedThen = pl.when(value.is_not_null()).then(cell)
    if texts is not None:
        expr = expr.when(pl.col(texts).is_not_null()).then(text_cell(pl.col(texts)))
    return expr.otherwise(empty)


# ---------------------------------------------------------------- xlsx


def _write_xlsx(path: Path, sheets: Sequence[Sheet], level: int) -> None:
    strings: dict[str, int] = {}

    def string_index(text: str) -> int:
        return strings.setdefault(text, len(strings))

    for sheet in sheets:
        for row in _table_rows(sheet):
            for value in row:
                if isinstance(value, str):
                    string_index(value)
        if sheet.table is not None:
            for value in _text_values(sheet.table):
                string_index(value)

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr(_entry("[Content_Types].xml", level), _xlsx_content_types(len(sheets)))
        archive.writestr(_entry("_rels/.rels", level), _XLSX_ROOT_RELS)
        archive.writestr(_entry("xl/workbook.xml", level), _xlsx_workbook(sheets))
        archive.writestr(_entry("xl/_rels/workbook.xml.rels", level), _xlsx_workbook_rels(len(sheets)))
        archive.writestr(_entry("xl/styles.xml", level), _XLSX_STYLES)
        for number, sheet in enumerate(sheets, start=1):
            with archive.open(_entry(f"xl/worksheets/sheet{number}.xml", level), "w", force_zip64=True) as out:
                out.write(
                    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b"<sheetData>"
                )
                head = _table_rows(sheet)
                for row_number, row in enumerate(head, start=1):
                    out.write(_xlsx_row(row_number, row, strings).encode("utf-8"))
                if sheet.table is not None and sheet.table.height:
                    for chunk in _xlsx_table_chunks(sheet.table, len(head) + 1, strings):
                        out.write(chunk.encode("utf-8"))
                out.write(b"</sheetData></worksheet>")
        with archive.open(_entry("xl/sharedStrings.xml", level), "w", force_zip64=True) as out:
            out.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{len(strings)}" uniqueCount="{len(strings)}">'.encode()
            )
            for text in strings:
                out.write(f'<si><t xml:space="preserve">{escape(text)}</t></si>'.encode())
            out.write(b"</sst>")


def _xlsx_row(row_number: int, values: Sequence[object], strings: dict[str, int]) -> str:
    cells = []
    for col, value in enumerate(values):
        ref = f"{_column_letter(col)}{row_number}"
        if value is None:
            continue
        if isinstance(value, str):
            cells.append(f'<c r="{ref}" t="s"><v>{strings[value]}</v></c>')
        elif _is_number(value):
            cells.append(f'<c r="{ref}"><v>{_number_text(value)}</v></c>')
        else:
            raise TypeError(f"cannot write {value!r} to a cell")
    return f'<row r="{row_number}">{"".join(cells)}</row>'


def _xlsx_table_chunks(table: pl.DataFrame, first_row: int, strings: dict[str, int]):
    index_of = pl.DataFrame(
        {"text": list(strings), "index": range(len(strings))}, schema={"text": pl.String, "index": pl.String}
    )
    table = _split_mixed(table)

    def text_cell(letter: str, value: pl.Expr) -> pl.Expr:
        index = value.replace_strict(index_of["text"], index_of["index"], default=None)
        return pl.concat_str(
            [pl.lit(f'<c r="{letter}'), pl.col("__row"), pl.lit('" t="s"><v>'), index, pl.lit("</v></c>")]
        )

    def number_cell(letter: str, value: pl.Expr) -> pl.Expr:
        return pl.concat_str(
            [pl.lit(f'<c r="{letter}'), pl.col("__row"), pl.lit('"><v>'), value.cast(pl.String), pl.lit("</v></c>")]
        )

    cells = [
        _cell_expr(
            name,
            dtype,
            texts,
            lambda v, letter=_column_letter(col): text_cell(letter, v),
            lambda v, letter=_column_letter(col): number_cell(letter, v),
            pl.lit(""),
        )
        for col, (name, dtype, texts) in enumerate(_cell_columns(table))
    ]
    row = pl.concat_str([pl.lit('<row r="'), pl.col("__row"), pl.lit('">'), *cells, pl.lit("</row>")])
    for start in range(0, table.height, _CHUNK_ROWS):
        part = table.slice(start, _CHUNK_ROWS).with_columns(
            __row=pl.int_range(
                first_row + start, first_row + start + min(_CHUNK_ROWS, table.height - start), dtype=pl.Int64
            ).cast(pl.String)
        )
        yield part.select(row.str.join("")).item()


def _xlsx_content_types(n_sheets: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n_sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        f"{sheets}</Types>"
    )


_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)

_XLSX_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Arial"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="1"><xf xfId="0"/></cellXfs>'
    "</styleSheet>"
)


def _xlsx_workbook(sheets: Sequence[Sheet]) -> str:
    entries = "".join(
        f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{entries}</sheets></workbook>"
    )


def _xlsx_workbook_rels(n_sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" '
        f'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n_sheets + 1)
    )
    n = n_sheets + 1
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{rels}"
        f'<Relationship Id="rId{n}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 1}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )


# ---------------------------------------------------------------- ods

_SPACES = re.compile(r"  +|^ | $")


def _ods_text(text: str) -> str:
    """Escape for <text:p>; runs of spaces and edge spaces as <text:s/>, as ODF requires."""

    def spaces(match: re.Match[str]) -> str:
        n = len(match.group(0))
        return " " + (f'<text:s text:c="{n - 1}"/>' if n > 2 else "<text:s/>") if n > 1 else "<text:s/>"

    return _SPACES.sub(spaces, escape(text))


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, str):
        return f'<table:table-cell office:value-type="string"><text:p>{_ods_text(value)}</text:p></table:table-cell>'
    if _is_number(value):
        text = _number_text(value)
        return (
            f'<table:table-cell office:value-type="float" office:value="{text}">'
            f"<text:p>{text}</text:p></table:table-cell>"
        )
    raise TypeError(f"cannot write {value!r} to a cell")


def _ods_table_chunks(table: pl.DataFrame):
    table = _split_mixed(table)
    uniques = sorted(set(_text_values(table)))
    escaped = [_ods_text(u) for u in uniques]

    def text_cell(value: pl.Expr) -> pl.Expr:
        return pl.concat_str(
            [
                pl.lit('<table:table-cell office:value-type="string"><text:p>'),
                value.replace_strict(uniques, escaped, default=None, return_dtype=pl.String),
                pl.lit("</text:p></table:table-cell>"),
            ]
        )

    def number_cell(value: pl.Expr) -> pl.Expr:
        text = value.cast(pl.String)
        return pl.concat_str(
            [
                pl.lit('<table:table-cell office:value-type="float" office:value="'),
                text,
                pl.lit('"><text:p>'),
                text,
                pl.lit("</text:p></table:table-cell>"),
            ]
        )

    cells = [
        _cell_expr(name, dtype, texts, text_cell, number_cell, pl.lit("<table:table-cell/>"))
        for name, dtype, texts in _cell_columns(table)
    ]
    row = pl.concat_str([pl.lit("<table:table-row>"), *cells, pl.lit("</table:table-row>")])
    for start in range(0, table.height, _CHUNK_ROWS):
        yield table.slice(start, _CHUNK_ROWS).select(row.str.join("")).item()


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
_ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"


def _write_ods(path: Path, sheets: Sequence[Sheet], level: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        # ODF requires the uncompressed mimetype entry first.
        archive.writestr(_entry("mimetype", level, zipfile.ZIP_STORED), _ODS_MIME)
        archive.writestr(
            _entry("META-INF/manifest.xml", level),
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
            'manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        with archive.open(_entry("content.xml", level), "w", force_zip64=True) as out:
            out.write(
                f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS}>'
                "<office:body><office:spreadsheet>".encode()
            )
            for sheet in sheets:
                out.write(f'<table:table table:name="{escape(sheet.name, {chr(34): "&quot;"})}">'.encode())
                for row in _table_rows(sheet):
                    out.write(f"<table:table-row>{''.join(_ods_cell(v) for v in row)}</table:table-row>".encode())
                if sheet.table is not None and sheet.table.height:
                    for chunk in _ods_table_chunks(sheet.table):
                        out.write(chunk.encode("utf-8"))
                out.write(b"</table:table>")
            out.write(b"</office:spreadsheet></office:body></office:document-content>")
