"""End to end: the fixture review with two raters, one with a space in its name, run by Snakemake.

Each rater gets a queue file of their own; the classify stage reads the raters' final values; a
second run has nothing to do; a resolution added later reruns only what reads it.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from snakemake_runner import REPO, copy_review, outputs, snakemake

sys.path.insert(0, str(REPO / "tests" / "unit"))
from test_raters import ANN, BOB, JONES, LEE, RESOLUTIONS, SMITH  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = copy_review(REPO / "tests" / "fixtures" / "review", tmp_path_factory.mktemp("raters") / "review")
    (folder / "data/raw/extraction").mkdir()
    (folder / "data/raw/extraction/ann.csv").write_text(ANN, encoding="utf-8")
    (folder / "data/raw/extraction/bob smith.csv").write_text(BOB, encoding="utf-8")
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


def test_each_rater_has_a_queue_and_conflicts_wait_for_a_resolution(review):
    audit = review / "data/processed/audit"
    assert sorted(p.name for p in (audit / "to_extract").iterdir()) == ["ann.csv", "bob smith.csv"]
    assert {r["extractor"] for r in rows(audit / "to_extract/bob smith.csv")} == {"bob smith"}
    conflicts = {(r["study_id"], r["field"]): r["status"] for r in rows(audit / "conflicts.csv")}
    assert conflicts[(JONES, "level")] == "open" and conflicts[(LEE, "level")] == "open"
    classified = {r["study_id"]: r for r in rows(review / "data/processed/classify/studies.csv")}
    assert classified[SMITH]["evidence_rule"] == "override"  # the level both raters give
    # design and level both in open conflict: nothing is guessed, the study waits unclassified
    assert (classified[JONES]["evidence_level"], classified[JONES]["evidence_rule"]) == ("", "unclassified")
    assert classified[LEE]["evidence_rule"] == "design"  # agreed design, open level: the rules decide


def test_a_second_run_has_nothing_to_do_and_a_resolution_reruns_what_reads_it(review):
    before = outputs(review)
    again = snakemake(review, "--dry-run")
    assert "Nothing to be done" in again.stdout + again.stderr
    (review / "data/raw/decisions/extraction_resolutions.csv").write_text(RESOLUTIONS, encoding="utf-8")
    result = snakemake(review, "--dry-run")
    planned = set(re.findall(r"^(?:local)?rule (\w+):", result.stdout + result.stderr, flags=re.MULTILINE))
    assert {"classify", "audit"} <= planned and "screen" not in planned
    assert snakemake(review).returncode == 0
    classified = {r["study_id"]: r for r in rows(review / "data/processed/classify/studies.csv")}
    assert (classified[JONES]["evidence_level"], classified[JONES]["evidence_rule"]) == ("promising", "override")
    assert outputs(review) != before
