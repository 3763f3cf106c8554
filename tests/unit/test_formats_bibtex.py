"""The BibTeX reader: macros, LaTeX, names, crossref and broken entries."""

from __future__ import annotations

import json

import bibtexparser
import pytest

from pipeline.errors import ExportError
from pipeline.formats import read_export
from pipeline.formats.bibtex import expand


def read_bib(text: str):
    return read_export(text.encode("utf-8"), file="test.bib", source="bib", format="bibtex")


@pytest.mark.parametrize(("value", "expected"), [
    ("{plain}", ("plain", [])),
    ('"quoted"', ("quoted", [])),
    ("2018", ("2018", [])),
    ("jts", ("Journal of Traumatic Stress", [])),
    ("JTS", ("Journal of Traumatic Stress", [])),
    ('jean # " " # cesar', ("Jean César", [])),
    ("{a # b}", ("a # b", [])),
    ("jan", ("January", [])),
    ("nomacro", ("nomacro", ["nomacro"])),
], ids=["braces", "quotes", "number", "macro", "macro-case", "concatenation", "hash-in-braces", "month",
        "undefined"])
def test_expand(value: str, expected: tuple[str, list[str]]) -> None:
    macros = {"jts": "Journal of Traumatic Stress", "jean": "Jean", "cesar": "César"}
    assert expand(value, macros) == expected


def test_string_macros_may_use_earlier_macros() -> None:
    frame = read_bib('@string{a = "Trauma"}\n@string{b = a # " Journal"}\n'
                     '@article{k, title={T}, journal=b, author={Doe, Jane}, year={2000}}\n')
    assert frame["journal"].iloc[0] == "Trauma Journal"


def test_latex_is_decoded_but_percent_and_urls_survive() -> None:
    row = read_bib(r"@article{k, title={A 50% drop in {\'e}t{\'e} \& {$\alpha$} waves}, author={Doe, J},"
                   r" year={2000}, url={https://example.org/a%20b_c}}").iloc[0]
    assert row["title"] == "A 50% drop in été & α waves"
    assert row["url"] == "https://example.org/a%20b_c"


@pytest.mark.parametrize(("author", "expected"), [
    ("Doe, Jane", [["Doe", "Jane"]]),
    ("Jane Doe and John Smith", [["Doe", "Jane"], ["Smith", "John"]]),
    ("Ludwig van Beethoven", [["van Beethoven", "Ludwig"]]),
    ("{World Health Organization}", [["World Health Organization", ""]]),
    ("Doe, Jr., Jane and others", [["Doe", "Jane"]]),
    (r"M{\"u}ller, J{\"o}rg", [["Müller", "Jörg"]]),
], ids=["last-first", "and-list", "von", "braced-corporate", "jr-and-others", "accents"])
def test_author_names(author: str, expected: list[list[str]]) -> None:
    row = read_bib(f"@article{{k, author={{{author}}}, title={{T}}, year={{2000}}}}").iloc[0]
    assert json.loads(row["authors"]) == expected


def test_crossref_chain_aliases_cycles_and_missing_parents() -> None:
    frame = read_bib("@book{parent, title={The Book}, year={1999}, ids={alias}, publisher={P}}\n"
                     "@incollection{child, title={Chapter}, crossref={alias}, author={Doe, J}}\n"
                     "@incollection{orphan, title={Lost}, crossref={nowhere}, author={Doe, J}, year={2001}}\n"
                     "@misc{c1, crossref={c2}, title={A}}\n@misc{c2, crossref={c1}, title={B}}\n")
    child = frame.iloc[1]
    assert (child["journal"], child["year"], child["entry_type"]) == ("The Book", "1999", "chapter")
    assert "crossref 'nowhere' not found in the file" in frame["problems"].iloc[2]
    assert "crossref cycle at 'c1'" in frame["problems"].iloc[3]
    assert json.loads(child["raw"]) == {"ENTRYTYPE": ["incollection"], "ID": ["child"], "title": ["Chapter"],
                                        "crossref": ["alias"], "author": ["Doe, J"]}


def test_broken_entries_are_kept_with_a_problem() -> None:
    frame = read_bib("@article{good, title={Fine}, author={Doe, J}, year={2000}}\n\n"
                     "@article{bad, title={Broken}, author @type:Person}\n\n"
                     "@article{dup, title={x}, title={y}, author={Doe, J}, year={2000}}\n"
                     "@article{good, title={Again}, author={Roe, R}, year={2001}}\n")
    assert list(frame["record_id"]) == ["bib:good", "bib:bad", "bib:dup", "bib:good#2"]
    assert list(frame["line"]) == ["1", "3", "5", "6"]
    assert "BibTeX entry could not be parsed" in frame["problems"].iloc[1]
    assert "field 'title' given more than once (the first value is used)" in frame["problems"].iloc[2]
    assert frame["title"].iloc[2] == "x"
    assert "record id bib:good repeats in the file (copy #2)" in frame["problems"].iloc[3]


def test_undefined_macro_is_a_problem() -> None:
    row = read_bib("@inproceedings{k, booktitle=stoc96, title={T}, author={Doe, J}, year={1996}}").iloc[0]
    assert row["problems"] == "undefined @string macro 'stoc96' in field 'booktitle'"


@pytest.mark.parametrize(("fields", "expected"), [
    ("source={Scopus}", "scopus"),
    ("unique-id={WOS:000123}", "wos"),
    ("url={https://search.ebscohost.com/x}", "ebsco"),
    ("pmid={123}", "pubmed"),
    ("note={x}", "generic"),
])
def test_dialects(fields: str, expected: str) -> None:
    assert read_bib(f"@article{{k, title={{T}}, {fields}}}")["dialect"].iloc[0] == expected


def test_biblatex_date_and_journaltitle() -> None:
    row = read_bib("@article{k, title={T}, date={2019-05-01}, journaltitle={Trauma}, author={Doe, J},"
                   " keywords={a, b}, eprinttype={pubmed}, eprint={999}}").iloc[0]
    assert (row["year"], row["journal"], row["keywords"], row["pmid"]) == ("2019", "Trauma", '["a","b"]', "999")


def test_a_crash_inside_bibtexparser_becomes_an_export_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(bibtexparser, "parse_string", explode)
    with pytest.raises(ExportError, match=r"^test.bib:1: BibTeX could not be parsed \(RecursionError: maximum"):
        read_bib("@article{k, title={T}}")
