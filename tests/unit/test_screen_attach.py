"""Decisions attach to exactly one study: through merges, splits and new exports, never fanned out.

Each case runs the real stages (read a CSV export, ingest, deduplicate, screen) on a few records,
with the tables passed through CSV as the workflow passes them.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from pipeline import columns as col
from pipeline import classify, config, deduplicate, formats, ingest, screen
from pipeline.errors import DecisionError
from pipeline.io import read_table, write_table

SETTINGS = config.parse("""
sources:
  - {id: search, path: data/raw/exports/search.csv}
criteria:
  - {id: exc_topic, label: Off topic, kind: exclusion, stage: title_abstract}
  - {id: exc_design, label: Not a trial, kind: exclusion, stage: full_text}
""")
HEADER = ["id", "title", "authors", "year", "journal", "PMID", "abstract"]
TRIAL = ["1", "Mindfulness training for hospice nurses: a randomised trial", "Seo, H. J.", "2019",
         "J Nurs", "", "Nurses were randomised."]
TRIAL_AGAIN = ["2", "Mindfulness training for hospice nurses", "Seo, H. J.", "2019", "J Nurs", "31000001",
               "Nurses were randomised."]
OTHER = ["3", "Burnout in emergency physicians", "Park, E.-J.", "2020", "Emerg Med", "31000002", "A survey."]


def stages(rows: list[list[str]], tmp_path, duplicates: list[dict] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deduplicated records and studies of a CSV export holding ``rows``, read back from CSV."""
    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in [HEADER, *rows]) + "\n"
    records = ingest.ingest([formats.read_export(text.encode(), file="data/raw/exports/search.csv", source="search")])
    decisions = pd.DataFrame(duplicates, columns=col.DUPLICATE_DECISION_COLUMNS).fillna("") if duplicates else None
    records_out, _, studies = deduplicate.deduplicate(records, SETTINGS.dedup, decisions)
    write_table(records_out, tmp_path / "records.csv")
    write_table(studies, tmp_path / "studies.csv")
    return read_table(tmp_path / "records.csv"), read_table(tmp_path / "studies.csv")


def decide(rows: list[tuple[str, str, str, str]], reviewer: str = "ann") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["key", "stage", "decision", "reason"]).assign(reviewer="", date="", note="")
    return screen.validate_decisions(frame, f"data/raw/decisions/screening/{reviewer}.csv", SETTINGS, reviewer=reviewer)


def study_of(records: pd.DataFrame, record_id: str) -> str:
    return records.set_index(col.RECORD_ID).loc[record_id, col.STUDY_ID]


def key_of(records: pd.DataFrame, record_id: str) -> str:
    return records.set_index(col.RECORD_ID).loc[record_id, col.RECORD_KEY]


def test_a_decision_by_study_id_follows_its_study_into_a_settled_maybe_pair(tmp_path, caplog):
    records, studies = stages([TRIAL, TRIAL_AGAIN, OTHER], tmp_path)
    first = study_of(records, "search:1")
    assert first != study_of(records, "search:2")  # two studies until a reviewer says otherwise
    decision = decide([(first, "title_abstract", "exclude", "exc_topic")])
    same = [{"record_key_a": key_of(records, "search:1"), "record_key_b": key_of(records, "search:2"),
             "decision": "same", "reviewer": "ann", "note": ""}]
    records, studies = stages([TRIAL, TRIAL_AGAIN, OTHER], tmp_path, same)
    merged = study_of(records, "search:1")
    assert merged == study_of(records, "search:2") != first  # the merged study took the PMID's id
    with caplog.at_level(logging.INFO, logger="pipeline.screen"):
        result = screen.screen(records, studies, decision, SETTINGS)
    outcome = result["studies"].set_index(col.STUDY_ID).loc[merged]
    assert (outcome[col.SCREEN_DECISION], outcome[col.SCREEN_REASON]) == ("excluded", "exc_topic")
    assert f"study '{first}' is now part of study '{merged}'" in caplog.text
    assert "ann.csv:2" in caplog.text


def test_a_decision_by_an_earlier_id_follows_the_record_it_was_made_from_when_a_study_is_split(tmp_path):
    same = [{"record_key_a": key_of(stages([TRIAL, TRIAL_AGAIN], tmp_path)[0], "search:1"),
             "record_key_b": "pmid:31000001", "decision": "same", "reviewer": "ann", "note": ""}]
    records, _ = stages([TRIAL, TRIAL_AGAIN], tmp_path, same)
    merged = study_of(records, "search:1")
    decision = decide([(merged, "title_abstract", "include", "")])
    split = [{**same[0], "decision": "different"}]
    records, studies = stages([TRIAL, TRIAL_AGAIN], tmp_path, split)
    assert study_of(records, "search:1") != study_of(records, "search:2")
    result = screen.screen(records, studies, decision, SETTINGS)
    decided = result["studies"].set_index(col.STUDY_ID)["ta_decision"]
    # the id was made from the PMID record, so the decision stays with that record's study
    assert decided[study_of(records, "search:2")] == "include"
    assert decided[study_of(records, "search:1")] == "pending"


def test_a_key_naming_records_of_several_studies_is_an_error_not_a_silent_fan_out(tmp_path):
    untitled = [[str(n), "", "", "", "", "", f"Abstract number {n} about something else."] for n in (1, 2, 3)]
    records, studies = stages(untitled, tmp_path)
    shared = key_of(records, "search:1")
    assert set(records[col.RECORD_KEY]) == {shared} and records[col.STUDY_ID].nunique() == 3
    with pytest.raises(DecisionError) as caught:
        screen.screen(records, studies, decide([(shared, "title_abstract", "exclude", "exc_topic")]), SETTINGS)
    message = caught.value.message
    assert message.startswith(f"data/raw/decisions/screening/ann.csv:2: key '{shared}' names 3 records that are "
                              "3 different studies: search:1 (study ")
    for record_id in ("search:1", "search:2", "search:3"):
        assert f"{record_id} (study {study_of(records, record_id)})" in message
    assert "decide each study by its study_id instead" in message


