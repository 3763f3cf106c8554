"""EndNote XML (``<xml><records><record>...``), as EndNote, Bookends and Zotero write it.

Read with the standard library's expat parser (no external entities are fetched; the text is
decoded first like every export, so a byte-order mark or a legacy code page is handled the same
way and the declaration's ``encoding`` is only a hint for :mod:`.encoding`), which reports
the line each ``<record>`` starts on. Inside a record every element with text becomes a ``raw``
entry named by its path below ``<record>`` (``titles/title``, ``contributors/authors/author``,
``dates/pub-dates/date``); ``<style>`` wrappers are transparent (their text belongs to the element
around them) and attributes are kept as ``path@attribute`` (``ref-type@name``).

Fields: ``ref-type`` (its ``name``) for the entry type, ``titles/title``, the authors, ``dates/year``
(else ``dates/pub-dates/date``), ``periodical/full-title`` (else ``titles/secondary-title``, then the
abbreviations), ``volume``, ``number`` (issue), ``pages``, ``electronic-resource-num`` (DOI),
``accession-num``, ``remote-database-name``, ``isbn`` (EndNote's field for ISSN and ISBN),
``abstract``, ``keywords/keyword``, ``language``, ``work-type``, ``urls``.
"""

from __future__ import annotations

import re
from xml.parsers import expat

