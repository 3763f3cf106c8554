"""PubMed / MEDLINE tagged text (``.nbib``, PubMed's "PubMed" format, ``.txt``), and the same layout
as other databases write it (ERIC).

The layout is simple enough that no library is needed (the PyPI readers for it are small and
unmaintained): a tag padded to four characters, ``- ``, the value; a line that starts with spaces
continues the value above; a blank line ends a record. A record also ends where a second ``PMID-``
starts without a blank line in between. ``FAU`` (full author names) is preferred over ``AU``
(initials), ``JT`` (journal title) over ``TA`` (its abbreviation).
"""

from __future__ import annotations

import re

from pipeline.errors import ExportError
from pipeline.formats.common import (
    ParsedRecord,
    TaggedRecords,
    digits_only,
    doi_from,
    entry_type_from_words,
    find_year,
    first,
    split_identifiers,
    split_pages,
    squash,
    unique,
)
from pipeline.formats.lists import split_people

_LOOSE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,4}) *- ?(.*)$")


def split_tag(line: str) -> tuple[str, str] | None:
    """("PMID", "123") for ``PMID- 123``; None when the line is not a MEDLINE tag line."""
    if len(line) >= 5 and line[4] == "-" and line[0].isupper():
        tag = line[:4].rstrip()
        if tag.isalnum() and tag.isupper():
            return tag, line[6:] if line[5:6] == " " else line[5:]
    if line[:1].isupper():
        match = _LOOSE_TAG.match(line)
        if match:
            return match.group(1), match.group(2)
    return None


def read(lines: list[str], *, file: str) -> list[ParsedRecord]:
    """Parse MEDLINE-tagged lines into records."""
    gathered = TaggedRecords(_build, start_tag="PMID", file=file)
    for index, line in enumerate(lines):
        if not line.strip():
            gathered.blank()
            continue
        if line[0] in " \t":
            if not gathered.extend(line, index):
                gathered.note(f"line {index + 1} continues no tag")
            continue
        parts = split_tag(line)
        if parts is not None:
            gathered.add(index, *parts)
        elif gathered.extend(line, index):
            gathered.note(f"line {index + 1} has no tag, read as a continuation")
        else:
            gathered.note(f"line {index + 1} has no tag and was skipped")
    records = gathered.finish()
    if not records:
        raise ExportError("no MEDLINE record found (no 'PMID- ' or other tag line)", where=f"{file}:1",
                          fix="export the records from PubMed as 'PubMed' format (.nbib)")
    return records


def _people(tags: dict[str, list[str]]) -> list[tuple[str, str]]:
    full = tags.get("FAU", [])
    short = tags.get("AU", [])
    people = split_people(full if len(full) >= len(short) else short)
    if not people:
        people = [(squash(name), "") for name in tags.get("CN", []) if name.strip()]
    return people


def _entry_type(tags: dict[str, list[str]]) -> str:
    publication_types = tags.get("PT", [])
    if "BTI" in tags:
        return "chapter" if "TI" in tags else "book"
    found = entry_type_from_words(publication_types)
    if found:
        return found
    return "journal_article" if ("JT" in tags or "TA" in tags) else "other"


def _build(start: int, tags: dict[str, list[str]], problems: list[str]) -> ParsedRecord:
    pmid_text = first(tags.get("PMID"))
    record = ParsedRecord(line=start, raw=tags, problems=problems)
    record.pmid = digits_only(pmid_text)
    if pmid_text and not record.pmid:
        record.problems.append(f"PMID '{pmid_text}' is not a number")
    owner = first(tags.get("OWN")).upper()
    record.dialect = "eric" if owner == "ERIC" else ("pubmed" if record.pmid or owner == "NLM" else "generic")
    record.accession = record.pmid or first(tags.get("OID")) or first(tags.get("AN"))
    record.native_id = record.accession
    record.entry_type = _entry_type(tags)
    record.title = first(tags.get("TI")) or first(tags.get("BTI"))
    record.authors = _people(tags)
    dates = tags.get("DP", []) + tags.get("DEP", [])
    record.year = next((year for year in map(find_year, dates) if year), "")
    if not record.year and first(dates):
        record.problems.append(f"no four-digit year in '{first(dates)}'")
    record.journal = first(tags.get("JT")) or first(tags.get("TA")) or (
        first(tags.get("BTI")) if "TI" in tags else "")
    record.volume = first(tags.get("VI"))
    record.issue = first(tags.get("IP"))
    record.pages = first(tags.get("PG"))
    record.page_start, record.page_end = split_pages(record.pages)
    identifiers = tags.get("LID", []) + tags.get("AID", [])
    marked = [value for value in identifiers if value.rstrip().lower().endswith("[doi]")]
    doi, bad_doi = doi_from(marked)
    if not doi:
        doi, _ = doi_from([value for value in identifiers if "[" not in value])
    if bad_doi and not doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi
    record.issn, record.isbn = split_identifiers(tags.get("IS", []) + tags.get("ISSN", []) + tags.get("ISBN", []))
    record.abstract = " ".join(squash(value) for value in tags.get("AB", []) if value.strip())
    record.keywords = unique([squash(value) for value in tags.get("OT", []) + tags.get("MH", [])])
    record.language = "; ".join(unique([squash(value) for value in tags.get("LA", [])]))
    record.publication_types = unique([squash(value) for value in tags.get("PT", [])])
    links = [squash(value) for value in identifiers if value.strip().lower().startswith("http")]
    record.url = next((link for link in links if "doi.org/" not in link), "")
    return record
