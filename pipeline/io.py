"""Reading and writing the pipeline's tables so that every output is byte-stable.

All stage tables are UTF-8 CSV with a header, LF line endings and every cell read back as text
(empty cells are ``""``, never NaN). List and dict cells are canonical JSON.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from pipeline.errors import PipelineError


def read_table(path: str | Path, *, required: Iterable[str] = (), what: str = "table") -> pd.DataFrame:
    """Read a pipeline CSV as text columns; check that the required columns are present."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{what} not found", where=str(path), fix="run the stage that writes it first") from None
    except pd.errors.EmptyDataError:
        raise PipelineError(f"{what} is empty (no header row)", where=str(path), fix="add the header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{what} is not readable CSV ({exc})", where=str(path),
                            fix="save it as UTF-8 CSV with a header row") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PipelineError(f"{what} lacks column(s) {', '.join(missing)}", where=f"{path}:1",
                            fix=f"the header must include: {', '.join(required)}")
    return frame


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as CSV: UTF-8, LF, minimal quoting, no index."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, encoding="utf-8")


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
