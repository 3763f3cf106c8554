"""read_export as a whole: golden records per dialect, the frame contract, every error, and a
property test that no byte string makes it raise anything but ExportError."""

from __future__ import annotations

import gzip
import io
import json
import logging
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.columns import RECORD_COLUMNS
from pipeline.errors import ExportError
from pipeline.formats import read_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
GOLDEN = json.loads((FIXTURES / "golden_records.json").read_text(encoding="utf-8"))
JSON_COLUMNS = ("authors", "keywords", "publication_types", "raw")
FIXTURE_NAMES = ["ebsco.ris", "ovid.ris", "proquest.ris", "pubmed.nbib", "strings.bib", "generic.csv", "wos.ciw",
                 "endnote.enw", "endnote.xml"]


def read_fixture(name: str, **changes: object):
    path = FIXTURES / name
    data = changes.pop("data", path.read_bytes())
    return read_export(data, file=f"tests/fixtures/exports/{name}", source=path.stem, **changes)


@pytest.mark.parametrize("name", sorted(GOLDEN), ids=sorted(GOLDEN))
def test_golden_first_record_of_each_dialect(name: str) -> None:
    row = read_fixture(name).iloc[0].to_dict()
    decoded = {key: (json.loads(value) if key in JSON_COLUMNS else value) for key, value in row.items()}
    assert decoded == GOLDEN[name]


@pytest.mark.parametrize("name", FIXTURE_NAMES, ids=FIXTURE_NAMES)
def test_frame_has_exactly_the_record_columns_all_text(name: str) -> None:
    frame = read_fixture(name)
    assert list(frame.columns) == RECORD_COLUMNS
    assert all(isinstance(value, str) for column in RECORD_COLUMNS for value in frame[column])
    assert frame["record_id"].is_unique


