"""Prep: one row of normalised matching fields per record, sorted by ``record_id``.

The prep frame's position (0..n-1) is the record's identity in block, match and cluster; since
the frame is sorted by ``record_id``, a pair of positions ``a < b`` always has
``record_id_a < record_id_b`` and nothing downstream depends on the input row order.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import unquote
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from pipeline import columns as col
from pipeline import keys
from pipeline.keys import find_doi, normalize_title

# author names and venues repeat across records (about three folds in five in a large set repeat one)
fold = lru_cache(maxsize=1 << 16)(keys.fold)  # bounded: about 30 MB at most

INPUT_ROW = "input_row"  # the record's row position in the input frame
RECORD_ID = col.RECORD_ID
RECORD_KEY = col.RECORD_KEY
TITLE = "title_norm"  # see match_title
ALT_TITLE = "alt_title"  # see alternative_title: a title given beside the main one in brackets, else ""
FAMILY = "family"  # first author's family slug; "" when there is no author
# the first NAME_WORDS words of the first author's family and given names, folded; "" when none (an
# author list run into one name goes on with other persons' names, which say nothing of the first)
FIRST_AUTHOR = "first_author"
NAME_WORDS = 4
AUTHOR_SET = "author_set"  # every author's family slug, sorted and space-joined; "" for fewer than two authors
YEAR = "year_int"  # publication year, -1 when unknown
JOURNAL = "journal_folded"
VOLUME = "volume_norm"
ISSUE = "issue_norm"
PAGE_START = "page_start_norm"
PAGE_END = "page_end_norm"  # last page of a real range (first < last), "" otherwise; see page_end_of
SUPPLEMENT = "supplement"  # the supplement number or letter ("30 Suppl 3" -> "3"), "" when none
DOI = "doi_norm"
PMID = "pmid_digits"  # the PubMed ID, digits only; "" when none
DOI_STEM = "doi_stem"  # see doi_stem: the DOI without punctuation or a figure / table suffix
COCHRANE = "cochrane"  # a Cochrane review's number ("cd009270") from its DOI or pages, else ""
KIND = "kind"  # conference | journal_article | "" (any other or unknown entry type)
THESIS = "thesis"  # True for a thesis: its entry type, or a degree named as its journal, volume or issue
MEETING_ABSTRACT = "meeting_abstract"  # "abstract" when the record looks like a meeting abstract, else ""
NOTICE = "notice"  # "" for an article; erratum | retraction | comment | reply for a notice about one
NOTICE_TITLE = "notice_title"  # an erratum's title without its "Erratum to:" (see notice_title), else ""
PROTOCOL = "protocol"  # "protocol" when the title announces a study protocol, else ""
PART = "part"  # the part number a title declares ("Part II" -> "2"), "" when none
TITLE_NUMBERS = "title_numbers"  # the numbers in the title, sorted and space-joined
TITLE_WEAK = "title_weak"  # True when the title says too little to identify a work (see title_uninformative)
DOI_ALNUM = "doi_alnum"  # the DOI's letters and digits only ("endrev/bnz002" and "endrevbnz002" agree)
DOI_DIGITS = "doi_digits"  # the DOI's prefix and the digits of its suffix ("10.1000/12345678"), see doi_digits
PAGES_AS_DATE = "pages_as_date"  # True when a spreadsheet turned the pages into a date (see pages_as_date)
PAGE_RANGE_TEXT = "page_range_text"  # a range's first and last digits as written ("2-8", "-8" for "t-8"), else ""

PREP_COLUMNS = [INPUT_ROW, RECORD_ID, RECORD_KEY, TITLE, ALT_TITLE, FAMILY, FIRST_AUTHOR, AUTHOR_SET, YEAR, JOURNAL,
                VOLUME, ISSUE, PAGE_START, PAGE_END, SUPPLEMENT, DOI, DOI_STEM, PMID, COCHRANE, KIND, MEETING_ABSTRACT,
                NOTICE, NOTICE_TITLE, PROTOCOL, PART, TITLE_NUMBERS, TITLE_WEAK, PAGES_AS_DATE, THESIS,
                PAGE_RANGE_TEXT, DOI_ALNUM, DOI_DIGITS]

_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)")
_FIRST_PAGE = re.compile(r"^\s*([A-Za-z]{0,3}[\s\-]?\d+[A-Za-z]?|[ivxlcdmIVXLCDM]+)\b")
_BRACKETED = re.compile(r"\[([^\]]*)(?:\]|$)")  # a bracket left open by a truncated title runs to the end
_LEADING_NUMBER = re.compile(r"^\s*0*(\d+)")
_LANGUAGES = ("english", "german", "french", "spanish", "italian", "portuguese", "russian", "chinese", "japanese",
              "polish", "dutch", "czech", "hungarian", "turkish", "korean", "danish", "swedish", "norwegian",
              "finnish", "greek", "hebrew", "persian", "croatian", "serbian", "slovak", "slovenian", "romanian",
              "bulgarian", "ukrainian", "lithuanian", "estonian", "latvian", "arabic", "icelandic")
# a tag a database appends to a title: the language (". RUSSIAN", "(German)") or "(Review)"
_TITLE_TAG = re.compile(r"(?:\.\s*(?:" + "|".join(_LANGUAGES) + r")|\s*\((?:" + "|".join(_LANGUAGES)
                        + r"|review)\))\s*\.?\s*$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
# notes a database adds to a title: "(author's transl)" of a translated title, "[33 refs]", "33 refs"
_TITLE_NOTE = re.compile(r"\(\s*authors?'?s?'? transl(?:ation)?\.?\s*\)|\[?\s*\b\d+ refs?\.?\s*\]?\s*\.?\s*$",
                         re.IGNORECASE)
# what a spreadsheet writes in place of a cell it could not compute ("#NAME?", "#VALUE!", "#N/A")
_SPREADSHEET_ERROR = re.compile(r"^\s*#(?:name\?|value!|ref!|n/a|div/0!|null!|num!|error!?)\s*$", re.IGNORECASE)
# the corrected article cited at the end of a correction's title: "(vol 360, pg 542, 2009)",
# "(New England Journal of Medicine (2009) 360 (542-544))"; a truncated one may lack its ")"
_CITED_ORIGINAL = re.compile(r"\s*\((?:vol\.?\s*\d+[^()]*|[^()]*\(\d{4}\)[^()]*(?:\([^()]*\)?[^()]*)*)\)?\s*\.?\s*$",
                             re.IGNORECASE)
_PAGE_RANGE = re.compile(r"^\s*[A-Za-z]{0,3}(\d+)\s*[-\u2013]+\s*([A-Za-z]{0,3})(\d+)\s*$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_WORD_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_PART = re.compile(r"\bpart (\d{1,2}|" + "|".join(_ROMAN) + "|" + "|".join(_WORD_NUMBER) + r")\b")
_NUMBER = re.compile(r"\b\d+\b")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# a page range a spreadsheet read as a date: "11-19" -> "Nov-19", "10-7" (MEDLINE's 10-17) -> "10-Jul"
_MONTH_FIRST = re.compile(r"^\s*(" + "|".join(_MONTHS) + r")[a-z]*[\s\-/]+\d{1,4}\s*$", re.IGNORECASE)
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})[\s\-/]+(?:" + "|".join(_MONTHS) + r")[a-z]*\s*$", re.IGNORECASE)
_SUPPLEMENT_MARK = re.compile(r"\b(?:suppl(?:ement)?|supp|sup)\b\.?\s*(\d+|[a-z]\b)?|^\s*s(\d+)\s*$",
                              re.IGNORECASE)

# Notices about another publication, recognised from the raw title (lower case) or the
# publication types. Each pattern is anchored or specific enough not to catch ordinary titles
# such as "Correction of hyponatraemia" or "Response of tumours to ...".
_NOTICE_TITLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("erratum", re.compile(r"\b(?:errat(?:um|a)|corrigend(?:um|a))\b|^\W*correction\s*(?:[:.\-]|to\b|$)|"
                           r"^\W*notice of correction\b|\(vol\.? \d+[^)]*\bpg?\.? \d+|"
                           # the corrected article cited after the title: "(vol 9 e98765, 2014)" (Web of
                           # Science), "(New England Journal of Medicine (2009) 360 (542-544))" (Embase)
                           r"\(vol\.? \d+,? e\d+|\([a-z][^()]*\(\d{4}\)\s*\d+[^()]*\([^()]*\d")),
    ("retraction", re.compile(r"^\W*(?:retraction|retracted|withdrawn|notice of retraction)\b"
                              r"\s*(?:[:.\-]|of\b|notice\b|$)|\bretraction (?:notice|of\b)|\(withdrawn paper\b")),
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


def _people(authors_json: str) -> list:
    """An ``authors`` cell (JSON list of [family, given]) parsed; [] when it is empty or not a list."""
    try:
        authors = json.loads(authors_json) if authors_json else []
    except json.JSONDecodeError:
        return []
    return authors if isinstance(authors, list) else []


def _person(entry: object) -> tuple[str, str]:
    """(family, given) of one entry of an ``authors`` list; a bare string is a family name."""
    if isinstance(entry, (list, tuple)):
        parts = [str(part or "") for part in entry[:2]]
        return (parts + ["", ""])[0], (parts + ["", ""])[1]
    return (entry, "") if isinstance(entry, str) else ("", "")


# one person of an author list run together without separators: "FranklinM." of
# "FranklinM.HlavacovaN.BabicS.", "De Moraes AssisN.L."
_RUN_TOGETHER = re.compile(r"([^\W\d_](?:[^\W\d_]|['\- ])*?[^\W\d_A-Z])((?:-?[A-Z]\.)+)")
# words that make an author a collaboration, not a person ("Stroke Unit Trialists' Collaboration")
_GROUP_WORDS = frozenset({"group", "groups", "collaboration", "collaborative", "collaborators", "consortium",
                          "investigators", "committee", "trialists", "network", "party", "taskforce", "task"})


def _persons(entry: object) -> list[tuple[str, str]]:
    """One entry of an ``authors`` list as the people it names: [(family, given)], or several when
    an export ran the list together into one name ("FranklinM.HlavacovaN.BabicS." is Franklin M.,
    Hlavacova N., Babic S.; "AssisN.L." is Assis N.L.)."""
    family, given = _person(entry)
    if given or "." not in family or " ." in family:
        return [(family, given)]
    found = _RUN_TOGETHER.findall(family)
    if not found or "".join(name + initials for name, initials in found) != family.strip():
        return [(family, given)]
    return [(name.strip(), initials) for name, initials in found]


def _is_group(family: str, given: str) -> bool:
    """Whether an author names a collaboration: a group word in the family name, or in a given name
    that holds no initials ("PBC-GWAS" "consortium in Japan"), not in a run of persons' initials."""
    words = fold(family).split() + ([] if "." in given else fold(given).split())
    return len(words) >= 2 and not _GROUP_WORDS.isdisjoint(words)


