"""A team screens in the model's order until the stopping rule allows a stop, stops, and the next
run puts the studies nobody screened in PRISMA's automation box with the rule named.

Snakemake runs the fixture review without its screening decisions; one reviewer then decides the
first study of the title/abstract queue as the run ordered it (include the first, exclude the rest),
one run after each decision, as a reviewer in the workbench would between batches, until
``stopping.json`` says stopping is allowed. With ``stop: true`` in the config, the next run counts the
rest as removed by automation, and the report's methods say how screening stopped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from snakemake_runner import copy_review, snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "review"
EXCLUDE = "exc_informal_caregivers"
STOPPING = {"rule": "hypergeometric", "recall_target": 0.5, "confidence": 0.5}


def set_stopping(review: Path, **stopping: object) -> None:
    path = review / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.setdefault("screening", {})["stopping"] = stopping
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def run(review: Path) -> dict:
    result = snakemake(review)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((review / "data/processed/screen/stopping.json").read_text(encoding="utf-8"))


def test_a_team_stops_when_the_rule_allows_and_the_run_counts_the_stopping_box(tmp_path):
    review = copy_review(FIXTURE, tmp_path / "review")
    for path in (review / "data/raw/decisions/screening").glob("*.csv"):
        path.unlink()
    set_stopping(review, **STOPPING)
    state = run(review)
    before = state["screened"]  # decided before any reviewer's file: the fixture's resolution
    queued = len(read_csv(review / "data/processed/screen/to_screen_title_abstract.csv"))
    decided: list[str] = []
    lines = ["key,stage,decision,reason,reviewer,date,note"]
    while not state["allowed"]:
        queue = read_csv(review / "data/processed/screen/to_screen_title_abstract.csv")
        assert [row["rank"] for row in queue] == [str(n) for n in range(1, len(queue) + 1)]
        key = queue[0]["key"]
        lines.append(f"{key},title_abstract,include,,ann,2026-12-04," if not decided else
                     f"{key},title_abstract,exclude,{EXCLUDE},ann,2026-12-04,")
        decided.append(key)
        (review / "data/raw/decisions/screening/ann.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        state = run(review)
        assert len(decided) < queued, "the rule never allowed a stop before the queue was empty"
    left = queued - len(decided)
    assert state["remaining"] == left > 0 and state["screened"] == before + len(decided)

    set_stopping(review, **STOPPING, stop=True)
    state = run(review)
    assert state["stopped"] is True and state["stopped_unscreened"] == left
    assert read_csv(review / "data/processed/screen/to_screen_title_abstract.csv") == []
    counts = json.loads((review / "data/processed/prisma/counts.json").read_text(encoding="utf-8"))
    removed = counts["removed_before_screening"]
    assert removed["automation_by_reason"]["stopping_rule"] >= left  # records: a study may have several
    page = (review / "data/processed/report/index.html").read_text(encoding="utf-8")
    assert "Screening stopped early by the hypergeometric stopping test" in page
