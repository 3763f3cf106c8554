"""RIS (``TY  - `` ... ``ER  - ``) from EBSCOhost, Ovid, ProQuest, Scopus, Web of Science, Embase,
PubMed and the reference managers that rewrite it (Zotero, EndNote).

Why not rispy: rispy is a good library for turning RIS into dictionaries, but it renames tags to its
own field names (unknown ones go to a side dictionary), keeps no line numbers, and silently drops
what does not fit its model: a last record that lost its ``ER  -`` (the file was truncated), a record
without ``TY  -``, and tags written between records. Ingest needs the line where each record starts
(for error messages and provenance), every tag exactly as the vendor wrote it (the ``raw`` column),
vendor cues that sit outside records (Ovid's ``1.`` numbering, tags Ovid writes after ``ER  -``),
and a loud error for a truncated file. Those needs are the parser, so this module reads the lines
itself: a line ``XX  - value`` is a tag, any other line inside a record continues the value of the
tag before it (multi-line abstracts, EndNote's one-keyword-per-line ``KW``).

Text between records that is not a tag (Ovid record numbers and links, ProQuest/APA header lines)
is skipped. Tags between an ``ER  -`` and the next ``TY  -`` belong to the record before (Ovid
writes ``NL  -`` there) unless they carry a title, an author or a year, in which case a record has
lost its ``TY  -`` line and the file is rejected.
"""

from __future__ import annotations

import re

from pipeline.errors import ExportError
from pipeline.formats.common import (
    RIS_ENTRY_TYPES,
    ParsedRecord,
    digits_only,
    doi_from,
    doi_in_links,
    find_year,
    first,
    pages_from_parts,
    pmid_in_links,
    split_identifiers,
    split_people,
    squash,
    unique,
)

_STRICT_TAG = re.compile(r"([A-Z][A-Z0-9])  - ?(.*)")
_LOOSE_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,3}-(?: (.*)|)$|^(PMID) {1,2}- ?(.*)$")
_RECORD_NUMBER = re.compile(r"^\s*(?:\d+\.|<\d+>)\s*$")
_CORE_TAGS = frozenset({"TI", "T1", "AU", "A1", "PY", "Y1"})
_ACCESSION_NOTE = re.compile(r"Accession Number:\s*([^\s;]+)", re.IGNORECASE)
_EMBASE_ID = re.compile(r"^L\d+$")
_URL_AN = re.compile(r"[?&](?:AN|an)=([^&\s]+)")
_SCOPUS_EID = re.compile(r"eid=(2-s2\.0-\d+)")
_ZOTERO_DATE = re.compile(r"^\d{4}/\d{0,2}/\d{0,2}/")


def split_tag(line: str) -> tuple[str, str] | None:
    """("TY", "JOUR") for ``TY  - JOUR``; None for a line that is not a RIS tag line."""
    strict = _STRICT_TAG.fullmatch(line)
    if strict:
        return strict.group(1), strict.group(2)
    if line[:1].isupper():
        match = _LOOSE_TAG.match(line)
        if match:
            if match.group(1):
                return match.group(1), match.group(2) or ""
            return match.group(3), match.group(4) or ""
    return None


class _RawRecord:
    __slots__ = ("line", "numbered", "problems", "tags")

    def __init__(self, line: int, numbered: bool):
        self.line = line
        self.tags: dict[str, list[str]] = {}
        self.numbered = numbered
        self.problems: list[str] = []


def read(lines: list[str], *, file: str) -> list[ParsedRecord]:
    """Parse RIS lines into records (see the module docstring for the rules)."""
    return [_build(raw) for raw in _split_records(lines, file)]