def _people_named(authors_json: str) -> list[tuple[str, str]]:
    """The persons of an ``authors`` cell, run-together lists split, collaborations left out."""
    return [person for entry in _people(authors_json) for person in _persons(entry) if not _is_group(*person)]


def first_author(authors_json: str) -> tuple[str, str]:
    """The first author's (family, given) from an ``authors`` cell: the first person, a study group
    listed before the people being passed over (one database names the group first, another a
    person)."""
    people = _people_named(authors_json)
    return people[0] if people else ("", "")


def first_family(authors_json: str) -> str:
    """The first author's family name from an ``authors`` cell; "" when there is none."""
    return first_author(authors_json)[0]


_NO_AUTHOR = frozenset({"anonymous", "anon", "anonym", "unknown"})


def author_fields(authors_json: str) -> tuple[str, str, str]:
    """(family slug, folded "family given") of the first author, ("", "") when there is none, and
    the author set: every author's family slug, sorted, distinct and space-joined, "" unless there
    are two or more.

    The slug is :func:`pipeline.keys.family_slug` without its "anon" stand-in, so that two
    records without authors do not agree on one; an author given as "Anonymous" is none. Two
    records of one paper can list its authors in another order (a conference system that sorts
    them, an export that puts the corresponding author first); the set stays the same. One author
    gives no set: a lone family name says too little to stand in for the first author.
    """
    people = _people_named(authors_json)
    family, given = people[0] if people else ("", "")
    slug = fold(family).replace(" ", "")
    name = " ".join(fold(f"{family} {given}").split()[:NAME_WORDS])
    first = ("", "") if slug in _NO_AUTHOR else (slug, name)
    slugs = {fold(person_family).replace(" ", "") for person_family, _ in people} - _NO_AUTHOR - {""}
    return first[0], first[1], " ".join(sorted(slugs)) if len(slugs) >= 2 else ""


