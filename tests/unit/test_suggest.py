"""Unit tests for pipeline.suggest: the phrase table, its order, and the suggestions it gives."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from pipeline import columns as col
from pipeline import config
from pipeline import suggest as sg
from pipeline.config import Design, Hierarchy, Level
from pipeline.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hierarchy() -> Hierarchy:
    return config.load(REPO / "config.yaml").hierarchy


def studies(*rows: dict[str, str]) -> pd.DataFrame:
    """Studies s1, s2, ... with the given text fields (others absent unless named)."""
    return pd.DataFrame([{col.STUDY_ID: f"s{n}", **row} for n, row in enumerate(rows, start=1)], dtype=str)


def suggestion(hierarchy: Hierarchy, **fields: str) -> dict[str, str]:
    return sg.suggest_designs(studies(fields), hierarchy).iloc[0].to_dict()


# --- the phrase table ---------------------------------------------------------------------------


def test_rule_ids_are_unique_and_fields_known():
    ids = [rule.id for rule in sg.SUGGESTION_RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.fields and set(rule.fields) <= set(sg.ALL_FIELDS) for rule in sg.SUGGESTION_RULES)
    assert all(rule.examples and rule.why for rule in sg.SUGGESTION_RULES)


def test_every_rule_suggests_a_design_of_the_shipped_vocabulary(hierarchy):
    vocabulary = {design.id for design in hierarchy.designs}
    assert {rule.design for rule in sg.SUGGESTION_RULES} <= vocabulary


def test_every_report_methodology_category_can_be_suggested(hierarchy):
    assert {rule.design for rule in sg.SUGGESTION_RULES} == {design.id for design in hierarchy.designs}


EXAMPLES = [(rule, example) for rule in sg.SUGGESTION_RULES for example in rule.examples]


@pytest.mark.parametrize("rule, example", EXAMPLES, ids=[f"{rule.id}:{example}" for rule, example in EXAMPLES])
def test_every_rule_matches_its_documented_examples(rule, example):
    field = col.TITLE if col.TITLE in rule.fields else rule.fields[0]
    text = json.dumps([example]) if field in sg.LIST_FIELDS else example
    found = sg.suggest_one({field: text}, [rule])
    assert found is not None and found.rule == rule.id


# --- suggestions --------------------------------------------------------------------------------

CASES = [
    ({"title": "Secondary traumatization in first responders: a systematic review."},
     ("systematic_review", "systematic review", "title", "systematic_review")),
    ({"title": "Meta-analysis of risk factors for secondary traumatic stress"},
     ("systematic_review", "Meta-analysis", "title", "meta_analysis")),
    ({"title": "A systematic review of randomized controlled trials of debriefing"},
     ("systematic_review", "systematic review", "title", "systematic_review")),
    ({"title": "Mindfulness for nurses: A non-randomized controlled trial"},
     ("quasi_experiment", "non-randomized", "title", "non_randomised")),
    ({"title": "A pilot randomised controlled trial of Reiki"},
     ("rct", "randomised controlled trial", "title", "randomised_trial")),
    ({"title": "An intervention for nurses following war and terror: A random control group trial"},
     ("rct", "random control group trial", "title", "randomised_trial")),
    ({"title": "A Brief Intervention for Nurses: A Controlled Trial."},
     ("quasi_experiment", "Controlled Trial", "title", "quasi_experiment")),
    ({"title": "A Pilot Study Examining the Impact of a Support Program"},
     ("one_group_pre_post", "Pilot", "title", "pilot")),
    ({"title": "Effects of a workshop: a pretest-posttest evaluation"},
     ("one_group_pre_post", "pretest-posttest", "title", "pre_post")),
    ({"title": "The prevalence of secondary traumatic stress among social workers"},
     ("cross_sectional_survey", "prevalence", "title", "cross_sectional")),
    ({"title": "Predictors of STS among forensic interviewers"},
     ("cross_sectional_survey", "Predictors", "title", "cross_sectional")),
    ({"title": "The impact of trauma work: A metasynthesis"},
     ("realist_review", "metasynthesis", "title", "metasynthesis")),
    ({"title": "Exposure to trauma in human service work: A scoping review"},
     ("realist_review", "scoping review", "title", "named_review")),
    ({"title": "Compassion in Palliative Care: A Review."},
     ("realist_review", "Review", "title", "review")),
    ({"title": "Vicarious trauma and first responders: a case study utilizing EMDR"},
     ("case_study", "case study", "title", "case_study")),
    ({"title": "Reflections on the Emotional Hazards of Nursing"},
     ("opinion", "Reflections", "title", "opinion")),
    ({"title": "Secondary trauma among researchers: Lessons from the field."},
     ("program_description", "Lessons from the field", "title", "program_description")),
    ({"title": "Burnout in therapists", "publication_types": '["Journal Article", "Randomized Controlled Trial"]'},
     ("rct", "Randomized Controlled Trial", "publication_types", "randomised_trial")),
    ({"title": "Burnout in therapists", "publication_types": '["Journal Article", "Editorial"]'},
     ("opinion", "Editorial", "publication_types", "opinion_type")),
    ({"title": "Burnout in nurses: a systematic review", "publication_types": '["Review"]'},
     ("systematic_review", "systematic review", "title", "systematic_review")),
    ({"title": "Burnout in nurses", "keywords": '["burnout", "Qualitative research"]'},
     ("qualitative_interviews", "Qualitative", "keywords", "qualitative")),
    ({"title": "Burnout among forensic interviewers", "abstract": "Nurses were randomly assigned to two arms."},
     ("rct", "randomly assigned", "abstract", "randomised_trial")),
    ({"title": "Debriefing nurses: a randomized trial",
      "abstract": "Earlier systematic reviews found little evidence."},
     ("rct", "randomized trial", "title", "randomised_trial")),
    ({"title": "Compassion fatigue: key insights", "abstract": ""}, ("", "", "", "")),
    ({"title": "Burnout", "publication_types": "Journal Article; Case Reports"},
     ("case_study", "Case Reports", "publication_types", "case_study")),
]
CASE_IDS = [
    "systematic-review", "meta-analysis", "review-of-trials-is-a-review", "non-randomised-before-randomised",
    "pilot-rct-is-rct", "random-control-group-trial", "controlled-trial-not-randomised", "pilot", "pretest-posttest",
    "prevalence", "predictors", "metasynthesis", "scoping-review", "bare-review-last", "case-study", "reflections",
    "lessons-from-the-field", "medline-pt-rct", "medline-pt-editorial", "title-beats-generic-pt-review",
    "keywords", "abstract-when-nothing-else", "declared-fields-before-abstract", "nothing-matches",
    "publication-types-not-json",
]


@pytest.mark.parametrize("fields, expected", CASES, ids=CASE_IDS)
def test_suggestions(hierarchy, fields, expected):
    found = suggestion(hierarchy, **fields)
    assert (found["suggested_design"], found["matched_phrase"], found["matched_field"],
            found["suggestion_rule"]) == expected


def test_output_columns_order_and_absent_text_columns(hierarchy):
    frame = studies({"title": "A Review"}, {"title": "nothing"})
    result = sg.suggest_designs(frame.iloc[::-1], hierarchy)
    assert list(result.columns) == ["study_id", "suggested_design", "matched_phrase", "matched_field",
                                    "suggestion_rule"]
    assert result.values.tolist() == [["s1", "realist_review", "Review", "title", "review"],
                                      ["s2", "", "", "", ""]]


def test_missing_cells_and_whitespace(hierarchy):
    frame = pd.DataFrame({col.STUDY_ID: ["s1", "s2"], col.TITLE: ["A  systematic\nreview", None],
                          col.ABSTRACT: [None, "a  case\tstudy"]})
    result = sg.suggest_designs(frame, hierarchy)
    assert result["matched_phrase"].tolist() == ["systematic review", "case study"]


def test_input_is_not_mutated(hierarchy):
    frame = studies({"title": "A Review", "publication_types": '["Review"]'})
    before = frame.copy()
    sg.suggest_designs(frame, hierarchy)
    pd.testing.assert_frame_equal(frame, before)


def test_a_design_outside_the_vocabulary_still_stops_the_search(caplog):
    small = Hierarchy(levels=(Level("best", "Best"),), designs=(Design("rct", "RCT", "best"),),
                      precedence=("design",))
    frame = studies({"title": "A systematic review of randomized controlled trials"},
                    {"title": "A randomized controlled trial"})
    with caplog.at_level(logging.DEBUG, logger="pipeline.suggest"):
        result = sg.suggest_designs(frame, small)
    assert result.values.tolist() == [
        ["s1", "", "systematic review", "title", "systematic_review"],
        ["s2", "rct", "randomized controlled trial", "title", "randomised_trial"],
    ]
    assert "design systematic_review is not in the vocabulary" in caplog.text


def test_extra_rules_can_be_given(hierarchy):
    extra = sg.SuggestionRule("delphi", "opinion", r"\bdelphi\b", (col.TITLE,), ("a Delphi study",), "expert consensus")
    result = sg.suggest_designs(studies({"title": "A Delphi study of burnout"}), hierarchy,
                                rules=(*sg.SUGGESTION_RULES, extra))
    assert result[["suggested_design", "suggestion_rule"]].values.tolist() == [["opinion", "delphi"]]


def test_missing_study_id_is_an_error(hierarchy):
    with pytest.raises(PipelineError) as caught:
        sg.suggest_designs(pd.DataFrame({col.TITLE: ["A review"]}), hierarchy)
    assert str(caught.value) == ("studies (screen stage): studies lack the column 'study_id'; "
                                 "pass the screen stage's studies.csv")


def test_summary(hierarchy):
    result = sg.suggest_designs(studies({"title": "A Review"}, {"title": "An RCT"}, {"title": "x"}), hierarchy)
    assert sg.summary(result) == "suggest: 2 of 3 studies have a suggested design (rct=1, realist_review=1)"
    assert sg.summary(result.iloc[2:]) == "suggest: 0 of 1 studies have a suggested design"