from pipeline.errors import ExportError
from pipeline.formats import budget
from pipeline.formats.common import (
    ParsedRecord,
    digits_only,
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
from pipeline.formats.lists import split_people
from pipeline.formats.enw import REFERENCE_TYPES

#: EndNote's numeric ``ref-type`` codes for the types whose name an export may omit.
REF_TYPE_CODES = {"17": "journal_article", "6": "book", "28": "book", "5": "chapter", "32": "thesis",
                  "10": "conference", "47": "conference", "27": "report", "46": "report"}

_FIX = "export from EndNote as XML (File > Export, 'XML'), or as RIS"
_TRANSPARENT = frozenset({"style", "xml", "records"})
_KEYWORD_SPLIT = re.compile(r"[\n;]")
_AUTHOR_PATHS = ("contributors/authors/author", "contributors/secondary-authors/author",
                 "contributors/tertiary-authors/author")


class _TooDeep(Exception):
    """Raised from a callback to stop the parser at an element nested deeper than MAX_XML_DEPTH."""


class _Collector:
    """expat callbacks that turn ``<record>`` elements into (line, raw fields) pairs.

    Every element counts towards the depth, inside a record or not: the element paths are built by
    joining the open elements, so unbounded nesting would cost time quadratic in the depth.
    """

    def __init__(self, parser: expat.XMLParserType, file: str):
        self.parser = parser
        self.file = file
        self.depth = 0
        self.records: list[tuple[int, dict[str, list[str]]]] = []
        self.seen_root = False
        self.fields: dict[str, list[str]] | None = None
        self.path: list[str] = []
        self.texts: list[list[str]] = []
        self.has_children: list[bool] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.seen_root = True
        self.depth += 1
        if self.depth > budget.MAX_XML_DEPTH:
            raise _TooDeep
        if self.fields is None:
            if name == "record":
                self.fields = {}
                self.records.append((self.parser.CurrentLineNumber, self.fields))
            return
        if name == "style":
            return
        if self.has_children:
            self.has_children[-1] = True
        self.path.append(name)
        self.texts.append([])
        self.has_children.append(False)
        key = "/".join(self.path)
        for attribute, value in attributes.items():
            self.fields.setdefault(f"{key}@{attribute}", []).append(value)

    def end(self, name: str) -> None:
        self.depth -= 1
        if self.fields is None or name == "style":
            return
        if not self.path:
            self.fields = None
            return
        key = "/".join(self.path)
        text = "".join(self.texts.pop())
        if len(text) > budget.MAX_FIELD_CHARS:
            raise budget.field_too_long(len(text), where=f"{self.file}:{self.parser.CurrentLineNumber}",
                                 what=f"element <{name}>")
        had_children = self.has_children.pop()
        self.path.pop()
        if text.strip() or not had_children:
            self.fields.setdefault(key, []).append(text)

    def text(self, data: str) -> None:
        if self.texts:
            self.texts[-1].append(data)


def read(text: str, *, file: str) -> list[ParsedRecord]:
    """Parse EndNote XML text (already decoded, so the declaration's encoding is not used) into records."""
    parser = expat.ParserCreate()
    collector = _Collector(parser, file)
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.CharacterDataHandler = collector.text
    parser.buffer_text = True
    try:
        parser.Parse(text, True)
    except _TooDeep:
        raise ExportError(f"XML elements are nested more than {budget.MAX_XML_DEPTH} deep (an EndNote record is about "
                          "8 deep; the file is damaged or not an export)",
                          where=f"{file}:{parser.CurrentLineNumber}", fix=f"re-export the file; {_FIX}") from None
    except expat.ExpatError as exc:
        line = exc.lineno or 1
        raise ExportError(f"EndNote XML is not well-formed ({expat.ErrorString(exc.code)}, column {exc.offset})",
                          where=f"{file}:{line}", fix=f"re-export the file; {_FIX}") from None
    if not collector.records:
        raise ExportError("no EndNote <record> found", where=f"{file}:1", fix=_FIX)
    return [_build(line, fields) for line, fields in collector.records]


def _text(fields: dict[str, list[str]], *paths: str) -> str:
    for path in paths:
        value = first(fields.get(path))
        if value:
            return value
    return ""


def _entry_type(fields: dict[str, list[str]]) -> str:
    name = _text(fields, "ref-type@name")
    return (REFERENCE_TYPES.get(name.lower()) or REF_TYPE_CODES.get(_text(fields, "ref-type"))
            or entry_type_from_words([name]) or "other")


def _build(line: int, fields: dict[str, list[str]]) -> ParsedRecord:
    record = ParsedRecord(line=line, raw=fields, dialect="endnote")
    app = _text(fields, "source-app").lower()
    if app and app != "endnote":
        record.dialect = app.split()[0]
    record.entry_type = _entry_type(fields)
    record.title = _text(fields, "titles/title")
    people = [name for path in _AUTHOR_PATHS[:1] for name in fields.get(path, [])]
    record.authors = split_people(people) or split_people(
        [name for path in _AUTHOR_PATHS[1:] for name in fields.get(path, [])])
    dates = fields.get("dates/year", []) + fields.get("dates/pub-dates/date", [])
    record.year = next((year for year in map(find_year, dates) if year), "")
    if not record.year and first(dates):
        record.problems.append(f"no four-digit year in '{first(dates)}'")
    record.journal = _text(fields, "periodical/full-title", "titles/secondary-title", "secondary-title",
                           "periodical/abbr-1", "titles/alt-title", "alt-periodical/full-title")
    if record.journal == record.title and record.entry_type == "book":
        record.journal = ""
    record.volume = _text(fields, "volume")
    record.issue = _text(fields, "number", "issue")
    record.pages = _text(fields, "pages")
    record.page_start, record.page_end = split_pages(record.pages)
    links = [value for key, values in fields.items() if key.startswith("urls/") and "@" not in key
             for value in values]
    doi, bad_doi = doi_from(fields.get("electronic-resource-num", []))
    doi = doi or doi_in_links(links)
    if bad_doi and not doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi
    record.accession = _text(fields, "accession-num")
    record.native_id = record.accession
    database = _text(fields, "remote-database-name")
    record.database = database
    if "pubmed" in database.lower() or "medline" in database.lower():
        record.pmid = digits_only(record.accession)
    record.pmid = record.pmid or pmid_in_links(links)
    record.issn, record.isbn = split_identifiers(fields.get("isbn", []) + fields.get("issn", []))
    record.abstract = " ".join(squash(value) for value in fields.get("abstract", []) if value.strip())
    record.keywords = unique([squash(part) for value in fields.get("keywords/keyword", [])
                              for part in _KEYWORD_SPLIT.split(value)])
    record.language = "; ".join(unique([squash(value) for value in fields.get("language", []) if value.strip()]))
    record.publication_types = unique([squash(value) for value in
                                       fields.get("ref-type@name", []) + fields.get("work-type", [])
                                       if value.strip()])
    record.url = first(links)
    return record
