"""Turn the bytes of an export into text and lines.

Databases and reference managers write UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark, and, in older or Windows tools, cp1252. We try them in that order and only fall
back to a legacy code page when the bytes are not valid UTF-8, with a warning naming the file so
that a reviewer can check accented names. Line endings are normalised to LF: CRLF, LF, lone CR
(classic Mac) and any mixture give the same lines and therefore the same line numbers.
"""

from __future__ import annotations

import codecs
import logging

from pipeline.errors import ExportError

logger = logging.getLogger(__name__)

_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SNIFF_BYTES = 400


def _utf16_without_bom(data: bytes) -> str | None:
    """The UTF-16 variant when every other byte of the start is NUL (ASCII text in UTF-16), else None."""
    head = data[:_SNIFF_BYTES]
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even_nul = head[0::2].count(0)
    odd_nul = head[1::2].count(0)
    half = len(head) // 2
    if odd_nul >= 0.9 * half and even_nul == 0:
        return "utf-16-le"
    if even_nul >= 0.9 * half and odd_nul == 0:
        return "utf-16-be"
    return None


def decode(data: bytes, *, file: str) -> str:
    """Decode an export's bytes: UTF-8 (BOM optional), UTF-16 (BOM), else cp1252, else latin-1.

    The returned text has no byte-order mark and only LF line endings.
    """
    text = _decode(data, file)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode(data: bytes, file: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8):]
    for bom, codec in _UTF16_BOMS:
        if data.startswith(bom):
            return _decode_utf16(data[len(bom):], codec, file)
    codec = _utf16_without_bom(data)
    if codec:
        logger.warning("%s: no byte-order mark but the bytes look like %s; reading it as such", file, codec)
        return _decode_utf16(data, codec, file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        logger.warning("%s: not valid UTF-8 (first bad byte at offset %d) nor cp1252; reading it as latin-1, "
                       "check accented characters", file, first_bad)
        return data.decode("latin-1")
    logger.warning("%s: not valid UTF-8 (first bad byte at offset %d); reading it as cp1252 (Windows), "
                   "check accented characters or re-export as UTF-8", file, first_bad)
    return text


def _decode_utf16(data: bytes, codec: str, file: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ExportError(f"not valid {codec.upper()} text (bad bytes at offset {exc.start})", where=file,
                          fix="re-export the file, or save it as UTF-8") from None


def split_lines(text: str) -> list[str]:
    """Lines of LF-normalised text, without their line ending; line N of the file is item N-1."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
