"""The ingest stage: joining per-source frames and its summary line."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.columns import RECORD_COLUMNS
from pipeline.errors import PipelineError
from pipeline.formats import read_export
from pipeline.ingest import ingest, summary


def frame(source: str, text: str) -> pd.DataFrame:
    return read_export(text.encode("utf-8"), file=f"data/raw/exports/{source}.ris", source=source)


ONE = "TY  - JOUR\nTI  - One\nAU  - Doe, J\nPY  - 2001\nER  - \n"
TWO = ONE + "TY  - JOUR\nTI  - Two\nER  - \n"


def test_ingest_concatenates_in_the_given_order_with_record_columns() -> None:
    medline, cinahl = frame("medline", ONE), frame("cinahl", TWO)
    records = ingest([medline, cinahl])
    assert list(records.columns) == RECORD_COLUMNS
    assert list(records["record_id"]) == ["medline:1", "cinahl:1", "cinahl:2"]
    assert list(records.index) == [0, 1, 2]


def test_ingest_does_not_change_its_inputs_and_ignores_extra_columns() -> None:
    medline = frame("medline", ONE)
    extended = medline.assign(extra="x")[["extra", *reversed(RECORD_COLUMNS)]]
    before = extended.copy()
    records = ingest([extended])
    assert extended.equals(before)
    assert list(records.columns) == RECORD_COLUMNS


def test_ingest_of_nothing_is_an_empty_record_table() -> None:
    records = ingest([])
    assert list(records.columns) == RECORD_COLUMNS and len(records) == 0
    assert summary(records) == "ingest: 0 records from 0 sources (); 0 with problems"


def test_repeated_record_id_across_sources_names_both() -> None:
    with pytest.raises(PipelineError) as raised:
        ingest([frame("medline", ONE), frame("medline", ONE)])
    message = str(raised.value)
    assert "record id medline:1 appears twice" in message
    assert message.count("data/raw/exports/medline.ris:1 (source medline)") == 2
    assert "give every source its own id in config.yaml" in message


def test_frame_without_record_columns_is_rejected() -> None:
    with pytest.raises(PipelineError, match=r"record frame 1 lacks column\(s\) record_key"):
        ingest([frame("medline", ONE).drop(columns=["record_key"])])


def test_summary_counts_per_source_in_order_and_problems() -> None:
    records = ingest([frame("medline", ONE), frame("cinahl", TWO)])
    assert summary(records) == "ingest: 3 records from 2 sources (medline=1, cinahl=2); 1 with problems"
    assert summary(ingest([frame("medline", ONE)])) == "ingest: 1 record from 1 source (medline=1); 0 with problems"
