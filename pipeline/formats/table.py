"""Spreadsheet exports with a header row: CSV, TSV and (through :mod:`.xlsx`) Excel workbooks.

CSV/TSV are read with the standard library's ``csv`` module, which keeps quoted multi-line cells
together and reports the line each row starts on. The delimiter is the one of tab, semicolon and
comma that splits the header into most cells. Header names are compared lower-cased, with runs of
spaces and underscores read as one space; each record field takes the first listed column that has
a value in that row. Every column, mapped or not, goes to ``raw`` under its header name.

Column mapping (:data:`COLUMN_MAP`; :data:`WOS_TAG_COLUMN_MAP` for Web of Science tab-delimited
files, whose header row is the two-letter field tags):

=================  ==============================================================================
field              Scopus / WoS (Excel, full names) / Lens / OpenAlex / Rayyan / Covidence / generic
=================  ==============================================================================
id                 Covidence ``Covidence #``; Rayyan ``key``; Lens ``Lens ID``; Scopus ``EID``;
                   WoS ``UT (Unique WOS ID)``; OpenAlex ``id`` (the W-number of the URL); ASReview
                   ``record_id``; EPPI-Reviewer ``ItemId``; Zotero ``Key``; generic ``record id``,
                   ``id``, ``accession number``, ``citation key``
title              ``Title``; WoS ``Article Title``; OpenAlex ``display_name``; ``Document Title``
authors            ``Authors`` (Scopus, Rayyan, Covidence, WoS); Lens ``Author/s``; OpenAlex
                   ``authorships.author.display_name``; then ``Author full names``
year               ``Year`` (Scopus, Rayyan); Lens/OpenAlex/WoS ``Publication Year``; Covidence
                   ``Published Year``; then ``Date Published``, ``publication_date``
journal            ``Journal`` (Rayyan, Covidence); ``Source title`` (Scopus, Lens, WoS); OpenAlex
                   ``primary_location.source.display_name``; IEEE ``Publication``; Zotero
                   ``Publication Title``; EPPI-Reviewer ``ParentTitle``
volume, issue      ``Volume``; ``Issue``, Lens ``Issue Number``, ``number``; OpenAlex ``biblio.*``
pages              ``Pages`` (Rayyan, Covidence), else ``Page start``/``Start Page`` and
                   ``Page end``/``End Page`` (Scopus, Lens, WoS), OpenAlex ``biblio.first_page``
doi                ``DOI``
pmid               ``PMID`` (Lens, PubMed CSV); ``PubMed ID`` (Scopus); ``Pubmed Id`` (WoS); Rayyan
                   ``pubmed_id``; ASReview ``pubmedID``; ``PubMed``; OpenAlex ``ids.pmid``
accession          ``Accession Number`` (Covidence); ``EID`` (Scopus); ``Lens ID``; WoS ``UT``
issn, isbn         ``ISSN``, Lens ``ISSNs``, WoS ``eISSN``; ``ISBN``
abstract           ``Abstract``; Zotero ``Abstract Note``
keywords           ``Author Keywords`` (Scopus, WoS), ``Keywords`` (Lens, Rayyan, ASReview, EPPI),
                   Zotero ``Manual Tags``; then ``Index Keywords``, ``Keywords Plus``, Zotero
                   ``Automatic Tags`` (only the first column with a value is parsed)
language           ``Language``; Scopus ``Language of Original Document``
publication types  ``Document Type`` (Scopus, WoS); Lens ``Publication Type``; EPPI-Reviewer
                   ``TypeName``; OpenAlex ``type``
url                ``url``, ``Link`` (Scopus), ``External URL``/``Source URLs`` (Lens)
=================  ==============================================================================

Web of Science tab-delimited (``PT AU ... UT``): ``UT`` id and accession, ``TI``, ``AF`` (else
``AU``, ``BA``, ``CA``), ``PY`` (else ``PD``, ``EA``), ``SO`` (else ``SE``, ``JI``), ``VL``, ``IS``,
``BP``/``EP`` (else ``AR``), ``DI``, ``PM``, ``SN``/``EI``, ``BN``, ``AB``, ``DE`` (else ``ID``),
``LA``, ``DT``, ``PT`` (entry type), ``UR``. The same header names in any other table (``SP`` is a
conference sponsor in WoS but a start page in RIS) are why WoS gets its own map.

A header must name a title column or at least two mapped fields to be read as an export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

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
    split_identifiers,
    split_pages,
    squash,
)
from pipeline.formats.lists import split_author_list, split_list

#: record field -> header names (normalised) that carry it, best first.
COLUMN_MAP: dict[str, tuple[str, ...]] = {
    "id": ("covidence #", "record id", "id", "key", "lens id", "eid", "accession number", "citation key",
           "unique id", "ut (unique wos id)", "itemid"),
    "title": ("title", "item title", "document title", "article title", "primary title", "display name",
              "ti", "t1"),
    "authors": ("authors", "author", "author names", "author/s", "authorships.author.display name",
                "author full names", "first authors", "au", "a1"),
    "year": ("year", "publication year", "published year", "py", "pubyear", "date published",
             "publication date", "date", "create date", "da", "y1"),
    "journal": ("journal", "source title", "journal title", "publication title", "journal/book",
                "primary location.source.display name", "publication", "parenttitle", "jo", "t2", "jf", "so"),
    "volume": ("volume", "journal volume", "biblio.volume", "vl"),
    "issue": ("issue", "number", "issue number", "journal issue", "biblio.issue", "is"),
    "pages": ("pages", "page", "page range", "pg"),
    "page_start": ("start page", "page start", "start page number", "biblio.first page", "sp"),
    "page_end": ("end page", "page end", "end page number", "biblio.last page", "ep"),
    "doi": ("doi", "item doi", "do", "di"),
    "pmid": ("pmid", "pubmed id", "pubmedid", "pubmed", "ids.pmid", "pm"),
    "accession": ("accession number", "an", "eid", "lens id", "unique id", "ut (unique wos id)"),
    "database": ("database", "db"),
    "issn": ("issn", "issns", "eissn", "sn"),
    "isbn": ("isbn", "isbns"),
    "abstract": ("abstract", "abstract note", "ab", "description", "n2"),
    "keywords": ("keywords", "author keywords", "keyword", "manual tags", "index keywords", "keywords plus",
                 "automatic tags", "kw", "de"),
    "language": ("language", "language of original document", "la"),
    "publication_types": ("document type", "publication type", "content type", "typename", "type", "category",
                          "pt"),
    "entry_type": ("type of reference", "ty", "entrytype", "item type", "reference type"),
    "url": ("url", "link", "external url", "source urls", "open url link", "ur"),
}

#: The map for Web of Science tab-delimited exports, whose header row is the field tags.
WOS_TAG_COLUMN_MAP: dict[str, tuple[str, ...]] = {
    "id": ("ut",), "title": ("ti",), "authors": ("af", "au", "ba", "bf", "ca", "gp"), "year": ("py", "pd", "ea"),
    "journal": ("so", "se", "ji"), "volume": ("vl",), "issue": ("is",), "pages": (),
    "page_start": ("bp", "ar"), "page_end": ("ep",), "doi": ("di", "d2"), "pmid": ("pm",),
    "accession": ("ut",), "database": (), "issn": ("sn", "ei"), "isbn": ("bn",), "abstract": ("ab",),
    "keywords": ("de", "id"), "language": ("la",), "publication_types": ("dt",), "entry_type": ("pt",),
    "url": ("ur",),
}

_DELIMITERS = ("\t", ";", ",")
_HEADER_SPACE = re.compile(r"[\s_]+")
_URL_ID = re.compile(r"^https?://\S+/([^/\s]+)$")


def normalise_header(name: str) -> str:
    """How header names are compared: lower case, runs of spaces/underscores as one space."""
    return _HEADER_SPACE.sub(" ", name.replace("\ufeff", "")).strip().lower()


def is_wos_tag_header(names: Iterable[str]) -> bool:
    """True for a Web of Science tab-delimited header (normalised names include pt, ti, so and ut)."""
    return {"pt", "ti", "so", "ut"} <= set(names)


def column_index(header: list[str]) -> dict[str, list[int]]:
    """Record field -> indexes of the header cells that carry it, best first."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(normalise_header(name), index)
    column_map = WOS_TAG_COLUMN_MAP if is_wos_tag_header(positions) else COLUMN_MAP
    return {
        field_name: [positions[name] for name in names if name in positions]
        for field_name, names in column_map.items()
        if any(name in positions for name in names)
    }


