"""Tell an export's format from its content, never from its file name.

Containers (zip-based xlsx/docx, gzip, PDF) are recognised from their first bytes. In text, the
earliest line that carries a format's signature decides: ``TY  -`` for RIS, ``PMID-`` or a
four-character MEDLINE tag (``FAU -``, ``STAT-``) for MEDLINE, ``@type{`` for BibTeX, ``PT J`` /
``FN`` for Web of Science, ``%0`` for EndNote tagged text, and a header row naming bibliographic
columns for CSV/TSV. Junk before the first record (Ovid's ``1.``, ProQuest's header lines) is
therefore harmless, and a signature buried inside a later abstract never outvotes the first one.
"""

from __future__ import annotations

import re

from pipeline.formats import table

# Formats the readers here handle, and formats that are recognised but not read (name -> label).
SUPPORTED = ("ris", "nbib", "bibtex", "csv", "tsv", "wos", "enw", "endnote_xml", "xlsx")
NOT_YET_SUPPORTED = {
    "pubmed_xml": "PubMed XML",
    "docx": "Word document",
    "pdf": "PDF document",
    "ovid_text": "Ovid display text (<1> numbered records)",
    "json": "JSON",
    "xml": "XML (not a known bibliographic schema)",
}

_RIS = re.compile(r"^(?:\ufeff)?TY {1,2}- ?")
_MEDLINE = re.compile(r"^(?:PMID-|[A-Z]{3}[A-Z ]- )")
_WOS = re.compile(r"^(?:PT [A-Z]\s*$|FN (?:Clarivate|Thomson|ISI))")
_OVID_TEXT = re.compile(r"^<\d+>\s*$")
_ENW = re.compile(r"^%0 ")
_BIBTEX = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]")
_MARKUP_START = re.compile(r"^<[?!A-Za-z]")
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  - ")
_RIS_END = re.compile(r"^ER  -\s*$")


def container_kind(data: bytes) -> str:
    """"xlsx", "docx", "zip", "gzip" or "pdf" when the bytes are such a container, else ""."""
    if data.startswith(b"PK\x05\x06"):  # an empty zip archive: only the end-of-directory record
        return "zip"
    if data.startswith(b"PK\x03\x04"):
        head = data[:65536]
        if b"xl/" in head:
            return "xlsx"
        if b"word/" in head:
            return "docx"
        return "zip"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"%PDF"):
        return "pdf"
    return ""


def _markup_kind(text: str) -> str:
    head = text.lstrip()[:4000]
    if head.startswith("{") or head.startswith("["):
        return "json" if not _BIBTEX.match(head) else ""
    if not _MARKUP_START.match(head):
        return ""
    if "<PubmedArticle" in head or "<PubmedBookArticle" in head or "<MedlineCitation" in head:
        return "pubmed_xml"
    if "<records" in head or "<ref-type" in head or "<xml>" in head:
        return "endnote_xml"
    return "xml"


def detect_format(lines: list[str]) -> str:
    """The format name for decoded lines ("" when none is recognised)."""
    if not lines:
        return ""
    first_text = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_text is None:
        return ""
    markup = _markup_kind("\n".join(lines[first_text:first_text + 200]))
    if markup:
        return markup
    sniffed = table.sniff(lines[first_text])
    if sniffed is not None:
        return "tsv" if sniffed[0] == "\t" else "csv"
    for line in lines[first_text:]:
        head = line[:1]
        if head == "T" and _RIS.match(line):
            return "ris"
        if head == "@" or head in " \t":
            if _BIBTEX.match(line):
                return "bibtex"
            continue
        if head == "%" and _ENW.match(line):
            return "enw"
        if head == "<" and _OVID_TEXT.match(line):
            return "ovid_text"
        if head.isupper():
            if _MEDLINE.match(line):
                return "nbib"
            if _WOS.match(line):
                return "wos"
    if any(_RIS_END.match(line) for line in lines) and sum(1 for line in lines if _RIS_TAG.match(line)) >= 2:
        return "ris"
    return ""