@pytest.mark.parametrize("name", FIXTURE_NAMES, ids=FIXTURE_NAMES)
def test_line_endings_do_not_change_the_result(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    lf = read_fixture(name)
    crlf = read_fixture(name, data=data.replace(b"\n", b"\r\n"))
    with_bom = read_fixture(name, data=b"\xef\xbb\xbf" + data)
    assert lf.equals(crlf)
    assert lf.equals(with_bom)


@pytest.mark.parametrize("name", FIXTURE_NAMES, ids=FIXTURE_NAMES)
def test_utf16_with_bom_reads_like_utf8(name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    for codec in ("utf-16", "utf-16-be"):
        data = text.encode(codec) if codec == "utf-16" else b"\xfe\xff" + text.encode(codec)
        assert read_fixture(name, data=data).equals(read_fixture(name))


def test_cp1252_is_read_with_a_warning_naming_the_file(caplog: pytest.LogCaptureFixture) -> None:
    data = (FIXTURES / "ovid.ris").read_text(encoding="utf-8").encode("cp1252")
    with caplog.at_level(logging.WARNING):
        frame = read_fixture("ovid.ris", data=data)
    assert json.loads(frame["authors"].iloc[0])[1] == ["Lindqvist", "Åsa"]
    assert "tests/fixtures/exports/ovid.ris" in caplog.text
    assert "cp1252" in caplog.text


EXPLICIT = {"ris": "ebsco.ris", "nbib": "pubmed.nbib", "bibtex": "strings.bib", "csv": "generic.csv", "wos": "wos.ciw",
            "enw": "endnote.enw", "endnote_xml": "endnote.xml"}


@pytest.mark.parametrize("format_name", sorted(EXPLICIT))
def test_explicit_format_matches_detection(format_name: str) -> None:
    name = EXPLICIT[format_name]
    assert read_fixture(name, format=format_name).equals(read_fixture(name))


ERRORS = [
    ("empty", b"", "auto", "x.ris:1: the file is empty"),
    ("blank-lines", b"\n\r\n  \n", "auto", "x.ris:1: the file is empty; re-export"),
    ("bom-and-blank-lines", b"\xef\xbb\xbf\n\n", "auto", "x.ris:1: the file is empty (only blank lines)"),
    ("prose", b"Dear reviewer,\nhere are my notes.\n", "auto", "x.ris:1: not a bibliographic export: no RIS"),
    ("unknown-format", b"TY  - JOUR\nER  - \n", "endnote", "x.ris: unknown export format 'endnote'"),
    ("xlsx-damaged", b"PK\x03\x04....xl/workbook.xml", "auto",
     "x.ris:1: the Excel workbook cannot be opened (BadZipFile"),
    ("docx", b"PK\x03\x04....word/document.xml", "auto", "Word document exports ('docx') are not supported"),
    ("gzip-damaged", b"\x1f\x8b\x08\x00rest", "auto", "x.ris:1: the gzip file is damaged"),
    ("zip-damaged", b"PK\x03\x04....other", "auto", "x.ris:1: the zip archive cannot be read"),
    ("pdf", b"%PDF-1.7\n", "auto", "PDF document exports ('pdf') are not supported"),
    ("pubmed-xml", b"<?xml version='1.0'?>\n<PubmedArticleSet><PubmedArticle>", "auto",
     "PubMed XML exports ('pubmed_xml') are not supported"),
    ("ovid-text", b"<1>\nAccession Number\n  123\n", "auto",
     "Ovid display text (<1> numbered records) exports ('ovid_text') are not supported"),
    ("endnote-xml-broken", b"<?xml version='1.0'?><xml><records><record><ref-type>17</ref-type>", "auto",
     "x.ris:1: EndNote XML is not well-formed (no element found"),
    ("endnote-xml-no-records", b"<?xml version='1.0'?>\n<xml><records>\n</records></xml>\n", "endnote_xml",
     "x.ris:1: no EndNote <record> found"),
    ("wos-truncated", b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Doe, J\n", "auto",
     "x.ris:3: Web of Science record has no 'ER' end line (the file looks truncated)"),
    ("wos-nothing", b"FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n", "wos",
     "x.ris:1: no Web of Science record found"),
    ("enw-nothing", b"just text\n", "enw", "x.ris:1: no EndNote record found"),
    ("xlsx-not-a-workbook", b"TY  - JOUR\nER  - \n", "xlsx", "x.ris:1: the file is not an Excel workbook"),
    ("workbook-as-ris", b"PK\x03\x04....xl/workbook.xml", "ris", "x.ris:1: the file is an Excel workbook, not 'ris'"),
    ("unknown-encoding", b"TY  - JOUR\nER  - \n", "auto", "x.ris: unknown encoding 'klingon'"),
    ("wrong-encoding", b"TY  - JOUR\nAU  - M\xfcller\nER  - \n", "auto", "x.ris: not valid utf-8 text (bad byte at offset 18)"),
    ("control-characters", bytes(range(1, 9)) * 40 + b"\xff", "auto",
     "x.ris:1: the bytes are not text in any encoding tried"),
    ("binary", b"abc\x00\x01\x02def\x00", "auto", "x.ris:1: the file holds binary data, not a text export"),
    ("truncated-ris", b"TY  - JOUR\nTI  - A title\nER  - \n\nTY  - JOUR\nTI  - Cut off\n", "auto",
     "x.ris:5: RIS record has no 'ER  -' end tag (the file looks truncated)"),
    ("ris-without-ty", b"TI  - A title\nAU  - Doe, Jane\nER  - \n", "auto", "x.ris:1: record has no 'TY  -' tag"),
    ("wrong-explicit-format", b"PMID- 1\nOWN - NLM\n", "ris", "x.ris:1: no RIS record found"),
    ("nbib-as-ris", b"PMID- 1\nTI  - A title\n", "ris", "x.ris:2: record has no 'TY  -' tag"),
    ("bibtex-no-entries", b"% only a comment\n@comment{nothing}\n", "bibtex", "x.ris:1: no BibTeX entry found"),
    ("csv-no-rows", b"Title,Authors,Year\n", "auto", "x.ris:1: the table has a header but no rows"),
    ("csv-unknown-header", b"alpha,beta\n1,2\n", "csv", "x.ris:1: the table's header names no title"),
    ("nbib-nothing", b"\xef\xbb\xbf   \n", "nbib", "x.ris:1: the file is empty (only blank lines)"),
]


ENCODINGS = {"unknown-encoding": "klingon", "wrong-encoding": "utf-8"}


@pytest.mark.parametrize(("data", "format_name", "message"), [case[1:] for case in ERRORS],
                         ids=[case[0] for case in ERRORS])
def test_errors_say_what_where_and_how_to_fix(data: bytes, format_name: str, message: str,
                                              request: pytest.FixtureRequest) -> None:
    encoding = ENCODINGS.get(request.node.callspec.id, "auto")
    with pytest.raises(ExportError) as raised:
        read_export(data, file="x.ris", source="s", format=format_name, encoding=encoding)
    assert message in str(raised.value)
    assert raised.value.fix, "every export error says how to fix it"


def test_record_with_problems_is_kept() -> None:
    frame = read_export(b"TY  - JOUR\nER  - \n", file="x.ris", source="s")
    assert len(frame) == 1
    assert frame["problems"].iloc[0] == "no title; no authors; no year"
    assert frame["record_id"].iloc[0] == "s:1"


# --- property: nothing but ExportError escapes, whatever the bytes ------------------------------

SEEDS = [(FIXTURES / name).read_bytes() for name in FIXTURE_NAMES]


@st.composite
def mutated_exports(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        action = draw(st.sampled_from(["cut", "insert", "flip", "delete"]))
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "cut":
            del data[position:]
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=12)
                                           | st.sampled_from([b"\nTY  - ", b"\nER  - \n", b"@article{", b"}",
                                                              b"\nPMID- ", b'"', b"\n      ", b"#", b"{", b"%"]))
        elif action == "flip" and data:
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif data:
            del data[position:position + draw(st.integers(min_value=1, max_value=40))]
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300), mutated_exports()),
       format_name=st.sampled_from(["auto", "auto", "ris", "nbib", "bibtex", "csv", "tsv", "wos", "enw", "endnote_xml",
                                        "xlsx"]))
