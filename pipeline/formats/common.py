"""What every reader shares: the parsed record, identifier and page rules, and the frame it all ends in.

Names and other cells that hold lists are read by :mod:`pipeline.formats.lists`.

A reader turns text into :class:`ParsedRecord` objects (plain Python, no pandas); :func:`to_frame`
then adds the keys, the missing-field problems and the unique ``record_id`` and builds ONE
DataFrame with exactly ``RECORD_COLUMNS``. Keeping pandas out of the per-record loop is what makes
ingest fast enough for large exports.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd

from pipeline import columns as c
from pipeline.formats import budget
from pipeline.keys import normalize_doi, record_key

# --- the record a reader produces -----------------------------------------------------------


@dataclass(slots=True)
class ParsedRecord:
    """One raw record as a reader understood it; every text field is "" when absent."""

    line: int
    raw: dict[str, list[str]]
    dialect: str = "generic"
    entry_type: str = "other"
    native_id: str = ""
    title: str = ""
    authors: list[tuple[str, str]] = field(default_factory=list)
    year: str = ""
    journal: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    page_start: str = ""
    page_end: str = ""
    doi: str = ""
    pmid: str = ""
    accession: str = ""
    database: str = ""
    issn: str = ""
    isbn: str = ""
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    language: str = ""
    publication_types: list[str] = field(default_factory=list)
    url: str = ""
    problems: list[str] = field(default_factory=list)


# --- entry types ----------------------------------------------------------------------------

ENTRY_TYPES = ("journal_article", "book", "chapter", "thesis", "conference", "report", "other")

RIS_ENTRY_TYPES = {
    "JOUR": "journal_article", "JFULL": "journal_article", "EJOUR": "journal_article",
    "INPR": "journal_article", "ABST": "journal_article",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CLASSIC": "book",
    "CHAP": "chapter", "ECHAP": "chapter",
    "THES": "thesis",
    "CONF": "conference", "CPAPER": "conference",
    "RPRT": "report", "GOVDOC": "report",
}

BIBTEX_ENTRY_TYPES = {
    "article": "journal_article",
    "book": "book", "mvbook": "book", "booklet": "book", "collection": "book", "mvcollection": "book",
    "incollection": "chapter", "inbook": "chapter", "bookinbook": "chapter",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "inproceedings": "conference", "conference": "conference", "proceedings": "conference",
    "mvproceedings": "conference",
    "techreport": "report", "report": "report",
}

# Publication-type words (MEDLINE PT, CSV "Document Type", ...) -> entry type; first match wins.
_TYPE_WORDS = (
    ("chapter", "chapter"), ("book section", "chapter"),
    ("book", "book"), ("monograph", "book"),
    ("dissertation", "thesis"), ("thesis", "thesis"),
    ("conference", "conference"), ("congress", "conference"), ("proceeding", "conference"),
    ("report", "report"),
    ("journal", "journal_article"), ("article", "journal_article"), ("review", "journal_article"),
    ("letter", "journal_article"), ("editorial", "journal_article"), ("comment", "journal_article"),
)


class ContinuedValue:
    """The lines that continue a tag's value (``values[-1]``), joined once instead of line by line.

    Joining each continuation line onto the value as it comes copies the whole value again for
    every line: a value continued over 100,000 lines took minutes. The lines are kept here and
    joined with line breaks by :meth:`flush`, which runs when another value is continued and must run
    before the records' values are read. A value longer than ``budget.MAX_FIELD_CHARS`` is refused.
    """

    __slots__ = ("_file", "_index", "_length", "_parts", "_values")

    def __init__(self, file: str) -> None:
        self._file = file
        self._values: list[str] | None = None
        self._index = 0
        self._parts: list[str] = []
        self._length = 0

    def add(self, values: list[str], line: str, number: int) -> None:
        """``line`` (line ``number`` of the file) continues the last value in ``values``."""
        if values is not self._values or self._index != len(values) - 1:
            self.flush()
            self._values, self._index = values, len(values) - 1
            self._parts = [values[-1]]
            self._length = len(values[-1])
        self._parts.append(line)
        self._length += len(line) + 1
        if self._length > budget.MAX_FIELD_CHARS:
            raise budget.field_too_long(self._length, where=f"{self._file}:{number}", what="a value continued over many lines")

    def flush(self) -> None:
        """Write the value being continued, if any, back into its list."""
        if self._values is not None:
            self._values[self._index] = "\n".join(self._parts)
            self._values, self._parts = None, []


class TaggedRecords:
    """Gathers the lines of a tagged export (MEDLINE, EndNote) into records: a blank line or a second
    ``start_tag`` ends a record, and each record remembers the line it starts on and its problems."""

    def __init__(self, build: Callable[[int, dict[str, list[str]], list[str]], ParsedRecord], start_tag: str,
                 file: str = "") -> None:
        self.records: list[ParsedRecord] = []
        self._build, self._start_tag = build, start_tag
        self._continued = ContinuedValue(file)
        self._tags: dict[str, list[str]] = {}
        self._problems: list[str] = []
        self._values: list[str] | None = None
        self._start = 0

    def blank(self) -> None:
        """A blank line: the record so far, if any, is complete."""
        if self._tags:
            self._flush()

    def add(self, index: int, tag: str, value: str) -> None:
        """A tag line at 0-based ``index``."""
        if tag == self._start_tag and tag in self._tags:
            self._flush()
        if not self._tags:
            self._start = index + 1
        self._values = self._tags.setdefault(tag, [])
        self._values.append(value)

    def extend(self, line: str, index: int = 0) -> bool:
        """Append ``line`` (at 0-based ``index``) to the last value; False when no tag has been read since
        the last record."""
        if self._values is None:
            return False
        self._continued.add(self._values, line, index + 1)
        return True

    def note(self, problem: str) -> None:
        self._problems.append(problem)

    def finish(self) -> list[ParsedRecord]:
        self.blank()
        return self.records

    def _flush(self) -> None:
        self._continued.flush()
        self.records.append(self._build(self._start, self._tags, self._problems))
        self._tags, self._problems, self._values = {}, [], None


def entry_type_from_words(values: list[str]) -> str:
    """Map free-text publication types (``Journal Article``, ``Book Chapter``) to an entry type."""
    folded = [value.lower() for value in values if value]
    for word, entry_type in _TYPE_WORDS:
        if any(word in value for value in folded):
            return entry_type
    return ""


# --- small text helpers ---------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(1[0-9]\d\d|20\d\d)(?!\d)")


def squash(value: str) -> str:
    """One line, single spaces, no surrounding space."""
    # Every whitespace character but the space is unprintable, so printable text without a double
    # space or a space at either end is already squashed: it comes back as it is, without being cut
    # into words and joined again (most values are like that, abstracts included).
    if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
        return value
    return " ".join(value.split())


def first(values: list[str] | None) -> str:
    """The first non-empty value, squashed; "" if none."""
    if values:
        # Most tags have one value, already squashed and non-empty: it is the answer.
        value = values[0]
        if value and value.isprintable() and "  " not in value and value[0] != " " and value[-1] != " ":
            return value
        for value in values:
            # squash(value), written out: this runs for most fields of every record.
            if value.isprintable() and "  " not in value and value[:1] != " " and value[-1:] != " ":
                if value:
                    return value
            else:
                text = " ".join(value.split())
                if text:
                    return text
    return ""


@lru_cache(maxsize=1 << 12)
def find_year(value: str) -> str:
    """The first four-digit year (1000-2099) in a date-like text, else ""."""
    match = _YEAR.search(value or "")
    return match.group(1) if match else ""


def unique(values: list[str]) -> list[str]:
    """Values in first-seen order without repeats or empties."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def doi_from(values: list[str]) -> tuple[str, str]:
    """(normalised DOI, first value that was given but is not DOI-shaped)."""
    bad = ""
    for value in values:
        text = squash(value)
        if not text:
            continue
        if "[" in text:  # Ovid's "10.1000/x [doi]"
            text = _DOI_SUFFIX.sub("", text)
        doi = normalize_doi(text)
        if doi:
            return doi, ""
        embedded = _DOI_IN_TEXT.search(text)
        if embedded:
            doi = normalize_doi(embedded.group(1))
            if doi:
                return doi, ""
        bad = bad or text
    return "", bad