def _split_records(lines: list[str], file: str) -> list[_RawRecord]:
    records: list[_RawRecord] = []
    current: _RawRecord | None = None
    values: list[str] | None = None  # the value list of the last tag seen in the current record
    orphan_start = 0  # line of the first tag after the last ER, outside any record
    orphan_tags: dict[str, list[str]] = {}
    after_number = False
    strict_tag = _STRICT_TAG.fullmatch
    for index, line in enumerate(lines):
        strict = strict_tag(line)
        parts = (strict.group(1), strict.group(2)) if strict else split_tag(line.removeprefix("\ufeff"))
        if parts is None:
            if current is not None and values is not None:
                if line.strip():
                    values[-1] = f"{values[-1]}\n{line}"
            elif line.strip():
                after_number = bool(_RECORD_NUMBER.match(line))
            continue
        tag, value = parts
        if tag == "TY":
            _settle_orphans(records, orphan_tags, orphan_start, file)
            orphan_tags = {}
            if current is not None:
                current.problems.append(f"no 'ER  -' before the next record at line {index + 1}")
                records.append(current)
            current = _RawRecord(index + 1, after_number)
            after_number = False
            values = current.tags.setdefault("TY", [])
            values.append(value)
        elif tag == "ER":
            if current is not None:
                records.append(current)
                current, values = None, None
            else:
                _settle_orphans(records, orphan_tags, orphan_start, file)
                orphan_tags = {}
        elif current is not None:
            values = current.tags.setdefault(tag, [])
            values.append(value)
        else:
            if not orphan_tags:
                orphan_start = index + 1
            orphan_tags.setdefault(tag, []).append(value)
    if current is not None:
        raise ExportError("RIS record has no 'ER  -' end tag (the file looks truncated)",
                          where=f"{file}:{current.line}",
                          fix="re-export the records; a complete RIS file ends its last record with 'ER  -'")
    _settle_orphans(records, orphan_tags, orphan_start, file)
    if not records:
        raise ExportError("no RIS record found (no 'TY  -' line)", where=f"{file}:1",
                          fix="export the records as RIS (each record starts with 'TY  -' and ends with 'ER  -')")
    return records


def _settle_orphans(records: list[_RawRecord], orphan_tags: dict[str, list[str]], line: int, file: str) -> None:
    """Give tags found between records to the record before, or reject a record that lost its TY."""
    if not orphan_tags:
        return
    if _CORE_TAGS.intersection(orphan_tags) or not records:
        raise ExportError("record has no 'TY  -' tag", where=f"{file}:{line}",
                          fix="re-export as RIS (complete reference); every record must start with 'TY  -'")
    target = records[-1].tags
    for tag, values in orphan_tags.items():
        target.setdefault(tag, []).extend(values)


def _dialect(raw: _RawRecord) -> str:
    tags = raw.tags
    links = " ".join(tags.get("UR", []) + tags.get("L2", []) + tags.get("LK", []) + tags.get("L1", [])).lower()
    database = " ".join(tags.get("DB", [])).lower()
    provider = " ".join(tags.get("DP", [])).lower()
    notes = " ".join(tags.get("N1", [])).lower()
    accession = " ".join(tags.get("AN", []) + tags.get("UT", [])).upper()
    if "ovid" in links or "ovid" in database or "ovid" in provider or raw.numbered:
        return "ovid"
    if "ebsco" in provider or "ebscohost" in links:
        return "ebsco"
    if "proquest" in links or "proquest" in provider:
        return "proquest"
    if "embase" in database or "embase.com" in links:
        return "embase"
    if "scopus" in database or "scopus.com" in links or "source: scopus" in notes:
        return "scopus"
    if ("web of science" in database or "web of science" in provider or "webofscience" in links
            or "isiknowledge" in links or "WOS:" in accession):
        return "wos"
    if provider.strip() == "nlm" or "pubmed" in database or "medline" in database:
        return "pubmed"
    if any(_ZOTERO_DATE.match(value) for value in tags.get("DA", [])) or "<p>" in notes:
        return "zotero"
    order = [tag for tag in tags if tag not in ("TY", "ER")]
    if len(order) >= 6 and order == sorted(order):
        return "endnote"
    return "generic"


def _accession(tags: dict[str, list[str]], dialect: str) -> str:
    """The database's own accession number, only where the dialect makes its meaning certain."""
    accession = first(tags.get("AN"))
    if accession:
        return accession
    if dialect == "ovid":
        return first(tags.get("ID"))
    if dialect == "embase":
        for value in tags.get("U2", []):
            if _EMBASE_ID.match(value.strip()):
                return value.strip()
    if dialect == "ebsco":
        for value in tags.get("N1", []):
            match = _ACCESSION_NOTE.search(value)
            if match:
                return match.group(1)
        for value in tags.get("UR", []):
            match = _URL_AN.search(value)
            if match:
                return match.group(1)
    if dialect == "scopus":
        for value in tags.get("UR", []):
            match = _SCOPUS_EID.search(value)
            if match:
                return match.group(1)
    if dialect == "wos":
        return first(tags.get("UT"))
    return ""


