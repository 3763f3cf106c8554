"""A bad row in a human-written file is reported at its real line of the file.

pandas skips blank lines and reads a quoted cell across lines, so "row i is line i + 2" pointed
reviewers at the wrong row; a NUL byte must not move the count either.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline import classify, config, deduplicate, screen
from pipeline.errors import DecisionError, PipelineError
from pipeline.io import file_lines, read_table

SETTINGS = config.load(Path(__file__).resolve().parents[1] / "fixtures" / "review" / "config.yaml")
HEADER = b"key,stage,decision,reason,reviewer,date,note\n"
GOOD = b"pmid:1,title_abstract,include,,ann,2024-03-02,\n"
BAD = b"pmid:2,title_abstract,perhaps,,ann,2024-03-02,\n"


def _line_of_error(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "ann.csv"
    path.write_bytes(data)
    with pytest.raises(PipelineError) as caught:
        screen.validate_decisions(read_table(path, what="screening decisions", line_numbers=True), str(path),
                                  SETTINGS, reviewer="ann")
    assert caught.value.message.startswith(f"{path}:")
    return caught.value.where.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (HEADER + b"\n" + GOOD + b"\n\n" + BAD, "6"),
        (HEADER + b"\r\n" + GOOD + b"\r\n\r\n" + BAD, "6"),
        (HEADER + GOOD + b"   \n\t\n" + BAD, "5"),
        (b"\n\n" + HEADER + GOOD + BAD, "5"),
        (HEADER + b'pmid:1,title_abstract,include,,ann,2024-03-02,"a note\n\nover three lines"\n' + BAD, "5"),
        (HEADER + b"pmid:1\x00,title_abstract,include,,ann,2024-03-02,\n\n" + BAD, "4"),
        (HEADER + b"\x00\n\n" + GOOD + BAD, "5"),
        (HEADER + GOOD + b"\n" + BAD.replace(b"perhaps", b"perhaps\x00"), "4"),
    ],
    ids=["blank-lines", "crlf-blank-lines", "whitespace-lines", "blank-before-header", "note-over-lines",
         "nul-in-a-cell", "nul-line", "nul-in-the-bad-row"],
)
def test_a_screening_decision_is_reported_at_its_line(tmp_path, data, line):
    assert _line_of_error(tmp_path, data) == line


def test_a_row_with_too_many_cells_is_reported_at_its_line(tmp_path):
    path = tmp_path / "ann.csv"
    path.write_bytes(HEADER + b"\n\n" + GOOD + GOOD.replace(b"\n", b",extra\n"))
    with pytest.raises(PipelineError) as caught:
        read_table(path, line_numbers=True)
    assert caught.value.where == f"{path}:5"


def test_a_duplicate_decision_is_reported_at_its_line(tmp_path):
    path = tmp_path / "duplicates.csv"
    path.write_bytes(b"record_key_a,record_key_b,decision,reviewer,note\n\npmid:1,pmid:2,same,ann,\n\n"
                     b"pmid:2,pmid:1,different,ann,\n")
    with pytest.raises(DecisionError) as caught:
        deduplicate.validate_duplicate_decisions(read_table(path, line_numbers=True), str(path))
    assert caught.value.message == (f"{path}:5: decision 'different' contradicts 'same' for the same keys on line 3; "
                                    "keep one of the two rows")


def test_an_extraction_row_is_reported_at_its_line(tmp_path):
    path = tmp_path / "extraction.csv"
    path.write_bytes(b"key,field,value,source,quote,extractor,note\n\ns1,design,rct,,,ann,\n\n\ns1,colour,red,,,ann,\n")
    studies = pd.DataFrame({"study_id": ["s1"], "record_keys": ["pmid:1"], "screen_decision": ["included"]})
    with pytest.raises(DecisionError) as caught:
        classify.validate_extraction(read_table(path, line_numbers=True), studies, SETTINGS.hierarchy, str(path))
    assert caught.value.where == f"{path}:6"


def test_a_table_built_in_memory_counts_rows_from_line_two():
    assert file_lines(pd.DataFrame({"a": ["x", "y"]})) == [2, 3]


def test_line_numbers_are_kept_only_when_asked(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"a,b\n\nx,1\n")
    assert file_lines(read_table(path, line_numbers=True)) == [3]
    assert file_lines(read_table(path)) == [2]
