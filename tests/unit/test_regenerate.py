"""Regenerating the shipped review's tables and figures twice gives byte-identical files.

Each regeneration runs ``python -m pipeline tables`` and ``python -m pipeline figures`` in its own
processes (different hash seeds and SOURCE_DATE_EPOCH, so nothing may depend on set order or the
clock) on a copy of the committed ``data/processed/classify/studies.csv``; the two regenerations
run side by side to keep the test short.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import config

REPO = Path(__file__).resolve().parents[2]
CLASSIFIED = REPO / "data" / "processed" / "classify" / "studies.csv"
RUNS = ("first", "second")
# two processes each draw every figure of the shipped review: the full suite only
pytestmark = pytest.mark.slow


def _environment(seed: str, epoch: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env["PYTHONHASHSEED"] = seed
    env["SOURCE_DATE_EPOCH"] = epoch
    env["MPLBACKEND"] = "Agg"
    return env


def _stage(review: Path, run: str, stage: str) -> list[str]:
    out, settings = review / run, config.load(review / "config.yaml")
    tables = [str(out / "tables" / f"{spec.id}.csv") for spec in settings.tables]
    if stage == "tables":
        return [sys.executable, "-m", "pipeline", "tables", "--config", "config.yaml", "--classified", "studies.csv",
                "--output-tables", *tables, *(f"--output-{name}={out / 'tables' / f'tables.{suffix}'}"
                                              for name, suffix in (("markdown", "md"), ("latex", "tex"),
                                                                   ("workbook", "xlsx")))]
    figures = out / "figures"
    return [sys.executable, "-m", "pipeline", "figures", "--config", "config.yaml", "--classified", "studies.csv",
            "--tables", *tables,
            "--output-pyramid", *(str(figures / f"evidence_pyramid.{fmt}") for fmt in settings.figure_formats),
            "--output-charts", *(str(figures / f"{spec.id}.{fmt}") for spec in settings.tables
                                 for fmt in settings.figure_formats)]


def _run_side_by_side(review: Path, stage: str) -> None:
    environments = {"first": _environment("1", "1000000000"), "second": _environment("2", "1700000000")}
    started = {run: subprocess.Popen(_stage(review, run, stage), cwd=review, env=environments[run],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for run in RUNS}
    for run, process in started.items():
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{stage} ({run} run) failed:\n{stderr[-3000:]}"


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CLASSIFIED.is_file():
        pytest.skip(f"no committed classified studies at {CLASSIFIED}: run `python3 review.py run` first")
    review = tmp_path_factory.mktemp("regenerate")
    (review / "config.yaml").write_bytes((REPO / "config.yaml").read_bytes())
    (review / "studies.csv").write_bytes(CLASSIFIED.read_bytes())
    _run_side_by_side(review, "tables")
    _run_side_by_side(review, "figures")
    return review


def test_tables_and_figures_are_byte_identical_across_runs(regenerated):
    first, second = _files(regenerated / "first"), _files(regenerated / "second")
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, f"regenerated files differ between runs: {differing}"


def test_every_configured_table_and_figure_format_is_written(regenerated):
    settings = config.load(regenerated / "config.yaml")
    assert "pdf" in settings.figure_formats and "pdf" in settings.prisma_formats
    stems = ["evidence_pyramid", *(spec.id for spec in settings.tables)]
    expected = {f"tables/{spec.id}.csv" for spec in settings.tables}
    expected |= {"tables/tables.md", "tables/tables.tex", "tables/tables.xlsx"}
    expected |= {f"figures/{stem}.{fmt}" for stem in stems for fmt in settings.figure_formats}
    written = _files(regenerated / "first")
    assert set(written) == expected
    assert all(len(content) > 0 for content in written.values())


def test_the_interventions_table_is_regenerated_with_its_footnote(regenerated):
    from pipeline import tables

    markdown = (regenerated / "first" / "tables" / "tables.md").read_text(encoding="utf-8")
    assert "Table: Interventions by level of evidence" in markdown
    assert tables.MULTI_VALUED_NOTE in markdown
    header = (regenerated / "first" / "tables" / "interventions.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(f"Total,{tables.PLACED_COLUMN},{tables.STUDIES_COLUMN}")
