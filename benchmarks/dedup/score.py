"""Record-level scoring of predicted duplicate clusters against a benchmark's true groups.

As in bib-dedupe's evaluation, one record is kept per predicted cluster and the rest are removed:

- FP: distinct studies wrongly removed; a predicted cluster holding records of k true studies
  loses k - 1 of them (counted whichever record is kept, so the score does not depend on it);
- TP: removed records that were true duplicates (removed - FP);
- FN: extra copies left in (true duplicates - TP), true duplicates being records - true studies.

Both tools are scored by this one function from their clusters alone.
"""

from __future__ import annotations

from collections.abc import Iterable


def score(clusters: Iterable[Iterable[str]], true_groups: Iterable[Iterable[str]], ids: Iterable[str]) -> dict:
    """TP, FP, FN, sensitivity, precision and F1 of ``clusters`` (predicted groups of record ids,
    singletons may be left out) against ``true_groups`` over all record ``ids``."""
    true_study = {record: f"group:{number}" for number, group in enumerate(true_groups) for record in group}
    all_ids = list(ids)
    studies = {true_study.get(record, f"alone:{record}") for record in all_ids}
    duplicates = len(all_ids) - len(studies)
    removed = false_positives = 0
    for group in clusters:
        members = list(group)
        removed += len(members) - 1
        false_positives += len({true_study.get(record, f"alone:{record}") for record in members}) - 1
    true_positives = removed - false_positives
    false_negatives = duplicates - true_positives
    sensitivity = true_positives / duplicates if duplicates else 1.0
    precision = true_positives / removed if removed else 1.0
    f1 = 2 * precision * sensitivity / (precision + sensitivity) if precision + sensitivity else 0.0
    return {"records": len(all_ids), "true_duplicates": duplicates, "tp": true_positives, "fp": false_positives,
            "fn": false_negatives, "sensitivity": sensitivity, "precision": precision, "f1": f1}


def pooled(results: Iterable[dict]) -> dict:
    """The counts of several sets added up, with sensitivity, precision and F1 over the sums."""
    totals = {"records": 0, "true_duplicates": 0, "tp": 0, "fp": 0, "fn": 0}
    for result in results:
        for name in totals:
            totals[name] += result[name]
    sensitivity = totals["tp"] / totals["true_duplicates"] if totals["true_duplicates"] else 1.0
    removed = totals["tp"] + totals["fp"]
    precision = totals["tp"] / removed if removed else 1.0
    f1 = 2 * precision * sensitivity / (precision + sensitivity) if precision + sensitivity else 0.0
    return {**totals, "sensitivity": sensitivity, "precision": precision, "f1": f1}
