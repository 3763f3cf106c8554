"""A reviewer's decision file, written the moment a decision is made and durably.

The file is ``data/raw/decisions/screening/<reviewer>.csv`` in the layout the screen stage reads
(``key,stage,decision,reason,reviewer,date,note``). A decision on a study the reviewer has not
decided at that stage is appended (write, flush, fsync); a changed decision replaces the
reviewer's row by writing the whole file to a temporary file beside it, syncing it and renaming
it over the old one, so at every moment the file on disk is either the old one or the new one. A
new file, or one whose header lacks a column, is written the same way. The rows already in the
file (a reviewer's earlier hand-made rows, extra columns copied from a work queue) are kept as
they are. Writers hold an in-process lock per file and an exclusive ``flock`` on the folder, so
two servers on one review never rewrite a file at the same time.

Text a spreadsheet would run as a formula is written with a leading ``'`` (see
:mod:`pipeline.io`), which the screen stage removes again when it reads the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from pipeline import columns as col
from pipeline.errors import PipelineError
from pipeline.io import neutralise_cell, restore_cell

COLUMNS = col.SCREENING_DECISION_COLUMNS
# a reviewer's name is the stem of their file: letters, digits, '_', '-' and inner dots only
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-]|[A-Za-z0-9]")
_DEVICE_NAME = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)  # not a file on Windows
MAX_NOTE = 2000  # characters, as the page's note field allows


def check_reviewer(name: str) -> str:
    """``name`` when it can be a decision file's name on every system, else PipelineError."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name or _DEVICE_NAME.fullmatch(name):
        raise PipelineError(f"reviewer name {name!r} cannot name a decision file", where="login",
                            fix="use 1 to 64 letters, digits, '_', '-' or '.' (not at the ends), e.g. ann or j.smith")
    return name


@dataclass(frozen=True)
class Decision:
    key: str
    stage: str
    decision: str
    reason: str
    reviewer: str
    date: str
    note: str

    def cells(self) -> dict[str, str]:
        """The row as written: every cell made safe from spreadsheet formulas."""
        return {name: neutralise_cell(getattr(self, name)) for name in COLUMNS}


def one_line(note: str) -> str:
    """A note as one line: line breaks and tabs become spaces."""
    return " ".join(str(note).replace("\t", " ").splitlines()).strip()


class DecisionFile:
    """One reviewer's decision file; every method re-reads the file, so a hand edit made while the
    workbench runs is kept. One lock per file serialises writers within the server."""

    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, folder: Path, reviewer: str) -> None:
        self.reviewer = check_reviewer(reviewer)
        self.path = Path(folder) / f"{reviewer}.csv"
        with DecisionFile._guard:
            self.lock = DecisionFile._locks.setdefault(str(self.path.resolve()), threading.Lock())

    def _read(self) -> tuple[list[str], list[list[str]], bool]:
        """(header, rows, whether the file ends with a line end); a missing file has no rows."""
        if not self.path.exists():
            return [], [], True
        try:
            text = self.path.read_text(encoding="utf-8-sig")
            rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise PipelineError(f"cannot read the decision file ({type(exc).__name__}: {exc})", where=str(self.path),
                                fix="save it as UTF-8 CSV (in Excel: CSV UTF-8), or move it away and log in again") from None
        return (rows[0], rows[1:], text.endswith("\n")) if rows else ([], [], True)

    def _mine(self, row: dict[str, str]) -> bool:
        return restore_cell(row.get("reviewer", "")).strip() in ("", self.reviewer)

    def rows(self) -> list[dict[str, str]]:
        """This reviewer's decided rows, text restored (blank queue rows left out)."""
        with self.lock:
            header, rows, _ = self._read()
        found = []
        for cells in rows:
            row = {name: restore_cell(cells[i]).strip() if i < len(cells) else "" for i, name in enumerate(header)}
            if self._mine(row) and (row.get("decision") or row.get("reason")):
                found.append({name: row.get(name, "") for name in COLUMNS})
        return found

    def decided(self, stage: str) -> dict[str, dict[str, str]]:
        """key -> row of this reviewer's decisions at ``stage``."""
        return {row["key"]: row for row in self.rows() if row["stage"] == stage}

    def save(self, decision: Decision) -> str:
        """Write ``decision``; returns "appended" or "replaced" (the reviewer's earlier row for the
        same key and stage). Returns only after the data is on disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock, _folder_lock(self.path.parent):
            header, rows, ends_with_newline = self._read()
            position = self._row_of(header, rows, decision.key, decision.stage)
            if header and all(name in header for name in COLUMNS) and position is None:
                self._append(header, decision, ends_with_newline)
                return "appended"
            header = header + [name for name in COLUMNS if name not in header]
            new = [decision.cells().get(name, "") for name in header]
            rows = [cells + [""] * (len(header) - len(cells)) for cells in rows]
            if position is None:
                rows.append(new)
            else:
                rows[position] = new
            self._replace(header, rows)
            return "appended" if position is None else "replaced"

    def _row_of(self, header: list[str], rows: list[list[str]], key: str, stage: str) -> int | None:
        for number, cells in enumerate(rows):
            row = {name: restore_cell(cells[i]).strip() if i < len(cells) else "" for i, name in enumerate(header)}
            if row.get("key") == key and row.get("stage") == stage and self._mine(row):
                return number
        return None

    def _append(self, header: list[str], decision: Decision, ends_with_newline: bool) -> None:
        buffer = io.StringIO()
        cells = decision.cells()
        csv.writer(buffer, lineterminator="\n").writerow([cells.get(name, "") for name in header])
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(("" if ends_with_newline else "\n") + buffer.getvalue())
            handle.flush()
            os.fsync(handle.fileno())

    def _replace(self, header: list[str], rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.reviewer}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(buffer.getvalue())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_folder(self.path.parent)


@contextlib.contextmanager
def _folder_lock(folder: Path):
    """Hold an exclusive lock on the decision files' folder, so that two workbench servers on one
    review (each with its own threads' locks) never rewrite a file at the same time. Where the
    system has no ``flock`` (Windows), the in-process lock alone serialises writers."""
    if fcntl is None:
        yield
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system lets a folder be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
