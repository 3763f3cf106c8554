"""Normalisation and the content keys that survive reruns.

``record_key`` is the same for the same record in a later export, and for the same paper as
exported by two databases whenever they agree on DOI, PMID, or normalised title + first
author's family name + year. Human decision files name these keys, so the functions here
change only with a migration of every decision file.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
_TAG = re.compile(r"<[^>]{0,200}>")
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_BRACKETED = re.compile(r"\[[^\]]*\]")
_NON_DIGIT = re.compile(r"\D")
_YEAR_SHAPE = re.compile(r"\d{4}")


def normalize_doi(value: str | None) -> str:
    """Lower-case DOI without resolver prefix; "" when the value is not DOI-shaped."""
    if not value:
        return ""
    if value[:3] == "10." and value[-1] not in ".;," and not value[-1].isspace():
        text = value.lower()  # already bare: no prefix to remove, nothing to strip (most DOIs)
    else:
        text = _DOI_PREFIX.sub("", value.strip()).strip().rstrip(".;,").lower()
    return text if _DOI_SHAPE.match(text) else ""


_DOI_INSIDE = re.compile(r"10\.\d{4,9}/[^\s;,\[\]\"<>]+")
_ANOTHER_DOI = re.compile(r"[\s;,|]\s*10\.\d{4,9}/")


def find_doi(value: str | None) -> str:
    """The first DOI in a cell as :func:`normalize_doi` gives it, also when the cell holds more than
    a DOI: a tag after it ("10.1055/s-0035-1555824 [doi]"), another identifier before it
    ("S0161-813X(08)00230-1 [pii];10.1016/..."), or several DOIs ("10.1/a; 10.2/b"); "" when none."""
    if not value:
        return ""
    doi = normalize_doi(value)
    if doi and not _ANOTHER_DOI.search(doi):
        return doi
    for found in _DOI_INSIDE.finditer(value):
        doi = normalize_doi(found.group(0))
        if doi:
            return doi
    return ""


def fold(value: str | None) -> str:
    """Lower-case ASCII words separated by single spaces: accents, markup and punctuation gone."""
    if not value:
        return ""
    text = html.unescape(value)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "\\" in text:
        text = _LATEX_COMMAND.sub("", text)
    text = text.replace("{", "").replace("}", "")
    if not text.isascii():  # ASCII text is already NFKD and has no combining marks
        text = strip_accents(text)
    text = text.lower().replace("&", " and ")
    return _NON_WORD.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """NFKD-decomposed text without its combining marks ("é" -> "e")."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalize_title(value: str | None) -> str:
    """Folded title with bracketed notes (``[Review]``, translated-title brackets) removed.

    A title that is wholly in brackets (MEDLINE's translated titles) keeps its words.
    """
    if not value:
        return ""
    stripped = _BRACKETED.sub(" ", value)
    return fold(stripped) or fold(value)


def family_slug(family: str | None) -> str:
    """The first author's family name as one lower-case ASCII token."""
    return fold(family).replace(" ", "") or "anon"


def title_hash(title: str | None) -> str:
    return hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:10]


def record_key(*, doi: str = "", pmid: str = "", title: str = "", first_family: str = "", year: str = "") -> str:
    """``doi:<doi>``, else ``pmid:<pmid>``, else ``ref:<family><year>-<title hash>``."""
    clean_doi = find_doi(doi)
    if clean_doi:
        return f"doi:{clean_doi}"
    digits = _NON_DIGIT.sub("", pmid) if pmid else ""
    if digits:
        return f"pmid:{digits}"
    year_text = year if year and _YEAR_SHAPE.fullmatch(year) else "nd"
    return f"ref:{family_slug(first_family)}{year_text}-{title_hash(title)}"
