"""Unit tests for pipeline.io: byte-stable tables whose text cells cannot run as spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import tables
from pipeline.config import Design, Hierarchy, Level, TableSpec
from pipeline.errors import PipelineError
from pipeline.io import neutralise, neutralise_cell, read_table, restore, restore_cell, write_table

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"


@pytest.mark.parametrize(("cell", "written"), [
    ('=HYPERLINK("http://evil.example/","click")', '\'=HYPERLINK("http://evil.example/","click")'),
    ("+cmd", "'+cmd"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("-", "'-"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ("'=already quoted", "''=already quoted"),
    ("-1", "-1"),
    ("+3", "+3"),
    ("-0.5", "-0.5"),
    ("-.5", "-.5"),
    ("1e-3", "1e-3"),
    ("-2E+10", "-2E+10"),
    ("'-1", "'-1"),
    ("'hello", "'hello"),
    ("plain title", "plain title"),
    ("", ""),
    ('[["-2+3","Trent"]]', '[["-2+3","Trent"]]'),
    ('{"title":"=x"}', '{"title":"=x"}'),
    ("a=b", "a=b"),
], ids=["hyperlink", "plus", "at", "minus-expression", "lone-minus", "tab", "carriage-return", "quoted-formula",
        "negative-int", "positive-int", "negative-float", "bare-decimal", "exponent", "signed-exponent",
        "quoted-number", "quoted-word", "plain", "empty", "json-list", "json-object", "inner-equals"])
def test_neutralise_cell(cell, written):
    assert neutralise_cell(cell) == written
    assert restore_cell(written) == cell


@given(st.text(alphabet=st.sampled_from(list("'=+-@\t\r0123456789.eE ax[{")), max_size=8))
def test_neutralise_cell_round_trips_and_never_leaves_a_formula(cell):
    written = neutralise_cell(cell)
    assert restore_cell(written) == cell
    risky = written.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not risky or pd.to_numeric(pd.Series([written]), errors="coerce").notna().all()


def test_write_table_neutralises_text_and_keeps_numbers(tmp_path):
    frame = pd.DataFrame({
        "title": ["=1+1", "<script>alert(1)</script>", "-2+3"],
        "difference": ["-1", "+3", "-0.5"],
        "count": [-1, 2, -3],
        "score": [-0.5, 1.0, 2.5],
        "authors": ['[["+cmd","Mallory"]]', "[]", '[["@x","y"]]'],
    })
    path = tmp_path / "table.csv"
    write_table(frame, path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[1] == ["'=1+1", "-1", "-1", "-0.5", '[["+cmd","Mallory"]]']
    assert rows[2] == ["<script>alert(1)</script>", "+3", "2", "1.0", "[]"]
    assert rows[3] == ["'-2+3", "-0.5", "-3", "2.5", '[["@x","y"]]']
    again = read_table(path)
    assert again["title"].tolist() == frame["title"].tolist()
    assert again["difference"].tolist() == frame["difference"].tolist()
    assert again["count"].tolist() == ["-1", "2", "-3"]


def test_write_table_does_not_change_its_input(tmp_path):
    frame = pd.DataFrame({"title": ["=x", None], "n": [1, 2]})
    before = frame.copy()
    write_table(frame, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(frame, before)
    assert read_table(tmp_path / "t.csv")["title"].tolist() == ["=x", ""]


def test_neutralise_and_restore_are_inverse_on_frames():
    frame = pd.DataFrame({"a": ["=x", "'=y", "'ok", "-1", "@z", ""], "b": ["+1", "+a", "x", "y", "-", "''-q"]})
    assert restore(neutralise(frame)).equals(frame)


def test_pipeline_tables_round_trip_hostile_titles(tmp_path):
    """A title a spreadsheet would run is quoted on disk and comes back unchanged for the next stage."""
    records = pd.DataFrame({"record_id": ["a:1", "a:2"], "title": ['=HYPERLINK("http://x","y")', "@SUM(1)+1"]})
    write_table(records, tmp_path / "records.csv")
    on_disk = (tmp_path / "records.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in on_disk and "'@SUM(1)+1" in on_disk
    write_table(read_table(tmp_path / "records.csv"), tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "records.csv").read_bytes()
    assert read_table(tmp_path / "again.csv").equals(records)


def test_read_table_errors_still_say_where_and_how(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"t\.csv:1: table lacks column\(s\) c; the header must include: c"):
        read_table(path, required=["c"])


@pytest.mark.parametrize(("content", "expected"), [
    (b"key,stage,decision\nk1,full_text,include,\nk2,full_text,include,\n",
     r"t\.csv:2: decisions: row has 4 cells, more than the 3 columns of the header; name every column in the "
     r"header \(it has: key,stage,decision\) or remove the extra cells"),
    (b"key,stage,decision\nk1,full_text,include\nk2,full_text,include,a,b\n",
     r"t\.csv:3: decisions: row has 5 cells, more than the 3"),
    (b'key,stage,decision\nk1,"two\nlines",include\nk2,x,include,extra\n', r"t\.csv:4: decisions: row has 4 cells"),
    (b"key,stage,decision\nk1,full_text,J\xe9r\n",
     r"t\.csv:2: decisions is not UTF-8 text \(byte 0xe9\); save it as UTF-8 CSV"),
    (b"key;stage;decision\nk1;full_text;include, for now\n",
     r"t\.csv:1: decisions: the header is one cell with semicolons in it; the file is separated by semicolons, "
     r"not commas; save it as comma-separated CSV"),
    (b"key\tstage\nk1\tfull_text\n", r"t\.csv:1: decisions: the header is one cell with tabs in it"),
], ids=["trailing-comma-on-every-row", "two-extra-cells", "line-after-a-multiline-cell", "latin-1", "semicolons", "tabs"])
def test_read_table_names_the_line_of_a_malformed_row(tmp_path, content, expected):
    """A trailing comma on every row shifted the columns; more extra cells gave no line."""
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(PipelineError, match=expected) as caught:
        read_table(path, what="decisions")
    assert "\n" not in caught.value.message


def test_read_table_accepts_a_bom_crlf_blank_lines_and_short_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfkey,stage,note\r\nk1,full_text,\r\n\r\nk2,\r\nk3\r\n")
    assert read_table(path, required=["key", "stage"]).values.tolist() == [
        ["k1", "full_text", ""], ["k2", "", ""], ["k3", "", ""]]


def test_xlsx_tables_hold_no_formula_cells():
    """The tables stage's workbook: hostile row labels are text, never formulas."""
    hierarchy = Hierarchy(levels=(Level("best", "Best Practice"),), designs=(Design("rct", "RCT", "best"),),
                          precedence=("design",))
    classified = pd.DataFrame({
        "study_id": ["s1", "s2", "s3"], "evidence_level": ["best", "best", "best"],
        "country": ['=HYPERLINK("http://evil.example/","USA")', "+cmd", "@SUM(1)"],
    })
    spec = TableSpec(id="country", title="=Country", field="country", label="-Country")
    workbook = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx_bytes([(spec, tables.crosstab(classified, spec, hierarchy))])))
    cells = [cell for row in workbook.active.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    guarded = {cell.value for cell in cells if isinstance(cell.value, str) and cell.quotePrefix}
    # shown as written (Excel's quote prefix, no added apostrophe) and stored as text
    assert {'=HYPERLINK("http://evil.example/","USA")', "+cmd", "@SUM(1)", "=Country"} <= guarded
    assert all(cell.quotePrefix for cell in cells if isinstance(cell.value, str) and cell.value[:1] in "=+-@")


def test_hostile_fixture_holds_every_attack():
    """The hostile review fixture keeps its attacks (tests elsewhere rely on them)."""
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(HOSTILE.rglob("*.*")) if path.suffix in (".ris", ".csv"))
    for attack in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=HYPERLINK(", "+cmd", "@SUM(1)", "-2+3",
                   "</script><script>"):
        assert attack in text, attack


def test_read_table_reads_a_cell_longer_than_the_csv_module_allows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "x" * 200_000 + ",1\n", encoding="utf-8")
    assert read_table(path)["b"].tolist() == ["1"]