_DOI_SUFFIX = re.compile(r"\s*\[doi\]\s*$", re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"(?:doi\.org/|doi:\s*)(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


def doi_in_links(values: list[str]) -> str:
    """A DOI found inside a resolver link (``https://doi.org/10...``) among the values, else ""."""
    for value in values:
        match = _DOI_IN_TEXT.search(value or "")
        if match:
            doi = normalize_doi(match.group(1))
            if doi:
                return doi
    return ""


_PMID_IN_URL = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d{1,9})")


def pmid_in_links(values: list[str]) -> str:
    """A PubMed id found in a PubMed link among the values, else ""."""
    for value in values:
        match = _PMID_IN_URL.search(value or "")
        if match:
            return match.group(1)
    return ""


def digits_only(value: str) -> str:
    """The value when it is a plain number (a PMID, say), else ""."""
    text = squash(value)
    return text if text.isdigit() else ""


# --- ISSN / ISBN ----------------------------------------------------------------------------

_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dXx])$")
_ISBN = re.compile(r"^(?:\d{9}[\dXx]|\d{13})$")
_ID_TOKEN_SPLIT = re.compile(r"[\s,;()\[\]]+")
_ID_LABEL = re.compile(r"^(?:e?issn|isbn)[-:]?", re.IGNORECASE)