def _pmid(tags: dict[str, list[str]], dialect: str, accession: str) -> str:
    for tag in ("PMID", "PM"):
        for value in tags.get(tag, []):
            digits = digits_only(value.split("\n")[0])
            if digits:
                return digits
    if dialect == "pubmed" and accession.isdigit():
        return accession
    if dialect == "ovid" and "medline" in " ".join(tags.get("DB", []) + tags.get("L2", [])).lower():
        digits = digits_only(first(tags.get("ID")))
        if digits:
            return digits
    return pmid_in_links(tags.get("UR", []) + tags.get("L2", []) + tags.get("LK", []))


def _build(raw: _RawRecord) -> ParsedRecord:
    tags = raw.tags
    dialect = _dialect(raw)
    type_code = first(tags.get("TY")).upper()
    entry_type = RIS_ENTRY_TYPES.get(type_code, "other")
    record = ParsedRecord(line=raw.line, raw=tags, dialect=dialect, entry_type=entry_type,
                          problems=list(raw.problems))
    if not type_code:
        record.problems.append("empty 'TY  -' reference type")

    title = first(tags.get("TI")) or first(tags.get("T1")) or first(tags.get("CT"))
    book_title = first(tags.get("BT"))
    if not title and entry_type == "book" and book_title:
        title, book_title = book_title, ""
    record.title = title
    record.authors = split_people(tags.get("AU", []) + tags.get("A1", []))
    journal_candidates = [first(tags.get("JF")), first(tags.get("T2")), first(tags.get("JO")), book_title,
                          first(tags.get("JA")), first(tags.get("J2")), first(tags.get("J1"))]
    record.journal = next((name for name in journal_candidates if name and name != title), "")

    date_values = tags.get("PY", []) + tags.get("Y1", []) + tags.get("DA", [])
    record.year = next((year for year in map(find_year, date_values) if year), "")
    if not record.year and first(date_values):
        record.problems.append(f"no four-digit year in '{first(date_values)}'")

    record.volume = first(tags.get("VL"))
    record.issue = first(tags.get("IS")) or first(tags.get("CP"))
    record.pages, record.page_start, record.page_end = pages_from_parts(first(tags.get("SP")), first(tags.get("EP")))

    doi, bad_doi = doi_from(tags.get("DO", []) + tags.get("DI", []))
    if not doi:
        doi, _ = doi_from(tags.get("L3", []) + tags.get("M3", []))
    if not doi:
        doi = doi_in_links(tags.get("UR", []) + tags.get("L2", []) + tags.get("LK", []) + tags.get("N1", []))
    if bad_doi and not doi:
        record.problems.append(f"DOI '{bad_doi}' is not DOI-shaped")
    record.doi = doi

    record.accession = _accession(tags, dialect)
    record.native_id = re.split(r"[;,\s]+", record.accession)[0] if record.accession else ""
    record.pmid = _pmid(tags, dialect, record.accession)
    record.database = first(tags.get("DB"))
    record.issn, record.isbn = split_identifiers(tags.get("SN", []) + tags.get("BN", []))
    record.abstract = " ".join(squash(value) for value in tags.get("AB", []) + tags.get("N2", []) if value.strip())
    record.keywords = unique([squash(part) for value in tags.get("KW", []) for part in value.split("\n")])
    record.language = "; ".join(unique([squash(value) for value in tags.get("LA", [])]))
    types = tags.get("PT", []) + ([] if dialect == "ovid" else tags.get("M3", []))
    record.publication_types = unique([squash(value) for value in types
                                       if not doi_from([value])[0] and "://" not in value])
    record.url = first(tags.get("UR")) or first(tags.get("LK")) or first(tags.get("L2"))
    return record
