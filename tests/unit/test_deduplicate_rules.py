"""Every named rule against the curated cases in tests/cases/dedup_*.json.

A pair case says which rule must decide the pair; near-miss cases sit just outside a rule and
must be decided by another. Every rule needs at least one case where it fires, and every
duplicate or veto rule at least one near miss, so a new rule arrives with its cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_deduplicate import SETTINGS, decisions_frame, make_records

from pipeline import columns as col
from pipeline.dedup.cluster import TRANSITIVE_VETO
from pipeline.dedup.match import RULES
from pipeline.deduplicate import deduplicate

CASES = Path(__file__).resolve().parents[1] / "cases"
PAIR_FILES = ("dedup_duplicates.json", "dedup_non_duplicates.json")
HUMAN_RULES = {rule.id for rule in RULES if rule.human}


def load(name: str) -> list[dict]:
    return json.loads((CASES / name).read_text(encoding="utf-8"))["cases"]


PAIR_CASES = [case for name in PAIR_FILES for case in load(name)]
CLUSTER_CASES = load("dedup_clusters.json")


@pytest.mark.parametrize("case", PAIR_CASES, ids=[case["id"] for case in PAIR_CASES])
def test_pair_case_is_decided_by_its_rule(case: dict) -> None:
    records = make_records(case["records"])
    keys = records[col.RECORD_KEY].tolist()
    decisions = decisions_frame([(keys[0], keys[1], case["decision"])]) if "decision" in case else None
    records_out, pairs, _ = deduplicate(records, SETTINGS, decisions)
    assert len(pairs) == 1, "blocking did not pair the two records"
    assert (pairs["rule"].iloc[0], pairs["outcome"].iloc[0]) == (case["rule"], case["outcome"])
    same_study = records_out[col.STUDY_ID].nunique() == 1
    assert same_study == (case["outcome"] == col.PairOutcome.DUPLICATE.value)


@pytest.mark.parametrize("case", PAIR_CASES, ids=[case["id"] for case in PAIR_CASES])
def test_pair_case_does_not_depend_on_record_order(case: dict) -> None:
    records = make_records(case["records"])
    swapped = records.assign(**{col.RECORD_ID: records[col.RECORD_ID].iloc[::-1].to_numpy()})
    keys = records[col.RECORD_KEY].tolist()
    decisions = decisions_frame([(keys[1], keys[0], case["decision"])]) if "decision" in case else None
    pairs = deduplicate(swapped, SETTINGS, decisions)[1]
    assert (pairs["rule"].iloc[0], pairs["outcome"].iloc[0]) == (case["rule"], case["outcome"])


def test_every_rule_has_a_case_where_it_fires() -> None:
    fired = {case["rule"] for case in PAIR_CASES} | {
        rule for case in CLUSTER_CASES for *_, rule in case["pairs"]}
    assert {rule.id for rule in RULES} | {TRANSITIVE_VETO} <= fired


def test_every_duplicate_and_veto_rule_has_a_near_miss() -> None:
    near_misses = {case["near_miss_of"] for case in PAIR_CASES if "near_miss_of" in case}
    decisive = {rule.id for rule in RULES
                if not rule.human and (rule.veto or rule.outcome == col.PairOutcome.DUPLICATE)}
    assert decisive <= near_misses
    for case in PAIR_CASES:
        if "near_miss_of" in case:
            assert case["near_miss_of"] != case["rule"], case["id"]


def test_human_rules_only_fire_with_a_decision() -> None:
    for case in PAIR_CASES:
        assert (case["rule"] in HUMAN_RULES) == ("decision" in case), case["id"]


@pytest.mark.parametrize("case", CLUSTER_CASES, ids=[case["id"] for case in CLUSTER_CASES])
def test_cluster_case(case: dict) -> None:
    records = make_records(case["records"])
    ids, keys = records[col.RECORD_ID].tolist(), records[col.RECORD_KEY].tolist()
    decisions = decisions_frame([(keys[a], keys[b], decision) for a, b, decision in case.get("decisions", [])])
    records_out, pairs, studies = deduplicate(records, SETTINGS, decisions if len(decisions) else None)
    clusters = {frozenset(group) for group in records_out.groupby(col.STUDY_ID)[col.RECORD_ID].agg(list)}
    assert clusters == {frozenset(ids[index] for index in group) for group in case["clusters"]}
    decided = {(a, b): (outcome, rule) for a, b, outcome, rule in
               pairs[["record_id_a", "record_id_b", "outcome", "rule"]].itertuples(index=False)}
    for a, b, outcome, rule in case["pairs"]:
        assert decided[(ids[a], ids[b])] == (outcome, rule), (ids[a], ids[b])
    assert len(studies) == len(case["clusters"])
