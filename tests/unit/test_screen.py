"""The screen stage: automation, decisions attached to studies, conflicts, queues, agreement."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as col
from pipeline import config, screen
from pipeline.errors import DecisionError
from pipeline.io import dumps, loads

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "config.yaml").read_text(encoding="utf-8")
SETTINGS = config.parse(SHIPPED)


def make_records(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deduplicated records and studies from short row dicts (id, study, key, year, duplicate, title, ...)."""
    records = []
    for row in rows:
        record = {name: "" for name in [*col.RECORD_COLUMNS, *col.DEDUP_COLUMNS]}
        record.update({
            col.RECORD_ID: row["id"], col.RECORD_KEY: row.get("key", f"ref:{row['id']}"), col.SOURCE: row.get("source", "medline"),
            col.STUDY_ID: row["study"], col.IS_DUPLICATE: "true" if row.get("duplicate") else "false",
            col.DEDUP_RULE: "same_record_key" if row.get("duplicate") else "", col.YEAR: row.get("year", "2010"),
            col.TITLE: row.get("title", f"Title of {row['id']}"), col.ENTRY_TYPE: row.get("type", "journal_article"),
            col.ABSTRACT: row.get("abstract", ""), col.KEYWORDS: dumps(row.get("keywords", [])),
            col.LANGUAGE: row.get("language", "English"),
        })
        records.append(record)
    frame = pd.DataFrame(records)
    kept = frame[frame[col.IS_DUPLICATE] == "false"]
    studies = pd.DataFrame({col.STUDY_ID: kept[col.STUDY_ID], "kept_record_id": kept[col.RECORD_ID],
                            col.TITLE: kept[col.TITLE], col.YEAR: kept[col.YEAR], col.ABSTRACT: kept[col.ABSTRACT]})
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
    assert result["conflicts"][["key", "stage", "decisions"]].to_dict("records") == [
        {"key": "s2", "stage": "title_abstract", "decisions": "ann=include; bob=exclude (exc_general_stress)"}]
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
    with pytest.raises(DecisionError, match="date '31/05/2024' is not a YYYY-MM-DD calendar date"):
        screen.validate_decisions(frame, "ann.csv", SETTINGS)
    # the right shape but no such day: was accepted
    with pytest.raises(DecisionError, match="ann.csv:2: date '2024-02-30' is not a YYYY-MM-DD calendar date; write"):
        screen.validate_decisions(frame.assign(date="2024-02-30"), "ann.csv", SETTINGS)
    assert len(screen.validate_decisions(frame.assign(date="2024-02-29"), "ann.csv", SETTINGS)) == 1
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


# --- automation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("term", "text", "found"), [
    ("secondary trauma*", "Secondary traumatic stress in nurses", True),
    ("secondary trauma*", "secondary-trauma workshops", True),
    ("secondary trauma*", "trauma that is secondary", False),
    ("burnout", "Burnout among staff", True),
    ("burnout", "burnouts counted", False),
    ("train*", "trainees and training", True),
    ("train*", "restraint", False),
    ('"vicarious trauma"', "Vicarious trauma: a review", True),
    ("vicarious trauma", "vicarious traumatization", False),
    ("compassion fatigue", "COMPASSION  FATIGUE", True),
    ("fatigue", "fatigué staff", True),
], ids=["truncated-phrase", "hyphen", "word-order", "word", "no-plural", "truncated-word", "inside-word",
        "quoted-phrase", "phrase-is-not-truncated", "case-and-space", "accents"])
def test_search_terms_match_like_a_database_would(term, text, found):
    assert screen.matches_search(text, screen.concept_patterns(((term,),))) is found


def test_search_string_needs_a_term_of_every_concept():
    groups = screen.concept_patterns(SETTINGS.search.concepts)
    assert screen.matches_search("Burnout training for nurses", groups)
    assert not screen.matches_search("Burnout among nurses", groups)
    assert not screen.matches_search("A training program for nurses", groups)


SEARCH_CRITERION = """  - id: not_found_by_search
    label: Does not match the search string
    kind: exclusion
    stage: automation
    automation: {test: search_string}
"""


