"""Prep: one row of normalised matching fields per record, sorted by ``record_id``.

The prep frame's position (0..n-1) is the record's identity in block, match and cluster; since
the frame is sorted by ``record_id``, a pair of positions ``a < b`` always has
``record_id_a < record_id_b`` and nothing downstream depends on the input row order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from pipeline import columns as col
from pipeline.keys import fold, normalize_doi, normalize_title

INPUT_ROW = "input_row"  # the record's row position in the input frame
RECORD_ID = col.RECORD_ID
RECORD_KEY = col.RECORD_KEY
TITLE = "title_norm"  # see match_title
FAMILY = "family"  # first author's family slug; "" when there is no author
FIRST_AUTHOR = "first_author"  # first author's family and given names, folded; "" when none
YEAR = "year_int"  # publication year, -1 when unknown
JOURNAL = "journal_folded"
VOLUME = "volume_norm"
ISSUE = "issue_norm"
PAGE_START = "page_start_norm"
DOI = "doi_norm"
NOTICE = "notice"  # "" for an article; erratum | retraction | comment | reply for a notice about one
PART = "part"  # the part number a title declares ("Part II" -> "2"), "" when none
TITLE_NUMBERS = "title_numbers"  # the numbers in the title, sorted and space-joined

PREP_COLUMNS = [INPUT_ROW, RECORD_ID, RECORD_KEY, TITLE, FAMILY, FIRST_AUTHOR, YEAR, JOURNAL, VOLUME, ISSUE,
                PAGE_START, DOI, NOTICE, PART, TITLE_NUMBERS]

_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_FIRST_PAGE = re.compile(r"^\s*([A-Za-z]{0,3}[\s\-]?\d+[A-Za-z]?|[ivxlcdmIVXLCDM]+)\b")
_BRACKETED = re.compile(r"\[([^\]]*)(?:\]|$)")  # a bracket left open by a truncated title runs to the end
_LEADING_NUMBER = re.compile(r"^\s*0*(\d+)")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WORD_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_PART = re.compile(r"\bpart (\d{1,2}|" + "|".join(_ROMAN) + "|" + "|".join(_WORD_NUMBER) + r")\b")
_NUMBER = re.compile(r"\b\d+\b")

# Notices about another publication, recognised from the raw title (lower case) or the
# publication types. Each pattern is anchored or specific enough not to catch ordinary titles
# such as "Correction of hyponatraemia" or "Response of tumours to ...".
_NOTICE_TITLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("erratum", re.compile(r"\b(?:errat(?:um|a)|corrigend(?:um|a))\b|^\W*correction\s*(?:[:.\-]|to\b|$)|"
                           r"^\W*notice of correction\b|\(vol\.? \d+[^)]*\bpg?\.? \d+")),
    ("retraction", re.compile(r"^\W*(?:retraction|retracted|withdrawn|notice of retraction)\b"
                              r"\s*(?:[:.\-]|of\b|notice\b|$)|\bretraction (?:notice|of\b)")),
    ("comment", re.compile(r"^\W*(?:comments?|commentary)\s*(?:on\b|to\b|[:.\-]|$)")),
    ("reply", re.compile(r"^\W*(?:in )?reply\b|\b(?:authors?'?s?'?|the authors?'?s?'?) (?:reply|response)\b|"
                         r"\breply to\b|[\-.:]\s*reply\W*$|^\W*response to (?:the )?(?:letter|comments?|commentary|"
                         r"correspondence|editorial|criticism|critique|reviewers?)\b")),
)
_NOTICE_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("erratum", ("erratum", "published erratum", "correction", "corrigendum")),
    ("retraction", ("retraction of publication", "retraction notice", "retraction")),
    ("comment", ("comment", "commentary")),
)


def first_author(authors_json: str) -> tuple[str, str]:
    """The first author's (family, given) from an ``authors`` cell (JSON list of [family, given])."""
    try:
        authors = json.loads(authors_json) if authors_json else []
    except json.JSONDecodeError:
        return "", ""
    if not isinstance(authors, list) or not authors:
        return "", ""
    first = authors[0]
    if isinstance(first, (list, tuple)):
        parts = [str(part or "") for part in first[:2]]
        return (parts + ["", ""])[0], (parts + ["", ""])[1]
    return (first, "") if isinstance(first, str) else ("", "")


def first_family(authors_json: str) -> str:
    """The first author's family name from an ``authors`` cell; "" when there is none."""
    return first_author(authors_json)[0]


def author_fields(authors_json: str) -> tuple[str, str]:
    """(family slug, folded "family given") of the first author; ("", "") when there is none.

    The slug is :func:`pipeline.keys.family_slug` without its "anon" stand-in, so that two
    records without authors do not agree on one.
    """
    family, given = first_author(authors_json)
    return fold(family).replace(" ", ""), fold(f"{family} {given}")


def year_of(text: str) -> int:
    """The four-digit year in ``text``, or -1."""
    found = _YEAR.search(text or "")
    return int(found.group(1)) if found else -1


