"""The prioritised title/abstract queue: deterministic, learns from decisions, cold-starts, audits."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline import prioritise

TOPICS = {
    "burnout": "burnout intervention for nurses compassion fatigue training program",
    "trauma": "secondary traumatic stress among therapists vicarious trauma workshop",
    "soil": "soil nitrogen uptake in wheat fields under drought irrigation",
    "fish": "fish population dynamics in coastal estuaries sediment survey",
}


def make_studies(n_per_topic: int = 6) -> pd.DataFrame:
    rows = []
    for topic, words in TOPICS.items():
        for n in range(n_per_topic):
            rows.append({"study_id": f"{topic}-{n}", "title": f"{words.split()[0]} study {n}",
                         "abstract": f"{words} cohort number {n} {words.split()[n % 4]}",
                         "keywords": '["' + words.split()[1] + '"]'})
    return pd.DataFrame(rows)


STUDIES = make_studies()
DECISIONS = pd.DataFrame({"study_id": ["burnout-0", "soil-0", "fish-0", "trauma-0"],
                          "decision": ["include", "exclude", "exclude", "maybe"]})
SETTINGS = prioritise.RankSettings(seed=3, query="burnout compassion fatigue")


def test_same_decisions_and_seed_give_the_same_ordering_whatever_the_row_order():
    first = prioritise.rank(STUDIES, DECISIONS, SETTINGS)
    again = prioritise.rank(STUDIES, DECISIONS, SETTINGS)
    shuffled = prioritise.rank(STUDIES.sample(frac=1, random_state=7), DECISIONS.iloc[::-1], SETTINGS)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, shuffled)
    assert list(first.columns) == ["study_id", "rank", "score", "why"]
    assert first["rank"].tolist() == list(range(1, len(first) + 1))


def test_decided_studies_leave_the_ranking_and_includes_pull_their_like_forward():
    ranked = prioritise.rank(STUDIES, DECISIONS, SETTINGS)
    assert not set(DECISIONS["study_id"]) & set(ranked["study_id"])
    topics = ranked["study_id"].str.split("-").str[0].tolist()
    # the 10 undecided burnout and trauma studies (include and maybe) come before soil and fish
    assert set(topics[:10]) == {"burnout", "trauma"}
    assert ranked["score"].is_monotonic_decreasing


def test_why_names_the_words_that_raised_the_score():
    ranked = prioritise.rank(STUDIES, DECISIONS, SETTINGS)
    top = ranked.iloc[0]
    assert top["why"] and len(top["why"].split(", ")) <= prioritise.WHY_TERMS
    assert all(word in TOPICS["burnout"] + TOPICS["trauma"] or word.isdigit() for word in
               " ".join(top["why"].split(", ")).split())


@pytest.mark.parametrize("decisions", [
    pd.DataFrame(columns=["study_id", "decision"]),
    pd.DataFrame({"study_id": ["fish-0", "soil-1"], "decision": ["exclude", "exclude"]}),
], ids=["no-decisions", "excludes-only"])
def test_a_cold_start_puts_the_studies_with_the_review_words_first(decisions):
    ranked = prioritise.rank(STUDIES, decisions, SETTINGS)
    assert set(ranked["study_id"].head(5).str.split("-").str[0]) == {"burnout"}


def test_includes_only_rank_by_likeness_to_them():
    decisions = pd.DataFrame({"study_id": ["fish-0"], "decision": ["include"]})
    ranked = prioritise.rank(STUDIES, decisions, prioritise.RankSettings(seed=0))
    assert set(ranked["study_id"].head(5).str.split("-").str[0]) == {"fish"}


def test_the_ordering_log_pins_model_inputs_and_order():
    ranked, log = prioritise.rank_and_log(STUDIES, DECISIONS, SETTINGS)
    _, same = prioritise.rank_and_log(STUDIES.iloc[::-1], DECISIONS, SETTINGS)
    _, other = prioritise.rank_and_log(STUDIES, DECISIONS.iloc[:3], SETTINGS)
    assert log == same
    assert log["model"] == prioritise.MODEL and log["seed"] == 3
    assert log["decisions"] == {"include": 2, "exclude": 2}
    assert log["ordering_digest"] == prioritise.digest(ranked["study_id"])
    assert other["decisions_digest"] != log["decisions_digest"]
    assert other["studies_digest"] == log["studies_digest"]


def test_a_review_too_small_for_a_vocabulary_still_ranks_by_id():
    tiny = pd.DataFrame({"study_id": ["b", "a"], "title": ["", ""], "abstract": ["", ""], "keywords": ["", ""]})
    ranked = prioritise.rank(tiny, pd.DataFrame(columns=["study_id", "decision"]), prioritise.RankSettings())
    assert ranked["study_id"].tolist() == ["a", "b"]
