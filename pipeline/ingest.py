"""The ``ingest`` stage: every export as one table, one row per raw record.

It runs in two steps so that a workflow reads the exports side by side: :func:`run_source` (the
``ingest-source`` subcommand, one job per export) reads one export with
:func:`pipeline.formats.read_export_file`; :func:`run` (``ingest``) joins the sources' tables in
the order of config.yaml, checks that ``record_id`` is unique across sources, and says the
stage's one summary line.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import columns as c
from pipeline.config import Source
from pipeline.errors import PipelineError
from pipeline.formats.common import empty_frame
from pipeline.progress import Progress
from pipeline.stage import Kind, Stage, file

log = logging.getLogger(__name__)


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


# --- the stage's contract -------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInputs:
    export: str = file(Kind("path", "the export file of the source"))


@dataclass(frozen=True)
class SourceOutputs:
    records: pd.DataFrame = file(Kind("table", "the source's records"))


def run_source(inputs: SourceInputs, settings: Source) -> SourceOutputs:
    """Read the export of one source (``settings``) from ``inputs.export``."""
    from pipeline import formats

    with Progress("ingest", log) as progress:
        progress.start(f"reading {settings.path}", 0)
        records = formats.read_export_file(inputs.export, file=settings.path, source=settings.id,
                                           format=settings.format, encoding=settings.encoding,
                                           missing_fix="check the path in config.yaml (sources[].path) or on the "
                                                       "command line, or add the file")
    log.info("ingest: %s: %d record%s from %s", settings.id, len(records), "s" if len(records) != 1 else "",
             settings.path)
    return SourceOutputs(records)


@dataclass(frozen=True)
class Inputs:
    sources: Mapping[str, pd.DataFrame] = file(Kind("tables", "the records of each source, in the order of "
                                                    "config.yaml", required=tuple(c.RECORD_COLUMNS)))


@dataclass(frozen=True)
class Outputs:
    records: pd.DataFrame = file(Kind("table", "every record of every source"))


def run(inputs: Inputs, settings: None = None) -> Outputs:
    """Join the sources' records in the order given."""
    with Progress("ingest", log) as progress:
        progress.start("joining", len(inputs.sources), "exports")
        records = ingest(list(inputs.sources.values()))
    log.info(summary(records))
    return Outputs(records)


def _source_settings(args: argparse.Namespace) -> Source:
    """The source named by ``--source`` in the config, or one made from the export's file name."""
    if args.source:
        from pipeline.config import load

        settings = load(args.config)
        found = next((source for source in settings.sources if source.id == args.source), None)
        if found is None:
            raise PipelineError(f"no source '{args.source}' in {args.config}", where=args.config,
                                fix=f"name one of: {', '.join(source.id for source in settings.sources)}")
        return found
    return Source(id=Path(args.export).stem, name=Path(args.export).stem, path=args.export, encoding=args.encoding)


SOURCE_STAGE = Stage("ingest-source", "read one export into a table of its records with provenance",
                     SourceInputs, SourceOutputs, run_source, _source_settings, options=(
                         (("--source",), {"help": "the source's id in the config (default: none, the file's name "
                                                  "is the source)"}),
                         (("--encoding",), {"default": "auto", "help": "text encoding of a file read without --source: "
                                                                       "auto (detected, the default) or a codec name "
                                                                       "such as gbk"})))
STAGE = Stage("ingest", "join the records of every source into one table", Inputs, Outputs, run,
              lambda args: None)
