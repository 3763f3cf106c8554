"""How much an export may cost to read, checked before the memory is taken.

Reading an export holds its bytes, its text, its lines and then the records, fields and frame built
from them. For a real export the peak is a few times the file (a 159 MB RIS of 100,000 records peaks
at about 950 MB); a hostile one made of millions of tiny lines costs far more per byte, because each
line and each value is a Python object of its own. :func:`estimate` is a bound on that peak from two
numbers known before parsing (the bytes and the line breaks), and :func:`check` refuses an input
whose bound exceeds the budget, naming the file, the estimate and how to raise the budget. A gzip
file or zip member is unpacked in chunks and stopped as soon as what it has unpacked so far is over
the budget, so a small compressed bomb never reaches its full size.

Two limits hold whatever the budget: a single field (a cell, a tag's value with its continuation
lines, an XML element's text) longer than :data:`MAX_FIELD_CHARS` and an XML document nested deeper
than :data:`MAX_XML_DEPTH` are refused; no real export comes near either.

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

# Bytes of peak memory per byte of input and per line break, measured on the readers here: a real
# export (RIS, 159 MB, 100,000 records, 3.4 M lines) peaks at 6 times its size; a file of nothing but
# short tag lines ("A1  - x") at 14 times, which the cost per line covers.
_PER_BYTE = 6
_PER_LINE = 100

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


def estimate(size: int, line_breaks: int) -> int:
    """A bound on the peak memory of reading ``size`` bytes holding ``line_breaks`` line breaks."""
    return size * _PER_BYTE + line_breaks * _PER_LINE


def check(size: int, line_breaks: int, *, file: str, budget: int, what: str = "the export") -> None:
    """Refuse an input whose estimated peak memory exceeds ``budget``."""
    needed = estimate(size, line_breaks)
    if needed > budget:
        raise ExportError(
            f"{what} is too large to read within the memory budget ({size / _MB:.1f} MB, {line_breaks} lines "
            f"would need about {needed / _MB:.0f} MB; the budget is {budget // _MB} MB)",
            where=f"{file}:1",
            fix=f"split the export into smaller files, or, on a machine with the memory, raise the budget with "
                f"the environment variable {BUDGET_VARIABLE} (megabytes, e.g. {BUDGET_VARIABLE}="
                f"{max(2 * budget // _MB, needed // _MB + 1)})")


def field_too_long(length: int, *, where: str, what: str = "a field") -> ExportError:
    """The error for a field longer than :data:`MAX_FIELD_CHARS` (the caller raises it)."""
    return ExportError(f"{what} is {length} characters long, more than the {MAX_FIELD_CHARS} any field "
                       "may have (the file is damaged or not an export)", where=where,
                       fix="re-export the records; a field this long is not bibliographic data")
