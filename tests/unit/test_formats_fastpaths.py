"""The shortcuts in the readers' hot paths give exactly what the plain rules give."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from suite import examples

from pipeline.formats.common import _canonical_json_encoder, _raw_json, first, squash
from pipeline.io import dumps


def reference_squash(value: str) -> str:
    return " ".join(value.split())


def test_every_whitespace_character_but_the_space_is_unprintable() -> None:
    # squash returns printable text unchanged when it has no double or edge space; that is only right
    # if no character str.split() cuts at is printable, except the space itself.
    cutters = [chr(code) for code in range(sys.maxunicode + 1) if len(f"a{chr(code)}b".split()) == 2]
    assert " " in cutters and "\xa0" in cutters and "\u3000" in cutters
    assert [ch for ch in cutters if ch != " " and ch.isprintable()] == []


_SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
                           "\u1680", "\u2000", "\u2009", "\u200b", "\u2028", "\u2029", "\u202f", "\u3000",
                           "\xad", "\ufeff", "e\u0301"])
_TEXT = st.lists(st.one_of(st.text(max_size=8), _SPACES), max_size=12).map("".join)


@settings(max_examples=examples(3000), deadline=None)
@given(_TEXT)
def test_squash_matches_split_and_join(value: str) -> None:
    assert squash(value) == reference_squash(value)


@settings(max_examples=examples(1000), deadline=None)
@given(st.lists(_TEXT, max_size=4))
def test_first_is_the_first_non_empty_squashed_value(values: list[str]) -> None:
    expected = next((reference_squash(value) for value in values if reference_squash(value)), "")
    assert first(values) == expected


_JSON_TEXT = st.one_of(st.text(max_size=12), _SPACES, st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\u2028",
                                                                     "\ud7ff", "\U0001f600", "é"]))
_JSON_VALUES = st.recursive(
    _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(2000), deadline=None)
@given(st.one_of(st.dictionaries(_JSON_TEXT, st.lists(_JSON_TEXT, max_size=3), max_size=6),
                 st.lists(st.tuples(_JSON_TEXT, _JSON_TEXT), max_size=4), _JSON_VALUES))
def test_the_frame_json_encoder_writes_what_io_dumps_writes(value: object) -> None:
    assert _canonical_json_encoder()(value) == dumps(value)


_RAW_VALUES = st.one_of(st.lists(_JSON_TEXT, max_size=3), _JSON_TEXT,
                        st.lists(st.lists(_JSON_TEXT, max_size=2), max_size=2),
                        st.dictionaries(_JSON_TEXT, _JSON_TEXT, max_size=2))


@settings(max_examples=examples(3000), deadline=None)
@given(st.one_of(st.dictionaries(st.sampled_from(["TI", "AU", "AB", "A", "", "é", '"', "\\", "\n"]) | _JSON_TEXT,
                                 st.lists(_JSON_TEXT, min_size=1, max_size=3), max_size=6),
                 st.dictionaries(_JSON_TEXT, _RAW_VALUES, max_size=5)))
def test_the_raw_column_is_what_io_dumps_writes(raw: dict) -> None:
    assert _raw_json(raw, _canonical_json_encoder()) == dumps(raw)
