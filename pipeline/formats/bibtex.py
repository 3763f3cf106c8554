"""BibTeX / BibLaTeX, read with bibtexparser v2.

bibtexparser splits the file into blocks (entries, ``@string`` definitions, failed blocks) with
their start lines. Its string middleware only replaces a value that is exactly one macro name, so
values are expanded here instead: ``jean # " " # cesar`` joins its pieces, macros (case-insensitive,
later definitions may use earlier ones) and the month names ``jan``..``dec`` are replaced, and the
enclosing braces or quotes are removed. The ``raw`` column keeps those expanded values (LaTeX
untouched). Text fields are then decoded from LaTeX to Unicode with pylatexenc (what
bibtexparser's own ``LatexDecodingMiddleware`` uses), names are split with bibtexparser's BibTeX
name rules (``von Last, Jr, First``). bibtexparser v2 does not resolve ``crossref``, so a child
entry inherits the fields it lacks from its parent here (the parent's ``title`` becomes the child's
``booktitle``).

Entries bibtexparser cannot parse are kept as records with a problem note, not dropped: a broken
``@article{key, ...`` is still a record the database exported. Duplicate keys and fields are noted.
A stray ``}`` inside an entry closes it early, and bibtexparser reads the fields after it as a
comment between entries; text right after an entry that starts like a field (``, author = {...}``) is
read back into that entry, with a warning and a problem note naming the line of the brace, and when
it does not parse as fields the file is refused at that line: fields are never dropped silently.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from pylatexenc.latex2text import LatexNodes2Text

from pipeline.errors import ExportError
from pipeline.formats.common import (
    BIBTEX_ENTRY_TYPES,
    ParsedRecord,
    digits_only,
    doi_from,
    doi_in_links,
    find_year,
    first,
    split_identifiers,
    split_pages,
    squash,
    unique,
)

logger = logging.getLogger(__name__)

_FAILED_ENTRY = re.compile(r"^\s*@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]*)")
_NOT_ENTRIES = {"string", "comment", "preamble"}
_LATEX_MARKS = re.compile(r"[\\{}$~%]")
_BRACES_AND_BACKSLASHES = re.compile(r"[{}\\]")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_KEYWORD_SPLIT = re.compile(r"\s*[;,]\s*")
_CONTAINER_FIELDS = ("journal", "journaltitle", "booktitle", "series")
_TEXT_FIELDS = ("title", "journal", "journaltitle", "booktitle", "series", "abstract", "keywords", "keyword")


_MONTHS = {name[:3].lower(): name for name in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December")}


def _concatenated_pieces(value: str) -> list[str]:
    """Split a BibTeX value at the ``#`` signs that are outside braces and quotes."""
    pieces: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(depth - 1, 0)
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            pieces.append(value[start:index])
            start = index + 1
    pieces.append(value[start:])
    return pieces


def expand(value: str, macros: dict[str, str]) -> tuple[str, list[str]]:
    """(text of a raw BibTeX value, names of undefined macros it uses)."""
    pieces = _concatenated_pieces(value) if "#" in value else [value]
    parts: list[str] = []
    unknown: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if len(piece) >= 2 and ((piece[0] == "{" and piece[-1] == "}") or (piece[0] == '"' and piece[-1] == '"')):
            parts.append(piece[1:-1])
        elif not piece or piece.isdigit():
            parts.append(piece)
        elif piece.lower() in macros:
            parts.append(macros[piece.lower()])
        elif piece.lower() in _MONTHS:
            parts.append(_MONTHS[piece.lower()])
        else:
            parts.append(piece)
            unknown.append(piece)
    return "".join(parts), unknown


class _Latex:
    """LaTeX to Unicode for field values; one decoder per file (pylatexenc objects are not tiny)."""

    def __init__(self) -> None:
        self._decoder = LatexNodes2Text()

    def __call__(self, value: str) -> str:
        if not _LATEX_MARKS.search(value):
            return squash(value)
        try:
            text = self._decoder.latex_to_text(_UNESCAPED_PERCENT.sub(r"\\%", value))
        except Exception as exc:  # pylatexenc raises several internal types on malformed LaTeX
            logger.debug("LaTeX decoding failed (%s); braces removed instead", exc)
            text = ""
        text = squash(text)
        if not text:  # unknown macros (``{\TUG}``) decode to nothing: keep their letters instead
            text = squash(_BRACES_AND_BACKSLASHES.sub("", value))
        return text


