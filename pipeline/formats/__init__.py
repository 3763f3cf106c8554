"""Readers for bibliographic database exports: bytes in, one row per raw record out.

:func:`read_export` is the one entry point. It unpacks a gzip file or a zip archive holding one
export, decodes the bytes (:mod:`.encoding`, which logs the encoding it used), tells the format from
the content (:mod:`.detect`), hands the content to the reader for that format (:mod:`.ris`,
:mod:`.nbib`, :mod:`.bibtex`, :mod:`.table`, :mod:`.wos`, :mod:`.enw`, :mod:`.endnote_xml`,
:mod:`.xlsx`) and turns the parsed records into a DataFrame with exactly
``pipeline.columns.RECORD_COLUMNS`` (:mod:`.common`). Whatever the bytes, the only exception it
raises is :class:`pipeline.errors.ExportError`.
"""

from __future__ import annotations

import gzip
import io
import logging
import zipfile
import zlib
from contextlib import nullcontext

import pandas as pd

from pipeline.errors import ExportError
from pipeline.formats import bibtex, endnote_xml, enw, nbib, ris, table, wos, xlsx
from pipeline.formats.common import ParsedRecord, gc_paused, to_frame
from pipeline.formats.detect import NOT_YET_SUPPORTED, SUPPORTED, container_kind, detect_format
from pipeline.formats.encoding import decode_export, split_lines

__all__ = ["FORMATS", "MAX_UNPACKED_BYTES", "read_export"]

logger = logging.getLogger(__name__)

#: Values accepted for ``format``: "auto" plus every format with a reader.
FORMATS = ("auto", *SUPPORTED)

#: The most bytes a gzip file or zip member may unpack to (a guard against decompression bombs).
MAX_UNPACKED_BYTES = 1 << 30

_FIX_EXPORT = ("export the records as RIS, MEDLINE (.nbib), BibTeX, Web of Science plain text, EndNote XML "
               "or .enw, or as CSV/Excel with a header row")
_ARCHIVE_JUNK = ("__MACOSX/", ".DS_Store")
_ACYCLIC_READERS = frozenset({"nbib", "wos", "enw", "csv", "tsv"})  # (and RIS) see _read


def read_export(data: bytes, *, file: str, source: str, format: str = "auto",
                encoding: str = "auto") -> pd.DataFrame:
    """Read one database export into one row per raw record (columns: ``RECORD_COLUMNS``).

    ``file`` is only used in messages and the ``file`` column; ``source`` prefixes every
    ``record_id``. ``format`` is "auto" (detect from the content) or one of :data:`FORMATS`;
    ``encoding`` is "auto" or a Python codec name for text exports. Raises :class:`ExportError` for
    an empty, truncated, unsupported or unreadable file.
    """
    if format not in FORMATS and format not in NOT_YET_SUPPORTED:
        raise ExportError(f"unknown export format '{format}'", where=file,
                          fix=f"use one of: {', '.join(FORMATS)}")
    data = _unpack(data, file)
    if not data or data.isspace():  # what `not data.strip()` says, without copying the file
        raise ExportError("the file is empty", where=f"{file}:1",
                          fix="re-export the records from the database; the download may have failed")
    return _read(data, file, source, format, encoding)


def _read(data: bytes, file: str, source: str, format: str, encoding: str) -> pd.DataFrame:
    kind = container_kind(data)
    if kind == "xlsx" and format in ("auto", "xlsx"):
        return to_frame(xlsx.read(data, file=file), source=source, file=file, format="xlsx")
    if format == "xlsx" or kind == "xlsx":
        what = "not an Excel workbook (.xlsx)" if format == "xlsx" else f"an Excel workbook, not '{format}'"
        raise ExportError(f"the file is {what}", where=f"{file}:1",
                          fix="set the source's format to 'auto' or to the format the file really has")
    if kind:
        _unsupported(kind, file)
    text = decode_export(data, file=file, encoding=encoding)
    if "\x00" in text:
        raise ExportError("the file holds binary data, not a text export", where=f"{file}:1", fix=_FIX_EXPORT)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise ExportError("the file is empty (only blank lines)", where=f"{file}:1",
                          fix="re-export the records from the database; the download may have failed")
    detected = detect_format(lines) if format == "auto" else format
    if detected in NOT_YET_SUPPORTED:
        _unsupported(detected, file)
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
            frame = to_frame(records, source=source, file=file, format=detected)
            del records
        return frame
    # The same single pause for the other readers written here (plain dicts, lists and strings); the
    # parsers of BibTeX, EndNote XML (and Excel, above) are libraries whose objects may form cycles,
    # so they run with the collector as it was, and only the frame is built with it paused.
    with gc_paused() if detected in _ACYCLIC_READERS else nullcontext():
        records, detected = _parse(text, lines, file, detected)
        del text, lines  # not needed for the frame
        frame = to_frame(records, source=source, file=file, format=detected)
        del records
    return frame


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


def _unpack(data: bytes, file: str) -> bytes:
    """The export inside a gzip file or a one-file zip archive; other bytes unchanged."""
    kind = container_kind(data)
    if kind == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as packed:
                inner = packed.read(MAX_UNPACKED_BYTES + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise ExportError(f"the gzip file is damaged ({exc})", where=f"{file}:1",
                              fix="download the export again, or unpack it and list the file itself") from None
        _check_size(inner, file)
        logger.info("%s: gzip-compressed; reading the export inside it", file)
        return _refuse_nesting(inner, file)
    if kind == "zip":
        return _refuse_nesting(_unzip(data, file), file)
    return data


def _unzip(data: bytes, file: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()
                       and not any(junk in info.filename for junk in _ARCHIVE_JUNK)]
            if len(members) != 1:
                names = ", ".join(info.filename for info in members[:5]) or "nothing"
                raise ExportError(f"the zip archive holds {len(members)} files ({names}), not one export",
                                  where=f"{file}:1",
                                  fix="unzip it and list each export as its own source in config.yaml")
            with archive.open(members[0]) as member:
                inner = member.read(MAX_UNPACKED_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error, NotImplementedError,
            ValueError, RuntimeError) as exc:
        raise ExportError(f"the zip archive cannot be read ({exc})", where=f"{file}:1",
                          fix="download the export again, or unzip it and list the file itself") from None
    _check_size(inner, file)
    logger.info("%s: zip archive; reading its one file %s", file, members[0].filename)
    return inner


def _check_size(inner: bytes, file: str) -> None:
    if len(inner) > MAX_UNPACKED_BYTES:
        raise ExportError(f"the compressed file unpacks to more than {MAX_UNPACKED_BYTES} bytes",
                          where=f"{file}:1", fix="unpack it yourself and list the export file itself")


def _refuse_nesting(inner: bytes, file: str) -> bytes:
    kind = container_kind(inner)
    if kind in ("gzip", "zip"):
        raise ExportError(f"the compressed file holds another {kind} archive", where=f"{file}:1",
                          fix="unpack it yourself and list the export file itself")
    return inner


def _unsupported(kind: str, file: str) -> None:
    raise ExportError(f"{NOT_YET_SUPPORTED[kind]} exports ('{kind}') are not supported", where=f"{file}:1",
                      fix=_FIX_EXPORT)
