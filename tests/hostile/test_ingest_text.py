"""Hostile text exports: a few bad bytes in UTF-8, a stray '}' in BibTeX, deep XML, endless continuation lines."""

from __future__ import annotations

import json
import logging
import time

import pytest

from pipeline.errors import ExportError
from pipeline.formats import budget, read_export

RIS_RECORD = "TY  - JOUR\nTI  - Café society {n}\nAU  - Müller, Jürgen\nPY  - 2001\nER  - \n\n"


def utf8_ris_with_bad_bytes() -> bytes:
    """40 UTF-8 records; records 3, 17 and 30 have one cp1252 byte each in their title."""
    records = [RIS_RECORD.format(n=n).encode() for n in range(40)]
    for n, byte in ((3, b"\x92"), (17, b"\xe9"), (30, b"\x81")):
        records[n] = records[n].replace(b"society", b"soci" + byte + b"ty")
    return b"".join(records)


def test_three_bad_bytes_in_utf8_are_repaired_where_they_are(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        frame = read_export(utf8_ris_with_bad_bytes(), file="mixed.ris", source="mixed")
    titles = frame["title"].tolist()
    assert all(title.startswith("Café soci") for title in titles)  # no "CafÃ©" anywhere
    assert json.loads(frame["authors"].iloc[0]) == [["Müller", "Jürgen"]]
    assert titles[3] == "Café soci\u2019ty 3" and titles[17] == "Café sociéty 17" and titles[30] == "Café soci\x81ty 30"
    repaired = frame.loc[frame["problems"] != "", ["line", "problems"]].values.tolist()
    assert repaired == [[str(1 + 6 * n), f"line {2 + 6 * n}: bytes that are not UTF-8 read as cp1252 (check accents)"]
                        for n in (3, 17, 30)]
    assert "mixed.ris: not valid UTF-8 on 3 lines (20, 104, 182)" in caplog.text


def test_a_cp1252_export_is_still_read_as_cp1252_as_a_whole() -> None:
    data = "".join(RIS_RECORD.format(n=n) for n in range(5)).encode("cp1252")
    frame = read_export(data, file="legacy.ris", source="legacy")
    assert frame["title"].tolist() == [f"Café society {n}" for n in range(5)]
    assert (frame["problems"] == "").all()


STRAY_BRACE = """@article{k1,
  title = {A title}},
  author = {Smith, John},
  year = {2001},
  journal = {Journal of Tests}
}

@article{k2,
  title = {B},
  author = {Doe, Jane},
  year = {2002}
}
"""


def test_fields_after_a_stray_brace_are_read_back_and_noted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        frame = read_export(STRAY_BRACE.encode(), file="refs.bib", source="refs")
    first = frame.iloc[0]
    assert (first["title"], first["year"], first["journal"]) == ("A title", "2001", "Journal of Tests")
    assert json.loads(first["authors"]) == [["Smith", "John"]]
    assert first["problems"] == ("line 2: a stray '}' closed the entry early; fields after it (author, year, journal) "
                                 "read back, check the braces")
    assert "refs.bib:2: a '}' closes entry 'k1' before its end" in caplog.text
    assert frame.iloc[1]["title"] == "B" and frame.iloc[1]["problems"] == ""


def test_text_after_a_stray_brace_that_is_not_fields_is_an_error_at_the_brace() -> None:
    broken = "@article{k1,\n  title = {A title}},\n  author = {Smith, John}, year = {{2001},\n\n"
    with pytest.raises(ExportError, match=r"^refs.bib:2: a '}' closes entry 'k1' before its end, and the text "
                                          r"after it is not BibTeX fields; remove the stray '}'"):
        read_export(broken.encode(), file="refs.bib", source="refs")


def test_a_comment_between_entries_is_still_a_comment() -> None:
    text = STRAY_BRACE.replace("title = {A title}},", "title = {A title},") + "\nExported by a tool, 2024.\n"
    frame = read_export(text.encode(), file="refs.bib", source="refs")
    assert (frame["problems"] == "").all() and len(frame) == 2


def test_xml_nested_100k_deep_is_refused_at_once() -> None:
    depth = 100_000
    text = ('<?xml version="1.0"?>\n<xml><records><record><titles><title>T</title></titles>\n'
            + "<a>" * depth + "x" + "</a>" * depth + "</record></records></xml>\n")
    started = time.perf_counter()
    with pytest.raises(ExportError, match=rf"^deep.xml:3: XML elements are nested more than {budget.MAX_XML_DEPTH} "
                                          r"deep .*; re-export the file"):
        read_export(text.encode(), file="deep.xml", source="deep")
    assert time.perf_counter() - started < 5


def test_real_endnote_depth_is_far_below_the_bound() -> None:
    text = ('<?xml version="1.0"?><xml><records><record><ref-type name="Journal Article">17</ref-type>'
            "<contributors><authors><author><style>Smith, J</style></author></authors></contributors>"
            "<titles><title><style>Deep enough</style></title></titles><dates><year>2001</year></dates>"
            "</record></records></xml>")
    assert read_export(text.encode(), file="ok.xml", source="ok")["title"].tolist() == ["Deep enough"]


@pytest.mark.parametrize(("name", "head", "continuation"), [
    ("ris", "TY  - JOUR\nTI  - T\nAU  - Smith, J\nPY  - 2000\nAB  - start\n", "more words\n"),
    ("nbib", "PMID- 1\nTI  - T\nFAU - Smith, J\nDP  - 2000\nAB  - start\n", "      more words\n"),
    ("enw", "%0 Journal Article\n%T T\n%A Smith, J\n%D 2000\n%X start\n", "more words\n"),
    ("wos", "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI T\nAU Smith, J\nPY 2000\nAB start\n",
     "   more words\n"),
], ids=["ris", "nbib", "enw", "wos"])
def test_a_value_continued_over_200k_lines_is_joined_in_linear_time(name: str, head: str, continuation: str) -> None:
    tail = {"ris": "ER  - \n", "nbib": "\n", "enw": "\n", "wos": "ER\nEF\n"}[name]
    lines = 200_000
    data = (head + continuation * lines + tail).encode()
    started = time.perf_counter()
    frame = read_export(data, file=f"long.{name}", source="long")
    assert time.perf_counter() - started < 10
    assert frame["abstract"].iloc[0] == "start" + " more words" * lines


def test_a_value_continued_past_the_field_limit_is_refused_at_that_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "MAX_FIELD_CHARS", 1000)
    data = ("TY  - JOUR\nTI  - T\nAB  - start\n" + "more words\n" * 200 + "ER  - \n").encode()
    with pytest.raises(ExportError, match=r"^long.ris:94: a value continued over many lines is 1006 characters long, more than the 1000"):
        read_export(data, file="long.ris", source="long")
