"""Shared rules: names, pages, years, identifiers and the record frame."""

from __future__ import annotations

import pytest

from pipeline.formats.common import (
    ParsedRecord,
    entry_type_from_words,
    find_year,
    pages_from_parts,
    split_identifiers,
    split_pages,
    to_frame,
)
from pipeline.formats.lists import split_list, split_person
from pipeline.keys import record_key


@pytest.mark.parametrize(("name", "expected"), [
    ("Trindade, Ines A", ("Trindade", "Ines A")),
    ("Shannon,Claude E.", ("Shannon", "Claude E.")),
    ("Brinjikji W", ("Brinjikji", "W")),
    ("van der Berg P", ("van der Berg", "P")),
    ("Adler D.G.", ("Adler", "D.G.")),
    ("Liu R.", ("Liu", "R.")),
    ("Jane Doe", ("Doe", "Jane")),
    ("Ludwig van Beethoven", ("van Beethoven", "Ludwig")),
    ("A. Author-One", ("Author-One", "A.")),
    ("Martin Luther King Jr.", ("King", "Martin Luther")),
    ("King, Jr., Martin", ("King", "Martin")),
    ("Plato", ("Plato", "")),
    ("  ", ("", "")),
    ("Slavin S. A.", ("Slavin", "S. A.")),
    ("Kim Y J", ("Kim", "Y J")),
    ("van der Berg P. J.", ("van der Berg", "P. J.")),
], ids=["last-first", "no-space-comma", "medline", "medline-particle", "embase", "embase-one", "first-last",
        "particle", "initial-first", "suffix", "comma-suffix", "mononym", "blank", "spaced-initials",
        "spaced-letters", "particle-spaced-initials"])
def test_split_person(name: str, expected: tuple[str, str]) -> None:
    assert split_person(name) == expected


@pytest.mark.parametrize(("pages", "expected"), [
    ("601-10", ("601", "610")),
    ("335-339", ("335", "339")),
    ("512--20", ("512", "520")),
    ("e0136955", ("e0136955", "")),
    ("S12-4", ("S12", "S14")),
    ("S12-S14", ("S12", "S14")),
    ("1-5, 7-9", ("1", "9")),
    ("xii-xv", ("xii", "xv")),
    ("99-1", ("99", "1")),
    ("No Pagination Specified", ("", "")),
    ("", ("", "")),
], ids=["abbreviated", "full", "bibtex-dash", "article-number", "prefix", "both-prefixed", "ranges", "roman",
        "not-expandable", "ovid-none", "empty"])
def test_split_pages(pages: str, expected: tuple[str, str]) -> None:
    assert split_pages(pages) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("206", "17", ("206-17", "206", "217")),
    ("4", "4", ("4", "4", "4")),
    ("No", "Specified", ("", "", "")),
    ("335-339", "", ("335-339", "335", "339")),
    ("", "12", ("12", "", "12")),
], ids=["abbreviated", "single", "ovid-none", "range-in-start", "end-only"])
def test_pages_from_parts(start: str, end: str, expected: tuple[str, str, str]) -> None:
    assert pages_from_parts(start, end) == expected


@pytest.mark.parametrize(("text", "year"), [
    ("2019//", "2019"), ("2018 Apr", "2018"), ("2016/09//", "2016"), ("Jun", ""), ("10 15", ""),
    ("12345", ""), ("c1999", "1999"),
])
def test_find_year(text: str, year: str) -> None:
    assert find_year(text) == year


@pytest.mark.parametrize(("values", "expected"), [
    (["1999-7777(Electronic),0222-6666(Print)"], ("1999-7777; 0222-6666", "")),
    (["03064530 (ISSN)"], ("0306-4530", "")),
    (["0894-9867, 0894-9867"], ("0894-9867", "")),
    (["ISSN-1234-456x"], ("1234-456X", "")),
    (["978-1-4338-9999-1", "0-13-110362-8"], ("", "9781433899991; 0131103628")),
    (["issn1"], ("", "")),
], ids=["print-electronic", "scopus", "repeated", "eric-label", "isbn", "junk"])
def test_split_identifiers(values: list[str], expected: tuple[str, str]) -> None:
    assert split_identifiers(values) == expected


@pytest.mark.parametrize(("words", "expected"), [
    (["Journal Article", "Review"], "journal_article"),
    (["Book Chapter"], "chapter"),
    (["Dissertation/Thesis"], "thesis"),
    (["Conference Paper"], "conference"),
    (["Dataset"], ""),
])
def test_entry_type_from_words(words: list[str], expected: str) -> None:
    assert entry_type_from_words(words) == expected


def test_to_frame_makes_ids_unique_and_notes_missing_fields() -> None:
    records = [
        ParsedRecord(line=1, raw={}, native_id="7", title="T", authors=[("Doe", "J")], year="2000"),
        ParsedRecord(line=5, raw={}, native_id="7"),
        ParsedRecord(line=9, raw={}, native_id="7#2"),
        ParsedRecord(line=12, raw={}),
    ]
    frame = to_frame(records, source="s", file="f.ris", format="ris")
    assert list(frame["record_id"]) == ["s:7", "s:7#2", "s:7#2#2", "s:4"]
    assert frame["problems"].iloc[0] == ""
    assert frame["problems"].iloc[1] == "no title; no authors; no year; record id s:7 repeats in the file (copy #2)"
    assert frame["record_key"].iloc[0] == record_key(title="T", first_family="Doe", year="2000")
    assert frame["record_key"].iloc[0].startswith("ref:doe2000-")


@pytest.mark.parametrize(("cell", "items"), [
    ("cyst (diagnosis, surgery), colonoscopy, human", ["cyst (diagnosis, surgery)", "colonoscopy", "human"]),
    ("a; b (c; d); e", ["a", "b (c; d)", "e"]),
    ("[x, y] z, w", ["[x, y] z", "w"]),
    ("open (bracket, never closed", ["open (bracket", "never closed"]),
    ("stray ), close, here", ["stray )", "close", "here"]),
    ("plain, list", ["plain", "list"]),
])
def test_keyword_cells_split_outside_brackets(cell, items):
    assert split_list(cell) == items


def test_parsed_record_field_order_is_the_one_the_ris_reader_passes() -> None:
    # pipeline.formats.ris builds ParsedRecord by position for speed; a reordered field would shift values.
    from dataclasses import fields

    assert [f.name for f in fields(ParsedRecord)] == [
        "line", "raw", "dialect", "entry_type", "native_id", "title", "authors", "year", "journal", "volume",
        "issue", "pages", "page_start", "page_end", "doi", "pmid", "accession", "database", "issn", "isbn",
        "abstract", "keywords", "language", "publication_types", "url", "problems"]
