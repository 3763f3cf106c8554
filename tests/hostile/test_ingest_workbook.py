"""Hostile Excel workbooks: a sheet's <dimension> lies, a cell is huge, the members unpack past the budget."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.errors import ExportError
from pipeline.formats import budget, read_export

ROWS = 100


def honest_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Title", "Authors", "Year"])
    for number in range(ROWS):
        sheet.append([f"Study {number}", "Smith, J", 2000 + number % 20])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(info.filename, content)
    return out.getvalue()


def with_dimension(data: bytes, ref: str) -> bytes:
    return rewrite_sheet(data, lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml))


@pytest.mark.parametrize("ref", ["A1:C2", "A1", "A1:XFD1048576", "B7:B7"],
                         ids=["two-rows", "one-cell", "whole-sheet", "elsewhere"])
def test_every_row_is_read_whatever_the_dimension_claims(ref: str) -> None:
    data = with_dimension(honest_workbook(), ref)
    assert f'<dimension ref="{ref}"/>'.encode() in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    started = time.perf_counter()
    frame = read_export(data, file="lies.xlsx", source="lies")
    elapsed = time.perf_counter() - started
    assert frame["title"].tolist() == [f"Study {number}" for number in range(ROWS)]
    assert frame["line"].tolist() == [str(number + 2) for number in range(ROWS)]
    assert (frame["problems"] == "").all()
    assert elapsed < 10, f"a {len(data)} byte workbook took {elapsed:.1f} s"


def test_a_cell_far_to_the_right_costs_one_row_not_a_padded_sheet() -> None:
    """A value in column XFD of each row: rows are cut after their last value, not padded to it for the sheet."""
    def far_cells(xml: bytes) -> bytes:
        return re.sub(rb'(<row r="(\d+)"[^>]*>)', rb'\1<c r="XFD\2" t="inlineStr"><is><t>far</t></is></c>', xml)

    data = rewrite_sheet(honest_workbook(), far_cells)
    frame = read_export(data, file="far.xlsx", source="far")
    assert len(frame) == ROWS


def test_a_cell_longer_than_any_field_is_refused_with_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_FIELD_CHARS", 1000)
    book = openpyxl.Workbook()
    book.active.append(["Title", "Authors", "Year"])
    book.active.append(["ok", "Smith, J", 2001])
    book.active.append(["x" * 1001, "Smith, J", 2001])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ExportError, match=r"^huge.xlsx:3: the cell in column 1 is 1001 characters long"):
        read_export(buffer.getvalue(), file="huge.xlsx", source="huge")


def test_a_workbook_unpacking_past_the_budget_is_refused_before_openpyxl(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "1")
    filler = b"<c><v>1</v></c>" * 200_000  # 3 MB that compresses to a few kB
    data = rewrite_sheet(honest_workbook(), lambda xml: xml.replace(b"</sheetData>", b"<row r=\"999\">" + filler
                                                                     + b"</row></sheetData>"))
    assert len(data) < 100_000
    with pytest.raises(ExportError, match=r"^bomb.xlsx:1: the Excel workbook is too large to read within the "
                                          r"memory budget .*PIPELINE_INGEST_MEMORY_MB"):
        read_export(data, file="bomb.xlsx", source="bomb")
