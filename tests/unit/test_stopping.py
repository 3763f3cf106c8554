"""The stopping rule: its arithmetic worked by hand, its state, and a team's stop in PRISMA."""

from __future__ import annotations

import dataclasses
from math import comb

import numpy as np
import pytest
from test_screen import SETTINGS, SHIPPED, decisions, make_records

from pipeline import columns as col
from pipeline import config, prisma, screen, stopping
from pipeline.config import StoppingSettings
from pipeline.errors import ConfigError

PLAIN = StoppingSettings(rule="hypergeometric")


@pytest.mark.parametrize(("found", "target", "least"), [
    (0, 0.95, 1),     # nothing found: one include anywhere misses the target
    (19, 0.95, 21),   # 19 of 20 is exactly 95%: the target is met, 21 misses it
    (20, 0.95, 22),   # 20 of 21 = 95.2% meets it, 20 of 22 = 90.9% does not
    (45, 0.95, 48),
    (1, 0.5, 3),
    (9, 0.9, 11),
], ids=["none", "exactly-on-target", "twenty", "kitchenham", "half", "ninety"])
def test_least_total_that_misses_the_target(found, target, least):
    assert stopping.least_missing_total(found, target) == least


def test_hypergeometric_p_after_a_run_without_includes():
    # 8 includes, the last at position 200 of 600 screened, 300 left; at 95% the null is 9 in all,
    # so 1 include among the 399 after it and the 300 left: P(none drawn) = 300 / 699
    screened = np.zeros(600, dtype=bool)
    screened[[1, 3, 5, 20, 50, 100, 150, 200]] = True
    assert stopping.p_value(screened, 300, PLAIN) == pytest.approx(300 / 699)


def test_hypergeometric_p_takes_the_smallest_over_the_stretches():
    # 1 include then 3 excludes, 2 left, target 50%: the null is 3 includes in all.
    # After the include: 2 of the 5 (3 screened + 2 left) are includes, none among 3 drawn: 1/10.
    # The whole run: 3 of 6, at most 1 among 4 drawn: 3/15.
    rule = StoppingSettings(rule="hypergeometric", recall_target=0.5)
    assert stopping.p_value(np.array([1, 0, 0, 0], dtype=bool), 2, rule) == pytest.approx(min(1 / 10, 3 / 15))


def test_p_is_zero_when_the_missing_includes_cannot_fit_in_what_is_left():
    # 2 found, 0 excludes after the last, 0 left: a third include has nowhere to be
    assert stopping.p_value(np.array([1, 1], dtype=bool), 0, PLAIN) == 0.0


def test_biased_urn_with_odds_one_is_the_plain_test_and_stricter_odds_stop_sooner():
    screened = np.zeros(400, dtype=bool)
    screened[[0, 2, 9, 30, 77]] = True
    plain = stopping.p_value(screened, 500, PLAIN)
    even = stopping.p_value(screened, 500, StoppingSettings(rule="biased_urn", odds=1.0))
    biased = stopping.p_value(screened, 500, StoppingSettings(rule="biased_urn", odds=2.0))
    assert even == pytest.approx(plain)
    assert biased < plain


def test_biased_urn_p_by_hand_for_one_missing_include():
    # 1 include and 4 excludes, 4 drawn one at a time, the include w times as likely as an exclude:
    # it escapes every draw with probability 4/(4+w) * 3/(3+w) * 2/(2+w) * 1/(1+w) (w = 1: 1/5)
    w = 2.0
    k, population, needed, drawn = np.array([0]), np.array([5]), np.array([1]), np.array([4])
    biased = stopping._tail(k, population, needed, drawn, StoppingSettings(rule="biased_urn", odds=w))
    plain = stopping._tail(k, population, needed, drawn, PLAIN)
    assert biased[0] == pytest.approx(4 / 6 * 3 / 5 * 2 / 4 * 1 / 3, rel=1e-6)
    assert plain[0] == pytest.approx(1 / 5)


def test_state_says_whether_stopping_is_allowed():
    screened = np.zeros(600, dtype=bool)
    screened[[1, 3, 5, 20]] = True
    # 4 found: the null is 5; 1 include among the 579 after the last and the 20 left: p = 20 / 599
    state = stopping.state(screened, 20, PLAIN)
    assert state["allowed"] is True and state["screened"] == 600 and state["includes_found"] == 4
    assert state["p_value"] == pytest.approx(20 / 599, abs=1e-6)
    assert stopping.state(screened, 50, PLAIN)["allowed"] is False  # 50 / 629 = 0.079
    assert state["remaining"] == 20 and state["message"].startswith("stopping is allowed")
    early = stopping.state(screened[:30], 620, PLAIN)
    assert early["allowed"] is False and early["message"].startswith("keep screening")
    assert set(state) >= {"allowed", "rule", "recall_target", "confidence", "screened", "remaining",
                          "includes_found", "message"}


# --- a team's stop, through the screen stage and PRISMA -------------------------------------------