def page_start_of(page_start: str, pages: str) -> str:
    """Normalised first page: the ``page_start`` cell, else the start of ``pages``; "" if none.

    A letter prefix (electronic or supplement locators: "e123", "S12", "c37"), spaces and leading
    zeros are dropped, so "e0123" and "123" compare equal; a page without digits is kept folded.
    """
    text = page_start.strip() if page_start and page_start.strip() else ""
    if not text:
        found = _FIRST_PAGE.match(pages or "")
        text = found.group(1) if found else ""
    number = re.match(r"^[A-Za-z]{0,3}[\s\-]?0*(\d+)", text)
    return number.group(1) if number else fold(text).replace(" ", "")


def simple_value(text: str) -> str:
    """Volume/issue for comparison: the leading number ("35 Suppl 1" -> "35", "007" -> "7"),
    else the folded text without spaces."""
    number = _LEADING_NUMBER.match(text or "")
    return number.group(1) if number else fold(text).replace(" ", "")


def match_title(title: str) -> str:
    """The title to compare: :func:`pipeline.keys.normalize_title` without bracketed notes, even
    one left open by truncation ("...[Erratum appears in J Pediatr"), except that a title made
    only of bracketed parts ("[Translated title]. [Spanish]") keeps its longest bracketed part."""
    unbracketed = fold(_BRACKETED.sub(" ", title or ""))
    if unbracketed:
        return unbracketed
    parts = [fold(part) for part in _BRACKETED.findall(title or "")]
    longest = max(parts, key=len) if parts else ""
    return longest or normalize_title(title)


def notice_kind(title: str, publication_types: str) -> str:
    """``erratum`` | ``retraction`` | ``comment`` | ``reply`` when the record is a notice about
    another publication, else "".

    Bracketed annotations are ignored, so an article whose title carries "[Erratum appears in
    ...]" is still an article.
    """
    raw = (title or "").strip().lower()
    text = _BRACKETED.sub(" ", raw).strip() or raw
    for kind, pattern in _NOTICE_TITLE_PATTERNS:
        if pattern.search(text):
            return kind
    try:
        types = json.loads(publication_types) if publication_types else []
    except json.JSONDecodeError:
        types = [publication_types]
    folded_types = {fold(str(value)) for value in types} if isinstance(types, list) else set()
    for kind, names in _NOTICE_TYPES:
        if folded_types.intersection(names):
            return kind
    return ""


def part_number(title_norm: str) -> str:
    """The part a normalised title declares ("part ii" -> "2"), "" when it declares none."""
    found = _PART.search(title_norm)
    if not found:
        return ""
    token = found.group(1)
    if token.isdigit():
        return str(int(token))
    return str(_ROMAN.get(token) or _WORD_NUMBER[token])


def title_numbers(title_norm: str) -> str:
    """The numbers in a normalised title, as a sorted, space-joined set."""
    return " ".join(sorted({str(int(n)) for n in _NUMBER.findall(title_norm)}))


def _texts(values: Iterable[str]) -> np.ndarray:
    """An object array of strings (also when empty, where numpy would pick float)."""
    return np.fromiter(values, dtype=object)


def _map_unique(values: pd.Series, function: Callable[[str], object]) -> np.ndarray:
    """``function`` over each distinct value once (journals, volumes and years repeat)."""
    distinct = pd.unique(values.to_numpy(dtype=object))
    lookup = dict(zip(distinct, map(function, distinct)))
    return np.fromiter((lookup[value] for value in values.to_numpy(dtype=object)), dtype=object, count=len(values))


def prep(records: pd.DataFrame) -> pd.DataFrame:
    """Matching fields for every record, one row per record, sorted by ``record_id``."""
    titles = pd.Series(_map_unique(records[col.TITLE], match_title), dtype=object)
    authors = _map_unique(records[col.AUTHORS], author_fields)
    frame = pd.DataFrame({
        INPUT_ROW: np.arange(len(records)),
        RECORD_ID: records[col.RECORD_ID].to_numpy(dtype=object),
        RECORD_KEY: records[col.RECORD_KEY].to_numpy(dtype=object),
        TITLE: titles.to_numpy(),
        FAMILY: _texts(slug for slug, _ in authors),
        FIRST_AUTHOR: _texts(name for _, name in authors),
        YEAR: _map_unique(records[col.YEAR], year_of).astype(np.int64),
        JOURNAL: _map_unique(records[col.JOURNAL], fold),
        VOLUME: _map_unique(records[col.VOLUME], simple_value),
        ISSUE: _map_unique(records[col.ISSUE], simple_value),
        PAGE_START: _texts(page_start_of(start, pages)
                           for start, pages in zip(records[col.PAGE_START], records[col.PAGES])),
        DOI: _map_unique(records[col.DOI], normalize_doi),
        NOTICE: _texts(notice_kind(title, types)
                       for title, types in zip(records[col.TITLE], records[col.PUBLICATION_TYPES])),
        PART: _texts(map(part_number, titles)),
        TITLE_NUMBERS: _texts(map(title_numbers, titles)),
    })
    return frame.sort_values(RECORD_ID, kind="stable").reset_index(drop=True)
