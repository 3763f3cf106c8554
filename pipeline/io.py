"""Reading and writing the pipeline's tables so that every output is byte-stable.

All stage tables are UTF-8 CSV with a header, LF line endings and every cell read back as text
(empty cells are ``""``, never NaN). List and dict cells are canonical JSON.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as
a formula, so a hostile title in an export could act when a reviewer opens a CSV. ``write_table``
therefore writes such a text cell with a leading ``'`` (``=HYPERLINK(..)`` becomes
``'=HYPERLINK(..)``), leaving plain numbers (``-1``, ``+3``, ``-0.5``) alone; a cell that already
starts with quotes before such a character gets one more quote, so the mapping is reversible.
``read_table`` removes exactly that one quote again, so the pipeline's own tables round-trip
unchanged from stage to stage.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from pipeline.errors import PipelineError

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_FIRST_CHARACTERS = ("'", *FORMULA_TRIGGERS)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# a quote before a formula character somewhere in a CSV file: only then can a cell need restoring
_QUOTED_FORMULA = re.compile(rb"'[=+\-@\t\r]")


def _at_risk(text: str) -> bool:
    """True for text a spreadsheet would run as a formula (plain numbers are safe)."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def neutralise_cell(text: str) -> str:
    """The cell as written: a leading quote before text a spreadsheet would run as a formula."""
    return f"'{text}" if _at_risk(text.lstrip("'")) else text


def restore_cell(text: str) -> str:
    """Undo :func:`neutralise_cell`: ``restore_cell(neutralise_cell(t)) == t`` for every text."""
    return text[1:] if text.startswith("'") and _at_risk(text.lstrip("'")) else text


def _map_cells(frame: pd.DataFrame, first: tuple[str, ...], change: Callable[[str], str]) -> pd.DataFrame:
    """``frame`` with ``change`` applied to the text cells starting with one of ``first`` (a copy if any change)."""
    changed = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
            continue
        values = column.to_numpy(dtype=object)
        hits = [row for row, value in enumerate(values) if isinstance(value, str) and value.startswith(first)]
        if hits:
            values = values.copy()
            for row in hits:
                values[row] = change(values[row])
            changed[position] = pd.Series(values, index=column.index, dtype=column.dtype, name=column.name)
    if not changed:
        return frame
    out = frame.copy()
    for position, column in changed.items():
        out.isetitem(position, column)
    return out


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells made safe from spreadsheet formulas (the input is not changed)."""
    return _map_cells(frame, _FIRST_CHARACTERS, neutralise_cell)


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise` on a table read back as text."""
    return _map_cells(frame, ("'",), restore_cell)


