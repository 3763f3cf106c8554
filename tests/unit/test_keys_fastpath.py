"""The ASCII fast path in ``pipeline.keys.fold`` gives exactly what the full Unicode path gives."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from suite import examples

from pipeline import keys

# The fold and record_key rules as they were before the fast path: every step on every input.
_TAG = re.compile(r"<[^>]{0,200}>")
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_BRACKETED = re.compile(r"\[[^\]]*\]")


def reference_fold(value: str | None) -> str:
    if not value:
        return ""
    text = html.unescape(value)
    text = _TAG.sub(" ", text)
    text = _LATEX_COMMAND.sub("", text).replace("{", "").replace("}", "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("&", " and ")
    return _NON_WORD.sub(" ", text).strip()


def reference_record_key(*, doi: str, pmid: str, title: str, first_family: str, year: str) -> str:
    clean_doi = keys.normalize_doi(doi)
    if clean_doi:
        return f"doi:{clean_doi}"
    digits = re.sub(r"\D", "", pmid or "")
    if digits:
        return f"pmid:{digits}"
    year_text = year if re.fullmatch(r"\d{4}", year or "") else "nd"
    folded = reference_fold(_BRACKETED.sub(" ", title)) or reference_fold(title) if title else ""
    slug = reference_fold(first_family).replace(" ", "") or "anon"
    return f"ref:{slug}{year_text}-{hashlib.sha1(folded.encode('utf-8')).hexdigest()[:10]}"


# Text built from the pieces the rules react to, mixed with arbitrary (incl. non-ASCII) characters.
_PIECES = st.sampled_from(["<i>", "</sup>", "<", ">", "\\emph ", "\\", "{", "}", "&amp;", "&eacute;", "&#233;",
                           "&", "[Review]", "[", "]", "é", "e\u0301", "ﬁ", "Ⅻ", "²", "Å", "ß", "İ", "ǅ", "١٢",
                           "  ", "\t", "\n", "-", "Smith", "2019", "0"])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12), st.text(alphabet=st.characters(max_codepoint=127),
                                                                      max_size=12)),
                 max_size=12).map("".join)


@pytest.mark.parametrize("value", [
    "", "Plain ASCII title", "Caf&eacute; &amp; <b>bar</b>", "\\textit{Naïve} {B}ayes", "Ａｎｇｓｔ",
    "ﬁnal Ⅻ", "&lt;i&gt;tag&lt;/i&gt;", "Straße", "e\u0301", "[Translated title]", "a\\",
], ids=["empty", "ascii", "entities-markup", "latex-accent", "fullwidth", "ligature-numeral",
        "escaped-tag", "sharp-s", "combining", "bracketed", "trailing-backslash"])
def test_fold_matches_reference_on_known_cases(value: str) -> None:
    assert keys.fold(value) == reference_fold(value)


@settings(max_examples=examples(600), deadline=None)
@given(_TEXT)
def test_fold_matches_reference(value: str) -> None:
    assert keys.fold(value) == reference_fold(value)


@settings(max_examples=examples(400), deadline=None)
@given(title=_TEXT, family=_TEXT, pmid=st.one_of(st.just(""), _TEXT),
       year=st.one_of(st.just(""), st.sampled_from(["2019", "19", "２０１９", "2019a", "c1999"]), _TEXT))
def test_record_key_matches_reference(title: str, family: str, pmid: str, year: str) -> None:
    expected = reference_record_key(doi="", pmid=pmid, title=title, first_family=family, year=year)
    assert keys.record_key(doi="", pmid=pmid, title=title, first_family=family, year=year) == expected


_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)


def reference_normalize_doi(value: str | None) -> str:
    """normalize_doi as it was before the bare-DOI shortcut: every step on every input."""
    if not value:
        return ""
    text = _DOI_PREFIX.sub("", value.strip()).strip().rstrip(".;,").lower()
    return text if re.match(r"^10\.\d{4,9}/\S+$", text) else ""


_DOI_TEXT = st.lists(st.one_of(st.sampled_from(["10.", "1000", "/", "ABC", ".", ";", ",", " ", "\t", "\u00a0",
                                                "doi:", "https://doi.org/", "x"]), st.text(max_size=6)),
                     max_size=8).map("".join)


@settings(max_examples=examples(800), deadline=None)
@given(_DOI_TEXT)
def test_normalize_doi_matches_reference(value: str) -> None:
    assert keys.normalize_doi(value) == reference_normalize_doi(value)
