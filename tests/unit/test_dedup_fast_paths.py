"""The shortcuts deduplication takes for speed give what the plain computation gives.

Each helper below replaces a slower but obvious computation (a dictionary walk per record, numpy's
hashing ``unique``, a formatted string per pair, a venue judged in both orders); these properties
pin them to that obvious computation on generated input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup.block import sorted_distinct
from pipeline.dedup.prep import _map_rows, _map_unique, venues_agree
from pipeline.deduplicate import _one_decimal

CELLS = st.sampled_from(["", "a", "b", "10", "Suppl 2", "30 (Suppl 3)", "ü"])
VENUE_WORDS = st.sampled_from(["j", "journal", "of", "clinical", "clin", "med", "medicine", "icis", "international",
                               "conference", "information", "systems", "proceedings", "2017", "the", "amcis"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS), max_size=30))
def test_map_rows_is_the_function_of_each_row(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["x", "y"], dtype=object)
    expected = [(x, y.upper()) for x, y in rows]
    assert list(_map_rows(frame, ["x", "y"], lambda x, y: (x, y.upper()))) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(CELLS, max_size=30))
def test_map_unique_is_the_function_of_each_value(values: list[str]) -> None:
    result = _map_unique(pd.Series(values, dtype=object), lambda value: (value, len(value)))
    assert result.shape == (len(values),)
    assert list(result) == [(value, len(value)) for value in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=10**12), max_size=50))
def test_sorted_distinct_is_numpy_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    assert np.array_equal(sorted_distinct(array), np.unique(array))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=50))
def test_one_decimal_is_the_formatted_rounded_score(scores: list[float]) -> None:
    array = np.array(scores, dtype=np.float64)
    assert list(_one_decimal(array)) == [f"{score:.1f}" for score in np.round(array, 1)]


@settings(max_examples=300, deadline=None)
@given(st.lists(VENUE_WORDS, max_size=5), st.lists(VENUE_WORDS, max_size=5))
def test_venues_agree_is_symmetric(words_a: list[str], words_b: list[str]) -> None:
    """match judges each unordered pair of venue names once, which needs the order not to matter."""
    venue_a, venue_b = " ".join(words_a), " ".join(words_b)
    assert venues_agree(venue_a, venue_b) == venues_agree(venue_b, venue_a)
