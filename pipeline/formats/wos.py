"""Web of Science plain text ("ISI tagged": ``.txt``, ``.ciw``, ``.isi``), also written by the other
Clarivate databases (Zoological Record, Inspec, BIOSIS, MEDLINE on the WoS platform).

The layout: an ``FN`` / ``VR`` header, then records that start with ``PT`` (publication type) and end
with ``ER``; the file ends with ``EF``. A tag is two characters at the start of a line, a space, the
value; a line indented by three spaces continues the tag above. For the list tags (``AU``, ``AF``,
``CR``, ``C1``, ...) each line is one item; for text tags (``TI``, ``AB``, ``SO``) the lines are
wrapped text. ``raw`` keeps each tag's lines joined by a newline, without the indentation.

A record whose ``ER`` is missing before the next ``PT`` is kept with a problem note; a last record
without ``ER`` (and no ``EF``) means the file was cut off, and is an error.
"""

from __future__ import annotations

from pipeline.errors import ExportError
from pipeline.formats.common import (
    ContinuedValue,
    ParsedRecord,
    digits_only,
    doi_from,
    entry_type_from_words,
    find_year,
    first,
    pages_from_parts,
    split_identifiers,
    split_pages,
    squash,
    unique,
)
from pipeline.formats.lists import split_people

#: ``PT`` codes -> entry type (J journal, B book, S book in series, P patent, C conference).
PUBLICATION_TYPES = {"J": "journal_article", "B": "book", "S": "book", "C": "conference", "P": "other"}

_HEADER_TAGS = frozenset({"FN", "VR"})
_FIX = "export from Web of Science as 'Plain text file' (Full Record), or as tab-delimited"


def is_tag_line(line: str) -> bool:
    """True for ``XX value`` / ``XX`` lines (two upper-case letters or a letter and a digit)."""
    return (len(line) >= 2 and "A" <= line[0] <= "Z" and ("A" <= line[1] <= "Z" or "0" <= line[1] <= "9")
            and (len(line) == 2 or line[2] == " "))


class _Pending:
    __slots__ = ("line", "problems", "tags")

    def __init__(self, line: int):
        self.line = line
        self.tags: dict[str, list[str]] = {}
        self.problems: list[str] = []


def read(lines: list[str], *, file: str) -> list[ParsedRecord]:
    """Parse Web of Science tagged lines into records."""
    records: list[ParsedRecord] = []
    current: _Pending | None = None
    values: list[str] | None = None
    continued = ContinuedValue(file)
    ended = False
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if line[0] == " ":
            if values is not None:
                continued.add(values, line.strip(), index + 1)
            elif current is not None:
                current.problems.append(f"line {index + 1} continues no tag")
            continue
        if not is_tag_line(line):
            if current is not None and values is not None:
                continued.add(values, line.strip(), index + 1)
                current.problems.append(f"line {index + 1} has no tag, read as a continuation")
            elif current is not None:
                current.problems.append(f"line {index + 1} has no tag and was skipped")
            continue
        tag, value = line[:2], line[3:].strip()
        if tag == "ER":
            if current is not None:
                continued.flush()
                records.append(_build(current))
            current, values = None, None
            continue
        if tag == "EF":
            ended = True
            if current is not None:
                current.problems.append(f"no 'ER' before the end of file at line {index + 1}")
                continued.flush()
                records.append(_build(current))
            current, values = None, None
            continue
        if current is None:
            if tag in _HEADER_TAGS:
                values = None
                continue
            current = _Pending(index + 1)
            if tag != "PT":
                current.problems.append("record does not start with 'PT'")
        elif tag == "PT" and "PT" in current.tags:
            current.problems.append(f"no 'ER' before the next record at line {index + 1}")
            continued.flush()
            records.append(_build(current))
            current = _Pending(index + 1)
        values = current.tags.setdefault(tag, [])
        values.append(value)
    if current is not None:
        if not ended:
            raise ExportError("Web of Science record has no 'ER' end line (the file looks truncated)",
                              where=f"{file}:{current.line}", fix=f"re-export the records; {_FIX}")
        continued.flush()
        records.append(_build(current))
    if not records:
        raise ExportError("no Web of Science record found (no 'PT' ... 'ER' block)", where=f"{file}:1", fix=_FIX)
    return records


def _items(values: list[str] | None) -> list[str]:
    """One item per line (list tags), also splitting a line at ';' (MEDLINE-on-WoS writes 'A; B')."""
    return [item.strip() for value in values or () for line in value.split("\n") for item in line.split(";")
            if item.strip()]


def _text(values: list[str] | None) -> str:
    return squash(" ".join(values or ()))


def _terms(values: list[str] | None) -> list[str]:
    """Keyword-like tags: wrapped text, items separated by ';'."""
    return [squash(item) for item in _text(values).split(";") if item.strip()]


def _build(pending: _Pending) -> ParsedRecord:
    tags = pending.tags
    record = ParsedRecord(line=pending.line, raw=tags, problems=pending.problems)
    accession = first(tags.get("UT"))
    prefix, colon, number = accession.partition(":")
    record.dialect = prefix.lower() if colon and prefix.isalpha() and prefix.upper() != "WOS" else "wos"
    record.accession = accession or first(tags.get("AN"))
    record.native_id = record.accession
    type_code = first(tags.get("PT")).upper()
    document_types = _terms(tags.get("DT"))
    record.publication_types = unique(document_types)
    record.entry_type = (entry_type_from_words(document_types) or PUBLICATION_TYPES.get(type_code[:1], "")
                         or "other")
    record.title = _text(tags.get("TI"))
    full = _items(tags.get("AF"))
    short = _items(tags.get("AU"))
    record.authors = split_people(full if len(full) >= len(short) else short)
    if not record.authors:
        record.authors = split_people(_items(tags.get("BF")) or _items(tags.get("BA")))
    if not record.authors:
        record.authors = [(name, "") for name in _items(tags.get("CA")) + _items(tags.get("GP"))]
    dates = [first(tags.get("PY")), first(tags.get("PD")), first(tags.get("EA"))]
    record.year = next((year for year in map(find_year, dates) if year), "")
    if not record.year and any(dates):
        record.problems.append(f"no four-digit year in '{next(date for date in dates if date)}'")
    record.journal = _text(tags.get("SO")) or _text(tags.get("SE")) or _text(tags.get("JI"))
    record.volume = first(tags.get("VL"))
    record.issue = first(tags.get("IS"))
    start, end = first(tags.get("BP")), first(tags.get("EP"))
    if start or end:
        record.pages, record.page_start, record.page_end = pages_from_parts(start, end)
    elif first(tags.get("PS")):
        record.pages = first(tags.get("PS"))
        record.page_start, record.page_end = split_pages(record.pages)
    elif first(tags.get("AR")):
        record.pages = record.page_start = first(tags.get("AR"))
    doi, bad_doi = doi_from(tags.get("DI", []) + tags.get("D2", []))
    if bad_doi and not doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi
    record.pmid = digits_only(first(tags.get("PM"))) or (number if prefix.upper() == "MEDLINE" and number.isdigit()
                                                          else "")
    record.issn, record.isbn = split_identifiers(tags.get("SN", []) + tags.get("EI", []) + tags.get("BN", []))
    record.abstract = _text(tags.get("AB"))
    record.keywords = unique(_terms(tags.get("DE")) + _terms(tags.get("ID")))
    record.language = "; ".join(unique(_terms(tags.get("LA"))))
    record.url = first(tags.get("UR"))
    return record
