"""How much an export may cost to read, checked before the memory is taken.

Reading an export holds its bytes, its text and its lines, then the records, fields and frame built
from them. :func:`estimate` bounds that peak from the bytes, the line breaks and the records, and
:func:`check` refuses an input whose bound exceeds the budget, naming the file, the estimate and
how to raise the budget. It is checked twice for a text export: on the bytes and line breaks before
the text is decoded and split into lines, and with a bound on the number of records (from the lines
and the format) before the records are built. A gzip file or zip member is unpacked in chunks and
stopped as soon as what it has unpacked so far is over the budget, so a small compressed bomb never
reaches its full size; an Excel workbook is checked on its unpacked size before it is opened and
then row by row as it is read.

The costs per byte, line and record below were measured on the readers here (``bench.py`` and
``benchmarks/hostile/bombs.py``): a real RIS of 100,000 records (159 MB, 1.6 M lines) peaks at 980 MB,
4 M one-tag lines at 630 MB, 1 M records of one tag each (27 MB) at 2.2 GB. The estimate is above each.

Two limits hold whatever the budget: a field (a line of a tagged or CSV export, a cell, a tag's value
with its continuation lines, an XML element's text) longer than :data:`MAX_FIELD_CHARS` and XML nested
deeper than :data:`MAX_XML_DEPTH` are refused; no real export comes near either.

The budget is :data:`DEFAULT_BUDGET_MB` megabytes per input; the environment variable
:data:`BUDGET_VARIABLE` (whole megabytes) sets another for a machine that can afford a larger file.
"""

from __future__ import annotations

import os

from pipeline.errors import ExportError

#: The environment variable holding the budget in megabytes (MiB).
BUDGET_VARIABLE = "PIPELINE_INGEST_MEMORY_MB"

#: The budget when the environment does not set one: the estimated peak of reading one input.
DEFAULT_BUDGET_MB = 4096

#: The longest field (in characters) any reader accepts: 16 Mi, far above any abstract or note.
MAX_FIELD_CHARS = 16 << 20

#: The deepest XML nesting accepted (an EndNote XML record is about 8 levels deep).
MAX_XML_DEPTH = 256

# Bytes of peak memory per byte of input, per line break and per record (see the module docstring).
_PER_BYTE = 6
_PER_LINE = 120
_PER_RECORD = 2500

_MB = 1 << 20


def budget_bytes() -> int:
    """The budget in bytes, from :data:`BUDGET_VARIABLE` or the default."""
    text = os.environ.get(BUDGET_VARIABLE, "").strip()
    if not text:
        return DEFAULT_BUDGET_MB * _MB
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes <= 0:
        raise ExportError(f"{BUDGET_VARIABLE}={text!r} is not a whole number of megabytes",
                          where=BUDGET_VARIABLE, fix=f"set it to a number such as {DEFAULT_BUDGET_MB}, or unset it")
    return megabytes * _MB


def estimate(size: int, line_breaks: int, records: int = 0) -> int:
    """A bound on the peak memory of reading ``size`` bytes holding ``line_breaks`` lines and ``records`` records."""
    return size * _PER_BYTE + line_breaks * _PER_LINE + records * _PER_RECORD


def check(size: int, line_breaks: int, *, file: str, budget: int, what: str = "the export", records: int = 0,
          where: str | None = None) -> None:
    """Refuse an input whose estimated peak memory exceeds ``budget``."""
    needed = estimate(size, line_breaks, records)
    if needed <= budget:
        return
    counted = (f"{size / _MB:.1f} MB" + (f", {line_breaks} lines" if line_breaks else "")
               + (f", up to {records} records" if records else ""))
    raise ExportError(
        f"{what} is too large to read within the memory budget ({counted} would need about {needed // _MB} MB; "
        f"the budget is {budget // _MB} MB)",
        where=where or f"{file}:1",
        fix=f"split the export into smaller files, or, on a machine with the memory, raise the budget with "
            f"the environment variable {BUDGET_VARIABLE} (megabytes, e.g. {BUDGET_VARIABLE}="
            f"{max(2 * budget // _MB, needed // _MB + 1)})")


def long_line(data: bytes, limit: int) -> tuple[int, int] | None:
    """(line number, length in bytes) of the first line of ``data`` longer than ``limit``, else None.

    Each window of ``limit // 2`` bytes is searched for a line break (a few calls of a C search for a
    whole file); only where a window has none is the line around it measured. A line longer than
    ``limit`` contains a whole window, so none is missed.
    """
    step = max(limit // 2, 1)
    for start in range(0, len(data), step):
        end = start + step
        if data.find(b"\n", start, end) != -1 or data.find(b"\r", start, end) != -1:
            continue
        begin = max(data.rfind(b"\n", 0, start), data.rfind(b"\r", 0, start)) + 1
        stops = [stop for stop in (data.find(b"\n", end), data.find(b"\r", end)) if stop != -1]
        length = min(stops, default=len(data)) - begin
        if length > limit:
            return data.count(b"\n", 0, begin) + 1, length
    return None


def field_too_long(length: int, *, where: str, what: str = "a field", unit: str = "characters") -> ExportError:
    """The error for a field longer than :data:`MAX_FIELD_CHARS` (the caller raises it)."""
    return ExportError(f"{what} is {length} {unit} long, more than the {MAX_FIELD_CHARS} any field "
                       "may have (the file is damaged or not an export)", where=where,
                       fix="re-export the records; a field this long is not bibliographic data")