def test_search_string_criterion_rechecks_title_abstract_and_keywords():
    settings = config.parse(SHIPPED.replace("criteria:\n", "criteria:\n" + SEARCH_CRITERION, 1))
    records, studies = make_records([
        {"id": "m:1", "study": "title", "title": "Burnout training for nurses"},
        {"id": "m:2", "study": "abstract", "title": "Nurses", "abstract": "A workshop on compassion fatigue."},
        {"id": "m:3", "study": "keywords", "title": "Burnout among nurses", "keywords": ["Intervention studies"]},
        {"id": "m:4", "study": "missed", "title": "Burnout among nurses"},
        {"id": "m:5", "study": "empty", "title": ""},
    ])
    result = screen.screen(records, studies, pd.DataFrame(), settings)
    outcome = result["studies"].set_index(col.STUDY_ID)
    assert outcome.loc["missed", col.PRISMA_BOX] == "automation"
    assert outcome.loc["missed", col.SCREEN_REASON] == "not_found_by_search"
    assert set(outcome.loc[["title", "abstract", "keywords", "empty"], col.PRISMA_BOX]) == {"pending_title_abstract"}
    assert result["unchecked"].to_dict("records") == [
        {col.STUDY_ID: "empty", "criterion": "not_found_by_search", "note": "no title, abstract or keywords"}]


def test_keywords_of_every_record_of_a_study_are_searched():
    settings = config.parse(SHIPPED.replace("criteria:\n", "criteria:\n" + SEARCH_CRITERION, 1))
    records, studies = make_records([
        {"id": "m:1", "study": "s", "title": "Burnout among nurses"},
        {"id": "c:1", "study": "s", "title": "Burnout among nurses", "keywords": ["treatment"], "duplicate": True},
    ])
    result = screen.screen(records, studies, pd.DataFrame(), settings)
    assert result["studies"].loc[0, col.PRISMA_BOX] == "pending_title_abstract"
    assert loads(result["studies"].loc[0, col.KEYWORDS]) == ["treatment"]


@pytest.mark.parametrize(("language", "box"), [
    ("English", "pending_title_abstract"), ("eng", "pending_title_abstract"),
    ("French; English", "pending_title_abstract"), ("fre", "automation"), ("", "pending_title_abstract"),
], ids=["english", "iso-code", "several", "other", "missing"])
def test_the_shipped_english_only_criterion(language, box):
    records, studies = make_records([{"id": "m:1", "study": "s", "language": language}])
    result = screen.screen(records, studies, pd.DataFrame(), SETTINGS)
    assert result["studies"].loc[0, col.PRISMA_BOX] == box
    assert result["studies"].loc[0, col.SCREEN_REASON] == ("not_in_english" if box == "automation" else "")
    assert result["unchecked"].to_dict("records") == (
        [{col.STUDY_ID: "s", "criterion": "not_in_english", "note": "no language"}] if not language else [])


# --- several reviewers: who still owes a decision --------------------------------------------

TEAM = config.parse(SHIPPED + "\nscreening:\n  reviewers: [ann, bob, cat]\n"
                              "  per_record: {title_abstract: 2, full_text: 1}\n")


def run_team(rows: list[tuple]) -> dict[str, pd.DataFrame]:
    frames = [screen.validate_decisions(pd.DataFrame([r for r in rows if r[4] == who],
                                                     columns=["key", "stage", "decision", "reason", "reviewer"]),
                                        f"screening/{who}.csv", TEAM, reviewer=who)
              for who in sorted({r[4] for r in rows})]
    return screen.screen(RECORDS, STUDIES, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), TEAM)


def queue_row(result: dict[str, pd.DataFrame], stage: str, key: str) -> dict:
    queue = result[f"queue_{stage}"].set_index("key")
    return queue.loc[key, ["needed", "waiting_for", "decided_by"]].to_dict()


def test_the_queue_names_who_still_owes_a_decision():
    result = run_team([
        ("ref:b", "title_abstract", "exclude", "exc_general_stress", "ann"),
        ("ref:g", "title_abstract", "include", "", "ann"), ("ref:g", "title_abstract", "include", "", "cat"),
        ("ref:e", "title_abstract", "include", "", "ann"),
        ("ref:e", "title_abstract", "exclude", "exc_primary_trauma", "bob"),
    ])
    assert queue_row(result, "title_abstract", "s2") == {"needed": "1 more decision", "waiting_for": "bob;cat",
                                                         "decided_by": "ann"}
    assert queue_row(result, "title_abstract", "s1") == {"needed": "2 independent decisions",
                                                         "waiting_for": "ann;bob;cat", "decided_by": ""}
    assert queue_row(result, "title_abstract", "s5") == {"needed": "a resolution (reviewers disagree)",
                                                         "waiting_for": screen.RESOLVER, "decided_by": "ann;bob"}
    # two agreeing decisions settle title/abstract; full text needs one more from anyone listed
    assert "s7" not in set(result["queue_title_abstract"]["key"])
    assert queue_row(result, "full_text", "s7") == {"needed": "a decision", "waiting_for": "ann;bob;cat",
                                                    "decided_by": ""}
    boxes = dict(zip(result["studies"][col.STUDY_ID], result["studies"][col.PRISMA_BOX]))
    assert (boxes["s2"], boxes["s7"]) == ("pending_title_abstract", "pending_full_text")