def year_of(text: str) -> int:
    """The four-digit year in ``text``, or -1."""
    found = _YEAR.search(text or "")
    return int(found.group(1)) if found else -1


_ROMAN_PAGE = re.compile(r"^[ivxlcdm]+$")


def pages_as_date(pages: str) -> bool:
    """Whether a page range was turned into a date by a spreadsheet ("Aug-13" for 8-13, "04-May"
    for 4-5): its first page is read back (:func:`page_start_of`) and may agree with another
    record's, but a damaged field never vetoes a pair."""
    return bool(_MONTH_FIRST.match(pages or "") or _DAY_FIRST.match(pages or ""))


# the length of a thesis or book given where its pages would be ("215 p", "xii, 240 pp.")
_PAGE_COUNT = re.compile(r"^\s*(?:[ivxlcdm]+\s*,\s*)?\d+\s+(?:p|pp|pages?)\.?\s*$", re.IGNORECASE)


def pages_damaged(pages: str, page_start: str, year: str) -> bool:
    """Whether a record's pages are evidently not its pages, and so evidence of nothing: the
    publication year given as the page ("2013" in a 2013 record), or a count of pages ("62 p")."""
    if _PAGE_COUNT.match(pages or ""):
        return True
    first = (page_start or "").strip() or (_FIRST_PAGE.match(pages or "") or [None, ""])[1] or ""
    found = _YEAR.search(year or "")
    return bool(found) and first.strip() == found.group(1)


