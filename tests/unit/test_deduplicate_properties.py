"""Properties of deduplicate over generated record sets (Hypothesis).

Records are variants of a few look-alike studies (case, punctuation, notes in brackets, a year
off by one or more, DOI present or not, pages and issues that agree or not), so that every rule
gets exercised, with an optional human decision or two.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from suite import examples
from test_deduplicate import SETTINGS, decisions_frame, make_records

from pipeline import columns as col
from pipeline.dedup.match import RULE_BY_ID
from pipeline.deduplicate import deduplicate

STUDIES = [
    {"title": "Mindfulness training for hospice nurses: a randomised trial", "authors": [["Smith", "J."]],
     "year": 2015, "doi": "10.1000/mind.1", "journal": "J Hosp Nurs", "volume": "4", "issue": "2", "pages": "10-20"},
    {"title": "Erratum: Mindfulness training for hospice nurses: a randomised trial", "authors": [["Smith", "J."]],
     "year": 2015, "doi": "", "journal": "J Hosp Nurs", "volume": "4", "issue": "3", "pages": "99"},
    {"title": "Self-care for trauma therapists, part I: evidence", "authors": [["Figley", "C."]], "year": 2002,
     "doi": "", "journal": "Traumatology", "volume": "8", "issue": "1", "pages": "1-12"},
    {"title": "Self-care for trauma therapists, part II: evidence", "authors": [["Figley", "C."]], "year": 2002,
     "doi": "", "journal": "Traumatology", "volume": "8", "issue": "1", "pages": "13-24"},
    {"title": "Editor's comments", "authors": [["Weber", "R."]], "year": 2002, "doi": "", "journal": "MIS Quarterly",
     "volume": "26", "issue": "1", "pages": ""},
    {"title": "Secondary traumatic stress among child welfare workers", "authors": [["Bride", "B. E."]],
     "year": 2007, "doi": "10.1000/sts.7", "journal": "Child Welfare", "volume": "86", "issue": "6", "pages": "5-21"},
]

TITLE_STYLES = [lambda t: t, str.upper, lambda t: t + ".", lambda t: t + " [Review]", lambda t: t.replace(":", " -")]


@st.composite
def record(draw: st.DrawFn, number: int) -> dict:
    study = dict(STUDIES[draw(st.integers(0, len(STUDIES) - 1))])
    style = TITLE_STYLES[draw(st.integers(0, len(TITLE_STYLES) - 1))]
    year = study["year"] + draw(st.sampled_from([0, 0, 0, 1, 3]))
    fields = {
        "record_id": f"{draw(st.sampled_from(['medline', 'cinahl', 'psycinfo']))}:{number}",
        "title": style(study["title"]),
        "authors": study["authors"] if draw(st.booleans()) else study["authors"] + [["Ng", "T."]],
        "year": str(year) if draw(st.integers(0, 9)) else "",
        "doi": study["doi"] if draw(st.booleans()) else "",
        "journal": study["journal"],
        "volume": study["volume"],
        "issue": draw(st.sampled_from([study["issue"], study["issue"], "", "7"])),
        "pages": study["pages"] if draw(st.booleans()) else "",
    }
    if draw(st.booleans()):
        fields["abstract"] = "Background: ..."
    return fields


@st.composite
def record_sets(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    numbers = draw(st.lists(st.integers(1, 999), min_size=1, max_size=10, unique=True))
    records = make_records([draw(record(number)) for number in numbers])
    keys = records[col.RECORD_KEY].tolist()
    decided: dict[frozenset[str], tuple[str, str, str]] = {}
    for _ in range(draw(st.integers(0, 2))):
        first, second = draw(st.integers(0, len(keys) - 1)), draw(st.integers(0, len(keys) - 1))
        pair = frozenset((keys[first], keys[second]))
        if len(pair) == 2 and pair not in decided:
            decided[pair] = (keys[first], keys[second], draw(st.sampled_from(["same", "different"])))
    return records, decisions_frame(list(decided.values())) if decided else None


def by_record(records_out: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    columns = [col.RECORD_ID, *col.DEDUP_COLUMNS]
    return {row[0]: tuple(row[1:]) for row in records_out[columns].itertuples(index=False)}


# derandomize: the same examples on every run; database=None: nothing written outside tmp_path
PROPERTY_SETTINGS = settings(max_examples=examples(50), deadline=None, derandomize=True, database=None)


@PROPERTY_SETTINGS
@given(record_sets(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(case: tuple[pd.DataFrame, pd.DataFrame | None], shuffler) -> None:
    records, decisions = case
    order = list(range(len(records)))
    shuffler.shuffle(order)
    first = deduplicate(records, SETTINGS, decisions)
    second = deduplicate(records.iloc[order].reset_index(drop=True), SETTINGS, decisions)
    assert by_record(first[0]) == by_record(second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    pd.testing.assert_frame_equal(first[2], second[2])


@PROPERTY_SETTINGS
@given(record_sets())
def test_rerun_on_its_own_output_gives_the_same_clusters(case: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
    records, decisions = case
    records_out = deduplicate(records, SETTINGS, decisions)[0]
    again = deduplicate(records_out.drop(columns=col.DEDUP_COLUMNS), SETTINGS, decisions)[0]
    assert by_record(again) == by_record(records_out)


@PROPERTY_SETTINGS
@given(record_sets())
def test_clusters_partition_the_records(case: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
    records, decisions = case
    records_out, pairs, studies = deduplicate(records, SETTINGS, decisions)
    assert records_out[col.STUDY_ID].str.len().min() > 0
    listed = [record_id for ids in studies["record_ids"] for record_id in ids.split(";")]
    assert sorted(listed) == sorted(records[col.RECORD_ID])
    assert studies[col.STUDY_ID].is_unique
    assert set(studies[col.STUDY_ID]) == set(records_out[col.STUDY_ID])
    assert studies["n_records"].astype(int).sum() == len(records)
    kept = records_out[records_out[col.IS_DUPLICATE] == "false"]
    assert kept[col.STUDY_ID].is_unique and len(kept) == len(studies)
    assert set(kept[col.RECORD_ID]) == set(studies["kept_record_id"])


@PROPERTY_SETTINGS
@given(record_sets())
def test_pairs_agree_with_the_clusters(case: tuple[pd.DataFrame, pd.DataFrame | None]) -> None:
    records, decisions = case
    records_out, pairs, _ = deduplicate(records, SETTINGS, decisions)
    study = dict(zip(records_out[col.RECORD_ID], records_out[col.STUDY_ID]))
    has_human_same = decisions is not None and (decisions["decision"] == "same").any()
    for first, second, outcome, rule in pairs[["record_id_a", "record_id_b", "outcome", "rule"]].itertuples(index=False):
        assert first < second
        if outcome == col.PairOutcome.DUPLICATE.value:
            assert study[first] == study[second], (first, second, rule)
        if rule == "human_different" or (rule in RULE_BY_ID and RULE_BY_ID[rule].veto and not has_human_same):
            assert study[first] != study[second], (first, second, rule)
    for record_id, joined_with in zip(records_out[col.RECORD_ID], records_out[col.DEDUP_WITH]):
        if joined_with:
            assert study[joined_with] == study[record_id]
