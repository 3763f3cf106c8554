"""Excel workbooks (``.xlsx``) exported by Web of Science, Scopus, Covidence, Rayyan or kept by hand.

Read with openpyxl in read-only mode (rows are streamed, formulas give their cached values). The
first worksheet whose first non-empty row is a bibliographic header is read through the same
column mapping as CSV (:mod:`.table`); ``line`` is the spreadsheet row number. Cell values become
text the way a CSV export would write them: whole numbers without ``.0``, dates as ISO dates.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import openpyxl

from pipeline.errors import ExportError
from pipeline.formats import table
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read; the values are fine
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl reports a damaged archive or XML as any of a dozen types
        raise ExportError(f"the Excel workbook cannot be opened ({type(exc).__name__}: {exc})",
                          where=f"{file}:1", fix=_FIX) from None
    try:
        for sheet in workbook.worksheets:
            rows = _text_rows(sheet)
            found = _header(rows)
            if found is None:
                continue
            header_line, header = found
            if table.sniff_header(header) is None:
                logger.info("%s: sheet '%s' has no bibliographic header row; skipped", file, sheet.title)
                continue
            return table.read_rows(header, rows, file=file, header_line=header_line)
    except ExportError:
        raise
    except Exception as exc:  # noqa: BLE001 - rows are parsed lazily, so damage shows up here as any type
        raise ExportError(f"the Excel workbook cannot be read ({type(exc).__name__}: {exc})",
                          where=f"{file}:1", fix=_FIX) from None
    finally:
        workbook.close()
    raise ExportError("no worksheet starts with a header naming a title, authors, year or DOI column",
                      where=f"{file}:1", fix=_FIX)


def _text_rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, [cell_text(value) for value in row]


def _header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    """The first non-empty row (line, cells), trailing empty cells removed; None for an empty sheet."""
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            while cells and not cells[-1].strip():
                cells.pop()
            return number, cells
    return None