def split_identifiers(values: list[str]) -> tuple[str, str]:
    """ISSNs and ISBNs found in standard-number fields, each as "; "-joined normalised text."""
    if len(values) == 1:
        issns, isbns = _identifiers_in(values[0] or "")
        if len(issns) <= 1 and len(isbns) <= 1:
            return "".join(issns), "".join(isbns)
        return "; ".join(unique(list(issns))), "; ".join(unique(list(isbns)))
    all_issns: list[str] = []
    all_isbns: list[str] = []
    for value in values:
        issns, isbns = _identifiers_in(value or "")
        all_issns.extend(issns)
        all_isbns.extend(isbns)
    return "; ".join(unique(all_issns)), "; ".join(unique(all_isbns))


@lru_cache(maxsize=1 << 14)
def _identifiers_in(value: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(ISSNs, ISBNs) in one standard-number value, normalised, in the order written."""
    issns: list[str] = []
    isbns: list[str] = []
    for token in _ID_TOKEN_SPLIT.split(value):
        token = _ID_LABEL.sub("", token)
        if not token:
            continue
        issn = _ISSN.match(token)
        if issn:
            issns.append(f"{issn.group(1)}-{issn.group(2).upper()}")
            continue
        compact = token.replace("-", "")
        if _ISBN.match(compact):
            isbns.append(compact.upper())
    return tuple(issns), tuple(isbns)


# --- pages ----------------------------------------------------------------------------------

_PAGE_RANGE = re.compile(r"^\s*([^\s\-–—]+)\s*(?:-+|–|—)\s*([^\s\-–—]+)\s*$")
_PAGE_PARTS = re.compile(r"^(\D*)(\d+)(\D*)$")
_PAGE_LIST = re.compile(r"\s*[,;]\s*")
_NO_PAGES = {"no pagination specified", "no-specified", "no specified", "n/a", "na"}


def _expand_end(start: str, end: str) -> str:
    """Expand an abbreviated range end: ("601", "10") -> "610"; ("S12", "4") -> "S14"."""
    start_parts = _PAGE_PARTS.match(start)
    end_parts = _PAGE_PARTS.match(end)
    if not start_parts or not end_parts:
        return end
    prefix, start_digits, _ = start_parts.groups()
    end_prefix, end_digits, end_suffix = end_parts.groups()
    if end_prefix and end_prefix != prefix:
        return end
    if len(end_digits) < len(start_digits):
        expanded = start_digits[: len(start_digits) - len(end_digits)] + end_digits
        if int(expanded) >= int(start_digits):
            return f"{prefix}{expanded}{end_suffix}"
        return end
    if not end_prefix and prefix:
        return f"{prefix}{end_digits}{end_suffix}"
    return end


def split_pages(pages: str) -> tuple[str, str]:
    """(start, end) of a page text: "601-10" -> ("601", "610"); "e0136955" -> ("e0136955", "")."""
    text = squash(pages)
    if not text or text.lower() in _NO_PAGES:
        return "", ""
    pieces = [piece for piece in _PAGE_LIST.split(text) if piece]
    first_piece, last_piece = pieces[0], pieces[-1]
    start_match = _PAGE_RANGE.match(first_piece)
    start = start_match.group(1) if start_match else first_piece
    end_match = _PAGE_RANGE.match(last_piece)
    if end_match:
        end = end_match.group(2)
        range_start = end_match.group(1)
    elif len(pieces) > 1:
        end = last_piece
        range_start = start
    else:
        return start, ""
    return start, _expand_end(range_start, end)


@lru_cache(maxsize=1 << 14)
def pages_from_parts(start: str, end: str) -> tuple[str, str, str]:
    """(pages, page_start, page_end) from separate start and end fields (RIS SP/EP, CSV columns)."""
    start, end = squash(start), squash(end)
    if f"{start} {end}".lower() in _NO_PAGES or start.lower() in _NO_PAGES:
        return "", "", ""
    if start and not end:
        page_start, page_end = split_pages(start)
        return start, page_start, page_end
    if not start:
        return end, "", end
    pages = start if start == end else f"{start}-{end}"
    page_start, _ = split_pages(start)
    return pages, page_start, _expand_end(page_start, end)


# --- the frame ------------------------------------------------------------------------------

_ID_SPACE = re.compile(r"\s+")


def to_frame(records: list[ParsedRecord], *, source: str, file: str, format: str) -> pd.DataFrame:
    """One row per record with exactly ``RECORD_COLUMNS``, every cell text, ids unique."""
    if not records:
        return empty_frame()
    with gc_paused():
        return _frame(records, source, file, format)


def _frame(records: list[ParsedRecord], source: str, file: str, format: str) -> pd.DataFrame:
    rows = []
    used_ids: set[str] = set()
    copies: dict[str, int] = {}
    dumps = _canonical_json_encoder()
    raw_json = _raw_json_writer()
    append = rows.append
    for ordinal, record in enumerate(records, start=1):
        problems = []
        if not record.title:
            problems.append("no title")
        if not record.authors:
            problems.append("no authors")
        if not record.year:
            problems.append("no year")
        if record.problems:
            problems.extend(record.problems)
        native = record.native_id
        if native and not native.isalnum():
            native = " ".join(native.split())
        base_id = f"{source}:{native or ordinal}"
        record_id = base_id
        if record_id in used_ids:
            copy = copies.get(base_id, 1)
            while record_id in used_ids:
                copy += 1
                record_id = f"{base_id}#{copy}"
            copies[base_id] = copy
            problems.append(f"record id {base_id} repeats in the file (copy #{copy})")
        used_ids.add(record_id)
        authors = record.authors
        key = record_key(doi=record.doi, pmid=record.pmid, title=record.title,
                         first_family=authors[0][0] if authors else "", year=record.year)
        append((
            record_id, key, source, file, str(record.line), format, record.dialect, record.entry_type,
            record.title, dumps(authors) if authors else "[]", record.year, record.journal,
            record.volume, record.issue, record.pages, record.page_start, record.page_end,
            record.doi, record.pmid, record.accession, record.database, record.issn, record.isbn,
            record.abstract, dumps(record.keywords) if record.keywords else "[]", record.language,
            dumps(record.publication_types) if record.publication_types else "[]",
            record.url, ("; ".join(unique(problems)) if len(problems) > 1 else "".join(problems)),
            raw_json(record.raw, dumps),
        ))
    # From row tuples: measured faster than a dict of column lists with dtype=str under pandas 3.
    return pd.DataFrame(rows, columns=c.RECORD_COLUMNS, dtype=str)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader allocates many small acyclic objects.

    Building 100,000 records allocates millions of strings, lists and dicts; with the collector on, each
    of its generational passes rescans that growing heap. Reference counting still frees everything; the
    collector runs again (if it was on) as soon as the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _raw_json(raw: dict[str, list[str]], dumps: Callable[[Any], str]) -> str:
    """``dumps(raw)``, written directly when it is a dict of non-empty lists of plain text.

    Text that is printable (so has no control character) and has no quote or backslash is written by
    the JSON encoder exactly as it is, between quotes. Most records' fields are like that; for them the
    object is joined together from the sorted tags and values with a few string joins, after one check
    of all their text at once, instead of escaping every value character by character. Anything else
    (a quote in a title, a line break in a continued value, another shape) goes to the encoder.
    """
    values = raw.values()
    try:
        keys = sorted(raw)
        text = "".join(keys) + "".join(chain.from_iterable(values))
    except TypeError:  # not text keys and lists of text
        return dumps(raw)
    if (text.isprintable() and '"' not in text and "\\" not in text and all(values)
            and {*map(type, values)} == {list}):
        return '{"' + '"],"'.join([key + '":["' + '","'.join(raw[key]) for key in keys]) + '"]}'
    return dumps(raw)


#: The largest record (characters of raw text) whose ``raw`` cell orjson writes; see :func:`_raw_json_writer`.
ORJSON_MAX_CHARS = 1 << 20


def _raw_json_writer() -> Callable[[dict[str, list[str]], Callable[[Any], str]], str]:
    """The ``raw`` cell writer: :func:`_raw_json`, or orjson where it writes the same text.

    orjson (C, sorted keys, compact separators, text as UTF-8 with only quotes, backslashes and
    control characters escaped) writes a dict of lists of text exactly as ``pipeline.io.dumps`` does,
    every code point but the surrogates included (a unit test compares all of them), and in about
    half the time of the joins and checks of :func:`_raw_json`. It is only given that shape: list
    values whose items are all of type ``str`` (checked before orjson sees them: a number, for
    instance, could be written differently) and text keys (orjson refuses any other key). It refuses
    lone surrogates (TypeError); those records, and any other shape, go to :func:`_raw_json`. If
    orjson ever writes the sample below differently from the encoder, it is not used at all.

    orjson crashes the process (SIGSEGV, no message) when memory runs out while it writes, where
    Python's own code raises MemoryError, which ingest reports as an error. So orjson only writes
    records of at most :data:`ORJSON_MAX_CHARS` characters, whose output is a few megabytes at most;
    larger records (none in real exports) are written by :func:`_raw_json`.
    """
    dumps_bytes = orjson.dumps
    option = orjson.OPT_SORT_KEYS

    def write(raw: dict[str, list[str]], dumps: Callable[[Any], str]) -> str:
        values = raw.values()
        if {*map(type, values)} == {list}:
            # Joining the values costs what comparing their types did, refuses any value that is not
            # text (TypeError), and gives the record's size.
            try:
                size = len("".join(chain.from_iterable(values)))
            except TypeError:
                return _raw_json(raw, dumps)
            if size <= ORJSON_MAX_CHARS:
                try:
                    return dumps_bytes(raw, option=option).decode()
                except TypeError:  # a key that is not text, or a lone surrogate orjson refuses
                    return _raw_json(raw, dumps)
        return _raw_json(raw, dumps)

    sample = {"TI": ['é "x"\n\\ \u2028\x01\x1f\x7f\x85\ufeff\U0001f600 <p>', ""], "AB": [], "A1": ["b", "a"],
              "\u00e9": ["\t\r\b\f"]}
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        same = write(sample, encoder.encode) == encoder.encode(sample)
    except Exception:  # any surprise from the library means it is not used
        same = False
    return write if same else _raw_json


def _canonical_json_encoder() -> Callable[[Any], str]:
    """``pipeline.io.dumps`` as one reusable encoder.

    ``json.dumps`` and ``JSONEncoder.encode`` set up a new C encoder (and a dict for the circularity
    check) on every call; that setup was a fifth of the time spent writing the ``raw`` column. The
    C encoder is set up once here, without the circularity check (record values are plain lists,
    dicts and strings). Where the interpreter has no C encoder, or this one does not give exactly
    what ``JSONEncoder`` gives on a sample, the plain encoder is used.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    try:
        chunks = make(None, encoder.default, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    except TypeError:
        return encoder.encode

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    sample = {"b": ["é \"x\"\n\\ \u2028\x01"], "a": [["Ng", ""]], "c": {"z": [], "y": {}}}
    try:
        same = encode(sample) == encoder.encode(sample)
    except Exception:  # an interface the json module does not document: any surprise means it is not used
        same = False
    return encode if same else encoder.encode


def empty_frame() -> pd.DataFrame:
    """A frame with ``RECORD_COLUMNS`` and no rows."""
    return pd.DataFrame({column: pd.Series([], dtype=str) for column in c.RECORD_COLUMNS})