def test_only_export_errors_escape(data: bytes, format_name: str) -> None:
    try:
        frame = read_export(data, file="fuzz.txt", source="fuzz", format=format_name)
    except ExportError as error:
        assert error.where and error.where.startswith("fuzz.txt")
        return
    assert list(frame.columns) == RECORD_COLUMNS
    assert len(frame) > 0
    assert frame["record_id"].is_unique


# --- compressed exports --------------------------------------------------------------------------

def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


RIS = (FIXTURES / "ebsco.ris").read_bytes()


@pytest.mark.parametrize("data", [gzip.compress(RIS), zipped({"export.ris": RIS}),
                                  zipped({"export.ris": RIS, "__MACOSX/._export.ris": b"junk", "folder/": b""})],
                         ids=["gzip", "zip", "zip-with-mac-junk"])
def test_compressed_exports_are_read_like_the_export_inside(data: bytes) -> None:
    assert read_fixture("ebsco.ris", data=data).equals(read_fixture("ebsco.ris"))


@pytest.mark.parametrize(("data", "message"), [
    (zipped({"a.ris": RIS, "b.ris": RIS}), "x.ris:1: the zip archive holds 2 files (a.ris, b.ris), not one export"),
    (zipped({}), "x.ris:1: the zip archive holds 0 files (nothing), not one export"),
    (gzip.compress(gzip.compress(RIS)), "x.ris:1: the compressed file holds another gzip archive"),
    (gzip.compress(RIS)[:-12], "x.ris:1: the gzip file is damaged"),
], ids=["two-files", "empty-zip", "nested", "cut-gzip"])
def test_compressed_export_errors(data: bytes, message: str) -> None:
    with pytest.raises(ExportError) as raised:
        read_export(data, file="x.ris", source="s")
    assert str(raised.value).startswith(message)
    assert raised.value.fix


def test_every_file_logs_the_encoding_it_was_read_with(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pipeline.formats.encoding"):
        read_fixture("ovid.ris")
        read_fixture("ovid.ris", data=(FIXTURES / "ovid.ris").read_text(encoding="utf-8").encode("utf-16"))
        read_fixture("ovid.ris", data=(FIXTURES / "ovid.ris").read_bytes(), encoding="utf-8")
    assert "tests/fixtures/exports/ovid.ris: read as UTF-8" in caplog.text
    assert "read as UTF-16-LE (byte-order mark)" in caplog.text
    assert "read as utf-8 (as configured)" in caplog.text


def test_embase_csv_source_cell_and_openurl_give_the_citation() -> None:
    """Embase CSV has no journal/year/pages columns: they sit in "Source", the DOI in the OpenURL link."""
    data = ('Title,Author Names,Source,Emtree Medical Index Terms,Open URL Link\n'
            '"Cysts","Liu R., Adler D.G.","Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014",'
            '"cyst (diagnosis, surgery), human",'
            '"http://sfx.example/x?sid=EMBASE&issn=22267190&id=doi:10.4103%2F2303-9027.138783&volume=3"\n'
            '"Case","Ito K.","Int J Surg Case Rep (2019) 54 (83-86). Date of Publication: 1 Jan 2019",,\n')
    frame = read_export(data.encode(), file="embase.csv", source="embase")
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["dialect"] == "embase"
    assert (first["journal"], first["year"], first["volume"], first["issue"], first["pages"]) == (
        "Endoscopic Ultrasound", "2014", "3", "3", "152-160")
    assert (first["doi"], first["issn"]) == ("10.4103/2303-9027.138783", "2226-7190")
    assert json.loads(first["keywords"]) == []  # index terms are kept raw, not mapped
    assert (second["journal"], second["year"], second["volume"], second["issue"], second["page_start"]) == (
        "Int J Surg Case Rep", "2019", "54", "", "83")
