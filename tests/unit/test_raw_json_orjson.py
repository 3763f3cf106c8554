"""The ``raw`` column written with orjson is the text ``pipeline.io.dumps`` writes, character for character."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from suite import examples

from pipeline.formats.common import _canonical_json_encoder, _raw_json, _raw_json_writer
from pipeline.io import dumps


def test_orjson_is_used() -> None:
    assert _raw_json_writer() is not _raw_json


def test_every_code_point_is_written_as_io_dumps_writes_it() -> None:
    # Escaping is per character, so agreeing on every character in a key and in a value (with text
    # either side) means agreeing on all text; the surrogates are refused and go to the encoder.
    write, encoder = _raw_json_writer(), _canonical_json_encoder()
    for start in range(0, sys.maxunicode + 1, 4096):
        chars = [chr(code) for code in range(start, min(start + 4096, sys.maxunicode + 1))]
        chars = [ch for ch in chars if not "\ud800" <= ch <= "\udfff"]
        raw = {f"k{ch}": [f"a{ch}b", ch] for ch in chars}
        assert write(raw, encoder) == dumps(raw)


@pytest.mark.parametrize("raw", [
    {"TI": ["lone \ud800 surrogate"]},
    {"\udc00": ["x"]},
    {"TI": [1.5, float("nan")]},
    {"TI": ["x", None]},
    {"TI": ("x",)},
    {"TI": "x"},
    {"TI": {"a": 1e16}},
    {1: ["x"]},
    {},
    {"AU": [], "TI": ["a"]},
])
def test_other_shapes_go_to_the_encoder(raw: dict) -> None:
    assert _raw_json_writer()(raw, _canonical_json_encoder()) == dumps(raw)


_TEXT = st.text(alphabet=st.characters(), max_size=12)


@settings(max_examples=examples(2000), deadline=None)
@given(st.dictionaries(_TEXT, st.lists(_TEXT, max_size=4), max_size=6))
def test_random_raw_records_match_io_dumps(raw: dict) -> None:
    assert _raw_json_writer()(raw, _canonical_json_encoder()) == dumps(raw)
