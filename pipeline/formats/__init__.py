"""Readers for bibliographic database exports: bytes in, one row per raw record out.

:func:`read_export` is the one entry point (:func:`read_export_file` opens a file for it, refusing
anything but a regular file). It checks the input against the memory budget (:mod:`.budget`),
unpacks a gzip file or a zip archive holding one export, decodes the bytes (:mod:`.encoding`, which logs the encoding it used), tells the format from
the content (:mod:`.detect`), hands the content to the reader for that format (:mod:`.ris`,
:mod:`.nbib`, :mod:`.bibtex`, :mod:`.table`, :mod:`.wos`, :mod:`.enw`, :mod:`.endnote_xml`,
:mod:`.xlsx`) and turns the parsed records into a DataFrame with exactly
``pipeline.columns.RECORD_COLUMNS`` (:mod:`.common`). Whatever the bytes, the only exception it
raises is :class:`pipeline.errors.ExportError`.
"""

from __future__ import annotations

import bisect
import gzip
import io
import logging
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import nullcontext
from typing import IO

import pandas as pd

from pipeline.errors import ExportError
from pipeline.formats import bibtex, budget, endnote_xml, enw, nbib, ris, table, wos, xlsx
from pipeline.formats.common import ParsedRecord, gc_paused, to_frame
from pipeline.formats.detect import NOT_YET_SUPPORTED, SUPPORTED, container_kind, detect_format
from pipeline.formats.encoding import decode_export_repaired, split_lines

__all__ = ["FORMATS", "read_export", "read_export_file"]

logger = logging.getLogger(__name__)

#: Values accepted for ``format``: "auto" plus every format with a reader.
FORMATS = ("auto", *SUPPORTED)

_CHUNK = 1 << 20  # bytes read or unpacked at a time, so that the budget is checked as the data grows
_FIX_EXPORT = ("export the records as RIS, MEDLINE (.nbib), BibTeX, Web of Science plain text, EndNote XML "
               "or .enw, or as CSV/Excel with a header row")
_ARCHIVE_JUNK = ("__MACOSX/", ".DS_Store")
_ACYCLIC_READERS = frozenset({"nbib", "wos", "enw", "csv", "tsv"})  # (and RIS) see _read


def read_export_file(path: str | os.PathLike[str], *, file: str, source: str, format: str = "auto",
                     encoding: str = "auto", missing_fix: str = "check the path") -> pd.DataFrame:
    """:func:`read_export` on the file at ``path``, which must be a regular file within the budget.

    A named pipe, a device, a socket or a folder is refused for what it is (reading a pipe would wait
    for a writer forever, ``/dev/zero`` never ends); a missing file is "not found" with ``missing_fix``.
    At most the budget's worth of bytes is read, whatever size the file claims (``/proc`` files claim 0).
    """
    limit = budget.budget_bytes()
    try:
        with open(path, "rb", opener=_open_without_blocking) as handle:
            info = os.fstat(handle.fileno())
            _refuse_non_regular(info.st_mode, file)
            budget.check(info.st_size, 0, file=file, budget=limit)
            data, line_breaks = _read_bounded(handle, file, limit, "the export")
    except FileNotFoundError:
        raise ExportError("export file not found", where=file, fix=missing_fix) from None
    except IsADirectoryError:
        raise ExportError("is a folder, not an export file", where=file, fix="name the file itself") from None
    except PermissionError:
        raise ExportError("export file cannot be read (permission denied)", where=file,
                          fix="make the file readable by the user running the review") from None
    except OSError as exc:
        raise ExportError(f"export file cannot be read ({exc.strerror or exc})", where=file,
                          fix="copy the export to a regular file on a local disk and list that file") from None
    return _read_export(data, file, source, format, encoding, limit, line_breaks)