def page_start_of(page_start: str, pages: str) -> str:
    """Normalised first page: the ``page_start`` cell, else the start of ``pages``; "" if none.

    A letter prefix (electronic or supplement locators: "e123", "S12", "c37"), spaces and leading
    zeros are dropped, so "e0123" and "123" compare equal. A page without digits is unknown unless
    it is a roman numeral ("var.pagings", "(no pagination)" are no page); damaged pages (see
    :func:`pages_damaged`) are set aside by :func:`prep`. A range that a spreadsheet turned into a
    date gets its first page back: "Nov-19" (11-19) is 11, "10-Jul" (10-7, i.e. 10-17) is 10.
    """
    month_first = _MONTH_FIRST.match(pages or "")
    if month_first:
        return str(_MONTHS.index(month_first.group(1).lower()[:3]) + 1)
    day_first = _DAY_FIRST.match(pages or "")
    if day_first:
        return str(int(day_first.group(1)))
    text = page_start.strip() if page_start and page_start.strip() else ""
    if not text:
        found = _FIRST_PAGE.match(pages or "")
        text = found.group(1) if found else ""
    number = re.match(r"^[A-Za-z]{0,3}[\s\-]?0*(\d+)", text)
    if number:
        return number.group(1)
    folded = fold(text).replace(" ", "")
    return folded if _ROMAN_PAGE.match(folded) else ""


def simple_value(text: str) -> str:
    """Volume/issue for comparison: the leading number ("35 Suppl 1" -> "35", "007" -> "7"),
    else the folded text without spaces."""
    number = _LEADING_NUMBER.match(text or "")
    return number.group(1) if number else fold(text).replace(" ", "")


def volume_value(text: str) -> str:
    """Volume for comparison: :func:`simple_value`, except that a fragment left by a parser that
    split "30 (Suppl 3)" ("3)", "A)") or a bare supplement ("Suppl 2") is unknown (""), and a
    volume behind words ("Japanese journal of clinical medicine. 69", a journal title spilled
    into the field) is its last number. A volume without any digit ("Ph.D.", "(Jul)", a series
    title) is unknown."""
    text = (text or "").strip()
    if not _DIGIT.search(text):
        return ""
    if (")" in text and "(" not in text) or (_SUPPLEMENT_MARK.match(text) and not _LEADING_NUMBER.match(text)):
        return ""
    if _LEADING_NUMBER.match(text):
        return simple_value(text)
    numbers = _NUMBER.findall(text)
    return str(int(numbers[-1])) if numbers else fold(text).replace(" ", "")


def supplement_of(volume: str, issue: str) -> str:
    """The supplement number or letter a volume or issue names ("SUPPL. 3", "147 Suppl 1",
    "S2" -> "3", "1", "2"), lower case; "" when neither names one."""
    for text in (issue or "", volume or ""):
        found = _SUPPLEMENT_MARK.search(text)
        if found and (found.group(1) or found.group(2)):
            return str(found.group(1) or found.group(2)).lower().lstrip("0") or "0"
    return ""


_VENUE_STOP_WORDS = frozenset({"the", "of", "and", "for", "in", "on", "a", "an", "de", "la", "le", "des", "du", "der",
                               "und", "fur", "y", "e", "et", "proceedings", "proc", "annual"})


_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)?$")


def _abbreviates(token: str, words: list[str]) -> bool:
    """Whether ``token`` is made of a non-empty prefix of every word in order ("amcis": americas
    conference information systems)."""
    if not words:
        return not token
    first, rest = words[0], words[1:]
    return any(token.startswith(first[:length]) and _abbreviates(token[length:], rest)
               for length in range(min(len(first), len(token)), 0, -1))