def read(text: str, *, file: str) -> list[ParsedRecord]:
    """Parse BibTeX text into records, one per entry (including unparseable ones)."""
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # bibtexparser's splitter has no single error type for hostile input
        raise ExportError(f"BibTeX could not be parsed ({type(exc).__name__}: {exc})", where=f"{file}:1",
                          fix="open the file in a BibTeX editor (e.g. JabRef), fix the entry it reports, "
                              "or re-export it") from None
    entries: list[tuple[int, str, str, list[tuple[str, Any]], list[str]]] = []
    macros: dict[str, str] = {}
    previous: model.Block | None = None
    for block in library.blocks:
        if isinstance(block, model.String):
            macros[block.key.strip().lower()] = expand(block.value, macros)[0]
            previous = block
            continue
        after_entry, previous = previous, block
        if (isinstance(block, model.ImplicitComment) and isinstance(after_entry, model.Entry) and entries
                and _FIELDS_AFTER_BRACE.match(block.comment)):
            for name, value in _cut_off_fields(after_entry, block, file, entries[-1][4]):
                text_value, unknown = expand(value, macros)
                entries[-1][4].extend(f"undefined @string macro '{macro}' in field '{name}'" for macro in unknown)
                entries[-1][3].append((name, text_value))
            continue
        found = _entry_of(block, file)
        if found is not None:
            line, entry_type, key, fields, problems = found
            expanded = []
            for name, value in fields:
                text_value, unknown = expand(value if isinstance(value, str) else str(value), macros)
                problems.extend(f"undefined @string macro '{macro}' in field '{name}'" for macro in unknown)
                expanded.append((name, text_value))
            entries.append((line, entry_type, key, expanded, problems))
    if not entries:
        raise ExportError("no BibTeX entry found (no '@article{...' or other '@type{key,' block)",
                          where=f"{file}:1", fix="export the records as BibTeX, RIS or MEDLINE")
    by_key: dict[str, list[tuple[str, Any]]] = {}
    for _, _, key, fields, _ in entries:
        by_key.setdefault(key.lower(), fields)
    for _, _, _, fields, _ in entries:
        for alias in _KEYWORD_SPLIT.split(_field_dict(fields).get("ids", "")):
            if alias:
                by_key.setdefault(alias.lower(), fields)
    latex = _Latex()
    return [_build(line, entry_type, key, fields, problems, by_key, latex)
            for line, entry_type, key, fields, problems in entries]


# A comment right after an entry that starts like one of its fields: the entry was closed early.
_FIELDS_AFTER_BRACE = re.compile(r"\s*,?\s*[A-Za-z][\w:.+-]*\s*=")


def _cut_off_fields(entry: model.Entry, rest: model.ImplicitComment, file: str,
                    problems: list[str]) -> list[tuple[str, str]]:
    """The fields a stray ``}`` cut off ``entry`` (bibtexparser read them as the comment ``rest``)."""
    brace_line = (entry.start_line or 0) + (entry.raw or "").count("\n") + 1
    text = rest.comment.strip().removeprefix(",")
    fields: list[tuple[str, str]] = []
    try:
        reparsed = bibtexparser.parse_string(f"@{entry.entry_type}{{{entry.key},{text}", parse_stack=[])
    except Exception:  # bibtexparser's splitter has no single error type for hostile input  # noqa: BLE001
        reparsed = None
    blocks = reparsed.blocks if reparsed is not None else []
    if len(blocks) == 1 and isinstance(blocks[0], model.Entry) and not isinstance(blocks[0], model.ParsingFailedBlock):
        fields = [(field.key, field.value if isinstance(field.value, str) else str(field.value))
                  for field in blocks[0].fields]
    if not fields:
        raise ExportError(f"a '}}' closes entry '{entry.key}' before its end, and the text after it is not "
                          "BibTeX fields", where=f"{file}:{brace_line}",
                          fix="remove the stray '}' (or balance the braces) in the entry's last field before it")
    names = ", ".join(name for name, _ in fields)
    logger.warning("%s:%d: a '}' closes entry '%s' before its end; the fields after it (%s) are read into it",
                   file, brace_line, entry.key, names)
    problems.append(f"line {brace_line}: a stray '}}' closed the entry early; fields after it ({names}) read back, "
                    "check the braces")
    return fields


def _entry_of(block: model.Block, file: str) -> tuple[int, str, str, list[tuple[str, Any]], list[str]] | None:
    """(line, type, key, [(field, value)], problems) for a block that is an entry, else None."""
    line = (block.start_line or 0) + 1
    problems: list[str] = []
    if isinstance(block, model.ParsingFailedBlock):
        salvaged = block.ignore_error_block
        if isinstance(salvaged, model.Entry):
            if isinstance(block, model.DuplicateFieldKeyBlock):
                repeated = ", ".join(f"'{key}'" for key in sorted(block.duplicate_keys))
                problems.append(f"field {repeated} given more than once (the first value is used)")
            elif not isinstance(block, model.DuplicateBlockKeyBlock):  # to_frame notes repeated keys
                problems.append(f"BibTeX problem: {_first_line(block.error)}")
            block = salvaged
        else:
            match = _FAILED_ENTRY.match(block.raw or "")
            if not match or match.group(1).lower() in _NOT_ENTRIES:
                logger.warning("%s:%d: skipped a BibTeX block that could not be parsed (%s)",
                               file, line, _first_line(block.error))
                return None
            problems.append(f"BibTeX entry could not be parsed: {_first_line(block.error)}")
            return line, match.group(1), match.group(2), [], problems
    if not isinstance(block, model.Entry):
        return None
    fields = [(field.key, field.value) for field in block.fields]
    return line, block.entry_type, block.key, fields, problems


