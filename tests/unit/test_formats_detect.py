"""Format detection from content."""

from __future__ import annotations

import pytest

from pipeline.formats.detect import container_kind, detect_format


@pytest.mark.parametrize(("text", "expected"), [
    ("TY  - JOUR\nER  - \n", "ris"),
    ("1.\nTY  - JOUR\nER  -\n", "ris"),
    ("Provider: APA\nDatabase: PsycINFO\n\nTY  - JOUR\n", "ris"),
    ("\n\nTY  - JOUR\n", "ris"),
    ("JF  - J\nT1  - T\nER  -\n", "ris"),
    ("PMID- 123\nOWN - NLM\n", "nbib"),
    ("PMID-123\nPT  - Editorial\n", "nbib"),
    ("\nOWN - ERIC\nTI  - T\n", "nbib"),
    ("% comment\n@article{k, title={T}}\n", "bibtex"),
    ("  @Book ( k, title={T})\n", "bibtex"),
    ("title,abstract\nT,A\n", "csv"),
    ("title\tabstract\nT\tA\n", "tsv"),
    ("TY,AU,year,TI\nJOUR,X,2019,T\n", "csv"),
    ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\n", "wos"),
    ("PT J\nAU Doe, J\n", "wos"),
    ("%0 Journal Article\n%T T\n", "enw"),
    ("<1>\nAccession Number\n  123\n", "ovid_text"),
    ("<?xml version='1.0'?><xml><records><record>", "endnote_xml"),
    ("<?xml version='1.0'?>\n<PubmedArticleSet>", "pubmed_xml"),
    ("<html><body>", "xml"),
    ('{"items": []}', "json"),
    ("Dear reviewer,\nhere are notes.\n", ""),
    ("", ""),
], ids=["ris", "ovid-numbered", "apa-header", "leading-blank", "ris-without-ty", "nbib", "nbib-no-space",
        "eric", "bibtex", "bibtex-indented", "csv", "tsv", "csv-with-ris-names", "wos-header", "wos", "enw",
        "ovid-text", "endnote-xml", "pubmed-xml", "other-xml", "json", "prose", "empty"])
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text.split("\n")) == expected


def test_the_earliest_signature_wins() -> None:
    text = "TY  - JOUR\nAB  - text\n@article{this is an abstract line}\nPMID- 1\nER  - \n"
    assert detect_format(text.split("\n")) == "ris"


@pytest.mark.parametrize(("data", "expected"), [
    (b"PK\x03\x04...xl/workbook.xml", "xlsx"),
    (b"PK\x03\x04...word/document.xml", "docx"),
    (b"PK\x03\x04...other", "zip"),
    (b"PK\x05\x06" + bytes(18), "zip"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"%PDF-1.7", "pdf"),
    (b"TY  - JOUR", ""),
])
def test_container_kind(data: bytes, expected: str) -> None:
    assert container_kind(data) == expected
