"""The one Markdown writer: every Markdown file the pipeline writes shows record text as text.

Titles, author names, extracted values, reasons and labels come from exports and people, and may
hold anything: HTML (``<img src=x onerror=...>``), table pipes, backslashes, emphasis and link
syntax, a leading ``#`` or ``-``, line breaks. Written through :func:`inline`, :func:`line` or
:func:`table`, each renders (CommonMark, GitHub Flavored Markdown) as exactly that text:

- ``<`` and ``>`` become ``&lt;`` and ``&gt;``, so no renderer takes any of it for HTML, and an ``&``
  that would start a character reference becomes ``&amp;``;
- a backslash and the characters that start inline markup (`` ` `` ``*`` ``~`` ``$`` ``[`` ``]`` ``|``)
  are escaped with a backslash (``$`` because GitHub renders ``$...$`` as math), as is an ``_`` that
  could open or close emphasis (one inside a word, as in ``level_best``, cannot and is left alone);
- line breaks become spaces, so a value never leaves its table cell or line;
- on a line of its own (:func:`line`), a leading ``#``, ``-``, ``+``, ``=`` or list number is escaped
  too, so it cannot become a heading, a list or a rule.

What the pipeline itself writes as Markdown (a footnote reference) travels as :class:`Markup` and is
written as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_BACKSLASHED = re.compile(r"([\\`*~$\[\]|])")
_LONE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")  # not between two letters or digits
_REFERENCE = re.compile(r"&(?=#[0-9]+;|#[xX][0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_MARKERS = ("#", "+", "=", "-")
_LIST_NUMBER = re.compile(r"^([0-9]+)([.)])")


class Markup(str):
    """Markdown the pipeline wrote itself: :func:`table` writes it as it is."""


def inline(value: object) -> str:
    """``value`` as Markdown text that renders as ``str(value)`` inside a line or a table cell."""
    if isinstance(value, Markup):
        return str(value)
    text = _BACKSLASHED.sub(r"\\\1", str(value))
    text = _LONE_UNDERSCORE.sub(r"\\_", text)
    text = _REFERENCE.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _LINE_BREAK.sub(" ", text)


def line(value: object) -> str:
    """``value`` as a line of its own (a paragraph): also no heading, list, rule or code block."""
    text = inline(value).strip(" \t")
    if text.startswith(_BLOCK_MARKERS):
        return "\\" + text
    return _LIST_NUMBER.sub(r"\1\\\2", text, count=1)  # "1." and "1)" would start an ordered list


def table(header: Sequence[object], rows: Iterable[Sequence[object]], alignment: Sequence[str] | None = None,
          ) -> list[str]:
    """A pipe table as lines. ``alignment`` gives a delimiter per column (``":---"``, ``"---:"``); without
    it every column gets a plain ``---``."""
    def row(cells: Sequence[object]) -> str:
        return "| " + " | ".join(inline(cell) for cell in cells) + " |"

    rule = ("| " + " | ".join(alignment) + " |") if alignment is not None else "|" + "|".join("---" for _ in header) + "|"
    return [row(header), rule, *(row(cells) for cells in rows)]
