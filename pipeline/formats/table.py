"""CSV and TSV exports with a header row (Scopus, Lens, OpenAlex, PubMed, Embase, IEEE, Springer,
Rayyan, ASReview and hand-made sheets).

Read with the standard library's ``csv`` module, which keeps quoted multi-line cells together and
reports the line each row starts on. Columns are matched to record fields through
:data:`COLUMN_MAP` (header names compared lower-cased, with runs of spaces and underscores read as
one space); the first listed column that has a value wins. Columns not in the map still go to
``raw``. The delimiter is the one of tab, semicolon and comma that splits the header into most cells.
"""

from __future__ import annotations

import csv
import io
import re

from pipeline.errors import ExportError
from pipeline.formats.common import (
    BIBTEX_ENTRY_TYPES,
    RIS_ENTRY_TYPES,
    ParsedRecord,
    digits_only,
    doi_from,
    entry_type_from_words,
    find_year,
    pages_from_parts,
    split_author_list,
    split_identifiers,
    split_list,
    split_pages,
    squash,
)

#: record field -> header names (normalised) that carry it, best first.
COLUMN_MAP: dict[str, tuple[str, ...]] = {
    "id": ("record id", "id", "key", "lens id", "eid", "accession number", "citation key", "unique id",
           "ut (unique wos id)"),
    "title": ("title", "item title", "document title", "article title", "primary title", "display name",
              "ti", "t1"),
    "authors": ("authors", "author", "author names", "author/s", "authorships.author.display name",
                "author full names", "first authors", "au", "a1"),
    "year": ("year", "publication year", "py", "pubyear", "date published", "publication date", "date",
             "create date", "da", "y1"),
    "journal": ("journal", "source title", "journal title", "publication title", "journal/book",
                "primary location.source.display name", "publication", "jo", "t2", "jf", "so"),
    "volume": ("volume", "journal volume", "biblio.volume", "vl"),
    "issue": ("issue", "number", "issue number", "journal issue", "biblio.issue", "is"),
    "pages": ("pages", "page", "page range", "pg"),
    "page_start": ("start page", "page start", "start page number", "biblio.first page", "sp"),
    "page_end": ("end page", "page end", "end page number", "biblio.last page", "ep"),
    "doi": ("doi", "item doi", "do", "di"),
    "pmid": ("pmid", "pubmed id", "ids.pmid", "pm"),
    "accession": ("accession number", "an", "eid", "lens id", "unique id", "ut (unique wos id)"),
    "database": ("database", "db"),
    "issn": ("issn", "issns", "eissn", "sn"),
    "isbn": ("isbn", "isbns"),
    "abstract": ("abstract", "ab", "description", "n2"),
    "keywords": ("keywords", "author keywords", "keyword", "index keywords", "kw", "de"),
    "language": ("language", "language of original document", "la"),
    "publication_types": ("document type", "publication type", "content type", "type", "category", "pt"),
    "entry_type": ("type of reference", "ty", "entrytype", "item type", "reference type"),
    "url": ("url", "link", "external url", "source urls", "open url link", "ur"),
}

_DELIMITERS = ("\t", ";", ",")
_HEADER_SPACE = re.compile(r"[\s_]+")
_URL_ID = re.compile(r"^https?://\S+/([^/\s]+)$")


def normalise_header(name: str) -> str:
    """How header names are compared: lower case, runs of spaces/underscores as one space."""
    return _HEADER_SPACE.sub(" ", name.replace("\ufeff", "")).strip().lower()


