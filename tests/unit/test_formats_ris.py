"""The RIS reader: record boundaries, line numbers, continuation lines, vendor dialects and ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rispy

from pipeline.errors import ExportError
from pipeline.formats import read_export
from pipeline.formats.ris import split_tag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def read_ris(text: str):
    return read_export(text.encode("utf-8"), file="test.ris", source="src", format="ris")


@pytest.mark.parametrize(("line", "expected"), [
    ("TY  - JOUR", ("TY", "JOUR")),
    ("ER  -", ("ER", "")),
    ("ER  - ", ("ER", "")),
    ("A1  - Marx, Karl", ("A1", "Marx, Karl")),
    ("SP  -", ("SP", "")),
    ("KW - single space", ("KW", "single space")),
    ("PMID  - 33355555", ("PMID", "33355555")),
    ("ER then second line", None),
    ("      * continued", None),
    ("1.", None),
    ("ty  - lower case", None),
], ids=["type", "end-bare", "end-space", "digit-tag", "empty-value", "one-space", "pmid", "prose", "indented",
        "ovid-number", "lower-case"])
def test_split_tag(line: str, expected: tuple[str, str] | None) -> None:
    assert split_tag(line) == expected


@pytest.mark.parametrize(("name", "lines", "dialects"), [
    ("ebsco.ris", ["1", "25"], ["ebsco", "ebsco"]),
    ("ovid.ris", ["2", "29"], ["ovid", "ovid"]),
    ("proquest.ris", ["1", "22"], ["proquest", "proquest"]),
], ids=["ebsco", "ovid", "proquest"])
def test_fixture_record_starts_and_dialects(name: str, lines: list[str], dialects: list[str]) -> None:
    frame = read_export((FIXTURES / name).read_bytes(), file=name, source="s")
    assert list(frame["line"]) == lines
    assert list(frame["dialect"]) == dialects


@pytest.mark.parametrize("name", ["ebsco.ris", "ovid.ris", "proquest.ris"])
def test_agrees_with_rispy_on_records_and_titles(name: str) -> None:
    """An independent reader finds the same records with the same titles."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    theirs = rispy.loads(text)
    ours = read_export(text.encode("utf-8"), file=name, source="s")
    assert len(ours) == len(theirs)
    assert list(ours["title"]) == [entry.get("primary_title", entry.get("title", "")) for entry in theirs]


def test_ovid_tags_after_er_stay_with_their_record_and_no_pagination_is_empty() -> None:
    frame = read_export((FIXTURES / "ovid.ris").read_bytes(), file="ovid.ris", source="s")
    assert json.loads(frame["raw"].iloc[0])["NL"] == ["J Refug Serv Work"]
    chapter = frame.iloc[1]
    assert (chapter["entry_type"], chapter["pages"], chapter["page_start"], chapter["isbn"]) == (
        "chapter", "", "", "9781433899991")
    assert chapter["journal"] == "Trauma-informed practice with displaced people"


def test_continuation_lines_join_the_value_above() -> None:
    frame = read_ris("TY  - JOUR\nTI  - A long\n      title\nKW  - first\nsecond\nthird\nER  - \n")
    assert frame["title"].iloc[0] == "A long title"
    assert json.loads(frame["keywords"].iloc[0]) == ["first", "second", "third"]
    assert json.loads(frame["raw"].iloc[0])["TI"] == ["A long\n      title"]


def test_a_line_starting_with_er_but_not_a_tag_is_text() -> None:
    frame = read_ris("TY  - JOUR\nN2  - first line,\nER then more\nER  -\n")
    assert len(frame) == 1
    assert frame["abstract"].iloc[0] == "first line, ER then more"


def test_missing_er_between_records_is_noted_not_fatal() -> None:
    frame = read_ris("TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n")
    assert list(frame["title"]) == ["One", "Two"]
    assert "no 'ER  -' before the next record at line 3" in frame["problems"].iloc[0]


def test_tags_between_records_with_a_title_mean_a_lost_ty() -> None:
    text = "TY  - JOUR\nTI  - One\nER  - \n\nTI  - Two\nAU  - Doe, Jane\nER  - \n"
    with pytest.raises(ExportError, match=r"test.ris:5: record has no 'TY  -' tag; re-export as RIS"):
        read_ris(text)


def test_header_lines_before_the_first_record_are_skipped() -> None:
    frame = read_ris("Provider: American Psychological Association\nDatabase: PsycINFO\n\nTY  - JOUR\n"
                     "TI  - One\nER  - \n")
    assert list(frame["line"]) == ["4"]