def _first_line(error: Exception) -> str:
    """The first non-blank line of an error message (bibtexparser keeps some in ``abort_reason``)."""
    message = str(getattr(error, "abort_reason", "") or error)
    return next((squash(line) for line in message.split("\n") if line.strip()), type(error).__name__)


def _inherit(key: str, fields: dict[str, str], by_key: dict[str, list[tuple[str, Any]]],
             problems: list[str]) -> None:
    """Fill fields the entry lacks from its crossref parent(s), following chains, stopping at cycles."""
    seen = {key.strip().lower()}
    parent_key = fields.get("crossref", "")
    while parent_key:
        lowered = parent_key.strip().lower()
        if lowered in seen:
            problems.append(f"crossref cycle at '{parent_key}'")
            return
        seen.add(lowered)
        parent = by_key.get(lowered)
        if parent is None:
            problems.append(f"crossref '{parent_key}' not found in the file")
            return
        parent_fields = _field_dict(parent)
        for name, value in parent_fields.items():
            if name == "title":
                fields.setdefault("booktitle", value)
            elif name not in ("crossref", "ids"):
                fields.setdefault(name, value)
        parent_key = parent_fields.get("crossref", "")


def _field_dict(fields: list[tuple[str, Any]]) -> dict[str, str]:
    """Lower-cased field name -> first value as text."""
    result: dict[str, str] = {}
    for name, value in fields:
        result.setdefault(name.lower(), value if isinstance(value, str) else str(value))
    return result


def _people(value: str, latex: _Latex) -> list[tuple[str, str]]:
    people = []
    for name in split_multiple_persons_names(value):
        if name.strip().lower() == "others":
            continue
        try:
            parts = parse_single_name_into_parts(name, strict=False)
        except ValueError:
            parts = None
        if parts is None:
            people.append((latex(name), ""))
            continue
        family = latex(" ".join(parts.von + parts.last))
        given = latex(" ".join(parts.first))
        if family or given:
            people.append((family, given))
    return people


def _dialect(fields: dict[str, str]) -> str:
    source = fields.get("source", "").lower()
    url = fields.get("url", "").lower()
    if "scopus" in source or "scopus.com" in url:
        return "scopus"
    if fields.get("unique-id", "").upper().startswith("WOS:") or "web-of-science-index" in fields:
        return "wos"
    if "ebscohost" in url:
        return "ebsco"
    if "proquest" in url:
        return "proquest"
    if "pmid" in fields:
        return "pubmed"
    return "generic"


def _build(line: int, entry_type: str, key: str, given: list[tuple[str, Any]], problems: list[str],
           by_key: dict[str, list[tuple[str, Any]]], latex: _Latex) -> ParsedRecord:
    raw: dict[str, list[str]] = {"ENTRYTYPE": [entry_type], "ID": [key]}
    for name, value in given:
        raw.setdefault(name, []).append(value if isinstance(value, str) else str(value))
    fields = _field_dict(given)
    if "crossref" in fields:
        _inherit(key, fields, by_key, problems)
    text = {name: latex(fields[name]) for name in _TEXT_FIELDS if name in fields}
    kind = BIBTEX_ENTRY_TYPES.get(entry_type.lower(), "other")
    record = ParsedRecord(line=line, raw=raw, dialect=_dialect(fields), entry_type=kind,
                          native_id=key.strip(), problems=problems)
    record.title = text.get("title", "")
    record.authors = _people(fields.get("author", ""), latex)
    dates = [fields.get("year", ""), fields.get("date", "")]
    record.year = next((year for year in map(find_year, dates) if year), "")
    if not record.year and first(dates):
        record.problems.append(f"no four-digit year in '{first(dates)}'")
    containers = [text.get(name, "") for name in _CONTAINER_FIELDS]
    record.journal = next((name for name in containers if name), "")
    record.volume = squash(fields.get("volume", ""))
    record.issue = squash(fields.get("number", "") or fields.get("issue", ""))
    record.pages = squash(fields.get("pages", ""))
    record.page_start, record.page_end = split_pages(record.pages)
    doi, bad_doi = doi_from([fields.get("doi", "")])
    record.doi = doi or doi_in_links([fields.get("url", "")])
    if bad_doi and not record.doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    pmid = digits_only(fields.get("pmid", ""))
    if not pmid and fields.get("eprinttype", "").lower() == "pubmed":
        pmid = digits_only(fields.get("eprint", ""))
    record.pmid = pmid
    record.accession = squash(fields.get("unique-id", "") or fields.get("accession-number", "")
                              or fields.get("an", ""))
    record.database = squash(fields.get("database", "") or fields.get("source", ""))
    record.issn, record.isbn = split_identifiers([fields.get("issn", ""), fields.get("isbn", "")])
    record.abstract = text.get("abstract", "")
    record.keywords = unique(_KEYWORD_SPLIT.split(text.get("keywords", "") or text.get("keyword", "")))
    record.language = squash(fields.get("language", "") or fields.get("langid", ""))
    types = [squash(fields.get(name, "")) for name in ("type", "document_type", "publication_type")]
    record.publication_types = unique(types)
    record.url = squash(fields.get("url", ""))
    return record
