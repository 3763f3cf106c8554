"""Turn the bytes of an export into text and lines, and say which encoding was used.

Databases and reference managers write UTF-8 (with or without a byte-order mark), UTF-16 with a
byte-order mark, and, in older or Windows tools, cp1252. The order tried: a byte-order mark
(UTF-8, UTF-16), UTF-16 without a mark (every other byte NUL), UTF-8, an encoding the file declares
in its first lines (JabRef's ``% Encoding: windows-1252``, an XML declaration's ``encoding``),
UTF-8 with a few bad bytes, cp1252, latin-1. Every file's encoding is
logged (INFO for Unicode, WARNING for a legacy code page, naming the file, so that a reviewer can
check accented names). Bytes that decode only to control characters, or that contradict an explicit
``encoding``, are an :class:`ExportError`. Line endings are normalised to LF: CRLF, LF, lone CR
(classic Mac) and any mixture give the same lines and therefore the same line numbers.

One bad byte does not make a whole file legacy text: when a file that is not valid UTF-8 holds
more valid UTF-8 characters beyond ASCII than runs of bytes that are not UTF-8 (a UTF-8 export with
a few stray cp1252 bytes pasted in), it is read as UTF-8 and only those runs are read as cp1252
(latin-1 for the five bytes cp1252 leaves undefined). :func:`decode_export_repaired` returns the
numbers of the lines so repaired, for the readers to note on their records, and the log names them.
"""

from __future__ import annotations

import codecs
import logging
import re

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


_DECLARED = re.compile(rb"^%\s*Encoding:\s*([A-Za-z0-9_.:-]+)|^<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.:-]+)",
                       re.MULTILINE)
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


def decode(data: bytes, *, file: str) -> str:
    """Decode an export's bytes with :func:`decode_export` ("auto")."""
    return decode_export(data, file=file)


def decode_export(data: bytes, *, file: str, encoding: str = "auto") -> str:
    """Decode an export's bytes: ``encoding`` "auto" (see the module docstring) or a codec name.

    The returned text has no byte-order mark and only LF line endings.
    """
    return decode_export_repaired(data, file=file, encoding=encoding)[0]


def decode_export_repaired(data: bytes, *, file: str, encoding: str = "auto") -> tuple[str, list[int]]:
    """:func:`decode_export`, and the (1-based) lines whose bytes that are not UTF-8 were read as cp1252."""
    if encoding == "auto":
        text, used = _decode(data, file)
    else:
        text, used = _decode_as(data, file, encoding), f"{encoding} (as configured)"
    logger.info("%s: read as %s", file, used)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if used != _MOSTLY_UTF8:
        return text, []
    return _repair(text, file)


_MOSTLY_UTF8 = "UTF-8 (bytes that are not UTF-8 read as cp1252)"
_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes that are not UTF-8, as decoded with surrogateescape
_BEYOND_ASCII = re.compile("[\x80-\ud7ff\ue000-\U0010ffff]")  # characters UTF-8 decoding can really give
_REPORTED_LINES = 10


def _mostly_utf8(data: bytes) -> str | None:
    """The text (bad bytes escaped) when more characters decode as UTF-8 beyond ASCII than runs of bad bytes fail."""
    text = data.decode("utf-8", "surrogateescape")
    bad_runs = sum(1 for _ in _ESCAPED.finditer(text))
    good = 0
    for _ in _BEYOND_ASCII.finditer(text):
        good += 1
        if good > bad_runs:
            return text
    return None


# Each byte a UTF-8 decoder refuses (0x80-0xff) as cp1252 reads it, or as latin-1 where cp1252 has no character.
_LEGACY_BYTES = {byte: bytes([byte]).decode("cp1252", "ignore") or chr(byte) for byte in range(0x80, 0x100)}


def _legacy_byte(run: re.Match[str]) -> str:
    return "".join(_LEGACY_BYTES[byte] for byte in run.group().encode("utf-8", "surrogateescape"))


def _repair(text: str, file: str) -> tuple[str, list[int]]:
    """Escaped bad bytes read as cp1252, and the lines that held them."""
    lines: list[int] = []
    line, counted_to = 1, 0
    for run in _ESCAPED.finditer(text):
        line += text.count("\n", counted_to, run.start())
        counted_to = run.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    shown = ", ".join(map(str, lines[:_REPORTED_LINES])) + (", ..." if len(lines) > _REPORTED_LINES else "")
    logger.warning("%s: not valid UTF-8 on %d line%s (%s); the file is read as UTF-8 and only the bad bytes as "
                   "cp1252: check those records, or re-export the file as UTF-8", file, len(lines),
                   "s" if len(lines) != 1 else "", shown)
    return _ESCAPED.sub(_legacy_byte, text), lines


def _decode_as(data: bytes, file: str, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:  # no such codec, or one that is not a text encoding (base64)
        raise ExportError(f"unknown encoding '{encoding}'", where=file,
                          fix="use a Python codec name such as utf-8, cp1252, latin-1 or utf-16") from None
    except UnicodeDecodeError as exc:
        raise ExportError(f"not valid {encoding} text (bad byte at offset {exc.start})", where=file,
                          fix="set the encoding to 'auto', or re-export the file as UTF-8") from None


def _declared(data: bytes) -> str:
    """The codec a file names in its first lines (``% Encoding: windows-1252``), "" if none or unknown."""
    match = _DECLARED.search(data[:2000])
    if not match:
        return ""
    try:
        return codecs.lookup((match.group(1) or match.group(2)).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return ""


def _decode(data: bytes, file: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 (byte-order mark)"
        except UnicodeDecodeError:
            data = data[len(codecs.BOM_UTF8):]
    for bom, codec in _UTF16_BOMS:
        if data.startswith(bom):
            return _decode_utf16(data[len(bom):], codec, file), f"{codec.upper()} (byte-order mark)"
    codec = _utf16_without_bom(data)
    if codec:
        logger.warning("%s: no byte-order mark but the bytes look like %s; reading it as such", file, codec)
        return _decode_utf16(data, codec, file), f"{codec.upper()} (no byte-order mark)"
    try:
        return data.decode("utf-8"), "UTF-8" if not data.isascii() else "ASCII (UTF-8)"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    declared = _declared(data)
    if declared and declared not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            logger.warning("%s: the file declares %s but is not valid %s text", file, declared, declared)
        else:
            logger.warning("%s: not UTF-8; reading it as %s, the encoding the file declares", file, declared)
            return _checked(text, file), f"{declared} (declared in the file)"
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return mixed, _MOSTLY_UTF8
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        logger.warning("%s: not valid UTF-8 (first bad byte at offset %d) nor cp1252; reading it as latin-1, "
                       "check accented characters", file, first_bad)
        return _checked(data.decode("latin-1"), file), "latin-1 (fallback)"
    logger.warning("%s: not valid UTF-8 (first bad byte at offset %d); reading it as cp1252 (Windows), "
                   "check accented characters or re-export as UTF-8", file, first_bad)
    return _checked(text, file), "cp1252 (fallback)"


def _checked(text: str, file: str) -> str:
    """Legacy-decoded text, unless it is mostly control characters (binary, or an unknown encoding)."""
    controls = len(_CONTROL.findall(text[:20000]))
    if controls > max(16, len(text[:20000]) // 20):
        raise ExportError("the bytes are not text in any encoding tried (UTF-8, UTF-16, the declared one, "
                          "cp1252, latin-1)", where=f"{file}:1",
                          fix="re-export the file as UTF-8 text, or set the source's encoding")
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
