"""Kappa and weighted kappa: hand-worked fixtures, scikit-learn as the reference, published intervals."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import cohen_kappa_score

from pipeline import agreement
from suite import examples

LEVELS = ["best", "promising", "emerging", "contraindicated"]  # ordered, best first
B, P, E, C = LEVELS

# Ten studies, two raters, four ordered levels. Worked by hand:
#   diagonal 6 of 10, so p_o = 0.6; margins first (2, 3, 4, 1), second (2, 3, 3, 2);
#   p_e = (2*2 + 3*3 + 4*3 + 1*2) / 100 = 0.27, kappa = 0.33 / 0.73 = 33/73;
#   linear: observed sum of |i-j| = 5 of n*(k-1) = 30, chance sum_ij r_i c_j |i-j| = 108 of 300,
#           kappa = 1 - (5/30) / (108/300) = 29/54;
#   quadratic: observed sum of (i-j)^2 = 7 of 90, chance 190 of 900, kappa = 1 - 70/190 = 12/19.
FIRST = [B, B, P, P, E, E, E, C, P, E]
SECOND = [B, P, P, P, E, E, C, C, E, B]
HAND = {None: 33 / 73, "linear": 29 / 54, "quadratic": 12 / 19}

# every study placed at the opposite end of the hierarchy by the other rater
OPPOSITE_FIRST = [B, C, B, C]
OPPOSITE_SECOND = [C, B, C, B]

CASES = {
    "ten studies": (FIRST, SECOND),
    "perfectly disagreeing pair": (OPPOSITE_FIRST, OPPOSITE_SECOND),
    "all agree": ([B, P, E, C, E], [B, P, E, C, E]),
    "adjacent misses only": ([B, P, E, C, B, P], [P, E, C, C, B, B]),
}


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"], ids=["nominal", "linear", "quadratic"])
def test_the_hand_worked_fixture(weights):
    result = agreement.kappa(FIRST, SECOND, LEVELS, weights)
    assert result.kappa == pytest.approx(HAND[weights], abs=1e-12)
    assert (result.n, result.agree) == (10, 6)
    assert result.table == ((1, 1, 0, 0), (0, 2, 1, 0), (1, 0, 2, 1), (0, 0, 0, 1))


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"], ids=["nominal", "linear", "quadratic"])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_equals_scikit_learn(case, weights):
    first, second = CASES[case]
    ours = agreement.kappa(first, second, LEVELS, weights).kappa
    reference = cohen_kappa_score(first, second, labels=LEVELS, weights=weights)
    assert ours == pytest.approx(reference, abs=1e-12)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"], ids=["nominal", "linear", "quadratic"])
def test_a_perfectly_disagreeing_pair_is_minus_one(weights):
    result = agreement.kappa(OPPOSITE_FIRST, OPPOSITE_SECOND, LEVELS, weights)
    assert result.kappa == pytest.approx(-1.0)
    assert result.agree == 0


def test_full_agreement_is_one_with_no_spread():
    result = agreement.kappa([B, P, E, C], [B, P, E, C], LEVELS, "linear")
    assert result.kappa == pytest.approx(1.0)
    assert result.se == pytest.approx(0.0, abs=1e-12)
    assert (result.low, result.high) == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"], ids=["nominal", "linear", "quadratic"])
def test_one_category_used_by_both_is_undefined_with_its_reason(weights):
    result = agreement.kappa([E, E, E], [E, E, E], LEVELS, weights)
    assert result.kappa is None and result.se is None and result.low is None
    assert "one and the same category" in result.undefined
    assert agreement.fmt(result.kappa) == ""
    with pytest.warns(UndefinedMetricWarning):  # the reference gives nan here, with a warning
        assert math.isnan(cohen_kappa_score([E, E, E], [E, E, E], labels=LEVELS, weights=weights))


def test_a_single_category_hierarchy_is_undefined_not_a_division_by_zero():
    result = agreement.kappa(["only", "only"], ["only", "only"], ["only"], "quadratic")
    assert result.kappa is None and result.undefined


def test_no_item_rated_by_both_is_undefined():
    result = agreement.kappa([], [], LEVELS)
    assert (result.n, result.kappa, result.undefined) == (0, None, "no item was rated by both")


# SAS/STAT User's Guide, The FREQ Procedure, "Agreement Study" (getting-started example):
# two dermatologists rate 88 patients' skin condition terrible / poor / marginal / clear;
# https://support.sas.com/documentation/cdl/en/statug/63033/HTML/default/statug_freq_sect004.htm
# reports simple kappa 0.3449 (ASE 0.0724, 95% CL 0.2030 to 0.4868) and weighted kappa with
# Cicchetti-Allison (linear) weights 0.5082 (ASE 0.0655, 95% CL 0.3798 to 0.6366). PROC FREQ's ASE
# is the Fleiss, Cohen & Everitt (1969) large-sample standard error.
SKIN = [[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]]
SKIN_PUBLISHED = {None: (0.3449, 0.0724, 0.2030, 0.4868), "linear": (0.5082, 0.0655, 0.3798, 0.6366)}


@pytest.mark.parametrize("weights", list(SKIN_PUBLISHED), ids=["simple", "weighted"])
def test_interval_equals_the_published_worked_example(weights):
    result = agreement.from_table(SKIN, ["terrible", "poor", "marginal", "clear"], weights)
    assert result.n == 88
    assert [round(v, 4) for v in (result.kappa, result.se, result.low, result.high)] == list(SKIN_PUBLISHED[weights])


def test_cells_name_each_pair_of_categories():
    result = agreement.kappa([B, E], [B, C], LEVELS)
    assert result.cells()["best|best"] == 1 and result.cells()["emerging|contraindicated"] == 1
    assert sum(result.cells().values()) == 2 and len(result.cells()) == 16


@pytest.mark.parametrize("call, message", [
    (lambda: agreement.kappa([B], [B, P], LEVELS), "rate the same items"),
    (lambda: agreement.kappa(["nope"], [B], LEVELS), "not among the categories"),
    (lambda: agreement.kappa([B], [B], LEVELS, "cubic"), "weights must be"),
    (lambda: agreement.from_table([[1]], LEVELS), "4 x 4"),
], ids=["lengths", "unknown rating", "unknown weights", "table shape"])
def test_misuse_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_small_sample_interval_stays_within_the_values_kappa_can_take():
    result = agreement.kappa([B, P, E], [B, P, P], LEVELS)
    assert result.high == 1.0 and result.kappa + 1.96 * result.se > 1  # cut, not reported as 1.1
    assert -1.0 <= result.low < result.kappa


pairs = st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=1, max_size=40)


@settings(max_examples=examples(300), deadline=None)
@given(pairs, st.sampled_from([None, "linear", "quadratic"]))
def test_any_ratings_equal_scikit_learn_and_swapping_the_raters_changes_nothing(rated, weights):
    first, second = [a for a, _ in rated], [b for _, b in rated]
    ours = agreement.kappa(first, second, LEVELS, weights)
    swapped = agreement.kappa(second, first, LEVELS, weights)
    if ours.kappa is None:
        assert swapped.kappa is None and ours.undefined and len(set(first) | set(second)) == 1
        return
    reference = cohen_kappa_score(first, second, labels=LEVELS, weights=weights)
    assert ours.kappa == pytest.approx(reference, abs=1e-9)
    assert (swapped.kappa, swapped.se) == pytest.approx((ours.kappa, ours.se), abs=1e-12)
    assert -1.0 <= ours.low <= ours.kappa <= ours.high <= 1.0
