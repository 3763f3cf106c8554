"""The screen stage: automation, decisions attached to studies, conflicts, queues, agreement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as col
from pipeline import config, screen
from pipeline.errors import DecisionError

REPO = Path(__file__).resolve().parents[2]
SETTINGS = config.load(REPO / "config.yaml")


def make_records(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deduplicated records and studies from short row dicts (id, study, key, year, duplicate, title)."""
    records = []
    for row in rows:
        record = {name: "" for name in [*col.RECORD_COLUMNS, *col.DEDUP_COLUMNS]}
        record.update({
            col.RECORD_ID: row["id"], col.RECORD_KEY: row.get("key", f"ref:{row['id']}"), col.SOURCE: row.get("source", "medline"),
            col.STUDY_ID: row["study"], col.IS_DUPLICATE: "true" if row.get("duplicate") else "false",
            col.DEDUP_RULE: "same_record_key" if row.get("duplicate") else "", col.YEAR: row.get("year", "2010"),
            col.TITLE: row.get("title", f"Title of {row['id']}"), col.ENTRY_TYPE: row.get("type", "journal_article"),
        })
        records.append(record)
    frame = pd.DataFrame(records)
    kept = frame[frame[col.IS_DUPLICATE] == "false"]
    studies = pd.DataFrame({col.STUDY_ID: kept[col.STUDY_ID], "kept_record_id": kept[col.RECORD_ID],
                            col.TITLE: kept[col.TITLE], col.YEAR: kept[col.YEAR], col.ABSTRACT: ""})
    return frame, studies.reset_index(drop=True)


def decisions(rows: list[tuple], file: str = "data/raw/decisions/screening/ann.csv") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["key", "stage", "decision", "reason", "reviewer"])
    frame["date"] = ""
    frame["note"] = ""
    return screen.validate_decisions(frame, file, SETTINGS, reviewer=Path(file).stem)


RECORDS, STUDIES = make_records([
    {"id": "medline:1", "study": "s1", "key": "ref:a"},
    {"id": "cinahl:1", "study": "s1", "key": "ref:a", "source": "cinahl", "duplicate": True},
    {"id": "medline:2", "study": "s2", "key": "ref:b"},
    {"id": "medline:3", "study": "s3", "key": "ref:c", "year": "1998"},
    {"id": "medline:4", "study": "s4", "key": "ref:d", "year": ""},
    {"id": "medline:5", "study": "s5", "key": "ref:e"},
    {"id": "medline:6", "study": "s6", "key": "ref:f", "type": "thesis"},
    {"id": "medline:7", "study": "s7", "key": "ref:g"},
])


