"""EndNote / Refer tagged text (.enw)."""

from __future__ import annotations

import pytest

from pipeline.errors import ExportError
from pipeline.formats import enw


def read(text: str) -> list:
    return enw.read(text.split("\n"), file="e.enw")


@pytest.mark.parametrize(("text", "count", "lines"), [
    ("%0 Book\n%T A\n\n%0 Book\n%T B\n", 2, [1, 4]),
    ("%0 Book\n%T A\n%0 Book\n%T B\n", 2, [1, 3]),
    ("%T A\n%0 Journal Article\n%D 2020\n\n\n%T B\n%D 2021\n", 2, [1, 6]),
    ("\n\n%0 Book\n%T A\n\n\n", 1, [3]),
], ids=["blank-line", "back-to-back", "type-after-title", "surrounding-blanks"])
def test_record_boundaries(text: str, count: int, lines: list[int]) -> None:
    records = read(text)
    assert len(records) == count
    assert [record.line for record in records] == lines


@pytest.mark.parametrize(("text", "field", "expected"), [
    ("%0 Journal Article\n%A Doe, Jane\n%A Roe, R.\n", "authors", [("Doe", "Jane"), ("Roe", "R.")]),
    ("%0 Journal Article\n%A a1l, a1f and a2l, a2f\n", "authors", [("a1l", "a1f"), ("a2l", "a2f")]),
    ("%0 Edited Book\n%E Weber, Klaus\n", "authors", [("Weber", "Klaus")]),
    ("%0 Book Section\n%T Chapter\n%B The Book\n", "journal", "The Book"),
    ("%0 Journal Article\n%J J One\n%B Other\n", "journal", "J One"),
    ("%0 Book Section\n", "entry_type", "chapter"),
    ("%0 Conference Paper\n", "entry_type", "conference"),
    ("%0 Thesis\n%9 Ph.D.\n", "publication_types", ["Thesis", "Ph.D."]),
    ("%0 Generic\n%8 September 1, 2021\n", "year", "2021"),
    ("%0 Journal Article\n%P 1309-48\n", "page_end", "1348"),
    ("%0 Journal Article\n%K one\ntwo\n%K three; four\n", "keywords", ["one", "two", "three", "four"]),
    ("%0 Journal Article\n%@ 978-3-86490-311-3\n", "isbn", "9783864903113"),
    ("%0 Journal Article\n%R doi:10.1234/ABC\n", "doi", "10.1234/abc"),
    ("%0 Journal Article\n%U https://doi.org/10.1234/x\n", "doi", "10.1234/x"),
    ("%0 Journal Article\n%U https://pubmed.ncbi.nlm.nih.gov/123456/\n", "pmid", "123456"),
    ("%0 Journal Article\n%M 123\n", "native_id", "123"),
    ("%0 Journal Article\n%U https://aisel.aisnet.org/misq/vol45/iss3/13\n", "dialect", "ais"),
    ("%0 Journal Article\n%X First line\nsecond line\n", "abstract", "First line second line"),
], ids=["one-per-line", "joined-with-and", "editors-when-no-author", "book-title", "journal-first",
        "book-section", "conference", "work-type", "date-year", "pages", "keyword-lines", "isbn", "doi",
        "doi-in-link", "pmid-in-link", "accession", "ais", "multi-line-abstract"])
def test_fields(text: str, field: str, expected: object) -> None:
    [record] = read(text)
    assert getattr(record, field) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("%T Only a title\n%D 2020\n", "no '%0' reference type"),
    ("stray text\n%0 Book\n%T A\n", "line 1 has no '%' tag and was skipped"),
    ("%0 Book\n%D Date\n", "no four-digit year in 'Date'"),
    ("%0 Book\n%R Type\n", "DOI 'Type' is not DOI-shaped"),
], ids=["no-type", "stray-line", "bad-year", "bad-doi"])
def test_problems_are_noted(text: str, problem: str) -> None:
    [record] = read(text)
    assert problem in record.problems


def test_no_records_is_an_error() -> None:
    with pytest.raises(ExportError, match=r"^e.enw:1: no EndNote record found .*; export from EndNote"):
        read("\n\n")