@pytest.mark.parametrize(("tags", "dialect", "accession", "pmid"), [
    ("DP  - EBSCOhost\nAN  - 123\n", "ebsco", "123", ""),
    ("DP  - EBSCOhost\nN1  - Accession Number: 555; Doe\n", "ebsco", "555", ""),
    ("UR  - https://www.proquest.com/docview/42\nAN  - 42; 7\n", "proquest", "42; 7", ""),
    ("DB  - Embase\nU2  - L2001\n", "embase", "L2001", ""),
    ("UR  - https://www.scopus.com/inward/record.uri?eid=2-s2.0-8512&x=1\n", "scopus", "2-s2.0-8512", ""),
    ("AN  - WOS:000111\n", "wos", "WOS:000111", ""),
    ("DP  - NLM\nAN  - 21553931\n", "pubmed", "21553931", "21553931"),
    ("ID  - 12345\nDA  - 2019///\nPY  - 2019\n", "zotero", "", ""),
    ("ID  - 12345\n", "generic", "", ""),
    ("L2  - http://ovidsp.ovid.com/x?D=medl&AN=31\nID  - 31\nDB  - Ovid MEDLINE(R)\n", "ovid", "31", "31"),
    ("PMID  - 987\n", "generic", "", "987"),
    ("UR  - https://pubmed.ncbi.nlm.nih.gov/4242/\n", "generic", "", "4242"),
], ids=["ebsco-an", "ebsco-note", "proquest", "embase", "scopus", "wos", "pubmed", "zotero", "generic-id",
        "ovid-medline", "pmid-tag", "pubmed-link"])
def test_dialect_and_accession_cues(tags: str, dialect: str, accession: str, pmid: str) -> None:
    row = read_ris(f"TY  - JOUR\nTI  - T\n{tags}ER  - \n").iloc[0]
    assert (row["dialect"], row["accession"], row["pmid"]) == (dialect, accession, pmid)


def test_endnote_is_recognised_by_its_alphabetical_tags() -> None:
    tags = "AB  - a\nAU  - Doe, J.\nDA  - Jun\nIS  - 2\nPY  - 2011\nT2  - J\nTI  - T\n"
    row = read_ris(f"TY  - JOUR\n{tags}ER  - \n").iloc[0]
    assert row["dialect"] == "endnote"


@pytest.mark.parametrize(("tags", "doi", "problem"), [
    ("DO  - 10.1000/ABC\n", "10.1000/abc", ""),
    ("DO  - http://dx.doi.org/10.1000/x\n", "10.1000/x", ""),
    ("L3  - 10.1000/from-l3\n", "10.1000/from-l3", ""),
    ("M3  - doi: 10.1000/from-m3\n", "10.1000/from-m3", ""),
    ("UR  - https://doi.org/10.1000/from-link\n", "10.1000/from-link", ""),
    ("DO  - DOI\n", "", "DOI 'DOI' is not DOI-shaped"),
], ids=["plain", "resolver", "ebsco-l3", "m3", "link", "not-a-doi"])
def test_doi_sources(tags: str, doi: str, problem: str) -> None:
    row = read_ris(f"TY  - JOUR\nTI  - T\nAU  - Doe, J\nPY  - 2000\n{tags}ER  - \n").iloc[0]
    assert (row["doi"], row["problems"]) == (doi, problem)


@pytest.mark.parametrize(("type_code", "entry_type"), [
    ("JOUR", "journal_article"), ("BOOK", "book"), ("CHAP", "chapter"), ("THES", "thesis"),
    ("CONF", "conference"), ("RPRT", "report"), ("GEN", "other"),
])
def test_entry_types(type_code: str, entry_type: str) -> None:
    assert read_ris(f"TY  - {type_code}\nTI  - T\nER  - \n")["entry_type"].iloc[0] == entry_type


def test_book_title_is_the_title_of_a_book_without_ti() -> None:
    row = read_ris("TY  - BOOK\nBT  - The whole book\nER  - \n").iloc[0]
    assert (row["title"], row["journal"]) == ("The whole book", "")


def test_year_without_four_digits_is_a_problem() -> None:
    row = read_ris("TY  - JOUR\nTI  - T\nAU  - Doe, J\nPY  - 10 15\nER  - \n").iloc[0]
    assert row["year"] == ""
    assert row["problems"] == "no year; no four-digit year in '10 15'"


@pytest.mark.parametrize(("tags", "pages"), [
    ("C7  - e0191645\n", ("e0191645", "e0191645", "")),
    ("C7  - 117694\n", ("117694", "117694", "")),
    ("SP  - 12-19\nC7  - 117694\n", ("12-19", "12", "19")),
    ("C7  - Custom 7\n", ("", "", "")),
], ids=["e-number", "number", "pages-win", "not-a-number"])
def test_an_article_number_in_c7_is_the_page_when_there_is_no_page(tags: str, pages: tuple[str, str, str]) -> None:
    frame = read_ris(f"TY  - JOUR\nTI  - An e-only article\n{tags}DB  - Scopus\nER  - \n")
    assert tuple(frame[["pages", "page_start", "page_end"]].iloc[0]) == pages
    assert "C7" not in tags or json.loads(frame["raw"].iloc[0])["C7"]  # the raw field stays as given
