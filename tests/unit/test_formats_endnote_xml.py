"""EndNote XML, including the dedup benchmark's Stroke.xml and Haematology.xml against their CSVs."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from pipeline.errors import ExportError
from pipeline.formats import endnote_xml, read_export
from pipeline.keys import normalize_title

DEDUP = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "dedup"


def record(body: str) -> str:
    return f"<?xml version='1.0'?>\n<xml><records>\n<record>{body}</record>\n</records></xml>\n"


def styled(text: str) -> str:
    return f'<style face="normal" font="default" size="100%">{text}</style>'


@pytest.mark.parametrize(("body", "field", "expected"), [
    (f"<titles><title>{styled('A ')}{styled('split')}{styled(' title')}</title></titles>", "title", "A split title"),
    ("<titles><title>Plain</title></titles>", "title", "Plain"),
    ("<contributors><authors><author>Doe, J.</author><author>Roe, R</author></authors></contributors>",
     "authors", [("Doe", "J."), ("Roe", "R")]),
    ("<contributors><secondary-authors><author>Ed, E</author></secondary-authors></contributors>",
     "authors", [("Ed", "E")]),
    ("<dates><pub-dates><date>Mar 2011</date></pub-dates></dates>", "year", "2011"),
    ('<ref-type name="Book Section">5</ref-type>', "entry_type", "chapter"),
    ("<ref-type>32</ref-type>", "entry_type", "thesis"),
    ('<ref-type name="Dataset">59</ref-type>', "entry_type", "other"),
    ("<titles><secondary-title>Br J Cancer</secondary-title></titles>", "journal", "Br J Cancer"),
    ("<periodical><full-title>Full</full-title></periodical><titles><secondary-title>Abbr</secondary-title></titles>",
     "journal", "Full"),
    ("<isbn>1471-8405 (Electronic)&#xD;0962-7480 (Linking)</isbn>", "issn", "1471-8405; 0962-7480"),
    ("<electronic-resource-num>https://doi.org/10.1234/ABC</electronic-resource-num>", "doi", "10.1234/abc"),
    ("<urls><web-urls><url>https://doi.org/10.1234/x</url></web-urls></urls>", "doi", "10.1234/x"),
    ("<accession-num>123</accession-num><remote-database-name>MEDLINE</remote-database-name>", "pmid", "123"),
    ("<accession-num>123</accession-num><remote-database-name>Embase</remote-database-name>", "pmid", ""),
    ("<keywords><keyword>a</keyword><keyword>b\nc</keyword></keywords>", "keywords", ["a", "b", "c"]),
    ("<pages>943-7</pages>", "page_end", "947"),
    ('<source-app name="Bookends">Bookends</source-app>', "dialect", "bookends"),
], ids=["styled-title", "plain-title", "authors", "secondary-authors", "pub-date", "named-type", "coded-type",
        "other-type", "secondary-title", "full-title-first", "issn-in-isbn", "doi", "doi-in-url", "medline-pmid",
        "embase-no-pmid", "keywords", "pages", "bookends"])
def test_fields(body: str, field: str, expected: object) -> None:
    [parsed] = endnote_xml.read(record(body), file="e.xml")
    assert getattr(parsed, field) == expected


def test_raw_keeps_paths_and_attributes_and_lines() -> None:
    text = "<?xml version='1.0'?>\n<xml><records>\n<record>\n<ref-type name='Journal Article'>17</ref-type>" \
           "</record>\n\n<record><titles><title>T</title></titles></record></records></xml>"
    first, second = endnote_xml.read(text, file="e.xml")
    assert first.raw == {"ref-type@name": ["Journal Article"], "ref-type": ["17"]}
    assert second.raw == {"titles/title": ["T"]}
    assert (first.line, second.line) == (3, 6)


@pytest.mark.parametrize(("text", "message"), [
    ("<xml><records><record><title>x</record></records></xml>", "e.xml:1: EndNote XML is not well-formed (mismatched tag"),
    ("<xml><records>\n</records></xml>", "e.xml:1: no EndNote <record> found"),
    ("<xml>\n<records><record>", "e.xml:2: EndNote XML is not well-formed (no element found"),
], ids=["mismatched", "no-records", "truncated"])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ExportError) as raised:
        endnote_xml.read(text, file="e.xml")
    assert str(raised.value).startswith(message)
    assert raised.value.fix


def test_external_entities_are_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("leaked", encoding="utf-8")
    text = (f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<xml><records><record><titles><title>&x;</title></titles></record></records></xml>")
    [parsed] = endnote_xml.read(text, file="e.xml")
    assert "leaked" not in parsed.title


@pytest.mark.shared
@pytest.mark.parametrize(("folder", "name", "count"), [("stroke", "Stroke.xml", 1292),
                                                      ("haematology", "Haematology.xml", 1415)])
def test_dedup_benchmark_xml_matches_its_csv(folder: str, name: str, count: int) -> None:
    path = DEDUP / folder / name
    if not path.is_file():
        pytest.skip(f"../shared/data not found: {path} is absent, so the EndNote XML benchmark files cannot be read")
    logging.disable(logging.WARNING)
    try:
        frame = read_export(path.read_bytes(), file=name, source=folder)
    finally:
        logging.disable(logging.NOTSET)
    assert len(frame) == count
    with (DEDUP / folder / "records_pre_merged.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count
    same_title = sum(normalize_title(title) == normalize_title(row["title"])
                     for title, row in zip(frame["title"], rows, strict=True))
    same_year = sum(year == row["year"] for year, row in zip(frame["year"], rows, strict=True))
    assert (same_title, same_year) == (count, count), "every record in the same order as the CSV ids"
