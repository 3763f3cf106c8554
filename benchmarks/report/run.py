"""Report size and generation time, for the shipped review and for a review of many records.

    python benchmarks/report/run.py --records 50000 --work /tmp/report-bench
    python benchmarks/report/run.py --shipped /tmp/report-bench/shipped   # a finished copy of the shipped review

The large review is the first N records of the bib-dedupe srsr set (../shared/data/dedup/srsr),
mapped with ``deduplicate.records_from_benchmark``, deduplicated, screened with no decisions (every
study pending), classified (nothing included), counted (PRISMA) and reconciled (nothing
published), each stage through its command line. The report stage then runs as its own process,
as Snakemake would run it, and its wall time and output size are printed as one JSON line.
Measured, not asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
SRSR = REPO.parent / "shared" / "data" / "dedup" / "srsr" / "records_pre_merged.csv"
CONFIG = Path(__file__).resolve().parent / "config.yaml"

log = logging.getLogger("benchmarks.report")


def report_command(review: Path) -> list[str]:
    """The report stage's command line for a finished review folder (as the Snakefile runs it)."""
    processed = review / "data" / "processed"
    figures = sorted(str(p) for p in (review / "figures").glob("*.svg"))
    tables = sorted(str(p) for p in (processed / "tables").glob("*.csv")) if (processed / "tables").is_dir() else []
    return [sys.executable, "-m", "pipeline", "report", "--config", str(review / "config.yaml"),
            "--records", str(processed / "screen/records.csv"), "--studies", str(processed / "screen/studies.csv"),
            "--pairs", str(processed / "deduplicate/pairs.csv"),
            "--decisions", str(processed / "screen/decisions.csv"),
            "--resolutions", str(processed / "screen/resolutions.csv"),
            "--classified", str(processed / "classify/studies.csv"),
            "--interventions", str(processed / "classify/interventions.csv"),
            "--audit", str(processed / "classify/audit.csv"), "--counts", str(processed / "prisma/counts.json"),
            "--tables", *tables, "--reconciled", str(processed / "reconcile/reconcile.csv"),
            "--arithmetic", str(processed / "reconcile/arithmetic.csv"),
            "--agreement", str(processed / "screen/agreement.csv"),
            "--conflicts", str(processed / "screen/conflicts.csv"), "--figures", *figures,
            "--output-report", str(processed / "report/index.html")]


def time_report(review: Path, label: str) -> dict:
    """Run the report stage once as a process; its wall time, page size and what it covered."""
    env_path = f"{REPO}"
    started = time.perf_counter()
    done = subprocess.run(report_command(review), cwd=review, capture_output=True, text=True,
                          env={"PYTHONPATH": env_path, "PATH": str(Path(sys.executable).parent), "MPLBACKEND": "Agg"})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"report stage failed for {label}:\n{done.stderr}")
    page = review / "data/processed/report/index.html"
    records = len(pd.read_csv(review / "data/processed/screen/records.csv", usecols=["record_id"], dtype=str))
    return {"review": label, "records": records, "report_bytes": page.stat().st_size,
            "report_seconds": round(seconds, 2), "log": done.stderr.strip().splitlines()[-1]}


def stage(argv: list[str]) -> float:
    from pipeline import cli

    started = time.perf_counter()
    status = cli.main(argv)
    if status != 0:
        raise SystemExit(f"stage failed: {' '.join(argv)}")
    return time.perf_counter() - started


def outputs(folder: Path, *names: str) -> list[str]:
    """``--output-<name> folder/<name>.csv`` for each name, as the Snakefile names a stage's tables."""
    return [arg for name in names for arg in (f"--output-{name}", str(folder / f"{name}.csv"))]


def build_large_review(work: Path, n_records: int) -> dict[str, float]:
    """A review folder of ``n_records`` srsr records run up to reconcile; seconds per stage."""
    from pipeline.deduplicate import records_from_benchmark
    from pipeline.io import write_table, write_text

    if not SRSR.is_file():
        raise SystemExit(f"srsr benchmark set not found at {SRSR}; it ships in ../shared/data beside the repository")
    shutil.rmtree(work, ignore_errors=True)
    raw = work / "data" / "raw"
    (raw / "decisions" / "screening").mkdir(parents=True)
    shutil.copy(CONFIG, work / "config.yaml")
    write_text("key,stage,decision,reason,resolved_by,date,note\n", raw / "decisions" / "resolutions.csv")
    write_text("key,field,value,source,quote,extractor,note\n", raw / "extraction.csv")
    source = pd.read_csv(SRSR, dtype=str, keep_default_na=False).head(n_records)
    processed = work / "data" / "processed"
    write_table(records_from_benchmark(source, "srsr"), processed / "ingest" / "records.csv")
    config = str(work / "config.yaml")
    p = processed
    screen_files = ("records", "studies", "conflicts", "agreement", "unchecked", "decisions", "resolutions")
    timings = {
        "deduplicate": stage(["deduplicate", "--config", config, "--records", str(p / "ingest/records.csv"),
                              *outputs(p / "deduplicate", "records", "pairs", "maybe", "studies")]),
        "screen": stage(["screen", "--config", config, "--records", str(p / "deduplicate/records.csv"),
                         "--studies", str(p / "deduplicate/studies.csv"),
                         "--resolutions", str(raw / "decisions/resolutions.csv"),
                         *outputs(p / "screen", *screen_files),
                         "--output-queue-title-abstract", str(p / "screen/to_screen_title_abstract.csv"),
                         "--output-queue-full-text", str(p / "screen/to_screen_full_text.csv")]),
        "classify": stage(["classify", "--config", config, "--studies", str(p / "screen/studies.csv"),
                           "--extraction", str(raw / "extraction.csv"),
                           *outputs(p / "classify", "studies", "interventions", "audit", "suggestions")]),
        "prisma": stage(["prisma", "--config", config, "--records", str(p / "screen/records.csv"),
                         "--output-counts", str(p / "prisma/counts.json"),
                         "--output-template", str(p / "prisma/template.csv"),
                         "--output-diagram", str(work / "figures/prisma_flow.svg")]),
        "reconcile": stage(["reconcile", "--config", config, "--tables", "--counts", str(p / "prisma/counts.json"),
                            "--classified", str(p / "classify/studies.csv"), "--studies", str(p / "screen/studies.csv"),
                            "--output-reconciled", str(p / "reconcile/reconcile.csv"),
                            "--output-arithmetic", str(p / "reconcile/arithmetic.csv"),
                            "--output-markdown", str(p / "reconcile/reconcile.md")]),
    }
    return {name: round(seconds, 2) for name, seconds in timings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50000, help="how many srsr records (default 50000)")
    parser.add_argument("--work", type=Path, help="folder for the large review (rebuilt from scratch)")
    parser.add_argument("--shipped", type=Path, help="a finished copy of the shipped review to time the report on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.path.insert(0, str(REPO))
    if args.shipped:
        log.info("%s", json.dumps(time_report(args.shipped, "shipped")))
    if args.work:
        stages = build_large_review(args.work, args.records)
        result = time_report(args.work, f"srsr first {args.records}")
        log.info("%s", json.dumps({**result, "earlier_stages_seconds": stages}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
