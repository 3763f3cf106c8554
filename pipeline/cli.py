"""``python -m pipeline <stage>``: one subcommand per stage.

Each subcommand parses its arguments, reads its inputs, calls the stage's pure function and
writes its outputs. A :class:`PipelineError` becomes one ``ERROR:`` line and exit status 2;
this is the only module that installs log handlers.
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
from pipeline.io import read_table, write_json, write_table, write_text
from pipeline.progress import Progress

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


def _review_path(args: argparse.Namespace, path: str) -> Path:
    """Paths in config.yaml are relative to the folder holding it."""
    return Path(args.config).resolve().parent / path


# --- stages ---------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> None:
    from pipeline import formats, ingest

    if args.files:
        exports = [(Path(f).stem, f, "auto", args.encoding) for f in args.files]
    else:
        settings = _settings(args)
        exports = [(s.id, str(_review_path(args, s.path)), s.format, s.encoding) for s in settings.sources]
        shown = {str(_review_path(args, s.path)): s.path for s in settings.sources}
    frames = []
    for source, path, fmt, encoding in ingest.with_progress(exports, frames):
        label = path if args.files else shown[path]
        fix = ("check the path on the command line" if args.files
               else "check the path in config.yaml (sources[].path) or add the file")
        frames.append(formats.read_export_file(path, file=label, source=source, format=fmt, encoding=encoding,
                                               missing_fix=fix))
    with Progress("ingest", log) as progress:
        progress.start("joining and writing", len(frames), "exports")
        records = ingest.ingest(frames)
        out = Path(args.out)
        write_table(records, out if out.suffix == ".csv" else out / "records.csv")
    log.info(ingest.summary(records))


def cmd_deduplicate(args: argparse.Namespace) -> None:
    from pipeline import deduplicate

    settings = _settings(args)
    with Progress("deduplicate", log) as progress:
        progress.start("reading records", 0)
        records = read_table(args.records, required=col.RECORD_COLUMNS, what="ingested records")
    decisions = None
    if args.decisions:
        raw = read_table(args.decisions, what="duplicate decisions", line_numbers=True)
        decisions = deduplicate.validate_duplicate_decisions(raw, args.decisions)
    records_out, pairs, studies = deduplicate.deduplicate(records, settings.dedup, decisions)
    out = Path(args.out)
    with Progress("deduplicate", log) as progress:
        progress.start("writing tables", 0)
        write_table(records_out, out / "records.csv")
        write_table(pairs, out / "pairs.csv")
        write_table(pairs[pairs["outcome"] == col.PairOutcome.MAYBE.value], out / "maybe_pairs.csv")
        write_table(studies, out / "studies.csv")
    log.info(deduplicate.summary(records_out, pairs))


def _csv_header(path: str) -> list[str]:
    """The header row of a CSV file, or [] when it has none that pandas can read (the export readers
    then say what is wrong with the file)."""
    try:
        return pd.read_csv(path, dtype=str, nrows=0).columns.tolist()
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return []


def cmd_dedupe(args: argparse.Namespace) -> None:
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
    decisions = None
    if args.decisions:
        raw = read_table(args.decisions, what="duplicate decisions", line_numbers=True)
        decisions = deduplicate.validate_duplicate_decisions(raw, args.decisions)
    result = deduplicate.standalone(ingest.ingest(frames), dedup_settings, decisions)
    write_table(result, args.out)
    counts = result["decision"].value_counts()
    log.info("dedupe: %d records -> %d studies; %d duplicates, %d maybe; wrote %s", len(result),
             result[col.STUDY_ID].nunique(), counts.get("duplicate", 0), counts.get("maybe", 0), args.out)


def cmd_screen(args: argparse.Namespace) -> None:
    from pipeline import screen

    settings = _settings(args)
    records = read_table(args.records, required=[*col.RECORD_COLUMNS, *col.DEDUP_COLUMNS], what="deduplicated records")
    studies = read_table(args.studies, required=[col.STUDY_ID], what="deduplicated studies")
    frames = []
    for path in sorted(args.decisions):
        raw = read_table(path, what="screening decisions", line_numbers=True)
        frames.append(screen.validate_decisions(raw, path, settings, reviewer=Path(path).stem))
    decisions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    resolutions = None
    if args.resolutions:
        raw = read_table(args.resolutions, what="resolutions", line_numbers=True)
        resolutions = screen.validate_decisions(raw, args.resolutions, settings, resolutions=True)
    result = screen.screen(records, studies, decisions, settings, resolutions)
    out = Path(args.out)
    write_table(result["records"], out / "records.csv")
    write_table(result["studies"], out / "studies.csv")
    write_table(result["conflicts"], out / "conflicts.csv")
    write_table(result["queue_title_abstract"], out / "to_screen_title_abstract.csv")
    write_table(result["queue_full_text"], out / "to_screen_full_text.csv")
    write_table(result["agreement"], out / "agreement.csv")
    write_table(result["unchecked"], out / "automation_unchecked.csv")
    log.info(screen.summary(result))


def cmd_classify(args: argparse.Namespace) -> None:
    from pipeline import classify, suggest

    settings = _settings(args)
    studies = read_table(args.studies, required=[col.STUDY_ID, "record_keys", col.SCREEN_DECISION], what="screened studies")
    extraction = (read_table(args.extraction, required=col.EXTRACTION_COLUMNS, what="extraction sheet",
                             line_numbers=True)
                  if args.extraction else pd.DataFrame(columns=col.EXTRACTION_COLUMNS))
    extraction = classify.validate_extraction(extraction, studies, settings.hierarchy, args.extraction)
    suggestions = suggest.suggest_designs(classify.included_studies(studies), settings.hierarchy)
    classified, interventions, audit = classify.classify(studies, extraction, settings.hierarchy, suggestions)
    out = Path(args.out)
    write_table(classified, out / "studies.csv")
    write_table(interventions, out / "interventions.csv")
    write_table(audit, out / "audit.csv")
    write_table(suggestions, out / "suggestions.csv")
    log.info(suggest.summary(suggestions))
    log.info(classify.summary(classified, settings.hierarchy))


def cmd_prisma(args: argparse.Namespace) -> None:
    from pipeline import figures, prisma

    settings = _settings(args)
    records = read_table(args.records, required=[col.PRISMA_BOX, col.SOURCE, col.STUDY_ID, col.SCREEN_DECISION],
                         what="screened records")
    counts = prisma.count(records, settings)
    prisma.check(counts)
    out = Path(args.out)
    write_json(counts, out / "counts.json")
    write_table(prisma.template(counts, settings), out / "prisma2020.csv")
    figure = prisma.diagram(counts, settings)
    paths = figures.save(figure, Path(args.figures) / "prisma_flow", settings.prisma_formats)
    log.info("prisma: wrote %s", ", ".join(str(path) for path in paths))
    log.info(prisma.summary(counts))


def cmd_tables(args: argparse.Namespace) -> None:
    from pipeline import tables

    settings = _settings(args)
    classified = read_table(args.classified, required=[col.STUDY_ID, col.EVIDENCE_LEVEL], what="classified studies")
    out = Path(args.out)
    built = []
    markdown = []
    latex = []
    for spec in settings.tables:
        table = tables.crosstab(classified, spec, settings.hierarchy)
        built.append((spec, table))
        write_table(table, out / f"{spec.id}.csv")
        markdown.append(tables.to_markdown(table, spec))
        latex.append(tables.to_latex(table, spec))
    write_text("\n\n".join(markdown) + "\n", out / "tables.md")
    write_text("\n\n".join(latex) + "\n", out / "tables.tex")
    (out / "tables.xlsx").write_bytes(tables.to_xlsx_bytes(built))
    log.info(tables.summary_tables(built))


def cmd_figures(args: argparse.Namespace) -> None:
    from pipeline import figures

    settings = _settings(args)
    classified = read_table(args.classified, required=[col.STUDY_ID, col.EVIDENCE_LEVEL], what="classified studies")
    out = Path(args.out)
    paths = figures.save(figures.pyramid(classified, settings.hierarchy), out / "evidence_pyramid", settings.figure_formats)
    for spec in settings.tables:
        table = read_table(Path(args.tables) / f"{spec.id}.csv", what=f"table {spec.id}")
        paths += figures.save(figures.dimension_chart(table, spec, settings.hierarchy), out / spec.id, settings.figure_formats)
    log.info(figures.summary(paths))


def cmd_reconcile(args: argparse.Namespace) -> None:
    import json

    from pipeline import reconcile

    settings = _settings(args)
    published = {Path(p).stem: read_table(p, what="published numbers") for p in sorted(args.published)}
    reproduced = {spec.id: read_table(Path(args.tables) / f"{spec.id}.csv", what=f"table {spec.id}")
                  for spec in settings.tables}
    counts = json.loads(Path(args.prisma).read_text(encoding="utf-8"))
    classified = read_table(args.classified, what="classified studies")
    studies = read_table(args.studies, what="screened studies")
    reconciled = reconcile.reconcile(published, reproduced, counts, classified, settings, studies=studies)
    checked = reconcile.arithmetic(published)
    out = Path(args.out)
    write_table(reconciled, out / "reconcile.csv")
    write_table(checked, out / "arithmetic.csv")
    write_text(reconcile.to_markdown(reconciled, checked), out / "reconcile.md")
    log.info(reconcile.summary(reconciled, checked))


def cmd_report(args: argparse.Namespace) -> None:
    import json

    from pipeline import report, screen

    settings = _settings(args)
    decisions = [screen.validate_decisions(read_table(path, what="screening decisions", line_numbers=True), path,
                                           settings, reviewer=Path(path).stem) for path in sorted(args.decisions)]
    resolutions = (screen.validate_decisions(read_table(args.resolutions, what="resolutions", line_numbers=True),
                                             args.resolutions, settings, resolutions=True)
                   if args.resolutions else pd.DataFrame())
    inputs = report.ReportInputs(
        records=read_table(args.records, required=report.REQUIRED_RECORD_COLUMNS, what="screened records"),
        studies=read_table(args.studies, required=report.REQUIRED_STUDY_COLUMNS, what="screened studies"),
        pairs=read_table(args.pairs, what="deduplication pairs"),
        decisions=pd.concat(decisions, ignore_index=True) if decisions else pd.DataFrame(),
        resolutions=resolutions,
        classified=read_table(args.classified, what="classified studies"),
        interventions=read_table(args.interventions, what="interventions"),
        audit=read_table(args.audit, what="classification audit"),
        counts=json.loads(Path(args.prisma).read_text(encoding="utf-8")),
        tables={Path(path).stem: read_table(path, what="table") for path in sorted(args.tables)},
        reconciled=read_table(args.reconciled, what="reconciliation"),
        arithmetic=read_table(args.arithmetic, what="published arithmetic"),
        agreement=read_table(args.agreement, what="agreement"),
        conflicts=read_table(args.conflicts, what="conflicts"),
        figures={Path(path).stem: Path(path).read_text(encoding="utf-8")
                 for path in sorted(args.figures) if Path(path).suffix == ".svg"},
    )
    page = report.build_report(inputs, settings)
    write_text(page, args.out)
    log.info(report.summary(page, inputs))


def cmd_init(args: argparse.Namespace) -> None:
    from pipeline import folder

    target = Path(args.folder)
    written = folder.create(target, [Path(path) for path in args.exports])
    log.info("init: made the review folder %s (%s)", target, ", ".join(written))
    steps = ([] if args.exports else
             [f"put your export(s) in {target / folder.EXPORTS} and name each under sources: in {target / 'config.yaml'}"])
    steps += [f"write your eligibility criteria in {target / 'config.yaml'} (criteria:)",
              f"python3 review.py run {target}",
              f"decide the rows of {target / 'data/processed/screen/to_screen_title_abstract.csv'} "
              f"(see {target / 'README.md'})"]
    log.info("next: %s", "; then ".join(steps))


def cmd_check_config(args: argparse.Namespace) -> None:
    settings = _settings(args)
    log.info("config: %s is valid (%d sources, %d criteria, %d tables)", args.config,
             len(settings.sources), len(settings.criteria), len(settings.tables))


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from pipeline import __version__

    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"evidence-pipeline {__version__}")
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    def stage(name: str, handler: Callable, help_text: str, *, needs_config: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument("--config", default="config.yaml", help="review configuration (default: config.yaml)")
        p.add_argument("--log", help="also write the log to this file")
        return p

    p = stage("check-config", cmd_check_config, "validate config.yaml and say what is wrong")

    p = stage("init", cmd_init, "make a new review folder: commented config.yaml, README, empty decision files")
    p.add_argument("folder", help="the folder to make (new or empty)")
    p.add_argument("exports", nargs="*", help="export files to copy in and list as sources")

    p = stage("ingest", cmd_ingest, "read every export into one table of records with provenance")
    p.add_argument("files", nargs="*", help="export files (default: the sources in config.yaml)")
    p.add_argument("-o", "--out", required=True, help="output folder, or a .csv file")
    p.add_argument("--encoding", default="auto",
                   help="text encoding of the FILEs: auto (detected, the default) or a codec name such as gbk")

    p = stage("deduplicate", cmd_deduplicate, "find duplicate records and group them into studies")
    p.add_argument("--records", required=True)
    p.add_argument("--decisions", nargs="?", help="human duplicate decisions (same/different); none when left out")
    p.add_argument("-o", "--out", required=True)

    p = stage("dedupe", cmd_dedupe, "deduplicate export files on their own: one row per record with its study")
    p.add_argument("files", nargs="+", help="export files, or CSVs laid out like bib-dedupe's benchmark sets")
    p.add_argument("--decisions", help="human duplicate decisions (same/different)")
    p.add_argument("-o", "--out", required=True, help="the CSV to write (record_id, study_id, decision, rule)")

    p = stage("screen", cmd_screen, "apply automation criteria and human screening decisions")
    p.add_argument("--records", required=True)
    p.add_argument("--studies", required=True)
    p.add_argument("--decisions", nargs="*", default=[], help="one CSV per reviewer")
    p.add_argument("--resolutions", nargs="?", help="settled conflicts; none when left out")
    p.add_argument("-o", "--out", required=True)

    p = stage("classify", cmd_classify, "give every included study its evidence level")
    p.add_argument("--studies", required=True)
    p.add_argument("--extraction", nargs="?", help="extraction sheet; nothing extracted when left out")
    p.add_argument("-o", "--out", required=True)

    p = stage("prisma", cmd_prisma, "PRISMA 2020 counts, template CSV and flow diagram")
    p.add_argument("--records", required=True)
    p.add_argument("--figures", required=True, help="folder for the diagram")
    p.add_argument("-o", "--out", required=True)

    p = stage("tables", cmd_tables, "cross-tabulate study characteristics by evidence level")
    p.add_argument("--classified", required=True)
    p.add_argument("-o", "--out", required=True)

    p = stage("figures", cmd_figures, "evidence pyramid and one chart per table")
    p.add_argument("--classified", required=True)
    p.add_argument("--tables", required=True, help="folder written by the tables stage")
    p.add_argument("-o", "--out", required=True)

    p = stage("reconcile", cmd_reconcile, "published numbers against reproduced ones")
    p.add_argument("--published", nargs="*", default=[], help="CSV files of data/raw/published")
    p.add_argument("--tables", required=True)
    p.add_argument("--prisma", required=True, help="counts.json of the prisma stage")
    p.add_argument("--classified", required=True)
    p.add_argument("--studies", required=True)
    p.add_argument("-o", "--out", required=True)

    p = stage("report", cmd_report, "one self-contained HTML audit report")
    p.add_argument("--records", required=True, help="records.csv of the screen stage")
    p.add_argument("--studies", required=True, help="studies.csv of the screen stage")
    p.add_argument("--pairs", required=True, help="pairs.csv of the deduplicate stage")
    p.add_argument("--decisions", nargs="*", default=[], help="one screening CSV per reviewer")
    p.add_argument("--resolutions", nargs="?", help="settled conflicts; none when left out")
    p.add_argument("--classified", required=True, help="studies.csv of the classify stage")
    p.add_argument("--interventions", required=True)
    p.add_argument("--audit", required=True)
    p.add_argument("--prisma", required=True, help="counts.json of the prisma stage")
    p.add_argument("--tables", nargs="*", default=[], help="table CSVs of the tables stage")
    p.add_argument("--reconciled", required=True)
    p.add_argument("--arithmetic", required=True)
    p.add_argument("--agreement", required=True)
    p.add_argument("--conflicts", required=True)
    p.add_argument("--figures", nargs="*", default=[], help="figure files (the SVGs are inlined)")
    p.add_argument("-o", "--out", required=True, help="the HTML file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
