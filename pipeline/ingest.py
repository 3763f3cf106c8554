"""The ``ingest`` stage: the per-source record frames as one table, one row per raw record.

Reading each export is :func:`pipeline.formats.read_export` (called once per source by the CLI, so
that a Snakefile can split ingest per source); this module only joins the results, checks that
``record_id`` is unique across sources, and writes the stage's one summary line.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence

import pandas as pd

from pipeline import columns as c
from pipeline.errors import PipelineError
from pipeline.formats.common import empty_frame
from pipeline.progress import Progress

log = logging.getLogger(__name__)


def with_progress(exports: Sequence[tuple], frames: list[pd.DataFrame]) -> Iterator[tuple]:
    """The ``exports`` (tuples whose second item is the file's path) one by one, logging records read
    (``frames`` as the caller fills it), rate and time left every few seconds while they are read.
    Time left is estimated from the bytes of the files still to read."""
    sizes = [os.path.getsize(export[1]) if os.path.isfile(export[1]) else 0 for export in exports]
    with Progress("ingest", log) as progress:
        progress.start("reading exports", 0, "records")
        for number, export in enumerate(exports):
            yield export
            read = sum(len(frame) for frame in frames)
            progress.advance(read - progress.done)
            done_bytes = sum(sizes[:number + 1])
            progress.total = round(read * sum(sizes) / done_bytes) if done_bytes else 0


def ingest(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-source record frames in the given order, columns ``RECORD_COLUMNS``.

    Raises :class:`PipelineError` when a frame lacks a record column or a ``record_id`` appears in
    two frames (naming both places).
    """
    for position, frame in enumerate(frames, start=1):
        missing = [column for column in c.RECORD_COLUMNS if column not in frame.columns]
        if missing:
            raise PipelineError(f"record frame {position} lacks column(s) {', '.join(missing)}",
                                where=_describe(frame),
                                fix="read every export with pipeline.formats.read_export")
    if not frames:
        return empty_frame()
    records = pd.concat([frame[c.RECORD_COLUMNS] for frame in frames], ignore_index=True)
    repeated = records[c.RECORD_ID].duplicated(keep=False)
    if repeated.any():
        clashes = records.loc[repeated, [c.RECORD_ID, c.SOURCE, c.FILE, c.LINE]]
        record_id = clashes[c.RECORD_ID].iloc[0]
        both = clashes[clashes[c.RECORD_ID] == record_id].head(2)
        places = " and ".join(f"{row.file}:{row.line} (source {row.source})" for row in both.itertuples())
        raise PipelineError(f"record id {record_id} appears twice: {places}",
                            where=str(both[c.FILE].iloc[0]),
                            fix="give every source its own id in config.yaml (sources[].id), "
                                "and list each export file only once")
    return records


def _describe(frame: pd.DataFrame) -> str | None:
    """The file a frame came from, when it says so."""
    if c.FILE in frame.columns and len(frame):
        return str(frame[c.FILE].iloc[0])
    return None


# a record's note about a field that is missing, and the field
MISSING_FIELD_NOTES = {"no title": c.TITLE, "no authors": c.AUTHORS, "no year": c.YEAR}


def summary(records: pd.DataFrame) -> str:
    """One line: ``ingest: 312 records from 7 sources (medline=45, ...); 3 with problems``.

    A field that no record of a source has (a title-and-abstract export has no authors) is said
    once for the source, not counted as a problem of each of its records.
    """
    counts = records[c.SOURCE].value_counts(sort=False) if len(records) else pd.Series(dtype=int)
    per_source = ", ".join(f"{source}={count}" for source, count in counts.items())
    absent = {(source, note) for note, field in MISSING_FIELD_NOTES.items() if len(records)
              for source, empty in records[field].fillna("").isin(["", "[]"]).groupby(records[c.SOURCE], sort=False).all().items()
              if empty}
    with_problems = sum(1 for source, problems in zip(records[c.SOURCE], records[c.PROBLEMS].fillna(""))
                        if problems and any((source, note) not in absent for note in problems.split("; ")))
    sources = len(counts)
    line = (f"ingest: {len(records)} record{'s' if len(records) != 1 else ''} from {sources} "
            f"source{'s' if sources != 1 else ''} ({per_source}); {with_problems} with problems")
    for source in counts.index:
        missing = [note[3:] for note in MISSING_FIELD_NOTES if (source, note) in absent]
        if missing:
            line += f"; {source} has no {' or '.join(missing)} in any record"
    return line