def run(rows: list[tuple], resolutions: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    frame = pd.concat([decisions([r for r in rows if r[4] == who], f"screening/{who}.csv")
                       for who in sorted({r[4] for r in rows})], ignore_index=True) if rows else pd.DataFrame()
    return screen.screen(RECORDS, STUDIES, frame, SETTINGS, resolutions)


def boxes(result: dict[str, pd.DataFrame]) -> dict[str, str]:
    return dict(zip(result["records"][col.RECORD_ID], result["records"][col.PRISMA_BOX]))


def test_every_record_lands_in_exactly_one_box():
    result = run([
        ("ref:a", "full_text", "include", "inc_reviews", "ann"),
        ("ref:b", "title_abstract", "exclude", "exc_primary_trauma", "ann"),
        ("s5", "full_text", "exclude", "exc_book_not_online", "ann"),
        ("ref:g", "full_text", "exclude", "exc_no_intervention", "ann"),
    ])
    assert boxes(result) == {
        "medline:1": "included", "cinahl:1": "duplicate", "medline:2": "ta_excluded", "medline:3": "automation",
        "medline:4": "pending_title_abstract", "medline:5": "not_retrieved", "medline:6": "automation",
        "medline:7": "ft_excluded",
    }
    reasons = dict(zip(result["records"][col.RECORD_ID], result["records"][col.SCREEN_REASON]))
    assert reasons["medline:3"] == "before_2000"
    assert reasons["medline:6"] == "exc_dissertation"
    assert reasons["medline:7"] == "exc_no_intervention"
    assert reasons["cinahl:1"] == "same_record_key"


def test_a_missing_year_is_listed_not_silently_passed():
    unchecked = run([])["unchecked"]
    assert unchecked.to_dict("records") == [{col.STUDY_ID: "s4", "criterion": "before_2000", "note": "no year"}]


def test_full_text_decision_implies_title_abstract_inclusion():
    studies = run([("ref:a", "full_text", "include", "", "ann")])["studies"].set_index(col.STUDY_ID)
    assert studies.loc["s1", "ta_decision"] == "include"
    assert studies.loc["s1", col.PRISMA_BOX] == "included"


def test_disagreement_is_a_conflict_until_resolved():
    rows = [("ref:b", "title_abstract", "include", "", "ann"), ("ref:b", "title_abstract", "exclude", "exc_general_stress", "bob")]
    result = run(rows)
    assert result["conflicts"][[col.STUDY_ID, "stage", "decisions"]].to_dict("records") == [
        {col.STUDY_ID: "s2", "stage": "title_abstract", "decisions": "ann=include; bob=exclude (exc_general_stress)"}]
    assert boxes(result)["medline:2"] == "pending_title_abstract"
    queue = result["queue_title_abstract"].set_index("key")
    assert queue.loc["s2", "needed"] == "a resolution (reviewers disagree)"
    settled = pd.DataFrame([{"key": "s2", "stage": "title_abstract", "decision": "exclude",
                             "reason": "exc_general_stress", "resolved_by": "cat", "date": "2024-01-02", "note": ""}])
    settled = screen.validate_decisions(settled, "resolutions.csv", SETTINGS, resolutions=True)
    assert boxes(run(rows, settled))["medline:2"] == "ta_excluded"


def test_maybe_at_title_abstract_goes_on_to_full_text():
    result = run([("ref:b", "title_abstract", "maybe", "", "ann"), ("ref:b", "title_abstract", "include", "", "bob")])
    assert boxes(result)["medline:2"] == "pending_full_text"
    assert list(result["queue_full_text"]["key"]) == ["s2"]
    assert "s2" not in set(result["queue_title_abstract"]["key"])


def test_agreement_matches_a_hand_computed_kappa():
    # 10 studies: both include 4, both exclude 3, ann include/bob exclude 2, ann exclude/bob include 1.
    ids = [f"x{i}" for i in range(10)]
    records, studies = make_records([{"id": f"m:{i}", "study": s, "key": f"ref:{s}"} for i, s in enumerate(ids)])
    ann = ["include"] * 4 + ["exclude"] * 3 + ["include"] * 2 + ["exclude"]
    bob = ["include"] * 4 + ["exclude"] * 3 + ["exclude"] * 2 + ["include"]
    rows = [(f"ref:{s}", "title_abstract", d, "exc_general_stress" if d == "exclude" else "", who)
            for who, column in (("ann", ann), ("bob", bob)) for s, d in zip(ids, column)]
    frame = pd.concat([decisions([r for r in rows if r[4] == who], f"{who}.csv") for who in ("ann", "bob")])
    agreement = screen.screen(records, studies, frame, SETTINGS)["agreement"].iloc[0]
    # observed 0.7; expected 0.6*0.5 + 0.4*0.5 = 0.5; kappa (0.7-0.5)/(1-0.5) = 0.4; PABAK 2*0.7-1 = 0.4
    assert (agreement["n"], agreement["agree"], agreement["raw_agreement"]) == ("10", "7", "0.7000")
    assert agreement["kappa"] == "0.4000"
    assert agreement["pabak"] == "0.4000"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("ref:a", "full_text", "exclude", "", "ann"), "ann.csv:2: an exclusion needs a reason; use an exclusion criterion id"),
        (("ref:a", "full_text", "exclude", "exc_no_interventon", "ann"),
         "ann.csv:2: unknown criterion 'exc_no_interventon'; did you mean 'exc_no_intervention'?"),
        (("ref:a", "full_text", "exclude", "inc_reviews", "ann"), "'inc_reviews' is an inclusion criterion, not a reason to exclude"),
        (("ref:a", "full_text", "include", "exc_general_stress", "ann"), "'exc_general_stress' is an exclusion criterion but the decision is 'include'"),
        (("ref:a", "title_abstract", "exclude", "exc_book_not_online", "ann"), "applies when a report is sought, not at title_abstract"),
        (("ref:a", "abstract", "include", "", "ann"), "stage 'abstract' is not a screening stage; use one of: title_abstract, full_text"),
        (("ref:a", "full_text", "yes", "", "ann"), "decision 'yes' is not allowed; use one of: include, exclude, maybe"),
        (("", "full_text", "include", "", "ann"), "ann.csv:2: empty key"),
    ],
    ids=["no-reason", "unknown-criterion", "inclusion-as-reason", "exclusion-as-include", "retrieval-at-ta",
         "bad-stage", "bad-decision", "empty-key"],
)
def test_bad_decision_rows_name_file_line_and_fix(row, message):
    with pytest.raises(DecisionError) as caught:
        decisions([row], "ann.csv")
    assert message in caught.value.message


def test_two_rows_for_the_same_key_and_stage_are_an_error():
    rows = [("ref:a", "full_text", "include", "", "ann"), ("ref:a", "full_text", "exclude", "exc_general_stress", "ann")]
    with pytest.raises(DecisionError, match=r"ann.csv:3: reviewer 'ann' decides key 'ref:a' at full_text more than once \(lines 2, 3\)"):
        decisions(rows, "ann.csv")


def test_bad_date_and_missing_columns():
    frame = pd.DataFrame([{"key": "ref:a", "stage": "full_text", "decision": "include", "reason": "",
                           "reviewer": "ann", "date": "31/05/2024", "note": ""}])
    with pytest.raises(DecisionError, match="date '31/05/2024' is not YYYY-MM-DD"):
        screen.validate_decisions(frame, "ann.csv", SETTINGS)
    with pytest.raises(DecisionError, match="ann.csv:1: missing column\\(s\\) decision"):
        screen.validate_decisions(frame.drop(columns=["decision"]), "ann.csv", SETTINGS)


def test_a_key_that_matches_nothing_is_reported():
    with pytest.raises(DecisionError, match="screening/ann.csv:2: key 'ref:zzz' matches no record or study"):
        run([("ref:zzz", "full_text", "include", "", "ann")])


def test_blank_queue_rows_are_not_decisions():
    frame = pd.DataFrame([{"key": "s2", "stage": "title_abstract", "decision": "", "reason": "", "reviewer": "",
                           "date": "", "note": "", "title": "kept from the queue"}])
    assert screen.validate_decisions(frame, "ann.csv", SETTINGS, reviewer="ann").empty


def test_summary_line():
    line = screen.summary(run([("ref:a", "full_text", "include", "", "ann")]))
    assert line.startswith("screen: 7 studies in; excluded 2 (before_2000=1, exc_dissertation=1); included 1; pending 4")