def venues_agree(venue_a: str, venue_b: str) -> bool:
    """Whether two folded journal (or proceedings) names can name the same venue.

    The words of the name with fewer words must appear, in order, in the other, each word being
    a prefix of its partner or the partner of it ("j pharmacol sci" / "journal of pharmacological
    sciences", "med clin barc" / "medicina clinica", "faseb j" / "faseb journal conference
    experimental biology"), or one name must carry the other's acronym, made of a prefix of each
    of its words ("icis transforming society" / "international conference on information systems",
    "amcis 2017 proceedings" / "americas conference ..."). Numbers, ordinals and "proceedings" do
    not count. Unknown names (empty, or only stop
    words) agree with anything.
    """
    words_a, words_b = _venue_words(venue_a), _venue_words(venue_b)
    if not words_a or not words_b or words_a == words_b:
        return True
    short, long = sorted((words_a, words_b), key=len)
    position = 0
    if not (long[0].startswith(short[0]) or short[0].startswith(long[0])):
        position = len(long)  # a name with words before the other's is another journal's
    for word in short:
        while position < len(long) and not (long[position].startswith(word) or word.startswith(long[position])):
            position += 1
        if position == len(long):
            break
        position += 1
    else:
        return True
    for words, other in ((words_a, words_b), (words_b, words_a)):
        if len(words) >= 3 and any(len(token) >= max(3, len(words)) and token[0] == words[0][0]
                                   and _abbreviates(token, list(words)) for token in other):
            return True
    return False


@lru_cache(maxsize=65536)
def _venue_words(venue: str) -> tuple[str, ...]:
    """The words of a folded venue name that count (no stop words, numbers or ordinals)."""
    return tuple(word for word in venue.split() if word not in _VENUE_STOP_WORDS and not _ORDINAL.match(word))


_DOI_PART_SUFFIX = re.compile(r"\.[gts]\d{3,4}$")  # a figure, table or supplement of an article (PLoS)
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
_COCHRANE_DOI = re.compile(r"14651858\.(cd\d{6})")
_COCHRANE_PAGES = re.compile(r"^\s*(cd\d{6})\s*$", re.IGNORECASE)


def doi_stem(doi_norm: str) -> str:
    """A normalised DOI without a figure / table suffix (".g001") and without punctuation, so that
    the same DOI typed "3-12" or "3_12", "jas.2013" or "jas2013" has one stem."""
    return _NOT_ALPHANUMERIC.sub("", _DOI_PART_SUFFIX.sub("", doi_norm or ""))


MIN_DOI_DIGITS = 6  # digits a DOI suffix needs before a difference in its letters alone is read as a typo
_NOT_DIGIT = re.compile(r"\D+")


def doi_digits(doi_norm: str) -> str:
    """A DOI's registrant prefix and the digits of its suffix ("10.1093/pp-2018-0124" ->
    "10.1093/20180124"), "" with fewer than MIN_DOI_DIGITS digits: two DOIs that differ only in
    letters ("pp-2018-0124" / "pap-2018-0124") have one."""
    prefix, _, suffix = (doi_norm or "").partition("/")
    digits = _NOT_DIGIT.sub("", suffix)
    return f"{prefix}/{digits}" if len(digits) >= MIN_DOI_DIGITS else ""


def cochrane_number(doi_norm: str, pages: str, journal: str) -> str:
    """The review number ("cd009270") of a Cochrane review, from its DOI (10.1002/14651858.CD009270
    .pub3) or, in a Cochrane journal, from its pages ("CD009270"); "" for anything else."""
    found = _COCHRANE_DOI.search(doi_norm or "")
    if found:
        return found.group(1)
    in_pages = _COCHRANE_PAGES.match(pages or "")
    return in_pages.group(1).lower() if in_pages and "cochrane" in fold(journal) else ""


def pmid_value(text: str) -> str:
    """A PubMed ID as its digits without leading zeros ("PMID: 0123456" -> "123456"); "" when none."""
    digits = re.sub(r"\D", "", text or "").lstrip("0")
    return digits


def doi_value(text: str) -> str:
    """:func:`pipeline.keys.find_doi` of the DOI cell with percent-escapes decoded
    ("10.1016/s0025-7753%2817%2930624-3" is "10.1016/s0025-7753(17)30624-3")."""
    return find_doi(unquote(text or ""))


