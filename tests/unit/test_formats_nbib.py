"""The MEDLINE / PubMed (.nbib) reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import ExportError
from pipeline.formats import read_export
from pipeline.formats.nbib import split_tag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read_nbib(text: str):
    return read_export(text.encode("utf-8"), file="test.nbib", source="medline", format="nbib")


@pytest.mark.parametrize(("line", "expected"), [
    ("PMID- 28754806", ("PMID", "28754806")),
    ("PMID-22664238", ("PMID", "22664238")),
    ("TI  - A title", ("TI", "A title")),
    ("FAU - Brinjikji, Waleed", ("FAU", "Brinjikji, Waleed")),
    ("ISSN - ISSN-1234-4567", ("ISSN", "ISSN-1234-4567")),
    ("      continued text", None),
    ("plain prose line", None),
], ids=["pmid", "pmid-no-space", "two-letter", "three-letter", "long-tag", "continuation", "prose"])
def test_split_tag(line: str, expected: tuple[str, str] | None) -> None:
    assert split_tag(line) == expected


def test_fixture_records_start_where_their_pmid_is() -> None:
    frame = read_export((FIXTURES / "pubmed.nbib").read_bytes(), file="pubmed.nbib", source="medline")
    assert list(frame["line"]) == ["1", "30"]
    assert list(frame["record_id"]) == ["medline:31000001", "medline:31000002"]
    second = frame.iloc[1]
    assert (second["problems"], second["authors"], second["page_start"]) == (
        "no title", '[["Okafor","CN"]]', "e0136955")


def test_full_author_names_are_preferred_over_initials() -> None:
    frame = read_nbib("PMID- 1\nTI  - T\nDP  - 2001\nFAU - Doe, Jane Q\nAU  - Doe JQ\nAU  - Roe R\n")
    assert json.loads(frame["authors"].iloc[0]) == [["Doe", "JQ"], ["Roe", "R"]], "AU kept: FAU is incomplete"
    frame = read_nbib("PMID- 1\nTI  - T\nDP  - 2001\nFAU - Doe, Jane Q\nAU  - Doe JQ\n")
    assert json.loads(frame["authors"].iloc[0]) == [["Doe", "Jane Q"]]


def test_corporate_author_when_no_person_is_named() -> None:
    frame = read_nbib("PMID- 1\nTI  - T\nDP  - 2001\nCN  - Trauma Study Group\n")
    assert json.loads(frame["authors"].iloc[0]) == [["Trauma Study Group", ""]]


def test_a_second_pmid_without_blank_line_starts_a_new_record() -> None:
    frame = read_nbib("PMID- 1\nTI  - One\nPMID- 2\nTI  - Two\n")
    assert list(frame["title"]) == ["One", "Two"]
    assert list(frame["line"]) == ["1", "3"]


def test_eric_records_use_their_own_accession_number() -> None:
    frame = read_nbib("OWN - ERIC\nTI  - Paper\nAU  - Smith, Tom\nDP  - 2000\nOID - EJ1131633\n"
                      "AID - http://dx.doi.org/10.1000/123456789\nLID - http://eric.ed.gov/?id=EJ1131633\n"
                      "ISSN - ISSN-1234-4567\nPT  - Journal Articles\n")
    row = frame.iloc[0]
    assert (row["record_id"], row["dialect"], row["doi"], row["url"], row["issn"], row["entry_type"]) == (
        "medline:EJ1131633", "eric", "10.1000/123456789", "http://eric.ed.gov/?id=EJ1131633", "1234-4567",
        "journal_article")


@pytest.mark.parametrize(("tags", "entry_type"), [
    ("PT  - Journal Article\n", "journal_article"),
    ("BTI - A book\n", "chapter"),
    ("PT  - Congress\n", "conference"),
    ("PT  - Technical Report\n", "report"),
    ("PT  - Overall\n", "other"),
], ids=["article", "book-chapter", "congress", "report", "unknown"])
def test_entry_types(tags: str, entry_type: str) -> None:
    assert read_nbib(f"PMID- 1\nTI  - T\n{tags}")["entry_type"].iloc[0] == entry_type


def test_lines_without_tags_are_noted() -> None:
    frame = read_nbib("PMID- 1\nTI  - T\nstray text\n\nloose line\n\nPMID- 2\nTI  - U\n")
    assert "line 3 has no tag, read as a continuation" in frame["problems"].iloc[0]
    assert "line 5 has no tag and was skipped" in frame["problems"].iloc[1]


def test_pmid_that_is_not_a_number_is_a_problem() -> None:
    row = read_nbib("PMID- 27433151 SO invalid\nTI  - T\n").iloc[0]
    assert row["pmid"] == ""
    assert "PMID '27433151 SO invalid' is not a number" in row["problems"]


def test_text_with_no_tag_at_all_is_an_export_error() -> None:
    with pytest.raises(ExportError, match=r"^test.nbib:1: no MEDLINE record found .*; export the records from PubMed"):
        read_nbib("      only indented text\n")