def sniff(first_line: str) -> tuple[str, dict[str, list[int]]] | None:
    """(delimiter, field columns) when the line is a header naming bibliographic columns, else None."""
    counts = [(first_line.count(delimiter), delimiter) for delimiter in _DELIMITERS]
    count, delimiter = max(counts)
    if count == 0:
        delimiter = ","
    try:
        header = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:
        return None
    mapped = sniff_header(header)
    return None if mapped is None else (delimiter, mapped)


def sniff_header(header: list[str]) -> dict[str, list[int]] | None:
    """The field columns when the cells are a bibliographic header (a title column, or two mapped
    fields), else None."""
    mapped = column_index(header)
    if "title" in mapped or len(mapped) >= 2:
        return mapped
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

    def numbered_rows() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            yield header_index + start, row

    try:
        header = next(reader)
        records = read_rows(header, numbered_rows(), file=file, header_line=header_index + 1)
    except csv.Error as exc:
        raise ExportError(f"the table is not readable CSV ({exc})",
                          where=f"{file}:{header_index + reader.line_num}",
                          fix="save it as CSV (UTF-8) with one header row") from None
    return records, "tsv" if delimiter == "\t" else "csv"


def read_rows(header: list[str], rows: Iterable[tuple[int, list[str]]], *, file: str,
              header_line: int) -> list[ParsedRecord]:
    """Records from a header and (line, cells) rows; blank rows are skipped, a table without rows is an error."""
    mapped = column_index(header)
    names = [squash(name.replace("\ufeff", "")) or f"column {i + 1}" for i, name in enumerate(header)]
    dialect = _dialect(names)
    records = [_build(row, names, mapped, line, dialect) for line, row in rows if any(cell.strip() for cell in row)]
    if not records:
        raise ExportError("the table has a header but no rows", where=f"{file}:{header_line}",
                          fix="export the records, not only the column names")
    return records


