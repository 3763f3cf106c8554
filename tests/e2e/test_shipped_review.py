"""End to end on the shipped review: the 2020 STS rapid review rebuilt from data/raw/.

The committed data/processed/ and figures/ are what `python3 review.py run` produces; a fresh
run in a temporary folder must give the same bytes, and the review's own invariants must hold.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from snakemake_runner import REPO, outputs, snakemake

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shipped") / "review"
    (folder / "data").mkdir(parents=True)
    (folder / "config.yaml").write_bytes((REPO / "config.yaml").read_bytes())
    import shutil

    shutil.copytree(REPO / "data" / "raw", folder / "data" / "raw")
    result = snakemake(folder)
    assert result.returncode == 0, result.stderr[-4000:]
    return folder


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_committed_outputs_are_what_a_fresh_run_gives(review):
    fresh = outputs(review)
    committed = outputs(REPO)
    assert sorted(fresh) == sorted(committed), "rerun `python3 review.py run` and commit data/processed and figures"
    changed = [path for path in fresh if fresh[path] != committed[path]]
    assert not changed, f"outputs differ from the committed ones: {changed}; rerun `python3 review.py run`"


def test_every_raw_record_is_in_exactly_one_prisma_box(review):
    records = rows(review / "data/processed/screen/records.csv")
    ingested = rows(review / "data/processed/ingest/records.csv")
    assert [r["record_id"] for r in records] == [r["record_id"] for r in ingested]
    counts = json.loads((review / "data/processed/prisma/counts.json").read_text())
    assert counts["records_total"] == len(ingested) == sum(counts["boxes"].values())
    assert Counter(r["prisma_box"] for r in records) == {k: v for k, v in counts["boxes"].items() if v}
    assert counts["identification"]["databases_total"] == 340
    assert counts["removed_before_screening"]["duplicates"] + counts["included"]["reports"] == 340


def test_included_studies_per_level_are_the_report_lists(review):
    listed = rows(review / "data/raw/published/levels.csv")
    studies = rows(review / "data/processed/screen/studies.csv")
    classified = {r["study_id"]: r for r in rows(review / "data/processed/classify/studies.csv")}
    study_of_key = {key: s["study_id"] for s in studies for key in s["record_keys"].split(";")}
    assert len(listed) == len(classified) == 126
    for entry in listed:
        study = classified[study_of_key[entry["key"]]]
        assert study["evidence_level"] == entry["level"], entry["citation"]
        assert study["trail"], entry["citation"]
        # every list level is recorded as a reviewer's override; the trail names it and what the rules alone give
        assert study["evidence_rule"] == "override", entry["citation"]
        assert study["trail"].startswith(f"override -> {entry['level']} ("), entry["citation"]
        assert "; rules alone: " in study["trail"], entry["citation"]
        assert json.loads(study["evidence_inputs"])["override"] == entry["level"], entry["citation"]
    assert Counter(s["evidence_level"] for s in classified.values()) == {
        "best": 9, "promising": 44, "emerging": 67, "contraindicated": 6}


def test_reconcile_explains_every_difference_and_finds_the_report_inconsistencies(review):
    reconciled = rows(review / "data/processed/reconcile/reconcile.csv")
    assert all(r["reason"] for r in reconciled if r["status"] != "match")
    by_key = {(r["kind"], r["table"], r["row"], r["column"]): r for r in reconciled}
    assert by_key[("count", "counts", "studies_included", "")]["published"] == "127"
    assert by_key[("count", "counts", "studies_included", "")]["reproduced"] == "126"
    assert by_key[("count", "counts", "records_identified", "")]["published"] == "537"
    assert all(r["status"] == "match" for r in reconciled if r["kind"] == "study_level")
    mismatches = {(r["table"], r["axis"], r["label"], r["printed_total"], r["sum_of_cells"])
                  for r in rows(review / "data/processed/reconcile/arithmetic.csv") if r["status"] == "mismatch"}
    assert mismatches == {
        ("table3_country", "column", "Emerging Practice", "68", "67"),
        ("table3_country", "column", "Total", "127", "126"),
        ("table6_client", "row", "Trauma victims", "7", "8"),
        ("table6_client", "column", "Promising Practice", "44", "45"),
    }


def test_the_rules_as_a_rater_differ_from_the_lists_on_eight_studies_and_each_is_tested(review):
    levels = rows(review / "data/processed/audit/levels.csv")
    differ = sorted(r["study_id"] for r in levels if r["agrees"] == "no")
    assert len(differ) == 8 and sum(r["agrees"] != "" for r in levels) == 54
    assert all(r["trail"].startswith("rules: design ") and " states " in r["trail"]
               for r in levels if r["agrees"] == "no")
    kappas = {r["weights"]: r for r in rows(review / "data/processed/audit/agreement.csv")}
    assert (kappas["none"]["n"], kappas["none"]["agree"], kappas["none"]["kappa"]) == ("54", "46", "0.7913")
    assert kappas["quadratic"]["kappa"] == "0.9130"
    moved = rows(review / "data/processed/audit/robustness.csv")
    assert sorted({r["studies"] for r in moved if ";" not in r["studies"]}) == differ
    verdicts = (review / "data/processed/audit/robustness.md").read_text(encoding="utf-8")
    assert "- intervention_levels: moves under 3 of 8 contested studies" in verdicts
