"""Readers for bibliographic database exports: bytes in, one row per raw record out.

:func:`read_export` is the one entry point. It decodes the bytes (:mod:`.encoding`), tells the
format from the content (:mod:`.detect`), hands the text to the reader for that format
(:mod:`.ris`, :mod:`.nbib`, :mod:`.bibtex`, :mod:`.table`) and turns the parsed records into a
DataFrame with exactly ``pipeline.columns.RECORD_COLUMNS`` (:mod:`.common`). Whatever the bytes,
the only exception it raises is :class:`pipeline.errors.ExportError`.
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import ExportError
from pipeline.formats import bibtex, nbib, ris, table
from pipeline.formats.common import to_frame
from pipeline.formats.detect import NOT_YET_SUPPORTED, SUPPORTED, container_kind, detect_format
from pipeline.formats.encoding import decode, split_lines

__all__ = ["FORMATS", "read_export"]

#: Values accepted for ``format``: "auto" plus every format with a reader.
FORMATS = ("auto", *SUPPORTED)

_FIX_EXPORT = "export the records as RIS or MEDLINE (.nbib), or as BibTeX or CSV with a header row"


def read_export(data: bytes, *, file: str, source: str, format: str = "auto") -> pd.DataFrame:
    """Read one database export into one row per raw record (columns: ``RECORD_COLUMNS``).

    ``file`` is only used in messages and the ``file`` column; ``source`` prefixes every
    ``record_id``. ``format`` is "auto" (detect from the content) or one of ris, nbib, bibtex,
    csv, tsv. Raises :class:`ExportError` for an empty, truncated, unsupported or unreadable file.
    """
    if format not in FORMATS and format not in NOT_YET_SUPPORTED:
        raise ExportError(f"unknown export format '{format}'", where=file,
                          fix=f"use one of: {', '.join(FORMATS)}")
    if not data.strip():
        raise ExportError("the file is empty", where=f"{file}:1",
                          fix="re-export the records from the database; the download may have failed")
    kind = container_kind(data)
    if kind:
        _not_yet(kind, file)
    text = decode(data, file=file)
    if "\x00" in text:
        raise ExportError("the file holds binary data, not a text export", where=f"{file}:1", fix=_FIX_EXPORT)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise ExportError("the file is empty (only blank lines)", where=f"{file}:1",
                          fix="re-export the records from the database; the download may have failed")
    detected = detect_format(lines) if format == "auto" else format
    if detected in NOT_YET_SUPPORTED:
        _not_yet(detected, file)
    if detected == "ris":
        records = ris.read(lines, file=file)
    elif detected == "nbib":
        records = nbib.read(lines, file=file)
    elif detected == "bibtex":
        records = bibtex.read(text, file=file)
    elif detected in ("csv", "tsv"):
        records, detected = table.read(text, file=file, delimiter="\t" if detected == "tsv" else None)
    else:
        raise ExportError("not a bibliographic export: no RIS 'TY  -' tag, no MEDLINE 'PMID-' tag, "
                          "no BibTeX '@type{key,' entry and no CSV header with a title column found",
                          where=f"{file}:1", fix=_FIX_EXPORT)
    return to_frame(records, source=source, file=file, format=detected)


def _not_yet(kind: str, file: str) -> None:
    raise ExportError(f"{NOT_YET_SUPPORTED[kind]} exports ('{kind}') are not supported yet", where=f"{file}:1",
                      fix=_FIX_EXPORT)
