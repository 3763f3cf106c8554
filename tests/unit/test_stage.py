"""The adapter between a stage's declared inputs and outputs and its command line (pipeline.stage)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import PipelineError
from pipeline.io import file_lines, file_name, write_table
from pipeline.stage import Kind, Stage, add_arguments, file, read_inputs, write_outputs


@dataclass(frozen=True)
class Inputs:
    records: pd.DataFrame = file(Kind("table", "records", required=("id",)))
    parts: dict = file(Kind("tables", "parts", optional=True))
    decisions: pd.DataFrame = file(Kind("table", "decisions", line_numbers=True, optional=True, empty=("id", "decision")))


@dataclass(frozen=True)
class Outputs:
    records: pd.DataFrame = file(Kind("table", "records"))
    tables: dict = file(Kind("tables", "table"))
    note: str = file(Kind("text", "note"))


def run(inputs: Inputs, settings: None) -> Outputs:
    return Outputs(inputs.records, {"a": inputs.records.head(1), "b": inputs.records.tail(1)}, "done\n")


STAGE = Stage("example", "an example stage", Inputs, Outputs, run, lambda args: None)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser, STAGE)
    return parser.parse_args(argv)


@pytest.fixture
def records(tmp_path: Path) -> Path:
    write_table(pd.DataFrame({"id": ["1", "2"]}), tmp_path / "records.csv")
    return tmp_path / "records.csv"


def outputs(tmp_path: Path, *tables: str) -> list[str]:
    return ["--output-records", str(tmp_path / "out" / "records.csv"),
            "--output-tables", *(str(tmp_path / "out" / name) for name in tables),
            "--output-note", str(tmp_path / "out" / "note.txt")]


def test_every_field_is_a_flag_and_left_out_optional_inputs_are_empty(records, tmp_path):
    args = parse("--records", str(records), *outputs(tmp_path, "a.csv", "b.csv"))
    inputs = read_inputs(STAGE, args)
    assert inputs.parts == {}
    assert list(inputs.decisions.columns) == ["id", "decision"] and inputs.decisions.empty
    written = write_outputs(STAGE, run(inputs, None), args)
    assert sorted(path.name for path in written) == ["a.csv", "b.csv", "note.txt", "records.csv"]
    assert (tmp_path / "out" / "b.csv").read_text(encoding="utf-8") == "id\n2\n"


def test_several_tables_keep_the_order_given_and_a_decision_file_its_name_and_lines(records, tmp_path):
    for name in ("z", "a"):
        write_table(pd.DataFrame({"x": [name]}), tmp_path / f"{name}.csv")
    (tmp_path / "d.csv").write_text("id,decision\n\n1,same\n", encoding="utf-8")
    args = parse("--records", str(records), "--parts", str(tmp_path / "z.csv"), str(tmp_path / "a.csv"),
                 "--decisions", str(tmp_path / "d.csv"), *outputs(tmp_path, "a.csv", "b.csv"))
    inputs = read_inputs(STAGE, args)
    assert [Path(path).stem for path in inputs.parts] == ["z", "a"]
    assert file_name(inputs.decisions, "decisions") == str(tmp_path / "d.csv")
    assert file_lines(inputs.decisions) == [3]


@pytest.mark.parametrize(("tables", "message"), [
    (("a.csv", "b.csv", "c.csv"), "no table 'c' to write; name one of: a, b; the config decides which there are"),
    (("a.csv",), "the command line: no path given for table b; give one path per item, named after it"),
], ids=["a-path-for-nothing", "an-item-without-a-path"])
def test_paths_and_items_must_agree(records, tmp_path, tables, message):
    args = parse("--records", str(records), *outputs(tmp_path, *tables))
    with pytest.raises(PipelineError) as caught:
        write_outputs(STAGE, run(read_inputs(STAGE, args), None), args)
    assert message in caught.value.message


def test_a_missing_input_names_its_path(tmp_path):
    args = parse("--records", str(tmp_path / "nowhere.csv"), *outputs(tmp_path, "a.csv", "b.csv"))
    with pytest.raises(PipelineError) as caught:
        read_inputs(STAGE, args)
    assert caught.value.message == f"{tmp_path / 'nowhere.csv'}: records not found; run the stage that writes it first"
