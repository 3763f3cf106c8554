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


def test_a_field_no_record_of_a_source_has_is_said_once_not_counted_for_every_record() -> None:
    text = "title,abstract,year\nFirst,One,2001\nSecond,Two,\n".encode()
    records = ingest([read_export(text, file="kitchenham.csv", source="kitchenham"), frame("medline", ONE)])
    assert summary(records) == ("ingest: 3 records from 2 sources (kitchenham=2, medline=1); 1 with problems; "
                                "kitchenham has no authors in any record")


def test_a_source_can_name_the_encoding_auto_detection_cannot_tell(tmp_path) -> None:
    """A GBK export has no mark or declaration: on its own it reads as cp1252 (garbled); the source's
    ``encoding: gbk`` reads it right, and the same bytes under a codec they do not fit are refused."""
    from pathlib import Path

    from pipeline.cli import main
    from pipeline.io import read_table

    repo = Path(__file__).resolve().parents[2]
    shipped = (repo / "config.yaml").read_text(encoding="utf-8")
    title = "护士的继发性创伤压力"
    export = tmp_path / "data/raw/exports/cnki.ris"
    export.parent.mkdir(parents=True)
    export.write_bytes(f"TY  - JOUR\nAU  - 王, 芳\nTI  - {title}\nPY  - 2019\nER  - \n".encode("gbk"))
    config = shipped[:shipped.index("sources:\n")] + (
        "sources:\n  - id: cnki\n    name: CNKI\n    path: data/raw/exports/cnki.ris\n    encoding: gbk\n"
    ) + shipped[shipped.index("\ncriteria:") + 1:]
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")

    assert main(["ingest-source", "--config", str(tmp_path / "config.yaml"), "--source", "cnki",
                 "--export", str(export), "--output-records", str(tmp_path / "out.csv")]) == 0
    records = read_table(tmp_path / "out.csv")
    assert records["title"].tolist() == [title]
    assert records["authors"].tolist() == ['[["王","芳"]]']

    garbled = read_export(export.read_bytes(), file="cnki.ris", source="cnki")
    assert garbled["title"].iloc[0] != title
    with pytest.raises(PipelineError, match=r"not valid utf-8 text \(bad byte at offset 17\)"):
        read_export(export.read_bytes(), file="cnki.ris", source="cnki", encoding="utf-8")


def test_standalone_ingest_takes_the_encoding_on_the_command_line(tmp_path, capsys) -> None:
    from pipeline.cli import main
    from pipeline.io import read_table

    export = tmp_path / "cnki.ris"
    export.write_bytes("TY  - JOUR\nTI  - 继发性创伤压力\nPY  - 2019\nER  - \n".encode("gbk"))
    out = tmp_path / "records.csv"
    assert main(["ingest-source", "--export", str(export), "--encoding", "gbk", "--output-records", str(out)]) == 0
    assert read_table(out)["title"].tolist() == ["继发性创伤压力"]
    assert main(["ingest-source", "--export", str(export), "--encoding", "gbx", "--output-records", str(out)]) == 2
    assert "unknown encoding 'gbx'" in capsys.readouterr().err
