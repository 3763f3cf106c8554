"""Excel workbooks (``.xlsx``) exported by Web of Science, Scopus, Covidence, Rayyan or kept by hand.

Read with openpyxl in read-only mode (rows are streamed, formulas give their cached values). The
first worksheet whose first non-empty row is a bibliographic header is read through the same
column mapping as CSV (:mod:`.table`); ``line`` is the spreadsheet row number. Cell values become
text the way a CSV export would write them: whole numbers without ``.0``, dates as ISO dates.

A sheet's ``<dimension>`` (the range it claims to use) is not trusted: read-only mode stops at the
last row it names and pads every row to its width, so a wrong one lost rows silently and one that
claimed the whole sheet made a small file take minutes. Every row the sheet holds is read, each
row cut to its last cell that has a value and padded to the header's width. Before openpyxl opens the
workbook, the sizes its members unpack to are checked against the memory budget (:mod:`.budget`),
and again every few thousand rows with the cells and rows read; zipfile holds each member to its
stated size, and a cell longer than a field may be is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl

from pipeline.errors import ExportError
from pipeline.formats import budget, table
from pipeline.formats.common import ParsedRecord

logger = logging.getLogger(__name__)

_FIX = "save the sheet as .xlsx with one header row (Title, Authors, Year, ...), or export it as CSV"


def cell_text(value: Any) -> str:
    """A cell value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def read(data: bytes, *, file: str) -> list[ParsedRecord]:
    """Parse the bibliographic sheet of an Excel workbook into records."""
    unpacked = _unpacked_size(data, file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read; the values are fine
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl reports a damaged archive or XML as any of a dozen types
        raise ExportError(f"the Excel workbook cannot be opened ({type(exc).__name__}: {exc})",
                          where=f"{file}:1", fix=_FIX) from None
    try:
        for sheet in workbook.worksheets:
            sheet.reset_dimensions()  # read every row the sheet holds, not the range it claims
            rows = _text_rows(sheet, file, unpacked)
            found = _header(rows)
            if found is None:
                continue
            header_line, header = found
            if table.sniff_header(header) is None:
                logger.info("%s: sheet '%s' has no bibliographic header row; skipped", file, sheet.title)
                continue
            return table.read_rows(header, _padded(rows, len(header)), file=file, header_line=header_line)
    except ExportError:
        raise
    except Exception as exc:  # noqa: BLE001 - rows are parsed lazily, so damage shows up here as any type
        raise ExportError(f"the Excel workbook cannot be read ({type(exc).__name__}: {exc})",
                          where=f"{file}:1", fix=_FIX) from None
    finally:
        workbook.close()
    raise ExportError("no worksheet starts with a header naming a title, authors, year or DOI column",
                      where=f"{file}:1", fix=_FIX)


def _unpacked_size(data: bytes, file: str) -> int:
    """The bytes the workbook's members unpack to, refused past the memory budget before anything unpacks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ExportError(f"the Excel workbook cannot be opened ({type(exc).__name__}: {exc})",
                          where=f"{file}:1", fix=_FIX) from None
    budget.check(unpacked, 0, file=file, budget=budget.budget_bytes(), what="the Excel workbook")
    return unpacked


_ROWS_PER_CHECK = 4096


def _text_rows(sheet: Any, file: str, unpacked: int) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of every row, without the empty cells after the last value.

    Every few thousand rows the cells and rows read so far are checked against the memory budget
    (each cell costs what a line of text does, each row what a record does), so a sheet of millions
    of tiny rows stops before it has taken the memory.
    """
    limit = budget.budget_bytes()
    cells_read = 0
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        end = len(row)
        while end and row[end - 1] is None:
            end -= 1
        cells = [cell_text(value) for value in row[:end]]
        if any(len(cell) > budget.MAX_FIELD_CHARS for cell in cells):
            length, column = max((len(cell), index) for index, cell in enumerate(cells))
            raise budget.field_too_long(length, where=f"{file}:{number}", what=f"the cell in column {column + 1}")
        cells_read += end
        if number % _ROWS_PER_CHECK == 0:
            budget.check(unpacked, cells_read, file=file, budget=limit, records=number, what="the Excel workbook",
                         where=f"{file}:{number}")
        yield number, cells


def _padded(rows: Iterator[tuple[int, list[str]]], width: int) -> Iterator[tuple[int, list[str]]]:
    """Rows padded with empty cells to ``width`` (a row that reaches past it keeps its extra cells)."""
    for number, cells in rows:
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield number, cells


def _header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The first non-empty row (line, cells), trailing empty cells removed; None for an empty sheet."""
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            while cells and not cells[-1].strip():
                cells.pop()
            return number, cells
    return None
