"""``python -m pipeline <stage>``: one subcommand per stage, and the commands around them.

A stage's subcommand is made by :mod:`pipeline.stage` from the stage's declared inputs and
outputs (``--<input> PATH``, ``--output-<name> PATH``), which reads them, calls the stage's pure
``run`` and writes what it returns. A :class:`PipelineError` becomes one ``ERROR:`` line and exit
status 2; this is the only module that installs log handlers.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from pipeline import columns as col
from pipeline import config as config_module
from pipeline.errors import PipelineError
from pipeline.io import read_table, write_table

log = logging.getLogger("pipeline")


def _setup_logging(log_file: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w", encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(logging.INFO)
    for noisy in ("matplotlib", "PIL", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> config_module.Settings:
    return config_module.load(args.config)


# --- stages ---------------------------------------------------------------------------------

# subcommand -> (module, attribute) of its Stage; imported only when the subcommand runs
STAGES = {
    "ingest-source": ("pipeline.ingest", "SOURCE_STAGE"),
    "ingest": ("pipeline.ingest", "STAGE"),
    "deduplicate": ("pipeline.deduplicate", "STAGE"),
    "screen": ("pipeline.screen", "STAGE"),
    "classify": ("pipeline.classify", "STAGE"),
    "audit": ("pipeline.audit", "STAGE"),
    "prisma": ("pipeline.prisma", "STAGE"),
    "tables": ("pipeline.tables", "STAGE"),
    "figures": ("pipeline.figures", "STAGE"),
    "reconcile": ("pipeline.reconcile", "STAGE"),
    "report": ("pipeline.report", "STAGE"),
}


def _stage(name: str):
    import importlib

    module, attribute = STAGES[name]
    return getattr(importlib.import_module(module), attribute)


def cmd_stage(args: argparse.Namespace) -> None:
    from pipeline import stage

    stage.main(_stage(args.stage), args)


def _csv_header(path: str) -> list[str]:
    """The header row of a CSV file, or [] when it has none that pandas can read (the export readers
    then say what is wrong with the file)."""
    try:
        return pd.read_csv(path, dtype=str, nrows=0).columns.tolist()
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []


def cmd_deduplicate_files(args: argparse.Namespace) -> None:
    from pipeline import deduplicate, formats, ingest

    dedup_settings = _settings(args).dedup if Path(args.config).is_file() else config_module.DedupSettings()
    frames = []
    for path in args.files:
        source = Path(path).stem
        header = _csv_header(path) if Path(path).suffix.lower() == ".csv" and Path(path).is_file() else []
        if deduplicate.is_benchmark_table(header):
            table = read_table(path, what="benchmark-layout table")
            frames.append(deduplicate.records_from_benchmark(table, source).assign(**{col.FILE: path}))
        else:
            frames.append(formats.read_export_file(path, file=path, source=source,
                                                   missing_fix="check the path and name the file itself"))
    decisions = read_table(args.decisions, what="duplicate decisions", line_numbers=True) if args.decisions else None
    result = deduplicate.standalone(ingest.ingest(frames), dedup_settings, decisions)
    write_table(result, args.out)
    counts = result["decision"].value_counts()
    log.info("deduplicate-files: %d records -> %d studies; %d duplicates, %d maybe; wrote %s", len(result),
             result[col.STUDY_ID].nunique(), counts.get("duplicate", 0), counts.get("maybe", 0), args.out)


def cmd_init(args: argparse.Namespace) -> None:
    from pipeline import folder

    target = Path(args.folder)
    written = folder.create(target, [Path(path) for path in args.exports])
    log.info("init: made the review folder %s (%s)", target, ", ".join(written))
    steps = ([] if args.exports else
             [f"put your export(s) in {target / folder.EXPORTS} and name each under sources: in {target / 'config.yaml'}"])
    steps += [f"write your eligibility criteria in {target / 'config.yaml'} (criteria:)",
              f"python3 review.py run {target}",
              f"decide the rows of the title and abstract work queue the run writes, to_screen_title_abstract.csv "
              f"(see {target / 'README.md'})"]
    log.info("next: %s", "; then ".join(steps))


def cmd_workbench(args: argparse.Namespace) -> None:
    from pipeline import workbench

    workbench.serve(Path(args.review), Path(args.review) / args.config, port=args.port, open_browser=args.open)


def cmd_check_config(args: argparse.Namespace) -> None:
    settings = _settings(args)
    log.info("config: %s is valid (%d sources, %d criteria, %d tables)", args.config,
             len(settings.sources), len(settings.criteria), len(settings.tables))


# --- parser ---------------------------------------------------------------------------------


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; with ``only`` a stage's name, only that stage's module is
    imported (the others' subcommands are listed but not built)."""
    from pipeline import __version__, stage as stage_module

    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"evidence-pipeline {__version__}")
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    def command(name: str, handler: Callable, help_text: str, **options) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, **options)
        p.set_defaults(handler=handler)
        p.add_argument("--config", default="config.yaml", help="review configuration (default: config.yaml)")
        p.add_argument("--log", help="also write the log to this file")
        return p

    p = command("check-config", cmd_check_config, "validate config.yaml and say what is wrong")

    p = command("init", cmd_init, "make a new review folder: commented config.yaml, README, empty decision files")
    p.add_argument("folder", help="the folder to make (new or empty)")
    p.add_argument("exports", nargs="*", help="export files to copy in and list as sources")

    p = command("workbench", cmd_workbench, "screen in the browser: a local page, one study at a time, each "
                "decision saved to the reviewer's decision file as it is made")
    p.add_argument("--review", default=".", help="the review folder (default: the working folder)")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765; 0 picks a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")

    for name in STAGES:
        if only is None or only == name:
            stage = _stage(name)
            stage_module.add_arguments(command(name, cmd_stage, stage.help), stage)
        else:
            command(name, cmd_stage, f"the {name} stage")

    # was called dedupe, a name too close to the deduplicate stage's; that name is still accepted
    p = command("deduplicate-files", cmd_deduplicate_files,
                "deduplicate export files on their own, outside a review: one row per record with its study",
                aliases=["dedupe"])
    p.add_argument("files", nargs="+", help="export files, or CSVs laid out like bib-dedupe's benchmark sets")
    p.add_argument("--decisions", help="human duplicate decisions (same/different)")
    p.add_argument("-o", "--out", required=True, help="the CSV to write (record_id, study_id, decision, rule)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in STAGES else None)
    args = parser.parse_args(argv)
    _setup_logging(args.log)
    try:
        args.handler(args)
    except PipelineError as exc:
        log.error("%s", exc.message)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    except Exception:  # a bug, not bad input: keep the details in the log, not on screen
        log.debug("internal error", exc_info=True)
        detail = traceback.format_exc(limit=-1).strip().splitlines()[-1]
        log.error("internal error in stage '%s' (%s); this is a bug in the pipeline, please report it "
                  "with the command and its input", args.stage, detail)
        if args.log:
            with open(args.log, "a", encoding="utf-8") as handle:
                handle.write(traceback.format_exc())
        return 3
    return 0