def _open_without_blocking(path: str, flags: int) -> int:
    """``os.open`` that does not wait on a named pipe with no writer (the pipe is refused right after)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


_SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def _refuse_non_regular(mode: int, file: str) -> None:
    if stat.S_ISREG(mode):
        return
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a regular file")
    raise ExportError(f"is {what}, not an export file", where=file,
                      fix="save the export as a regular file and list that file")


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while True:
        try:
            chunk = handle.read(_CHUNK)
        except BlockingIOError:  # a special file that slipped past the check: nothing to read now
            return
        if not chunk:
            return
        yield chunk


def _read_bounded(handle: IO[bytes], file: str, limit: int, what: str) -> tuple[bytes, int]:
    """The bytes of ``handle`` and their line feeds, stopped with an error as soon as they pass the budget."""
    parts: list[bytes] = []
    size = breaks = 0
    for chunk in _chunks(handle):
        parts.append(chunk)
        size += len(chunk)
        breaks += chunk.count(b"\n")
        budget.check(size, breaks, file=file, budget=limit, what=what)
    return b"".join(parts), breaks


def read_export(data: bytes, *, file: str, source: str, format: str = "auto",
                encoding: str = "auto") -> pd.DataFrame:
    """Read one database export into one row per raw record (columns: ``RECORD_COLUMNS``).

    ``file`` is only used in messages and the ``file`` column; ``source`` prefixes every
    ``record_id``. ``format`` is "auto" (detect from the content) or one of :data:`FORMATS`;
    ``encoding`` is "auto" or a Python codec name for text exports. Raises :class:`ExportError` for
    an empty, truncated, unsupported or unreadable file, and for one too large for the memory
    budget (:mod:`.budget`), or when memory runs out all the same.
    """
    return _read_export(data, file, source, format, encoding, budget.budget_bytes(), None)


def _read_export(data: bytes, file: str, source: str, format: str, encoding: str, limit: int,
                 line_feeds: int | None) -> pd.DataFrame:
    """:func:`read_export` with the budget and, when the caller counted them already, the bytes' line feeds."""
    if format not in FORMATS and format not in NOT_YET_SUPPORTED:
        raise ExportError(f"unknown export format '{format}'", where=file,
                          fix=f"use one of: {', '.join(FORMATS)}")
    try:
        packed = data
        data = _unpack(data, file, limit)
        if not data or data.isspace():  # what `not data.strip()` says, without copying the file
            raise ExportError("the file is empty", where=f"{file}:1",
                              fix="re-export the records from the database; the download may have failed")
        if container_kind(data) != "xlsx":  # a workbook is checked member by member (see xlsx.read)
            if line_feeds is None or data is not packed:
                line_feeds = data.count(b"\n")
            budget.check(len(data), line_feeds or data.count(b"\r"), file=file, budget=limit)
        return _read(data, file, source, format, encoding, limit)
    except MemoryError:
        raise ExportError("memory ran out while reading the export", where=f"{file}:1",
                          fix=f"free memory or split the export into smaller files; the memory budget "
                              f"({budget.BUDGET_VARIABLE}, megabytes) is more than this machine can give") from None


def _read(data: bytes, file: str, source: str, format: str, encoding: str, limit: int) -> pd.DataFrame:
    kind = container_kind(data)
    if kind == "xlsx" and format in ("auto", "xlsx"):
        return to_frame(xlsx.read(data, file=file), source=source, file=file, format="xlsx")
    if format == "xlsx" or kind == "xlsx":
        what = "not an Excel workbook (.xlsx)" if format == "xlsx" else f"an Excel workbook, not '{format}'"
        raise ExportError(f"the file is {what}", where=f"{file}:1",
                          fix="set the source's format to 'auto' or to the format the file really has")
    if kind:
        _unsupported(kind, file)
    text, repaired = decode_export_repaired(data, file=file, encoding=encoding)
    if "\x00" in text:
        raise ExportError("the file holds binary data, not a text export", where=f"{file}:1", fix=_FIX_EXPORT)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise ExportError("the file is empty (only blank lines)", where=f"{file}:1",
                          fix="re-export the records from the database; the download may have failed")
    detected = detect_format(lines) if format == "auto" else format
    if detected in NOT_YET_SUPPORTED:
        _unsupported(detected, file)
    _check_before_records(data, text, len(lines), detected, file, limit)
    if detected == "ris":
        # The text and its lines are dropped as soon as the records are split out of them, so that a
        # large export's fields and frame are built in the memory they took. The collector is paused
        # once for the split, the fields and the frame (the RIS records hold no reference cycles), and
        # the pause ends after the records are gone: the collector's first pass after a pause scans
        # every container made during it that is still alive.
        del text
        with gc_paused():
            split = ris.split(lines, file=file)
            del lines
            records = ris.build(split)
            del split
            _note_repairs(records, repaired)
            frame = to_frame(records, source=source, file=file, format=detected)
            del records
        return frame
    # The same single pause for the other readers written here (plain dicts, lists and strings); the
    # parsers of BibTeX, EndNote XML (and Excel, above) are libraries whose objects may form cycles,
    # so they run with the collector as it was, and only the frame is built with it paused.
    with gc_paused() if detected in _ACYCLIC_READERS else nullcontext():
        records, detected = _parse(text, lines, file, detected)
        del text, lines  # not needed for the frame
        _note_repairs(records, repaired)
        frame = to_frame(records, source=source, file=file, format=detected)
        del records
    return frame