def _dialect(names: list[str]) -> str:
    lowered = {normalise_header(name) for name in names}
    if is_wos_tag_header(lowered) or "ut (unique wos id)" in lowered:
        return "wos"
    if "covidence #" in lowered:
        return "covidence"
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


def _build(row: list[str], names: list[str], mapped: dict[str, list[int]], line: int, dialect: str) -> ParsedRecord:
    raw: dict[str, list[str]] = {}
    for name, value in zip(names, row, strict=False):  # a short or long row is noted below
        if value != "":
            raw.setdefault(name, []).append(value)
    record = ParsedRecord(line=line, raw=raw, dialect=dialect)
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
    if dialect == "embase":
        _embase_citation(record, raw)
    return record


#: Embase's "Source" cell: ``Journal (Year) Volume:Issue (Pages). Date of Publication: ...``
_EMBASE_SOURCE = re.compile(r"^(?P<journal>.+?) \((?P<year>\d{4})\)(?: (?P<volume>[^\s:(]+)(?::(?P<issue>[^\s(]+))?)?"
                            r"(?: \((?P<pages>[^)]*)\))?\.?(?:\s|$)")


def _embase_citation(record: ParsedRecord, raw: dict[str, list[str]]) -> None:
    """Embase CSV puts journal, year, volume, issue and pages in one "Source" cell, and the DOI and
    ISSN only inside its OpenURL link; fill the fields the mapped columns left empty."""
    source = squash(next(iter(raw.get("Source", [])), ""))
    cited = _EMBASE_SOURCE.match(source)
    if cited:
        record.journal = record.journal or cited["journal"]
        record.year = record.year or cited["year"]
        record.volume = record.volume or (cited["volume"] or "")
        record.issue = record.issue or (cited["issue"] or "")
        if not record.pages and cited["pages"]:
            record.pages = cited["pages"]
            record.page_start, record.page_end = split_pages(cited["pages"])
    link = next(iter(raw.get("Open URL Link", [])), "")
    if link:
        query = parse_qs(urlsplit(link).query)
        if not record.doi:
            ids = [value[4:] for value in query.get("id", []) if value.lower().startswith("doi:")]
            record.doi, _ = doi_from(ids[:1])
        if not record.issn:
            record.issn, _ = split_identifiers([";".join(query.get("issn", []))])