# 20 studies: s01 included, s02-s15 excluded after it, s16-s20 never screened. Target 50%: the
# null is 3 includes in all; after the include 2 of 19 remain among 14 drawn + 5 left, P(none
# drawn) = C(17,14)/C(19,14) = 20/342 = 0.058; the whole run gives 0.140. So the rule allows a stop
# at 50% confidence and refuses one at 95%.
RECORDS, STUDIES = make_records([{"id": f"medline:{n}", "study": f"s{n:02d}", "key": f"ref:{n}"} for n in range(1, 21)])
ROWS = [(f"s{n:02d}", "title_abstract", "include" if n == 1 else "exclude", "" if n == 1 else "exc_primary_trauma",
         "ann") for n in range(1, 16)]


def settings_with(**stop) -> object:
    rule = StoppingSettings(rule="hypergeometric", recall_target=0.5, **stop)
    return dataclasses.replace(SETTINGS, screening=dataclasses.replace(SETTINGS.screening, stopping=rule))


def test_hand_worked_case_of_the_team_stop():
    assert comb(17, 14) / comb(19, 14) == pytest.approx(20 / 342)
    included = np.array([True] + [False] * 14)
    assert stopping.p_value(included, 5, StoppingSettings(rule="hypergeometric", recall_target=0.5)) == \
        pytest.approx(20 / 342)


def test_a_stop_puts_the_unscreened_studies_in_the_automation_box_with_the_rule_named():
    settings = settings_with(confidence=0.5, stop=True)
    result = screen.screen(RECORDS, STUDIES, decisions(ROWS), settings)
    records = result["records"].set_index(col.RECORD_ID)
    left = [f"medline:{n}" for n in range(16, 21)]
    assert set(records.loc[left, col.PRISMA_BOX]) == {col.PrismaBox.AUTOMATION.value}
    assert set(records.loc[left, col.SCREEN_REASON]) == {stopping.STOPPED_REASON}
    assert result["queue_title_abstract"].empty
    assert result["stopping"]["stopped"] is True and result["stopping"]["stopped_unscreened"] == 5
    counts = prisma.count(result["records"], settings)
    prisma.check(counts)  # every record in exactly one box, and the boxes add up
    removed = counts["removed_before_screening"]
    assert removed["automation"] == 5 and removed["automation_by_reason"] == {stopping.STOPPED_REASON: 5}
    assert counts["screening"]["screened"] == 15
    label = prisma._reason_label(stopping.STOPPED_REASON, settings)
    assert "hypergeometric stopping test" in label and "50%" in label
    text = stopping.methods_text(result["stopping"])
    for said in ("hypergeometric stopping test", "recall target of 50%", "50% confidence", "15 studies were screened",
                 "5 studies left unscreened"):
        assert said in text


def test_without_a_stop_the_queue_keeps_the_unscreened_studies_in_rank_order():
    result = screen.screen(RECORDS, STUDIES, decisions(ROWS), settings_with(confidence=0.5))
    queue = result["queue_title_abstract"]
    assert sorted(queue["key"]) == [f"s{n:02d}" for n in range(16, 21)]
    assert queue["rank"].tolist() == ["1", "2", "3", "4", "5"]
    assert result["stopping"]["allowed"] is True and result["stopping"]["stopped"] is False
    assert result["ordering"]["decisions"] == {"include": 1, "exclude": 14}


def test_a_stop_the_rule_does_not_allow_is_refused_with_how_to_fix():
    with pytest.raises(ConfigError, match=r"config.yaml: screening.stopping.stop is true but the hypergeometric "
                                          r"stopping test .* does not allow stopping yet .*; keep screening"):
        screen.screen(RECORDS, STUDIES, decisions(ROWS), settings_with(confidence=0.95, stop=True))


# --- the config section -----------------------------------------------------------------------


def test_the_stopping_section_is_read_with_its_defaults():
    settings = config.parse(SHIPPED + "\nscreening:\n  seed: 4\n  stopping: {rule: hypergeometric, stop: true}\n")
    assert settings.screening.seed == 4
    assert settings.screening.stopping == StoppingSettings(rule="hypergeometric", recall_target=0.95,
                                                           confidence=0.95, odds=1.5, stop=True)
    assert config.parse(SHIPPED).screening.stopping == StoppingSettings()


@pytest.mark.parametrize(("section", "message"), [
    ("{recall_target: 1.5}", "recall_target"),
    ("{confidence: 0}", "confidence"),
    ("{rule: knee}", "rule"),
    ("{odds: 0.5}", "odds"),
    ("{recal_target: 0.9}", "recal_target"),
], ids=["target-above-one", "zero-confidence", "unknown-rule", "odds-below-one", "typo"])
def test_a_bad_stopping_section_is_refused_naming_the_key(section, message):
    with pytest.raises(ConfigError, match=message):
        config.parse(SHIPPED + f"\nscreening:\n  stopping: {section}\n")