# Formats whose every line is one field or one table row, and the fewest lines a record takes in
# each (RIS and Web of Science: a start and an end tag; the others: 1). EndNote XML may hold every
# record on one line, so its records are bounded by its bytes instead.
_LINE_FORMATS = frozenset({"ris", "nbib", "wos", "enw", "csv", "tsv"})
_LINES_PER_RECORD = {"ris": 2, "wos": 2}
_SHORTEST_XML_RECORD = len("<record></record>")


def _check_before_records(data: bytes, text: str, line_count: int, detected: str, file: str, limit: int) -> None:
    """Refuse a line longer than a field may be, and an export whose records would pass the budget."""
    if detected in _LINE_FORMATS:
        found = budget.long_line(data, budget.MAX_FIELD_CHARS)
        if found:
            raise budget.field_too_long(found[1], where=f"{file}:{found[0]}", what="the line", unit="bytes")
    if detected == "endnote_xml":
        records = len(data) // _SHORTEST_XML_RECORD
    else:
        records = line_count // _LINES_PER_RECORD.get(detected, 1)
    if detected == "ris" and budget.estimate(len(data), line_count, records) > limit:
        records = min(records, text.count("TY "))  # every record starts with one; counted only when it matters
    budget.check(len(data), line_count, file=file, budget=limit, records=records)


def _note_repairs(records: list[ParsedRecord], lines: list[int]) -> None:
    """Note on each record the lines in it whose bytes that are not UTF-8 were read as cp1252."""
    if not lines:
        return
    starts = [record.line for record in records]
    for line in lines:
        at = bisect.bisect_right(starts, line) - 1
        if at >= 0:
            records[at].problems.append(f"line {line}: bytes that are not UTF-8 read as cp1252 (check accents)")


def _parse(text: str, lines: list[str], file: str, detected: str) -> tuple[list[ParsedRecord], str]:
    """The records of a text export in a format other than RIS."""
    if detected == "nbib":
        return nbib.read(lines, file=file), detected
    if detected == "bibtex":
        return bibtex.read(text, file=file), detected
    if detected == "wos":
        return wos.read(lines, file=file), detected
    if detected == "enw":
        return enw.read(lines, file=file), detected
    if detected == "endnote_xml":
        return endnote_xml.read(text, file=file), detected
    if detected in ("csv", "tsv"):
        return table.read(text, file=file, delimiter="\t" if detected == "tsv" else None)
    raise ExportError("not a bibliographic export: no RIS 'TY  -' tag, no MEDLINE 'PMID-' tag, no BibTeX "
                      "'@type{key,' entry, no Web of Science 'PT' record, no EndNote '%0' or <record>, and "
                      "no table header with a title column found", where=f"{file}:1", fix=_FIX_EXPORT)


def _unpack(data: bytes, file: str, limit: int) -> bytes:
    """The export inside a gzip file or a one-file zip archive; other bytes unchanged."""
    kind = container_kind(data)
    if kind == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
                inner, _ = _read_bounded(packed, file, limit, "the gzip file's content")
        except (OSError, EOFError, zlib.error) as exc:
            raise ExportError(f"the gzip file is damaged ({exc})", where=f"{file}:1",
                              fix="download the export again, or unpack it and list the file itself") from None
        logger.info("%s: gzip-compressed; reading the export inside it", file)
        return _refuse_nesting(inner, file)
    if kind == "zip":
        return _refuse_nesting(_unzip(data, file, limit), file)
    return data


def _unzip(data: bytes, file: str, limit: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()
                       and not any(junk in info.filename for junk in _ARCHIVE_JUNK)]
            if len(members) != 1:
                names = ", ".join(info.filename for info in members[:5]) or "nothing"
                raise ExportError(f"the zip archive holds {len(members)} files ({names}), not one export",
                                  where=f"{file}:1",
                                  fix="unzip it and list each export as its own source in config.yaml")
            budget.check(members[0].file_size, 0, file=file, budget=limit, what="the zip archive's file")
            with archive.open(members[0]) as member:
                inner, _ = _read_bounded(member, file, limit, "the zip archive's file")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, NotImplementedError,
            ValueError, RuntimeError) as exc:
        raise ExportError(f"the zip archive cannot be read ({exc})", where=f"{file}:1",
                          fix="download the export again, or unzip it and list the file itself") from None
    logger.info("%s: zip archive; reading its one file %s", file, members[0].filename)
    return inner


def _refuse_nesting(inner: bytes, file: str) -> bytes:
    kind = container_kind(inner)
    if kind in ("gzip", "zip"):
        raise ExportError(f"the compressed file holds another {kind} archive", where=f"{file}:1",
                          fix="unpack it yourself and list the export file itself")
    return inner


def _unsupported(kind: str, file: str) -> None:
    raise ExportError(f"{NOT_YET_SUPPORTED[kind]} exports ('{kind}') are not supported", where=f"{file}:1",
                      fix=_FIX_EXPORT)
