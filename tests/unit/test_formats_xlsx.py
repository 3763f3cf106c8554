"""Excel workbooks, read through the CSV column mapping (fixtures are written with openpyxl in tmp_path)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from pipeline.errors import ExportError
from pipeline.formats import read_export
from pipeline.formats.xlsx import cell_text

HEADER = ["Covidence #", "Title", "Authors", "Abstract", "Published Year", "Journal", "Volume", "Issue", "Pages",
          "Accession Number", "DOI", "Ref", "Study", "Notes", "Tags"]
ROW = [101, "Peer support for paramedics: a randomised trial", "Okafor, C.; Lindqvist, Å.",
       "Paramedics were randomised.", 2021.0, "Prehospital Emergency Care", 25, "3", "301-9", "33500000",
       "https://doi.org/10.9999/PEC.2020.1", None, "Okafor 2021", None, "peer support; trial"]


def workbook(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "export.xlsx"
    book.save(path)
    return path.read_bytes()


def test_golden_covidence_workbook(tmp_path: Path) -> None:
    data = workbook(tmp_path, {"Notes": [["Exported from Covidence"]], "References": [[], HEADER, ROW]})
    row = read_export(data, file="covidence.xlsx", source="covidence").iloc[0].to_dict()
    row["raw"] = json.loads(row["raw"])
    assert row == {
        "record_id": "covidence:101", "record_key": "doi:10.9999/pec.2020.1", "source": "covidence",
        "file": "covidence.xlsx", "line": "3", "format": "xlsx", "dialect": "covidence",
        "entry_type": "other", "title": "Peer support for paramedics: a randomised trial",
        "authors": '[["Okafor","C."],["Lindqvist","Å."]]', "year": "2021", "journal": "Prehospital Emergency Care",
        "volume": "25", "issue": "3", "pages": "301-9", "page_start": "301", "page_end": "309",
        "doi": "10.9999/pec.2020.1", "pmid": "", "accession": "33500000", "database": "", "issn": "", "isbn": "",
        "abstract": "Paramedics were randomised.", "keywords": "[]", "language": "", "publication_types": "[]",
        "url": "", "problems": "",
        "raw": {"Abstract": ["Paramedics were randomised."], "Accession Number": ["33500000"],
                "Authors": ["Okafor, C.; Lindqvist, Å."], "Covidence #": ["101"],
                "DOI": ["https://doi.org/10.9999/PEC.2020.1"], "Issue": ["3"], "Journal": ["Prehospital Emergency Care"],
                "Pages": ["301-9"], "Published Year": ["2021"], "Study": ["Okafor 2021"],
                "Tags": ["peer support; trial"], "Title": ["Peer support for paramedics: a randomised trial"],
                "Volume": ["25"]},
    }


def test_blank_rows_are_skipped_and_lines_are_sheet_rows(tmp_path: Path) -> None:
    data = workbook(tmp_path, {"Sheet": [["Title", "Year"], ["A", 2020], [None, None], ["B", 2021]]})
    frame = read_export(data, file="x.xlsx", source="x")
    assert list(frame["line"]) == ["2", "4"]
    assert list(frame["year"]) == ["2020", "2021"]


@pytest.mark.parametrize(("value", "expected"), [
    (None, ""), (2021.0, "2021"), (2.5, "2.5"), (7, "7"), (True, "TRUE"),
    (dt.datetime(2021, 12, 21), "2021-12-21"), (dt.datetime(2021, 12, 21, 8, 30), "2021-12-21T08:30:00"),
    (dt.date(2020, 1, 2), "2020-01-02"), ("text", "text"),
], ids=["empty", "whole-float", "float", "int", "bool", "date-time-midnight", "date-time", "date", "text"])
def test_cell_text(value: object, expected: str) -> None:
    assert cell_text(value) == expected


@pytest.mark.parametrize(("sheets", "message"), [
    ({"Sheet": [["alpha", "beta"], [1, 2]]}, "x.xlsx:1: no worksheet starts with a header naming a title"),
    ({"Sheet": []}, "x.xlsx:1: no worksheet starts with a header naming a title"),
    ({"Sheet": [["Title", "Authors"]]}, "x.xlsx:1: the table has a header but no rows"),
], ids=["no-bibliographic-header", "empty-sheet", "header-only"])
def test_errors(tmp_path: Path, sheets: dict[str, list[list[object]]], message: str) -> None:
    with pytest.raises(ExportError) as raised:
        read_export(workbook(tmp_path, sheets), file="x.xlsx", source="x")
    assert str(raised.value).startswith(message)
    assert raised.value.fix


def test_damaged_workbook_is_an_export_error(tmp_path: Path) -> None:
    data = workbook(tmp_path, {"Sheet": [["Title"], ["A"]]})
    with pytest.raises(ExportError, match=r"^x.xlsx:1: the Excel workbook cannot be (opened|read)"):
        read_export(data[: len(data) // 2], file="x.xlsx", source="x", format="xlsx")
