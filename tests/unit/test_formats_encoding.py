"""Decoding export bytes and normalising line endings."""

from __future__ import annotations

import codecs
import logging

import pytest

from pipeline.errors import ExportError
from pipeline.formats.encoding import decode, decode_export, decode_export_repaired, split_lines

TEXT = "TY  - JOUR\nAU  - Müller, Jörg\nER  - \n"


@pytest.mark.parametrize("data", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-16-le"),
    TEXT.encode("utf-16-be"),
], ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom", "utf16be-no-bom"])
def test_unicode_encodings_decode_to_the_same_text(data: bytes) -> None:
    assert decode(data, file="f.ris") == TEXT


@pytest.mark.parametrize(("codec", "expected_log"), [("cp1252", "reading it as cp1252"),
                                                      ("latin-1", "reading it as latin-1")])
def test_legacy_code_pages_are_read_with_a_warning(codec: str, expected_log: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    text = "AU  - Müller – “quoted”\n" if codec == "cp1252" else "AU  - Müller \x81\n"
    with caplog.at_level(logging.WARNING):
        assert decode(text.encode(codec), file="exports/old.ris") == text
    assert "exports/old.ris" in caplog.text and expected_log in caplog.text


def test_bad_utf16_is_an_export_error() -> None:
    with pytest.raises(ExportError, match=r"^f.ris: not valid UTF-16-LE text .*; re-export the file"):
        decode(codecs.BOM_UTF16_LE + b"\x00\xd8\x41\x00", file="f.ris")


@pytest.mark.parametrize("data", [b"a\nb\nc\n", b"a\r\nb\r\nc\r\n", b"a\rb\rc\r", b"a\r\nb\nc\r", b"a\nb\nc"],
                         ids=["lf", "crlf", "cr", "mixed", "no-final-newline"])
def test_line_endings_give_the_same_lines(data: bytes) -> None:
    assert split_lines(decode(data, file="f")) == ["a", "b", "c"]


def test_split_lines_keeps_blank_lines_so_numbers_match_the_file() -> None:
    assert split_lines("a\n\nb\n") == ["a", "", "b"]
    assert split_lines("x\x0cy\u2028z") == ["x\x0cy\u2028z"], "only LF ends a line"


@pytest.mark.parametrize(("data", "expected", "log"), [
    (b"% Encoding: windows-1252\n\n@article{k, title={M\xfcller \x93quoted\x94}}\n",
     "% Encoding: windows-1252\n\n@article{k, title={Müller “quoted”}}\n", "reading it as cp1252, the encoding the file declares"),
    (b"% Encoding: ISO-8859-15\n@article{k, title={\xa4}}\n", "% Encoding: ISO-8859-15\n@article{k, title={€}}\n",
     "reading it as iso8859-15, the encoding the file declares"),
    (b"<?xml version='1.0' encoding='ISO-8859-1'?><xml>\xe9</xml>", "<?xml version='1.0' encoding='ISO-8859-1'?><xml>é</xml>",
     "reading it as iso8859-1, the encoding the file declares"),
    (b"% Encoding: UTF-8\n@article{k, title={M\xfcller}}\n", "% Encoding: UTF-8\n@article{k, title={Müller}}\n",
     "reading it as cp1252 (Windows)"),
], ids=["declared-cp1252", "declared-latin-9", "xml-declaration", "declared-utf8-but-not"])
def test_declared_encodings_are_honoured(data: bytes, expected: str, log: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert decode(data, file="old.bib") == expected
    assert log in caplog.text


def test_explicit_encoding_is_used_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert decode_export("AU  - Müller\n".encode("cp437"), file="f.ris", encoding="cp437") == "AU  - Müller\n"
    assert "f.ris: read as cp437 (as configured)" in caplog.text


@pytest.mark.parametrize(("data", "encoding", "message"), [
    (b"x", "no-such-codec", "f.ris: unknown encoding 'no-such-codec'; use a Python codec name"),
    (b"M\xfcller", "utf-8", "f.ris: not valid utf-8 text (bad byte at offset 1); set the encoding to 'auto'"),
    (bytes(range(1, 32)) * 20 + b"\xff", "auto", "f.ris:1: the bytes are not text in any encoding tried"),
], ids=["unknown-codec", "wrong-codec", "control-characters"])
def test_undecodable_bytes_are_an_export_error(data: bytes, encoding: str, message: str) -> None:
    with pytest.raises(ExportError) as raised:
        decode_export(data, file="f.ris", encoding=encoding)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(("data", "text", "lines"), [
    ("Café\nnaïve\n".encode() + b"bad \x92 quote\n", "Café\nnaïve\nbad \u2019 quote\n", [3]),
    ("Café\r\n".encode() + b"x\x81y\r\n\r\n" + "Müller \xe9\n".encode() + b"\xe9\n", "Café\nx\x81y\n\nMüller é\né\n",
     [2, 5]),
    ("Ünïcödé ".encode() + b"\xe9\xe8", "Ünïcödé éè", [1]),
], ids=["one-byte", "crlf-lines-and-undefined-byte", "run-of-two"])
def test_bad_bytes_in_utf8_are_read_as_cp1252_where_they_are(data: bytes, text: str, lines: list[int]) -> None:
    assert decode_export_repaired(data, file="f.ris") == (text, lines)


@pytest.mark.parametrize("data", [
    "Café naïve résumé\n".encode("cp1252"),
    b"only \xe9 and \xe8 and one valid " + "é".encode(),  # more bad runs than good characters: legacy
], ids=["cp1252", "mostly-bad"])
def test_a_legacy_file_is_decoded_as_a_whole_without_repairs(data: bytes) -> None:
    assert decode_export_repaired(data, file="f.ris") == (data.decode("cp1252"), [])