def _column_index(header: list[str]) -> dict[str, list[int]]:
    """Record field -> indexes of the header cells that carry it, best first."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(normalise_header(name), index)
    return {
        field_name: [positions[name] for name in names if name in positions]
        for field_name, names in COLUMN_MAP.items()
        if any(name in positions for name in names)
    }


def sniff(first_line: str) -> tuple[str, dict[str, list[int]]] | None:
    """(delimiter, field columns) when the line is a header naming bibliographic columns, else None.

    A header must name a title column, or at least two of the mapped fields.
    """
    counts = [(first_line.count(delimiter), delimiter) for delimiter in _DELIMITERS]
    count, delimiter = max(counts)
    if count == 0:
        delimiter = ","
    try:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:
        return None
    mapped = _column_index(header)
    if "title" in mapped or len(mapped) >= 2:
        return delimiter, mapped
    return None


def read(text: str, *, file: str, delimiter: str | None = None) -> tuple[list[ParsedRecord], str]:
    """Parse a CSV/TSV export; returns the records and the format name ("csv" or "tsv")."""
    lines = text.split("\n")
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise ExportError("the table has no header row", where=f"{file}:1",
                          fix="export with column names in the first row")
    sniffed = sniff(lines[header_index])
    if sniffed is None:
        raise ExportError("the table's header names no title, authors, year or DOI column",
                          where=f"{file}:{header_index + 1}",
                          fix="export with column headers (e.g. Title, Authors, Year, DOI), or rename the columns")
    found_delimiter, _ = sniffed
    delimiter = delimiter or found_delimiter
    body = "\n".join(lines[header_index:])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=False)
    records: list[ParsedRecord] = []
    try:
        header = next(reader)
        mapped = _column_index(header)
        names = [squash(name.replace("\ufeff", "")) or f"column {i + 1}" for i, name in enumerate(header)]
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in row):
                continue
            records.append(_build(row, names, mapped, header_index + start))
    except csv.Error as exc:
        raise ExportError(f"the table is not readable CSV ({exc})",
                          where=f"{file}:{header_index + reader.line_num}",
                          fix="save it as CSV (UTF-8) with one header row") from None
    if not records:
        raise ExportError("the table has a header but no rows", where=f"{file}:{header_index + 1}",
                          fix="export the records, not only the column names")
    return records, "tsv" if delimiter == "\t" else "csv"


def _dialect(names: list[str]) -> str:
    lowered = {normalise_header(name) for name in names}
    if "lens id" in lowered:
        return "lens"
    if "authorships.author.display name" in lowered:
        return "openalex"
    if "eid" in lowered or ("source title" in lowered and "author(s) id" in lowered):
        return "scopus"
    if {"pmid", "citation", "first author"} <= lowered:
        return "pubmed"
    if any(name.startswith("emtree") for name in lowered):
        return "embase"
    if {"key", "notes", "title", "authors"} <= lowered:
        return "rayyan"
    return "generic"


def _build(row: list[str], names: list[str], mapped: dict[str, list[int]], line: int) -> ParsedRecord:
    raw: dict[str, list[str]] = {}
    for name, value in zip(names, row, strict=False):  # a short or long row is noted below
        if value != "":
            raw.setdefault(name, []).append(value)
    record = ParsedRecord(line=line, raw=raw, dialect=_dialect(names))
    if len(row) != len(names):
        record.problems.append(f"row has {len(row)} cells, the header has {len(names)}")

    def value_of(field_name: str) -> str:
        for index in mapped.get(field_name, ()):
            if index < len(row) and row[index].strip():
                return row[index]
        return ""

    native = squash(value_of("id"))
    url_id = _URL_ID.match(native)
    record.native_id = url_id.group(1) if url_id else native
    record.title = squash(value_of("title"))
    record.authors = split_author_list(value_of("authors"))
    year_text = value_of("year")
    record.year = find_year(year_text)
    if year_text.strip() and not record.year:
        record.problems.append(f"no four-digit year in '{squash(year_text)}'")
    record.journal = squash(value_of("journal"))
    record.volume = squash(value_of("volume"))
    record.issue = squash(value_of("issue"))
    pages = squash(value_of("pages"))
    if pages:
        record.pages = pages
        record.page_start, record.page_end = split_pages(pages)
    else:
        record.pages, record.page_start, record.page_end = pages_from_parts(value_of("page_start"),
                                                                           value_of("page_end"))
    doi, bad_doi = doi_from([value_of("doi")])
    if bad_doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi
    pmid_text = squash(value_of("pmid"))
    record.pmid = digits_only(pmid_text.rsplit("/", 1)[-1])
    record.accession = squash(value_of("accession"))
    record.database = squash(value_of("database"))
    record.issn, record.isbn = split_identifiers([value_of("issn"), value_of("isbn")])
    record.abstract = squash(value_of("abstract"))
    record.keywords = split_list(value_of("keywords"))
    record.language = squash(value_of("language"))
    record.publication_types = split_list(value_of("publication_types"))
    type_code = squash(value_of("entry_type"))
    record.entry_type = (RIS_ENTRY_TYPES.get(type_code.upper()) or BIBTEX_ENTRY_TYPES.get(type_code.lower())
                         or entry_type_from_words(record.publication_types + [type_code]) or "other")
    record.url = squash(value_of("url"))
    return record