def match_title(title: str) -> str:
    """The title to compare: :func:`pipeline.keys.normalize_title` without bracketed notes, even
    one left open by truncation ("...[Erratum appears in J Pediatr"), except that a title made
    only of bracketed parts ("[Translated title]. [Spanish]") keeps its longest bracketed part. A tag
    a database appends (". RUSSIAN", "(German)", "(Review)") and the citation of a corrected article
    ("(vol 360, pg 542, 2009)") are dropped first, so two records of one correction notice compare."""
    if _SPREADSHEET_ERROR.match(title or ""):
        return ""
    title = _CITED_ORIGINAL.sub("", _TITLE_TAG.sub("", _TITLE_NOTE.sub(" ", title or "")))
    unbracketed = fold(_BRACKETED.sub(" ", title))
    if unbracketed:
        return unbracketed
    parts = [fold(part) for part in _BRACKETED.findall(title or "")]
    longest = max(parts, key=len) if parts else ""
    return longest or normalize_title(title)


ALTERNATIVE_TITLE_WORDS = 3  # a bracketed part needs at least this many words to be read as a title


def alternative_title(title: str) -> str:
    """The longest bracketed part of a title that also has words outside brackets, folded, when it
    has at least ALTERNATIVE_TITLE_WORDS words: the original-language title an English record
    carries ("Crowdwork: ... [Arbeiten in der Crowd: ...]"); "" otherwise ("[Review]", "[Spanish]")."""
    if not fold(_BRACKETED.sub(" ", title or "")):
        return ""
    parts = [fold(part) for part in _BRACKETED.findall(title or "")]
    longest = max(parts, key=len) if parts else ""
    return longest if len(longest.split()) >= ALTERNATIVE_TITLE_WORDS else ""


def page_end_of(page_start: str, page_end: str, pages: str) -> str:
    """The last page of a real range (last page not the first, "601-10" read as 601-610), as a
    number; "" for a single page, an unreadable range or none, so that only ranges compare. A
    range whose first page is mistyped ("2297-2108") keeps its last page."""
    found = _PAGE_RANGE.match(pages or "")
    if found:
        start, end = found.group(1), found.group(3)
        if len(end) < len(start):
            end = start[: len(start) - len(end)] + end
    else:
        start, end = (page_start or "").strip(), (page_end or "").strip()
    if not (start.isdigit() and end.isdigit()) or int(end) == int(start):
        return ""
    return str(int(end))


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


# the words that announce a correction before the title of the corrected article
_CORRECTION_LEAD = re.compile(r"^(?:(?:notice of )?(?:errat(?:um|a)|corrigend(?:um|a)|corrections?)\s*(?:to|of|on|for)?\s+)+")


def notice_title(title_norm: str, notice: str) -> str:
    """The title of the article an erratum corrects, as the erratum gives it: its normalised title
    without the leading "Erratum to", "Corrigendum:", "Correction to" ("" for any other record, and
    for an erratum whose title is only that)."""
    return _CORRECTION_LEAD.sub("", title_norm) if notice == "erratum" else ""


_MEETING = re.compile(r"\b(?:conference|congress|meeting|symposium|abstracts?|supplements?|suppl)\b")
_ONE_PAGE = re.compile(r"^\s*([A-Za-z]{0,3}\d+)\s*[-\u2013]+\s*([A-Za-z]{0,3}\d+)\s*$")


def meeting_abstract(entry_type: str, journal: str, volume: str, issue: str, pages: str) -> str:
    """``abstract`` when a record looks like a meeting abstract or paper: a conference entry type;
    its journal names a conference,
    congress, meeting, symposium, abstracts or a supplement ("Atherosclerosis Supplements"); its volume or issue names a supplement (or is the
    fragment "10S)" of one); or its pages are one page written as a range ("43-43"); else ""."""
    if kind_of(entry_type) == "conference":
        return "abstract"
    fragment = ")" in (volume or "") and "(" not in (volume or "")
    one_page = _ONE_PAGE.match(pages or "")
    if (_MEETING.search(fold(journal)) or fragment or supplement_of(volume, issue)
            or (one_page and one_page.group(1).lower() == one_page.group(2).lower())):
        return "abstract"
    return ""


def kind_of(entry_type: str) -> str:
    """``conference`` or ``journal_article`` for those entry types, else ""."""
    kind = (entry_type or "").strip().lower()
    return kind if kind in ("conference", "journal_article") else ""


# a degree or a thesis named where a journal, volume or issue would be ("Ph.D.", "Doctoral dissertation")
_DEGREE = re.compile(r"\b(?:ph ?d|dphil|doctoral|dissertation|thesis|theses|master s|msc|m sc|m phil)\b")


def names_degree(text: str) -> bool:
    """Whether a journal, volume or issue cell names a degree or a thesis ("Ph.D.", "Doctoral
    dissertation"); Dissertation Abstracts, which prints a thesis's abstract as a journal does, does not."""
    folded = fold(text)
    return bool(_DEGREE.search(folded)) and "abstracts" not in folded