def read_table(path: str | Path, *, required: Iterable[str] = (), what: str = "table",
               line_numbers: bool = False) -> pd.DataFrame:
    """Read a pipeline CSV as text columns; check that the required columns are present.

    Cells neutralised by :func:`write_table` (a leading ``'`` before ``=``, ``+``, ``-``, ``@``)
    are restored, so a table round-trips unchanged. With ``line_numbers`` the line of the file
    where each row starts is kept for :func:`file_lines` (for files people write, whose blank lines
    and cells spanning lines make row ``i`` something other than line ``i + 2``), and the path for
    :func:`file_name`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PipelineError(f"{what} not found", where=str(path), fix="run the stage that writes it first") from None
    except IsADirectoryError:
        raise PipelineError(f"{what} is a folder, not a CSV file", where=str(path), fix="name the file itself") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise PipelineError(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x})", where=f"{path}:{line}",
                            fix="save it as UTF-8 CSV (in Excel: CSV UTF-8)") from None
    lines = _row_lines(text, path, what, keep=line_numbers)
    del text  # a large table's text is as big as its bytes; pandas parses the bytes
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise PipelineError(f"{what} is empty (no header row)", where=str(path), fix="add the header row") from None
    except pd.errors.ParserError as exc:
        detail = " ".join(str(exc).split())
        raise PipelineError(f"{what} is not readable CSV ({detail})", where=str(path),
                            fix="save it as UTF-8 CSV with a header row") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PipelineError(f"{what} lacks column(s) {', '.join(missing)}", where=f"{path}:1",
                            fix=f"the header must include: {', '.join(required)}")
    frame = restore(frame) if _QUOTED_FORMULA.search(data) else frame
    if line_numbers:
        frame.attrs[_FILE] = str(path)
        if lines is not None and len(lines) == len(frame):
            frame.attrs[_LINES] = tuple(lines)
    return frame


_LINES, _FILE = "file_lines", "file"


def file_name(frame: pd.DataFrame, default: str) -> str:
    """The file a table was read from with ``read_table(..., line_numbers=True)``, else ``default``
    (for messages that name the file and line of a bad row)."""
    return frame.attrs.get(_FILE, default)


def _bare_carriage_return(text: str) -> bool:
    """Whether a carriage return in ``text`` is not followed by a line feed."""
    position = text.find("\r")
    while position >= 0:
        if text[position + 1:position + 2] != "\n":
            return True
        position = text.find("\r", position + 1)
    return False


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its line end, one at a time."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def file_lines(frame: pd.DataFrame) -> list[int]:
    """The line of its file where each row starts (the header being line 1), for a table read with
    ``read_table(..., line_numbers=True)``; for any other table, row ``i`` is taken as line ``i + 2``."""
    lines = frame.attrs.get(_LINES)
    return list(lines) if lines is not None and len(lines) == len(frame) else list(range(2, len(frame) + 2))


def _is_skipped(row: list[str]) -> bool:
    """A row pandas skips as a blank line: nothing, or only spaces and tabs, between two line ends."""
    return not row or (len(row) == 1 and row[0] != "" and row[0].strip(" \t") == "")


def _row_lines(text: str, path: Path, what: str, *, keep: bool = True) -> list[int] | None:
    """The line where each data row starts, counted as pandas counts rows (blank lines skipped, a
    quoted cell may span lines); None when the csv module cannot read the file. Without ``keep``
    only the checks are made and the list stays empty (a large table's row numbers are not needed).

    Checks on the way that no row has more cells than the header has columns: pandas, when the
    first row has one cell more than the header, silently makes the first column the index,
    shifting every value one column left; further extra cells stop it with a tokenizer message
    without the file's line. A row with fewer cells is read with its last cells empty, as a
    hand-written CSV means it.
    """
    text = text.removeprefix("\ufeff")
    # lines one at a time (a StringIO would hold the whole text again, four bytes a character); a
    # file with bare carriage returns is split as StringIO splits it
    reader = csv.reader(io.StringIO(text, newline="") if _bare_carriage_return(text) else _lines(text))
    starts: list[int] = []
    try:
        header = next((row for row in reader if not _is_skipped(row)), None)
        if header is None:
            return starts
        if len(header) == 1:
            separator = next((s for s in (";", "\t") if s in header[0]), None)
            if separator:
                name = "semicolons" if separator == ";" else "tabs"
                raise PipelineError(f"{what}: the header is one cell with {name} in it; the file is separated by "
                                    f"{name}, not commas", where=f"{path}:1",
                                    fix="save it as comma-separated CSV (in Excel: CSV UTF-8 (Comma delimited))")
        width, start = len(header), reader.line_num + 1
        for row in reader:
            if len(row) > width:
                raise PipelineError(f"{what}: row has {len(row)} cells, more than the {width} columns of the header",
                                    where=f"{path}:{start}",
                                    fix=f"name every column in the header (it has: {','.join(header)}) or remove the "
                                        "extra cells; quote a cell that holds a comma")
            if keep and (len(row) > 1 or not _is_skipped(row)):
                starts.append(start)
            start = reader.line_num + 1
    except csv.Error:  # a cell past the csv module's size limit: pandas reads it, and says what else is wrong
        return None
    return starts


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as CSV: UTF-8, LF, minimal quoting, no index; formula-like text neutralised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise(frame).to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, encoding="utf-8")


def write_text(text: str, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def dumps(value: Any) -> str:
    """Canonical JSON for a cell or a file: sorted keys, no ASCII escaping, compact separators."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def loads(text: str, default: Any = None) -> Any:
    """Parse a JSON cell; an empty cell gives ``default``."""
    if not text:
        return default
    return json.loads(text)


def write_json(value: Any, path: str | Path) -> None:
    """Pretty, sorted, newline-terminated JSON file."""
    write_text(json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n", path)
