"""Web of Science plain text (ISI tagged) and the WoS tab-delimited column map."""

from __future__ import annotations

import pytest

from pipeline.errors import ExportError
from pipeline.formats import read_export, wos
from pipeline.formats.table import column_index

HEADER = "FN Clarivate Analytics Web of Science\nVR 1.0\n"


def read(body: str) -> list:
    return wos.read((HEADER + body).split("\n"), file="w.txt")


def test_continuation_lines_are_items_for_list_tags_and_text_for_others() -> None:
    [record] = read("PT J\nAU Doe, J\n   Roe, R\nTI A long\n   title\nPY 2020\nER\nEF\n")
    assert record.authors == [("Doe", "J"), ("Roe", "R")]
    assert record.title == "A long title"
    assert record.raw["TI"] == ["A long\ntitle"]
    assert record.line == 3


@pytest.mark.parametrize(("body", "field", "expected"), [
    ("PT J\nAU Joffe, Hadine; Hall, Janet E\nER\n", "authors", [("Joffe", "Hadine"), ("Hall", "Janet E")]),
    ("PT J\nAU Li, W\nAF Li, Wei\nER\n", "authors", [("Li", "Wei")]),
    ("PT J\nCA WHO Study Group\nER\n", "authors", [("WHO Study Group", "")]),
    ("PT J\nPD 2006 May-Jun\nER\n", "year", "2006"),
    ("PT J\nPS 2457-71\nER\n", "page_end", "2471"),
    ("PT J\nAR e0123\nER\n", "pages", "e0123"),
    ("PT J\nBP 10\nEP 12\nAR e1\nER\n", "pages", "10-12"),
    ("PT J\nUT MEDLINE:16842170\nER\n", "pmid", "16842170"),
    ("PT J\nUT MEDLINE:16842170\nER\n", "dialect", "medline"),
    ("PT J\nUT ZOOREC:ZOOR14506034\nER\n", "dialect", "zoorec"),
    ("PT J\nUT WOS:000123\nER\n", "native_id", "WOS:000123"),
    ("PT J\nAN 9027814\nER\n", "accession", "9027814"),
    ("PT B\nDT Book\nER\n", "entry_type", "book"),
    ("PT J\nDT Article; Proceedings Paper\nER\n", "entry_type", "conference"),
    ("PT P\nER\n", "entry_type", "other"),
    ("PT J\nSO J ONE\nSE SERIES\nER\n", "journal", "J ONE"),
    ("PT J\nDE a; b\n   c; d\nID E\nER\n", "keywords", ["a", "b c", "d", "E"]),
    ("PT J\nSN 1234-5678\nEI 8765-4321\nBN 978-0-19-000000-2\nER\n", "issn", "1234-5678; 8765-4321"),
    ("PT J\nDI 10.1234/X\nER\n", "doi", "10.1234/x"),
], ids=["semicolon-authors", "full-names-preferred", "group-author", "date-year", "page-span", "article-number",
        "begin-end-page", "medline-pmid", "medline-dialect", "zoorec-dialect", "native-id", "inspec-accession",
        "book", "proceedings", "patent", "source", "keywords", "issn", "doi"])
def test_fields(body: str, field: str, expected: object) -> None:
    [record] = read(body)
    assert getattr(record, field) == expected


@pytest.mark.parametrize(("body", "problem"), [
    ("PT J\nTI One\nPT J\nTI Two\nER\n", "no 'ER' before the next record at line 5"),
    ("PT J\nTI One\nEF\n", "no 'ER' before the end of file at line 5"),
    ("TI No type\nER\n", "record does not start with 'PT'"),
    ("PT J\nTI One\nnot a tag line\nER\n", "line 5 has no tag, read as a continuation"),
    ("PT J\nDI 467-72\nER\n", "DOI '467-72' is not DOI-shaped"),
    ("PT J\nPY n.d.\nER\n", "no four-digit year in 'n.d.'"),
], ids=["missing-er", "missing-er-at-ef", "no-pt", "untagged-line", "bad-doi", "bad-year"])
def test_damaged_records_are_kept_with_a_problem(body: str, problem: str) -> None:
    records = read(body)
    assert any(problem in record.problems for record in records)


@pytest.mark.parametrize(("body", "message"), [
    ("PT J\nTI Cut off\n", "w.txt:3: Web of Science record has no 'ER' end line (the file looks truncated)"),
    ("EF\n", "w.txt:1: no Web of Science record found"),
], ids=["truncated", "no-records"])
def test_errors(body: str, message: str) -> None:
    with pytest.raises(ExportError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        read(body)
    assert raised.value.fix


def test_tab_delimited_wos_uses_its_own_column_map() -> None:
    header = ["PT", "AU", "AF", "TI", "SO", "SP", "BP", "EP", "ID", "DE", "PY", "UT"]
    mapped = column_index(header)
    assert mapped["page_start"] == [6]
    assert mapped["authors"] == [2, 1]
    assert mapped["id"] == [11]
    assert mapped["keywords"] == [9, 8]


def test_tab_delimited_wos_reads_through_read_export() -> None:
    data = ("PT\tAU\tAF\tTI\tSO\tSP\tBP\tEP\tID\tDE\tPY\tUT\n"
            "J\tDoe, J\tDoe, Jane\tA title\tJ ONE\tSponsor Inc\t\t\tPLUS\tmine\t2020\tWOS:1\n").encode()
    row = read_export(data, file="savedrecs.txt", source="wos").iloc[0]
    assert (row["format"], row["dialect"], row["record_id"]) == ("tsv", "wos", "wos:WOS:1")
    assert (row["pages"], row["keywords"], row["authors"]) == ("", '["mine"]', '[["Doe","Jane"]]')