_PROTOCOL = re.compile(r"\b(?:study|trial|review|research|evaluation) protocol\b|\bprotocol (?:for|of) an?\b|"
                       r"^protocol\b|\bprotocol$")


def protocol_of(title_norm: str) -> str:
    """``protocol`` when a normalised title announces a study protocol ("... : study protocol for a
    randomised trial", "Protocol: ..."), else ""."""
    return "protocol" if _PROTOCOL.search(title_norm) else ""


def part_number(title_norm: str) -> str:
    """The part a normalised title declares ("part ii" -> "2"), "" when it declares none."""
    found = _PART.search(title_norm)
    if not found:
        return ""
    token = found.group(1)
    if token.isdigit():
        return str(int(token))
    return str(_ROMAN.get(token) or _WORD_NUMBER[token])


# words that name a kind of item rather than its subject: a title made only of them ("Reply",
# "Letter to the editor", "Editorial") does not tell one item from another
_GENERIC_TITLE_WORDS = frozenset("""
a an the of to in on for and by from with re dear sir s this our
editorial editorials editor editors letter letters reply replies response responses comment comments
commentary correspondence introduction foreword preface erratum errata correction corrections corrigendum
abstract abstracts news notice notices announcement announcements book books review reviews author authors
guest invited untitled title issue contents table index obituary meeting conference proceedings poster posters
session sessions note notes summary discussion brief highlights reviewer reviewers acknowledgement
acknowledgements acknowledgment volume supplement journal update choice retraction retracted withdrawn
""".split())


def title_uninformative(title_norm: str) -> bool:
    """Whether a (non-empty) normalised title says too little to be the basis of a merge: a single
    word, or only words that name a kind of item ("Reply", "Editorial", "Letter to the editor")."""
    words = title_norm.split()
    return bool(words) and (len(words) < 2 or _GENERIC_TITLE_WORDS.issuperset(words))


_RANGE_TEXT = re.compile(r"^\s*[A-Za-z]*(\d*)\s*[-\u2013]+\s*[A-Za-z]*(\d+)\s*$")


def page_range_text(pages: str) -> str:
    """A page range's first and last digits as written, "first-last" ("2-8"; "-8" for "t-8"), so
    that a range cut to its last digits can be recognised against the full one; "" for no range."""
    found = _RANGE_TEXT.match(pages or "")
    return f"{found.group(1)}-{found.group(2)}" if found else ""


# volume, issue and pages glued to a journal name by an export ("NeuroToxicology.30 (1) ()(pp 23-30)",
# "Journal of Social Psychology.1")
_GLUED_CITATION = re.compile(r"^(.*?[^\W\d_].*?)\s*\.\s*\d+\s*(?:\(.*)?$")
_GLUED_PAGES = re.compile(r"\s*\(\s*pp\.?\s*[^()]*\)\s*$", re.IGNORECASE)


def journal_value(text: str) -> str:
    """The folded journal name without a volume, issue or pages an export glued to it."""
    text = _GLUED_PAGES.sub("", text or "")
    glued = _GLUED_CITATION.match(text)
    return fold(glued.group(1) if glued else text)


def title_numbers(title_norm: str) -> str:
    """The numbers in a normalised title, as a sorted, space-joined set."""
    return " ".join(sorted({str(int(n)) for n in _NUMBER.findall(title_norm)}))


def _texts(values: Iterable[str]) -> np.ndarray:
    """An object array of strings (also when empty, where numpy would pick float)."""
    return np.fromiter(values, dtype=object)


def _objects(values: Iterable[object], count: int) -> np.ndarray:
    """A one-dimensional object array of ``values`` (tuples stay elements, not rows)."""
    out = np.empty(count, dtype=object)
    out[:] = list(values) if count else []
    return out