def test_one_reviewer_deciding_a_study_by_study_id_and_by_record_key_the_same_way_counts_once(tmp_path, caplog):
    records, studies = stages([TRIAL_AGAIN, OTHER], tmp_path)
    study = study_of(records, "search:2")
    rows = [(study, "full_text", "exclude", "exc_design"), ("pmid:31000001", "full_text", "exclude", "exc_design")]
    with caplog.at_level(logging.WARNING, logger="pipeline.screen"):
        result = screen.screen(records, studies, decide(rows), SETTINGS)
    assert result["conflicts"].empty
    outcome = result["studies"].set_index(col.STUDY_ID).loc[study]
    assert (outcome[col.SCREEN_DECISION], outcome["ft_reviewers"]) == ("excluded", "ann")
    assert "counted once" in caplog.text


def test_one_reviewer_deciding_a_study_twice_differently_is_a_duplicate_decision_not_a_conflict(tmp_path):
    records, studies = stages([TRIAL_AGAIN, OTHER], tmp_path)
    study = study_of(records, "search:2")
    rows = [(study, "full_text", "include", ""), ("pmid:31000001", "full_text", "exclude", "exc_design")]
    with pytest.raises(DecisionError) as caught:
        screen.screen(records, studies, decide(rows), SETTINGS)
    assert caught.value.message == (
        f"data/raw/decisions/screening/ann.csv:3: reviewer 'ann' decides study '{study}' at full_text more than "
        f"once, differently (data/raw/decisions/screening/ann.csv:2 key '{study}': include; "
        "data/raw/decisions/screening/ann.csv:3 key 'pmid:31000001': exclude (exc_design)); the keys name the "
        "same study; keep one of these rows")


def test_queue_rows_say_which_records_a_study_is(tmp_path):
    untitled = ["4", "", "Kim, S.", "2018", "Ann Intern Med", "31000004", ""]
    records, studies = stages([TRIAL_AGAIN, untitled], tmp_path)
    queue = screen.screen(records, studies, decide([]), SETTINGS)["queue_title_abstract"].set_index("key")
    row = queue.loc[study_of(records, "search:2")]
    assert row[[col.TITLE, col.AUTHORS, col.YEAR, col.JOURNAL, col.PMID, "sources", "records"]].tolist() == [
        "Mindfulness training for hospice nurses", "Seo, H. J.", "2019", "J Nurs", "31000001", "search",
        "search:2 (search.csv line 2)"]
    assert queue.loc[study_of(records, "search:4"), col.TITLE] == screen.NO_TITLE


def test_maybe_passes_title_abstract_and_keeps_a_study_in_the_full_text_queue(tmp_path):
    records, studies = stages([TRIAL_AGAIN, OTHER], tmp_path)
    study = study_of(records, "search:2")
    rows = [(study, "title_abstract", "maybe", ""), (study, "full_text", "maybe", "")]
    result = screen.screen(records, studies, decide(rows), SETTINGS)
    outcome = result["studies"].set_index(col.STUDY_ID).loc[study]
    assert (outcome["ta_decision"], outcome[col.PRISMA_BOX]) == ("include", "pending_full_text")
    waiting = result["queue_full_text"].set_index("key").loc[study]
    assert waiting["needed"].startswith("include or exclude: the study was 'maybe' at full text")
    assert waiting["waiting_for"] == "ann"


def test_an_extracted_value_keyed_by_an_earlier_study_id_follows_the_study_too(tmp_path, caplog):
    records, _ = stages([TRIAL, TRIAL_AGAIN], tmp_path)
    first = study_of(records, "search:1")
    same = [{"record_key_a": key_of(records, "search:1"), "record_key_b": "pmid:31000001", "decision": "same",
             "reviewer": "ann", "note": ""}]
    records, studies = stages([TRIAL, TRIAL_AGAIN], tmp_path, same)
    merged = study_of(records, "search:1")
    screened = screen.screen(records, studies, decide([(merged, "full_text", "include", "")]), SETTINGS)["studies"]
    assert first in screened.set_index(col.STUDY_ID).loc[merged, col.EARLIER_IDS].split(";")
    extraction = pd.DataFrame([{"key": first, "field": "design", "value": "rct", "source": "", "quote": "",
                                "extractor": "ann", "note": ""}])
    with caplog.at_level(logging.INFO, logger="pipeline.classify"):
        rows = classify.validate_extraction(extraction, screened, SETTINGS.hierarchy, "data/raw/extraction.csv")
    assert rows[col.STUDY_ID].tolist() == [merged]
    assert f"data/raw/extraction.csv:2: study '{first}' is now part of study '{merged}'" in caplog.text


def test_a_study_of_one_record_has_no_earlier_id(tmp_path):
    """Guards the formula shared with deduplicate: a record's own id is its lone study's id."""
    records, studies = stages([TRIAL_AGAIN, OTHER, ["5", "", "", "", "", "", "No title"]], tmp_path)
    screened = screen.screen(records, studies, decide([]), SETTINGS)["studies"]
    assert len(screened) == 3 and screened[col.EARLIER_IDS].tolist() == ["", "", ""]