def test_queue_rows_carry_what_a_reviewer_needs_and_read_back_as_blank():
    queue = run([])["queue_title_abstract"]
    assert list(queue.columns) == ["key", "stage", "decision", "reason", "reviewer", "date", "note", "needed",
                                   "waiting_for", "decided_by", col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL,
                                   col.DOI, col.PMID, col.ABSTRACT, "sources", "records", "record_keys",
                                   "rank", "score", "why"]
    assert queue["rank"].tolist() == [str(n) for n in range(1, len(queue) + 1)]
    row = queue.set_index("key").loc["s1"]
    assert (row["sources"], row["record_keys"], row["waiting_for"]) == ("cinahl;medline", "ref:a", "any reviewer")
    assert screen.validate_decisions(queue, "ann.csv", SETTINGS, reviewer="ann").empty


def test_a_reviewer_missing_from_the_team_is_an_error():
    with pytest.raises(DecisionError) as caught:
        run_team([("ref:a", "title_abstract", "include", "", "dan")])
    assert caught.value.message == ("screening/dan.csv:2: reviewer 'dan' is not listed in config.yaml "
                                    "screening.reviewers; add them to screening.reviewers, or name one of: "
                                    "ann, bob, cat")


# --- agreement against an independent implementation ----------------------------------------


def agreement_of(ann: list[str], bob: list[str]) -> pd.Series:
    ids = [f"x{i}" for i in range(len(ann))]
    records, studies = make_records([{"id": f"m:{i}", "study": s, "key": f"ref:{s}"} for i, s in enumerate(ids)])
    rows = [(f"ref:{s}", "title_abstract", d, "exc_general_stress" if d == "exclude" else "", who)
            for who, column in (("ann", ann), ("bob", bob)) for s, d in zip(ids, column)]
    frame = pd.concat([decisions([r for r in rows if r[4] == who], f"{who}.csv") for who in ("ann", "bob")])
    return screen.screen(records, studies, frame, SETTINGS)["agreement"].iloc[0]


THREE_WAY_ANN = ["include"] * 4 + ["exclude"] * 3 + ["maybe", "include", "exclude", "include", "maybe"]
THREE_WAY_BOB = ["include"] * 4 + ["exclude"] * 3 + ["maybe", "exclude", "include", "maybe", "exclude"]


def test_agreement_with_maybe_uses_the_three_by_three_table():
    agreement = agreement_of(THREE_WAY_ANN, THREE_WAY_BOB)
    # observed 8/12; expected (6*5 + 4*5 + 2*2)/144 = 54/144; kappa (96-54)/(144-54) = 42/90; PABAK (3*8/12-1)/2
    assert (agreement["n"], agreement["agree"], agreement["raw_agreement"]) == ("12", "8", "0.6667")
    assert (agreement["kappa"], agreement["pabak"]) == ("0.4667", "0.5000")
    assert loads(agreement["counts"]) == {
        "include|include": 4, "include|exclude": 1, "include|maybe": 1, "exclude|include": 1, "exclude|exclude": 3,
        "exclude|maybe": 0, "maybe|include": 0, "maybe|exclude": 1, "maybe|maybe": 1}


@pytest.mark.parametrize(("ann", "bob"), [
    (["include"] * 4 + ["exclude"] * 3 + ["include"] * 2 + ["exclude"],
     ["include"] * 4 + ["exclude"] * 3 + ["exclude"] * 2 + ["include"]),
    (THREE_WAY_ANN, THREE_WAY_BOB),
    (["include", "exclude"] * 10, ["exclude", "include"] * 10),
    (["exclude"] * 18 + ["include"] * 2, ["exclude"] * 19 + ["include"]),
], ids=["hand-computed-2x2", "with-maybe", "always-disagree", "skewed-prevalence"])
def test_kappa_matches_scikit_learn(ann, bob):
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is a dependency of the pipeline")
    agreement = agreement_of(ann, bob)
    assert float(agreement["kappa"]) == pytest.approx(metrics.cohen_kappa_score(ann, bob), abs=5e-5)