def _map_unique(values: pd.Series | np.ndarray, function: Callable[[str], object]) -> np.ndarray:
    """``function`` over each distinct value once (journals, volumes and years repeat)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return _objects(map(function, distinct), len(distinct))[codes]


def _map_rows(records: pd.DataFrame, names: list[str], function: Callable[..., object]) -> np.ndarray:
    """``function`` of the named cells of each row, once per distinct combination of them."""
    codes = np.zeros(len(records), dtype=np.int64)
    for name in names:  # number the distinct combinations, one column at a time
        column, distinct = pd.factorize(records[name].to_numpy(dtype=object), use_na_sentinel=False)
        codes = pd.factorize(codes * max(len(distinct), 1) + column)[0]
    distinct_codes, first = np.unique(codes, return_index=True)
    cells = [records[name].to_numpy(dtype=object)[first] for name in names]
    return _objects((function(*row) for row in zip(*cells)), len(first))[codes]


def _cochrane_cells(doi: str, pages: str, journal: str) -> str:
    if "14651858" not in (doi or "") and "ochrane" not in (journal or "").lower():
        return ""  # neither a Cochrane DOI nor a Cochrane journal (most records)
    return cochrane_number(doi_value(doi), pages, journal)


def prep(records: pd.DataFrame) -> pd.DataFrame:
    """Matching fields for every record, one row per record, sorted by ``record_id``."""
    titles = pd.Series(_map_unique(records[col.TITLE], match_title), dtype=object)
    authors = _map_unique(records[col.AUTHORS], author_fields)
    frame = pd.DataFrame({
        INPUT_ROW: np.arange(len(records)),
        RECORD_ID: records[col.RECORD_ID].to_numpy(dtype=object),
        RECORD_KEY: records[col.RECORD_KEY].to_numpy(dtype=object),
        TITLE: titles.to_numpy(),
        ALT_TITLE: _map_unique(records[col.TITLE], alternative_title),
        FAMILY: _texts(slug for slug, _, _ in authors),
        FIRST_AUTHOR: _texts(name for _, name, _ in authors),
        AUTHOR_SET: _texts(names for _, _, names in authors),
        YEAR: _map_unique(records[col.YEAR], year_of).astype(np.int64),
        JOURNAL: _map_unique(records[col.JOURNAL], journal_value),
        VOLUME: _map_unique(records[col.VOLUME], volume_value),
        ISSUE: _map_unique(records[col.ISSUE], simple_value),
        PAGE_START: _map_rows(records, [col.PAGE_START, col.PAGES], page_start_of),
        PAGE_END: _map_rows(records, [col.PAGE_START, col.PAGE_END, col.PAGES], page_end_of),
        SUPPLEMENT: _map_rows(records, [col.VOLUME, col.ISSUE], supplement_of),
        DOI: _map_unique(records[col.DOI], doi_value),
        PMID: _map_unique(records[col.PMID], pmid_value),
        COCHRANE: _map_rows(records, [col.DOI, col.PAGES, col.JOURNAL], _cochrane_cells),
        KIND: _map_unique(records[col.ENTRY_TYPE], kind_of),
        THESIS: ((records[col.ENTRY_TYPE].str.strip().str.lower() == "thesis").to_numpy()
                 | _map_unique(records[col.JOURNAL], names_degree).astype(bool)
                 | _map_unique(records[col.VOLUME], names_degree).astype(bool)
                 | _map_unique(records[col.ISSUE], names_degree).astype(bool)),
        MEETING_ABSTRACT: _map_rows(records, [col.ENTRY_TYPE, col.JOURNAL, col.VOLUME, col.ISSUE, col.PAGES],
                                    meeting_abstract),
        NOTICE: _map_rows(records, [col.TITLE, col.PUBLICATION_TYPES], notice_kind),
        PROTOCOL: _map_unique(titles, protocol_of),
        PART: _map_unique(titles, part_number),
        TITLE_NUMBERS: _map_unique(titles, title_numbers),
        TITLE_WEAK: _map_unique(titles, title_uninformative).astype(bool),
        PAGES_AS_DATE: _map_unique(records[col.PAGES], pages_as_date).astype(bool),
        PAGE_RANGE_TEXT: _map_unique(records[col.PAGES], page_range_text),
    })
    damaged = _map_rows(records, [col.PAGES, col.PAGE_START, col.YEAR], pages_damaged).astype(bool)
    for name in (PAGE_START, PAGE_END, PAGE_RANGE_TEXT):
        frame[name] = np.where(damaged, "", frame[name]).astype(object)
    frame[NOTICE_TITLE] = _texts(map(notice_title, frame[TITLE], frame[NOTICE]))
    frame[DOI_STEM] = _map_unique(frame[DOI], doi_stem)
    frame[DOI_ALNUM] = _map_unique(frame[DOI], lambda doi: _NOT_ALPHANUMERIC.sub("", doi))
    frame[DOI_DIGITS] = _map_unique(frame[DOI], doi_digits)
    # a volume that is only the publication year ("2016" for Harvard Business Review's 94) is no volume
    frame[VOLUME] = np.where(frame[VOLUME] == frame[YEAR].astype(str), "", frame[VOLUME]).astype(object)
    return frame[PREP_COLUMNS].sort_values(RECORD_ID, kind="stable").reset_index(drop=True)
