"""``python -m pipeline deduplicate-files FILE... -o OUT.csv`` (formerly ``dedupe``): standalone deduplication of export files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main

BENCHMARK_CSV = (
    'ID,ENTRYTYPE,author,year,title,journal,volume,number,pages,doi\n'
    'id_1,article,"Smith, Jane and Ng, T.",2015,Mindfulness training for hospice nurses: a randomised trial,'
    'J Hosp Nurs,4,2,10-20,10.1000/mind.1\n'
    'id_2,article,"Smith, J.",2015,Mindfulness Training for Hospice Nurses - A Randomised Trial.,'
    'Journal of Hospice Nursing,4,2,10-20,\n'
    'id_3,article,"Bride, B. E.",2007,Secondary traumatic stress among child welfare workers,Child Welfare,86,6,'
    '5-21,\n'
)
RIS = (
    "TY  - JOUR\nAU  - Bride, Brian E.\nTI  - Secondary traumatic stress among child welfare workers.\n"
    "PY  - 2007\nJO  - Child Welfare\nVL  - 86\nIS  - 6\nSP  - 5\nEP  - 21\nER  - \n"
)


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(tmp_path)
    return main(["deduplicate-files", *args])


def test_benchmark_layout_csv_gives_one_row_per_record_with_its_own_id(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "set.csv").write_text(BENCHMARK_CSV, encoding="utf-8")
    assert run(tmp_path, monkeypatch, "set.csv", "-o", "out/dedup.csv") == 0
    out = pd.read_csv(tmp_path / "out" / "dedup.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["record_id", "study_id", "decision", "rule"]
    assert out["record_id"].tolist() == ["id_1", "id_2", "id_3"]
    assert out["study_id"].iloc[0] == out["study_id"].iloc[1] != out["study_id"].iloc[2]
    assert out["decision"].tolist() == ["kept", "duplicate", "kept"]
    assert out["rule"].tolist()[1] == "title_author_year"


def test_export_files_are_deduplicated_across_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "set.csv").write_text(BENCHMARK_CSV, encoding="utf-8")
    (tmp_path / "medline.ris").write_text(RIS, encoding="utf-8")
    assert run(tmp_path, monkeypatch, "set.csv", "medline.ris", "-o", "dedup.csv") == 0
    out = pd.read_csv(tmp_path / "dedup.csv", dtype=str, keep_default_na=False)
    assert len(out) == 4
    assert out["study_id"].iloc[2] == out["study_id"].iloc[3]
    assert sorted(out["decision"].iloc[2:]) == ["duplicate", "kept"]


def test_config_in_the_working_folder_sets_the_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = (Path(__file__).resolve().parents[2] / "config.yaml").read_text(encoding="utf-8")
    strict = config.replace("title_duplicate: 95", "title_duplicate: 100").replace("title_maybe: 85",
                                                                                  "title_maybe: 100")
    assert strict != config
    (tmp_path / "config.yaml").write_text(strict, encoding="utf-8")
    (tmp_path / "set.csv").write_text(
        "ID,author,year,title\n"
        'a,"Smith, J.",2015,Mindfulness training for hospice nurses: a randomised trial\n'
        'b,"Smith, J.",2015,Mindfulness training for hospice nurses: a randomized trial\n', encoding="utf-8")
    assert run(tmp_path, monkeypatch, "set.csv", "-o", "strict.csv") == 0
    (tmp_path / "config.yaml").unlink()
    assert run(tmp_path, monkeypatch, "set.csv", "-o", "default.csv") == 0
    strict_out = pd.read_csv(tmp_path / "strict.csv", dtype=str, keep_default_na=False)
    default_out = pd.read_csv(tmp_path / "default.csv", dtype=str, keep_default_na=False)
    assert strict_out["study_id"].nunique() == 2
    assert default_out["study_id"].nunique() == 1


def test_missing_file_is_an_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture) -> None:
    assert run(tmp_path, monkeypatch, "absent.ris", "-o", "dedup.csv") == 2
    error = capsys.readouterr().err
    assert "ERROR: absent.ris: export file not found; check the path and name the file itself" in error
    assert not (tmp_path / "dedup.csv").exists()


@pytest.mark.parametrize(("content", "code", "message"), [
    (b"", 2, "empty.csv:1: the file is empty"),
    (b'title,author\n"never closed,x\n', 0, "deduplicate-files: 1 records -> 1 studies"),
    (b"\xff\xfe\x00garbage,\"x\n", 2, "broken.csv:1: not a bibliographic export"),
], ids=["empty", "open-quote-read-by-the-export-reader", "utf16-garbage"])
def test_a_csv_pandas_cannot_parse_goes_to_the_export_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture, content: bytes,
                                                             code: int, message: str) -> None:
    name = "empty.csv" if not content else "broken.csv"
    (tmp_path / name).write_bytes(content)
    assert run(tmp_path, monkeypatch, name, "-o", "dedup.csv") == code
    error = capsys.readouterr().err
    assert message in error and "internal error" not in error


def test_the_former_name_dedupe_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["dedupe", "a.ris", "-o", "out.csv"]) == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("record_id,study_id,decision,rule\n")
