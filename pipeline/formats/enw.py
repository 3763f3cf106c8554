"""EndNote / Refer tagged text (``.enw``, ``.enl`` exports, ``.ref``, AIS eLibrary ``.txt``).

A tag is ``%`` plus one character at the start of a line (``%0`` reference type, ``%A`` author,
``%T`` title, ``%D`` year, ...), a space, the value; a line without a tag continues the value above
(EndNote writes one keyword per line under ``%K``). A blank line ends a record, and so does a second
``%0`` (some tools write records back to back). ``raw`` keeps each tag with its lines joined by a
newline.

Tags read (the Refer letters as EndNote uses them): ``%0`` type, ``%A`` authors (``%E`` editors and
``%Y`` secondary authors when there is no ``%A``), ``%T`` title, ``%J`` journal, ``%B`` secondary
title (journal or book title), ``%D`` year, ``%8`` date, ``%V`` volume, ``%N`` issue, ``%P``
pages, ``%@`` ISSN/ISBN, ``%R`` DOI, ``%M`` accession number, ``%~`` database name, ``%K``
keywords, ``%X`` abstract, ``%G`` language, ``%9`` type of work, ``%U`` URL.
"""

from __future__ import annotations

import re

from pipeline.errors import ExportError
from pipeline.formats.common import (
    ParsedRecord,
    TaggedRecords,
    doi_from,
    doi_in_links,
    entry_type_from_words,
    find_year,
    first,
    pmid_in_links,
    split_identifiers,
    split_pages,
    squash,
    unique,
)
from pipeline.formats.lists import split_author_list, split_person

#: ``%0`` reference types (lower case) -> entry type; other types go through the word rules.
REFERENCE_TYPES = {
    "journal article": "journal_article", "electronic article": "journal_article",
    "magazine article": "journal_article", "newspaper article": "journal_article",
    "book": "book", "edited book": "book", "electronic book": "book",
    "book section": "chapter", "electronic book section": "chapter",
    "thesis": "thesis", "conference paper": "conference", "conference proceedings": "conference",
    "report": "report", "government document": "report",
}

_SEVERAL_PEOPLE = re.compile(r";|\s+and\s+", re.IGNORECASE)
_KEYWORD_SPLIT = re.compile(r"[\n;]")


def is_tag_line(line: str) -> bool:
    """True for ``%X value`` or a bare ``%X``."""
    return len(line) >= 2 and line[0] == "%" and line[1] not in " \t" and (len(line) == 2 or line[2] == " ")


def read(lines: list[str], *, file: str) -> list[ParsedRecord]:
    """Parse EndNote tagged lines into records."""
    gathered = TaggedRecords(_build, start_tag="0", file=file)
    for index, line in enumerate(lines):
        if not line.strip():
            gathered.blank()
        elif is_tag_line(line):
            gathered.add(index, line[1], line[3:])
        elif not gathered.extend(line, index):
            gathered.note(f"line {index + 1} has no '%' tag and was skipped")
    records = gathered.finish()
    if not records:
        raise ExportError("no EndNote record found (no '%0' or other '%' tag line)", where=f"{file}:1",
                          fix="export from EndNote as 'EndNote Export' (.enw) or as RIS")
    return records


def _people(values: list[str]) -> list[tuple[str, str]]:
    people: list[tuple[str, str]] = []
    for value in values:
        if _SEVERAL_PEOPLE.search(value):
            people.extend(split_author_list(value))
        else:
            person = split_person(value)
            if person[0] or person[1]:
                people.append(person)
    return people


def _build(start: int, tags: dict[str, list[str]], problems: list[str]) -> ParsedRecord:
    record = ParsedRecord(line=start, raw=tags, problems=problems)
    reference_type = first(tags.get("0"))
    work_types = [squash(value) for value in tags.get("9", []) if value.strip()]
    record.entry_type = (REFERENCE_TYPES.get(reference_type.lower()) or entry_type_from_words([reference_type])
                         or "other")
    record.publication_types = unique(([reference_type] if reference_type else []) + work_types)
    if not reference_type:
        record.problems.append("no '%0' reference type")
    record.title = first(tags.get("T"))
    record.authors = _people(tags.get("A", [])) or _people(tags.get("E", []) + tags.get("Y", []))
    dates = tags.get("D", []) + tags.get("8", [])
    record.year = next((year for year in map(find_year, dates) if year), "")
    if not record.year and first(dates):
        record.problems.append(f"no four-digit year in '{first(dates)}'")
    secondary = first(tags.get("B"))
    record.journal = first(tags.get("J")) or (secondary if secondary != record.title else "")
    record.volume = first(tags.get("V"))
    record.issue = first(tags.get("N"))
    record.pages = first(tags.get("P"))
    record.page_start, record.page_end = split_pages(record.pages)
    doi, bad_doi = doi_from(tags.get("R", []))
    links = tags.get("U", []) + tags.get(">", [])
    doi = doi or doi_in_links(links)
    if bad_doi and not doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi
    record.accession = first(tags.get("M"))
    record.native_id = record.accession
    record.pmid = pmid_in_links(links)
    record.database = first(tags.get("~"))
    record.issn, record.isbn = split_identifiers(tags.get("@", []))
    record.abstract = " ".join(squash(value) for value in tags.get("X", []) if value.strip())
    record.keywords = unique([squash(part) for value in tags.get("K", []) for part in _KEYWORD_SPLIT.split(value)])
    record.language = "; ".join(unique([squash(value) for value in tags.get("G", []) if value.strip()]))
    record.url = first(links)
    record.dialect = "ais" if "aisel.aisnet.org" in record.url else "endnote"
    return record
