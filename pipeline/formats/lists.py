"""Cells that hold lists: people ("Family, Given; Family, Given", "Family FM", "Given Family") and
keyword-like items, as every reader splits them."""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from pipeline.formats.common import squash, unique

_INITIALS = re.compile(r"^(?:[A-Z]{1,3}|(?:[A-Z]\.\s?-?){1,4}|(?:[A-Z]\.?-[A-Z]\.?))$")
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la",
              "le", "ten", "ter", "van't", "zu", "af", "al", "bin", "ibn"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


@lru_cache(maxsize=1 << 16)
def split_person(name: str) -> tuple[str, str]:
    """[family, given] of one person: "Last, First M.", "Last FM", "Last F.M." or "First Last"."""
    text = squash(name).strip(" ,;")
    if not text:
        return "", ""
    if "," in text:
        family, _, given = text.partition(",")
        given = given.strip()
        head, comma, tail = given.partition(",")
        if comma and head.strip().rstrip(".").lower() in _SUFFIXES:
            given = tail.strip()
        elif given.rstrip(".").lower() in _SUFFIXES:
            given = ""
        return family.strip(), given
    tokens = text.split(" ")
    if len(tokens) == 1:
        return text, ""
    if _INITIALS.match(tokens[-1]) and not _INITIALS.match(tokens[0]):
        # "Smith JA", "Smith J.A." and "Smith J. A.": every trailing initial is the given name
        split_at = len(tokens) - 1
        while split_at > 1 and _INITIALS.match(tokens[split_at - 1]):
            split_at -= 1
        return " ".join(tokens[:split_at]), " ".join(tokens[split_at:])
    if tokens[-1].rstrip(".").lower() in _SUFFIXES and len(tokens) > 2:
        tokens = tokens[:-1]
    split_at = len(tokens) - 1
    while split_at > 1 and tokens[split_at - 1].lower() in _PARTICLES:
        split_at -= 1
    return " ".join(tokens[split_at:]), " ".join(tokens[:split_at])


def split_people(values: list[str]) -> list[tuple[str, str]]:
    """One person per value (RIS AU lines, MEDLINE FAU lines)."""
    people = [split_person(value) for value in values]
    return [person for person in people if person[0] or person[1]]


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _python_list(text: str) -> list[str] | None:
    """The strings of a cell written as a Python list ("['Marx, Karl', 'Engels, F']"), else None."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
        return parsed
    return None


def split_author_list(value: str) -> list[tuple[str, str]]:
    """People in one cell: "A, B; C, D", "A, B and C, D", "Smith A, Walter B", "['Marx, Karl']"."""
    text = value.strip()
    if not text:
        return []
    parsed = _python_list(text)
    if parsed is not None:
        return split_people(parsed)
    if ";" in text or "|" in text:
        names = [name for part in re.split(r"[;|]", text) for name in _AND.split(part)]
        return split_people(names)
    # "H. J. Seo, E.-J. Park and S. Kim": each part between "and"s is itself a comma list
    return split_people([name for part in _AND.split(text) for name in _comma_names(part.strip(" ,"))])


def _comma_names(text: str) -> list[str]:
    """Names in a comma-separated cell: "Family, Given, Family, Given" pairs when the first piece is
    one word, else one name per piece ("Given Family, Given Family" or "Family GM, Family GM")."""
    if "," not in text:
        return [text]
    pieces = [piece.strip() for piece in text.split(",")]
    if " " not in pieces[0] and len(pieces) % 2 == 0 and not _INITIALS.match(pieces[0]):
        return [f"{pieces[i]}, {pieces[i + 1]}" for i in range(0, len(pieces), 2)]
    return pieces


def split_list(value: str) -> list[str]:
    """Items of a keyword-like cell separated by ";" (or "," when there is no ";")."""
    text = value.strip()
    if not text:
        return []
    parsed = _python_list(text)
    if parsed is not None:
        return unique([squash(item) for item in parsed])
    separator = ";" if ";" in text else ","
    return unique([squash(item) for item in _split_outside_brackets(text, separator)])


def _split_outside_brackets(text: str, separator: str) -> list[str]:
    """``text`` split at each ``separator`` that is not inside round or square brackets, so that
    "cyst (diagnosis, surgery), colonoscopy" gives two items; unbalanced brackets split everywhere."""
    if "(" not in text and "[" not in text:
        return text.split(separator)
    items, depth, start = [], 0, 0
    for position, character in enumerate(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
            if depth < 0:
                return text.split(separator)
        elif character == separator and depth == 0:
            items.append(text[start:position])
            start = position + 1
    if depth != 0:
        return text.split(separator)
    items.append(text[start:])
    return items
